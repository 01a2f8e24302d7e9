#pragma once
// The record layer of STDF V4: a stream of (REC_TYP, REC_SUB, body) read through
// InputFile (gzip or plain) with a fixed buffer, and a cursor over one record's fields
// that returns each missing trailing field's default, as the spec allows.
#include <cstdint>
#include <memory>
#include <string>
#include <vector>

#include "io/import/InputFile.hpp"

namespace yf::import {

struct StdfRecord {
  std::uint8_t type = 0, sub = 0;
  std::uint16_t length = 0;       // REC_LEN: bytes of the body
  const std::uint8_t* body = nullptr;
  std::uint64_t offset = 0;       // of the record header in the decompressed stream
};

class StdfRecordStream {
 public:
  // Opens the file and reads the FAR: throws ImportError when the file cannot be
  // opened, does not start with a FAR, or is not STDF V4.
  explicit StdfRecordStream(std::string path);

  // The next record after the FAR; its body stays valid until the next call.
  // False at the end of the file; throws ImportError for a record that runs past it.
  // Inline fast path: the whole record is already in the buffer (nearly always).
  bool next(StdfRecord& rec) {
    if (end_ - pos_ >= 4) {
      const std::uint8_t* h = buf_.data() + pos_;
      const std::uint16_t len = big_endian_ ? static_cast<std::uint16_t>(h[0] << 8 | h[1])
                                            : static_cast<std::uint16_t>(h[1] << 8 | h[0]);
      if (end_ - pos_ >= 4u + len) {
        rec.type = h[2];
        rec.sub = h[3];
        rec.length = len;
        rec.offset = buf_offset_ + pos_;
        rec.body = h + 4;
        pos_ += 4u + len;
        return true;
      }
    }
    return next_refill(rec);
  }

  bool big_endian() const { return big_endian_; }
  const std::string& path() const { return in_.path(); }
  // "PATH: byte N: "
  std::string where(std::uint64_t offset) const;

 private:
  void read_far();
  bool next_refill(StdfRecord& rec);
  // Makes at least `n` bytes available at pos_ unless the file ends first.
  void fill(std::size_t n);

  InputFile in_;  // plain or gzip
  std::vector<std::uint8_t> buf_;
  std::size_t pos_ = 0, end_ = 0;
  std::uint64_t buf_offset_ = 0;  // stream offset of buf_[0]
  bool eof_ = false;
  bool big_endian_ = false;
};

// Fields of one record, read in order. Reading past the end of the record gives
// the field's default (trailing fields may be omitted); a string whose bytes run
// past the end is an error naming the record and the field.
class StdfFields {
 public:
  StdfFields(const StdfRecordStream& stream, const StdfRecord& rec, const char* record_name)
      : stream_(stream), rec_(rec), name_(record_name), p_(rec.body), end_(rec.body + rec.length) {}

  std::uint8_t u1(std::uint8_t def = 0);
  std::uint16_t u2(std::uint16_t def = 0);
  std::uint32_t u4(std::uint32_t def = 0);
  std::int16_t i2(std::int16_t def = 0);
  float r4(float def = 0);
  char c1(char def = ' ');
  std::string cn(const char* field);
  bool at_end() const { return p_ >= end_; }

 private:
  std::uint64_t raw(int bytes);

  const StdfRecordStream& stream_;
  const StdfRecord& rec_;
  const char* name_;
  const std::uint8_t* p_;
  const std::uint8_t* end_;
};

}  // namespace yf::import
