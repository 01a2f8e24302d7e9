#include "io/import/InputFile.hpp"

#include <fcntl.h>
#include <unistd.h>
#include <zlib.h>

#include <algorithm>
#include <cerrno>
#include <climits>
#include <cstring>

#include "io/import/ImportSink.hpp"

namespace yf::import {

InputFile::InputFile(std::string path) : path_(std::move(path)) {
  const int fd = ::open(path_.c_str(), O_RDONLY | O_CLOEXEC);
  if (fd < 0) throw ImportError(path_ + ": cannot open");
  // gzip streams start with the magic bytes 1f 8b; anything else is read as it is
  // (as zlib's transparent mode would).
  unsigned char magic[2] = {0, 0};
  ssize_t got = 0;
  do got = ::pread(fd, magic, 2, 0);
  while (got < 0 && errno == EINTR);
  if (got == 2 && magic[0] == 0x1f && magic[1] == 0x8b) {
    gzFile f = gzdopen(fd, "rb");
    if (!f) {
      ::close(fd);
      throw ImportError(path_ + ": cannot open");
    }
    gzbuffer(f, 128 * 1024);  // fewer, larger reads
    gz_ = f;
  } else {
    fd_ = fd;
#ifdef POSIX_FADV_SEQUENTIAL
    ::posix_fadvise(fd, 0, 0, POSIX_FADV_SEQUENTIAL);
#endif
  }
}

InputFile::~InputFile() {
  if (gz_) gzclose_r(static_cast<gzFile>(gz_));  // closes the descriptor too
  if (fd_ >= 0) ::close(fd_);
}

std::size_t InputFile::read(char* buf, std::size_t n) {
  const std::size_t total = gz_ ? read_gzip(buf, n) : read_plain(buf, n);
  offset_ += total;
  return total;
}

std::size_t InputFile::read_plain(char* buf, std::size_t n) {
  std::size_t total = 0;
  while (total < n) {
    const ssize_t got = ::read(fd_, buf + total, std::min<std::size_t>(n - total, INT_MAX / 2));
    if (got < 0) {
      if (errno == EINTR) continue;
      throw ImportError(path_ + ": byte " + std::to_string(offset_ + total) + ": read error: " + std::strerror(errno));
    }
    if (got == 0) break;
    total += static_cast<std::size_t>(got);
  }
  return total;
}

std::size_t InputFile::read_gzip(char* buf, std::size_t n) {
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
  return total;
}

std::string read_head(const std::string& path, std::size_t n) {
  InputFile in(path);
  std::string head(n, '\0');
  head.resize(in.read(head.data(), n));
  return head;
}

}  // namespace yf::import
