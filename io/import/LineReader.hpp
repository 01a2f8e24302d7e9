#pragma once
// Lines of a text file, streamed through a fixed buffer (InputFile: plain or gzip),
// numbered from 1, without their "\n" or "\r\n". A line longer than the limit is
// an error, so a binary file read as text cannot make a line eat all memory.
#include <cstddef>
#include <cstdint>
#include <cstring>
#include <string>
#include <string_view>
#include <vector>

#include "io/import/InputFile.hpp"

namespace yf::import {

class LineReader {
 public:
  explicit LineReader(const std::string& path, std::size_t max_line = 16u << 20);

  // Bytes that may be read past the end of any line returned (the buffer keeps them
  // allocated; their values are unspecified): lets word scanners load 64 at a time.
  static constexpr std::size_t kSlack = 64;

  // The next line, valid until the next call; false at the end of the file.
  // Throws ImportError "PATH: line N: ..." for a NUL byte or an over-long line.
  bool next(std::string_view& line) {
    // Inline fast path: the whole line is in the buffer, short enough, without NUL.
    if (const void* nl = std::memchr(buf_.data() + begin_, '\n', end_ - begin_)) {
      const std::size_t stop = static_cast<std::size_t>(static_cast<const char*>(nl) - buf_.data());
      std::size_t len = stop - begin_;
      if (len <= max_line_ && nul_at_ >= stop) {
        ++line_no_;
        if (len > 0 && buf_[begin_ + len - 1] == '\r') --len;
        line = std::string_view(buf_.data() + begin_, len);
        begin_ = stop + 1;
        return true;
      }
    }
    return next_slow(line);
  }

  // Block access for the DefectList's block reader (KlarfDefectBlock): the unread
  // bytes of the buffer that make whole lines - up to and including the last '\n'
  // before any NUL byte, at most max_line bytes - the next line to be returned
  // first. Empty when the buffer holds no whole line. kSlack bytes past the view's
  // end are readable.
  std::string_view whole_lines() const;
  // Consumes the first `bytes` bytes of whole_lines(), which end with a '\n' and
  // hold `lines` line ends: the next line returned is the one after them.
  void skip_whole_lines(std::size_t bytes, std::uint64_t lines) {
    begin_ += bytes;
    line_no_ += lines;
  }
  // When fewer than `want` bytes are unread, reads more of the file into the buffer
  // after them (they are kept); false when enough are unread or at the end of the
  // file. whole_lines() views are invalid after it, whatever it returns (the unread
  // bytes may have moved).
  bool top_up(std::size_t want) { return end_ - begin_ < want && fill(); }

  // Number of the line last returned (1-based).
  std::uint64_t line_number() const { return line_no_; }
  const std::string& path() const { return in_.path(); }
  // "PATH: line N: " for error messages about the last line.
  std::string where() const;

 private:
  bool fill();
  bool next_slow(std::string_view& line);

  InputFile in_;
  std::size_t max_line_;
  std::vector<char> buf_;
  std::size_t begin_ = 0, end_ = 0;
  bool eof_ = false;
  std::uint64_t line_no_ = 0;
  // Index in buf_ of the first NUL byte read (npos: none): each chunk is searched
  // once as it arrives, and the line that holds it is the error.
  std::size_t nul_at_ = static_cast<std::size_t>(-1);
};

}  // namespace yf::import
