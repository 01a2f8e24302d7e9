#include "io/import/InputFile.hpp"

#include <zlib.h>

#include <climits>

#include "io/import/ImportSink.hpp"

namespace yf::import {

InputFile::InputFile(std::string path) : path_(std::move(path)) {
  gzFile f = gzopen(path_.c_str(), "rb");
  if (!f) throw ImportError(path_ + ": cannot open");
  gzbuffer(f, 128 * 1024);  // fewer, larger reads (also for plain files)
  gz_ = f;
}

InputFile::~InputFile() {
  if (gz_) gzclose_r(static_cast<gzFile>(gz_));
}

std::size_t InputFile::read(char* buf, std::size_t n) {
  auto* f = static_cast<gzFile>(gz_);
  std::size_t total = 0;
  while (total < n) {
    const auto want = static_cast<unsigned>(std::min<std::size_t>(n - total, INT_MAX / 2));
    const int got = gzread(f, buf + total, want);
    if (got < 0) {
      int err = 0;
      const char* msg = gzerror(f, &err);
      throw ImportError(path_ + ": byte " + std::to_string(offset_ + total) + ": read error: " + (msg ? msg : "?"));
    }
    if (got == 0) {
      // gzread returns 0 both at a clean end and at a gzip stream cut short.
      int err = 0;
      const char* msg = gzerror(f, &err);
      if (err != Z_OK && err != Z_BUF_ERROR)
        throw ImportError(path_ + ": byte " + std::to_string(offset_ + total) + ": " + (msg ? msg : "read error"));
      if (err == Z_BUF_ERROR)
        throw ImportError(path_ + ": byte " + std::to_string(offset_ + total) +
                          ": the gzip stream is truncated (unexpected end of file)");
      break;
    }
    total += static_cast<std::size_t>(got);
  }
  offset_ += total;
  return total;
}

std::string read_head(const std::string& path, std::size_t n) {
  InputFile in(path);
  std::string head(n, '\0');
  head.resize(in.read(head.data(), n));
  return head;
}

}  // namespace yf::import
