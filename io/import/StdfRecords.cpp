#include "io/import/StdfRecords.hpp"

#include <cstring>

#include "io/import/ImportSink.hpp"

namespace yf::import {
namespace {

// A record is at most 4 + 65535 bytes. 1 MiB: zlib reads requests of twice its own
// 256 KiB buffer straight into ours (no extra copy) when the file is not gzip.
constexpr std::size_t kBufferBytes = 1u << 20;
constexpr std::size_t kHeader = 4;

}  // namespace

StdfRecordStream::StdfRecordStream(std::string path)
    : in_(std::move(path)), buf_(kBufferBytes), scan_(kBufferBytes) {
  read_far();
  scan_stop_ = pos_;
}

void StdfRecordStream::read_far() {
  fill(kHeader + 2);
  const std::size_t have = end_ - pos_;
  if (have < kHeader)
    throw ImportError(where(0) + "not an STDF file: shorter than one record header (" + std::to_string(have) +
                      " bytes)");
  const std::uint8_t* h = buf_.data() + pos_;
  if (h[2] != 0 || h[3] != 10)
    throw ImportError(where(0) + "not an STDF file: the first record is REC_TYP " + std::to_string(h[2]) +
                      " REC_SUB " + std::to_string(h[3]) + ", not the FAR (0, 10)");
  if (have < kHeader + 2) throw ImportError(where(0) + "FAR runs past the end of the file (truncated)");
  const std::uint8_t cpu = h[4], version = h[5];
  if (cpu == 1)
    big_endian_ = true;
  else if (cpu == 2)
    big_endian_ = false;
  else if (cpu == 0)
    throw ImportError(where(4) + "FAR: CPU_TYPE 0 (VAX/PDP-11 number formats) is not supported");
  else
    throw ImportError(where(4) + "FAR: CPU_TYPE " + std::to_string(cpu) + " is not 1 (big-endian) or 2 (little-endian)");
  if (version != 4)
    throw ImportError(where(5) + "FAR: STDF_VER " + std::to_string(version) + ": only STDF V4 is supported");
  const std::uint16_t len = big_endian_ ? static_cast<std::uint16_t>(h[0] << 8 | h[1])
                                        : static_cast<std::uint16_t>(h[1] << 8 | h[0]);
  if (len < 2) throw ImportError(where(0) + "FAR: REC_LEN " + std::to_string(len) + " is shorter than its 2 fields");
  // Skip the FAR's body (fields after STDF_VER are not defined by V4).
  fill(kHeader + len);
  if (end_ - pos_ < kHeader + len) throw ImportError(where(0) + "FAR runs past the end of the file (truncated)");
  pos_ += kHeader + len;
}

std::string StdfRecordStream::where(std::uint64_t offset) const {
  return in_.path() + ": byte " + std::to_string(offset) + ": ";
}

void StdfRecordStream::fill(std::size_t n) {
  if (end_ - pos_ >= n || eof_) return;
  if (pos_ > 0) {
    std::memmove(buf_.data(), buf_.data() + pos_, end_ - pos_);
    buf_offset_ += pos_;
    end_ -= pos_;
    pos_ = 0;
  }
  while (end_ < n && !eof_) {
    const std::size_t got = in_.read(reinterpret_cast<char*>(buf_.data()) + end_, buf_.size() - end_);
    if (got == 0) eof_ = true;
    end_ += got;
  }
}

bool StdfRecordStream::next_scan(StdfRecord& rec, const StdfRecordSet& wanted) {
  for (;;) {
    // Every record before scan_stop_ is handed over or skipped. The one there ends
    // the last scan's window, or is not wholly in the buffer (read on until it is),
    // or is the first after the FAR: scan on from it.
    pos_ = scan_stop_;
    fill(kHeader);
    const std::size_t have = end_ - pos_;
    const std::uint64_t offset = buf_offset_ + pos_;
    if (have == 0) return false;
    if (have < kHeader)
      throw ImportError(where(offset) + "record header runs past the end of the file (truncated after " +
                        std::to_string(have) + " of 4 bytes)");
    const std::uint8_t* h = buf_.data() + pos_;
    const std::uint16_t len = big_endian_ ? static_cast<std::uint16_t>(h[0] << 8 | h[1])
                                          : static_cast<std::uint16_t>(h[1] << 8 | h[0]);
    const std::uint8_t type = h[2], sub = h[3];
    fill(kHeader + len);
    if (end_ - pos_ < kHeader + len)
      throw ImportError(where(offset) + "record (" + std::to_string(type) + ", " + std::to_string(sub) + ") of " +
                        std::to_string(len) + " bytes runs past the end of the file (truncated: " +
                        std::to_string(end_ - pos_ - kHeader) + " bytes left)");
    const StdfScanResult r = scan_stdf_records(buf_.data(), pos_, end_, big_endian_, wanted, scan_);
    found_next_ = 0;
    found_count_ = r.found;
    scan_stop_ = r.stop;
    if (next_found(rec, wanted)) return true;
  }
}

float StdfFields::r4(float def) {
  if (end_ - p_ < 4) return p_ = end_, def;
  const auto bits = static_cast<std::uint32_t>(raw(4));
  float f;
  std::memcpy(&f, &bits, sizeof f);
  return f;
}
std::string StdfFields::cn(const char* field) {
  if (end_ - p_ < 1) return p_ = end_, std::string();
  const std::size_t n = *p_;
  if (static_cast<std::size_t>(end_ - p_ - 1) < n)
    throw ImportError(stream_.where(rec_.offset) + name_ + ": " + field + " (" + std::to_string(n) +
                      " bytes) runs past the end of its record (REC_LEN " + std::to_string(rec_.length) + ")");
  std::string s(reinterpret_cast<const char*>(p_ + 1), n);
  p_ += 1 + n;
  return s;
}

}  // namespace yf::import
