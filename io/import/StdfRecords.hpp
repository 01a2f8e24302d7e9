#pragma once
// The record layer of STDF V4: a stream of the (REC_TYP, REC_SUB, body) records a
// reader wants, read through InputFile (gzip or plain) with a fixed buffer that
// StdfScan walks for them, and a cursor over one record's fields that returns each
// missing trailing field's default, as the spec allows.
#include <cstddef>
#include <cstdint>
#include <string>
#include <vector>

#include "io/import/InputFile.hpp"
#include "io/import/StdfScan.hpp"

namespace yf::import {

struct StdfRecord {
  std::uint8_t type = 0, sub = 0;
  // StdfRecordSet::key(type, sub), stored whole: a reader that switched on the two
  // bytes would load them as one word just after they were stored one by one, which
  // the CPU cannot forward (a stall per record).
  std::uint16_t key = 0;
  std::uint16_t length = 0;       // REC_LEN: bytes of the body
  const std::uint8_t* body = nullptr;
  std::uint64_t offset = 0;       // of the record header in the decompressed stream
};

class StdfRecordStream {
 public:
  // Opens the file and reads the FAR: throws ImportError when the file cannot be
  // opened, does not start with a FAR, or is not STDF V4.
  explicit StdfRecordStream(std::string path);

  // The next record after the FAR whose type is in `wanted`; its body stays valid
  // until the next call. Records of other types are skipped (each still has to fit
  // in the file: one running past its end is the same error as a wanted one).
  // False at the end of the file; throws ImportError for a record that runs past it.
  // `wanted` may lose types between calls (the records a scan found are checked
  // again when handed over); types it gains apply from the next scan on.
  bool next(StdfRecord& rec, const StdfRecordSet& wanted) { return next_found(rec, wanted) || next_scan(rec, wanted); }

  bool big_endian() const { return big_endian_; }
  const std::string& path() const { return in_.path(); }
  // "PATH: byte N: "
  std::string where(std::uint64_t offset) const;

 private:
  // Inline: the next of the last scan's records still wanted, if any.
  bool next_found(StdfRecord& rec, const StdfRecordSet& wanted) {
    while (found_next_ < found_count_) {
      const std::size_t at = scan_.found_offsets()[found_next_++];
      const std::uint8_t* h = buf_.data() + at;
      const std::uint16_t key = StdfRecordSet::key(h[2], h[3]);
      if (!wanted.has(key)) continue;  // no longer wanted (a PIR after the MIR)
      rec.type = h[2];
      rec.sub = h[3];
      rec.key = key;
      rec.length = big_endian_ ? static_cast<std::uint16_t>(h[0] << 8 | h[1]) : static_cast<std::uint16_t>(h[1] << 8 | h[0]);
      rec.offset = buf_offset_ + at;
      rec.body = h + 4;
      return true;
    }
    return false;
  }
  // Out of line: reads on and scans the buffer for more, until a wanted record or the end.
  bool next_scan(StdfRecord& rec, const StdfRecordSet& wanted);
  void read_far();
  // Makes at least `n` bytes available at pos_ unless the file ends first.
  void fill(std::size_t n);

  InputFile in_;  // plain or gzip
  std::vector<std::uint8_t> buf_;
  std::size_t pos_ = 0, end_ = 0;
  // The last scan's wanted records (offsets in buf_, all before scan_stop_), handed
  // over from found_next_ on; then the record at scan_stop_ is made whole (the
  // buffer refilled if need be) and scanned from.
  StdfScanSpace scan_;
  std::size_t found_next_ = 0, found_count_ = 0, scan_stop_ = 0;
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
      : stream_(stream), rec_(rec), name_(record_name), p_(rec.body), end_(rec.body + rec.length),
        big_endian_(stream.big_endian()) {}

  // Inline: a PRR is read for every die.
  std::uint8_t u1(std::uint8_t def = 0) { return has(1) ? static_cast<std::uint8_t>(raw(1)) : def; }
  std::uint16_t u2(std::uint16_t def = 0) { return has(2) ? static_cast<std::uint16_t>(raw(2)) : def; }
  std::uint32_t u4(std::uint32_t def = 0) { return has(4) ? static_cast<std::uint32_t>(raw(4)) : def; }
  std::int16_t i2(std::int16_t def = 0) {
    return has(2) ? static_cast<std::int16_t>(static_cast<std::uint16_t>(raw(2))) : def;
  }
  float r4(float def = 0);
  char c1(char def = ' ') { return has(1) ? static_cast<char>(raw(1)) : def; }
  std::string cn(const char* field);
  bool at_end() const { return p_ >= end_; }

 private:
  // True when `bytes` bytes are left; otherwise the record ends here (later fields
  // give their defaults too).
  bool has(std::ptrdiff_t bytes) {
    if (end_ - p_ >= bytes) return true;
    p_ = end_;
    return false;
  }
  std::uint32_t raw(int bytes) {
    std::uint32_t v = 0;
    if (big_endian_)
      for (int i = 0; i < bytes; ++i) v = v << 8 | p_[i];
    else
      for (int i = bytes - 1; i >= 0; --i) v = v << 8 | p_[i];
    p_ += bytes;
    return v;
  }

  const StdfRecordStream& stream_;
  const StdfRecord& rec_;
  const char* name_;
  const std::uint8_t* p_;
  const std::uint8_t* end_;
  bool big_endian_;
};

}  // namespace yf::import
