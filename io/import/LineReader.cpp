#include "io/import/LineReader.hpp"

#include <cstring>

#include "io/import/ImportSink.hpp"

namespace yf::import {

namespace {
constexpr std::size_t kChunk = 256u << 10;  // grows for longer lines
}

LineReader::LineReader(const std::string& path, std::size_t max_line)
    : in_(path), max_line_(max_line), buf_(kChunk) {}

std::string LineReader::where() const { return in_.path() + ": line " + std::to_string(line_no_) + ": "; }

// Moves the unread tail to the front and reads more after it; false at the end.
bool LineReader::fill() {
  if (eof_) return false;
  const std::size_t tail = end_ - begin_;
  if (begin_ > 0 && tail > 0) std::memmove(buf_.data(), buf_.data() + begin_, tail);
  begin_ = 0;
  end_ = tail;
  if (buf_.size() - end_ < kChunk / 2) buf_.resize(buf_.size() + kChunk);
  const std::size_t got = in_.read(buf_.data() + end_, buf_.size() - end_);
  if (got == 0) {
    eof_ = true;
    return false;
  }
  end_ += got;
  return true;
}

bool LineReader::next(std::string_view& line) {
  std::size_t scan = begin_;
  for (;;) {
    const char* start = buf_.data() + scan;
    const auto* nl = static_cast<const char*>(std::memchr(start, '\n', end_ - scan));
    if (nl) {
      const std::size_t stop = static_cast<std::size_t>(nl - buf_.data());
      std::size_t len = stop - begin_;
      ++line_no_;
      if (len > max_line_) throw ImportError(where() + "line longer than " + std::to_string(max_line_) + " bytes");
      if (len > 0 && buf_[begin_ + len - 1] == '\r') --len;
      line = std::string_view(buf_.data() + begin_, len);
      begin_ = stop + 1;
      if (std::memchr(line.data(), '\0', line.size()))
        throw ImportError(where() + "NUL byte: this is not a text file");
      return true;
    }
    const std::size_t pending = end_ - begin_;
    if (pending > max_line_) {
      ++line_no_;
      throw ImportError(where() + "line longer than " + std::to_string(max_line_) + " bytes");
    }
    if (!fill()) {
      if (end_ == begin_) return false;
      // Last line without a newline.
      std::size_t len = end_ - begin_;
      ++line_no_;
      if (buf_[begin_ + len - 1] == '\r') --len;
      line = std::string_view(buf_.data() + begin_, len);
      begin_ = end_;
      if (std::memchr(line.data(), '\0', line.size()))
        throw ImportError(where() + "NUL byte: this is not a text file");
      return true;
    }
    scan = pending;  // after fill(), begin_ == 0: resume where the scan stopped
  }
}

}  // namespace yf::import
