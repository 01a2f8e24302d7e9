#include "io/import/StdfScan.hpp"

#include <cstring>

namespace yf::import {
namespace {

// A record is at most 4 + 65535 bytes: one starting before end - kMaxRecord is wholly
// in the buffer, so the walks below check only their position against a fixed limit,
// and each record against the buffer's end in the last 64 KiB only.
constexpr std::size_t kMaxRecord = 4 + 65535;
// Less than this, one chain: the second one's start costs a search.
constexpr std::size_t kMinSplit = 16u << 10;

template <bool kBigEndian>
inline std::size_t length_at(const std::uint8_t* h) {
  return kBigEndian ? std::size_t{h[0]} << 8 | h[1] : std::size_t{h[1]} << 8 | h[0];
}
inline std::uint16_t key_at(const std::uint8_t* h) { return StdfRecordSet::key(h[2], h[3]); }

// One step of a chain: note the record (the slot is overwritten unless it is
// wanted: no branch on the type) and move to the next one.
template <bool kBigEndian>
inline const std::uint8_t* step(const std::uint8_t* h, const std::uint8_t* buf, const StdfRecordSet& wanted,
                                std::uint32_t* found, std::size_t& n) {
  found[n] = static_cast<std::uint32_t>(h - buf);
  n += wanted.has(key_at(h));
  return h + 4 + length_at<kBigEndian>(h);
}

// The record types of STDF V4 (and V4-2007): a position where eight headers in a
// row name one of them is taken as a likely record boundary to start a second chain
// from. Only a guess: the first chain checks it.
const StdfRecordSet& known_types() {
  static const StdfRecordSet set = [] {
    StdfRecordSet s;
    static constexpr std::uint8_t kTypes[][2] = {
        {0, 10},  {0, 20},  {0, 30},  {1, 10},  {1, 20},  {1, 30},  {1, 40},  {1, 50},  {1, 60},  {1, 62},
        {1, 63},  {1, 70},  {1, 80},  {1, 90},  {1, 91},  {1, 92},  {1, 93},  {1, 94},  {2, 10},  {2, 20},
        {2, 30},  {5, 10},  {5, 20},  {10, 30}, {15, 10}, {15, 15}, {15, 20}, {15, 30}, {20, 10}, {20, 20},
        {50, 10}, {50, 30}};
    for (const auto& t : kTypes) s.add(t[0], t[1]);
    return s;
  }();
  return set;
}

template <bool kBigEndian>
const std::uint8_t* likely_boundary(const std::uint8_t* from, const std::uint8_t* limit) {
  constexpr int kHeadersInARow = 8;
  constexpr std::size_t kSearch = 2048;  // bytes tried; a record longer than this just means one chain
  const StdfRecordSet& known = known_types();
  for (const std::uint8_t* c = from; c < from + kSearch && c <= limit; ++c) {
    const std::uint8_t* h = c;
    int k = 0;
    while (k < kHeadersInARow && h <= limit && known.has(key_at(h))) {
      h += 4 + length_at<kBigEndian>(h);
      ++k;
    }
    if (k == kHeadersInARow) return c;
  }
  return nullptr;
}

template <bool kBigEndian>
StdfScanResult scan(const std::uint8_t* buf, std::size_t pos, std::size_t end_pos, const StdfRecordSet& wanted,
                    std::uint32_t* found, std::uint32_t* second, std::size_t window, bool two_chains) {
  StdfScanResult r;
  const std::uint8_t* a = buf + pos;
  const std::uint8_t* end = buf + end_pos;
  std::size_t n = 0;
  // Up to `limit`, every record is wholly in the buffer: no check of the end.
  const bool tail = end - a <= static_cast<std::ptrdiff_t>(window + kMaxRecord);
  const std::uint8_t* limit = tail ? (end - a > static_cast<std::ptrdiff_t>(kMaxRecord) ? end - kMaxRecord : a) : a + window;
  const std::uint8_t* mid = nullptr;
  if (two_chains && limit - a >= static_cast<std::ptrdiff_t>(kMinSplit))
    mid = likely_boundary<kBigEndian>(a + (limit - a) / 2, limit);
  if (mid) {
    // Two chains in step: a from the known boundary up to mid, b from mid up to limit.
    r.split_tried = true;
    const std::uint8_t* b = mid;
    std::size_t nb = 0;
    while (a < mid && b < limit) {
      a = step<kBigEndian>(a, buf, wanted, found, n);
      b = step<kBigEndian>(b, buf, wanted, second, nb);
    }
    while (a < mid) a = step<kBigEndian>(a, buf, wanted, found, n);
    if (a == mid) {  // mid is a boundary: b's records are the file's, after a's
      std::memcpy(found + n, second, nb * sizeof *second);
      n += nb;
      a = b;
      r.split = true;
    }
    // else: a stepped over mid, which was no boundary; b's walk is dropped.
  }
  while (a < limit) a = step<kBigEndian>(a, buf, wanted, found, n);
  if (tail)  // the last records, each checked against the end
    while (end - a >= 4 && static_cast<std::size_t>(end - a) - 4 >= length_at<kBigEndian>(a))
      a = step<kBigEndian>(a, buf, wanted, found, n);
  r.stop = static_cast<std::size_t>(a - buf);
  r.found = n;
  return r;
}

}  // namespace

StdfScanResult scan_stdf_records(const std::uint8_t* buf, std::size_t pos, std::size_t end, bool big_endian,
                                 const StdfRecordSet& wanted, StdfScanSpace& space, std::size_t window,
                                 bool two_chains) {
  std::uint32_t* found = space.found_.get();
  std::uint32_t* second = space.second_.get();
  return big_endian ? scan<true>(buf, pos, end, wanted, found, second, window, two_chains)
                    : scan<false>(buf, pos, end, wanted, found, second, window, two_chains);
}

}  // namespace yf::import
