#pragma once
// Finding the records an STDF reader wants in a buffer of whole records, without
// handing over the others. An STDF file is a chain: each record's header gives its
// length, so the next record's position depends on a load from the current one
// (about 5 cycles a record, however simple the loop). A wafer-sort file is mostly
// records an importer ignores (PTR, PIR, FTR, MPR: ~20 per die), so this chain is the
// importer's speed limit. scan_stdf_records walks it with no dispatch on the type and
// keeps two chains in flight: the second starts halfway through the buffer at a
// position that looks like a record boundary and its findings are kept only if the
// first chain, walking from a known boundary, lands exactly on that position (then
// it is a boundary: both walks are the file's own chain); otherwise they are thrown
// away and the first chain goes on alone. The result is the same either way.
#include <cstddef>
#include <cstdint>
#include <memory>
#include <vector>

namespace yf::import {

// The record types (REC_TYP, REC_SUB) a reader wants handed over: a byte for each
// of the 65,536 (type, sub) pairs (a bitset would cost the scan four more operations
// a record), on the heap; a file touches a few of its cache lines.
class StdfRecordSet {
 public:
  StdfRecordSet() : in_(65536, 0) {}
  // SUB in the high byte: a little-endian load of a header's bytes 2-3 gives the key.
  static constexpr std::uint16_t key(std::uint8_t type, std::uint8_t sub) {
    return static_cast<std::uint16_t>(sub << 8 | type);
  }
  void add(std::uint8_t type, std::uint8_t sub) { in_[key(type, sub)] = 1; }
  void remove(std::uint8_t type, std::uint8_t sub) { in_[key(type, sub)] = 0; }
  // 1 or 0: the scan adds it to a count.
  std::uint8_t has(std::uint16_t k) const { return in_[k]; }

 private:
  std::vector<std::uint8_t> in_;
};

// Where a scan stopped and what it found.
struct StdfScanResult {
  std::size_t stop = 0;   // offset of the first record not wholly in the buffer (or the buffer's end)
  std::size_t found = 0;  // wanted records found: their offsets are found_offsets[0, found)
  bool split_tried = false;  // a second chain ran (for tests)
  bool split = false;        // ... and its findings were kept
};

// Scratch space for scans of buffers up to `max_bytes` long: the offsets of the
// wanted records (at most one per 4 bytes) for each chain. Not initialised: only the
// entries written are touched.
class StdfScanSpace {
 public:
  explicit StdfScanSpace(std::size_t max_bytes)
      : capacity_(max_bytes / 4 + 2),
        found_(new std::uint32_t[capacity_]),
        second_(new std::uint32_t[capacity_]) {}
  const std::uint32_t* found_offsets() const { return found_.get(); }
  std::size_t max_bytes() const { return (capacity_ - 2) * 4; }

 private:
  friend StdfScanResult scan_stdf_records(const std::uint8_t*, std::size_t, std::size_t, bool, const StdfRecordSet&,
                                          StdfScanSpace&, std::size_t, bool);
  std::size_t capacity_;
  std::unique_ptr<std::uint32_t[]> found_, second_;
};

// How far one scan goes: the records it finds are handed over while they are still
// in the core's cache (a whole 1 MiB buffer is as large as this machine's L2).
inline constexpr std::size_t kStdfScanWindow = 128u << 10;

// Walks the records of buf[pos, end) from `pos`, which must be a record boundary,
// and notes the offsets (from buf) of those in `wanted`, in file order. Stops at the
// first record starting `window` bytes or more after pos while at least a whole
// record's worth (64 KiB) of the buffer is left after it, or else at the first
// record whose header or body runs past `end` (at most 3 bytes left when the buffer
// ends on a boundary); `stop` is that record's offset. `big_endian` is the FAR's byte
// order (REC_LEN's). end - pos must not exceed space.max_bytes(), nor 4 GiB.
// `two_chains` false keeps to one (tests compare both).
StdfScanResult scan_stdf_records(const std::uint8_t* buf, std::size_t pos, std::size_t end, bool big_endian,
                                 const StdfRecordSet& wanted, StdfScanSpace& space,
                                 std::size_t window = kStdfScanWindow, bool two_chains = true);

}  // namespace yf::import
