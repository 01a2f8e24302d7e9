#include "io/import/LineReader.hpp"

#include <string.h>  // memrchr

#include <algorithm>
#include <cstring>

#include "io/import/ImportSink.hpp"

namespace yf::import {

namespace {
constexpr std::size_t kChunk = 256u << 10;  // grows for longer lines
constexpr std::size_t kNone = static_cast<std::size_t>(-1);
}

LineReader::LineReader(const std::string& path, std::size_t max_line)
    : in_(path), max_line_(max_line), buf_(kChunk + kSlack) {}

std::string LineReader::where() const { return in_.path() + ": line " + std::to_string(line_no_) + ": "; }

std::string_view LineReader::whole_lines() const {
  std::size_t stop = std::min(end_, nul_at_);
  if (stop > begin_ && stop - begin_ > max_line_) stop = begin_ + max_line_;
  if (stop <= begin_) return {};
  const auto* nl = static_cast<const char*>(memrchr(buf_.data() + begin_, '\n', stop - begin_));
  if (!nl) return {};
  return std::string_view(buf_.data() + begin_, static_cast<std::size_t>(nl + 1 - (buf_.data() + begin_)));
}

// Moves the unread tail to the front and reads more after it; false at the end.
bool LineReader::fill() {
  if (eof_) return false;
  const std::size_t tail = end_ - begin_;
  if (begin_ > 0 && tail > 0) std::memmove(buf_.data(), buf_.data() + begin_, tail);
  if (nul_at_ != kNone) nul_at_ -= begin_;
  begin_ = 0;
  end_ = tail;
  if (buf_.size() - kSlack - end_ < kChunk / 2) buf_.resize(buf_.size() + kChunk);
  const std::size_t got = in_.read(buf_.data() + end_, buf_.size() - kSlack - end_);
  if (got == 0) {
    eof_ = true;
    return false;
  }
  if (nul_at_ == kNone)
    if (const auto* z = static_cast<const char*>(std::memchr(buf_.data() + end_, '\0', got)))
      nul_at_ = static_cast<std::size_t>(z - buf_.data());
  end_ += got;
  return true;
}

bool LineReader::next_slow(std::string_view& line) {
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
      if (nul_at_ < stop) throw ImportError(where() + "NUL byte: this is not a text file");
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
      if (nul_at_ < end_) throw ImportError(where() + "NUL byte: this is not a text file");
      begin_ = end_;
      return true;
    }
    scan = pending;  // after fill(), begin_ == 0: resume where the scan stopped
  }
}

}  // namespace yf::import
