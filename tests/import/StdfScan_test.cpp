// The STDF record scan (io/import/StdfScan): the records it reports against a plain
// record-by-record walk written here, with its second chain kept, refused (a decoy
// chain of fake headers inside a record's body) and switched off; and the importer
// on files whose records straddle the 1 MiB read buffer's end at every offset.
#include <catch2/catch.hpp>
#include <algorithm>
#include <cstdint>
#include <random>
#include <vector>

#include "import/RecordingSink.hpp"
#include "io/import/StdfImporter.hpp"
#include "io/import/StdfScan.hpp"
#include "support/StdfWriter.hpp"
#include "support/TempDir.hpp"

using yf::import::scan_stdf_records;
using yf::import::StdfRecordSet;
using yf::import::StdfScanSpace;

namespace {

struct Reference {
  std::vector<std::uint32_t> found;
  std::size_t stop = 0;
};

// One record after another, checking each against the end: what the scan must match.
Reference walk(const std::vector<std::uint8_t>& buf, std::size_t pos, bool be, const StdfRecordSet& wanted) {
  Reference r;
  while (buf.size() - pos >= 4) {
    const std::size_t len = be ? buf[pos] * 256u + buf[pos + 1] : buf[pos + 1] * 256u + buf[pos];
    if (buf.size() - pos - 4 < len) break;
    if (wanted.has(StdfRecordSet::key(buf[pos + 2], buf[pos + 3]))) r.found.push_back(static_cast<std::uint32_t>(pos));
    pos += 4 + len;
  }
  r.stop = pos;
  return r;
}

void put_record(std::vector<std::uint8_t>& out, bool be, std::uint8_t type, std::uint8_t sub,
                const std::vector<std::uint8_t>& body) {
  const auto len = static_cast<std::uint16_t>(body.size());
  out.push_back(static_cast<std::uint8_t>(be ? len >> 8 : len & 0xff));
  out.push_back(static_cast<std::uint8_t>(be ? len & 0xff : len >> 8));
  out.push_back(type);
  out.push_back(sub);
  out.insert(out.end(), body.begin(), body.end());
}

// ~`bytes` of records as a tester writes them (mostly PTRs of varying length, a PIR
// and a PRR per die, now and then an unknown type or a long record), random bodies.
std::vector<std::uint8_t> records(std::size_t bytes, bool be, std::uint32_t seed) {
  std::mt19937 rng(seed);
  std::vector<std::uint8_t> out;
  auto body = [&](std::size_t n) {
    std::vector<std::uint8_t> b(n);
    for (auto& c : b) c = static_cast<std::uint8_t>(rng());
    return b;
  };
  while (out.size() < bytes) {
    put_record(out, be, 5, 10, body(2));  // PIR
    const int tests = static_cast<int>(rng() % 30);
    for (int t = 0; t < tests; ++t) put_record(out, be, 15, 10, body(20 + rng() % 70));  // PTR
    if (rng() % 16 == 0) put_record(out, be, 180, 7, body(rng() % 40));                 // an unknown type
    if (rng() % 64 == 0) put_record(out, be, 50, 30, body(rng() % 9000));               // a long DTR
    if (rng() % 97 == 0) put_record(out, be, 15, 20, {});                               // an empty FTR
    put_record(out, be, 5, 20, body(25));                                               // PRR
  }
  return out;
}

StdfRecordSet prr_wir_wrr() {
  StdfRecordSet s;
  s.add(5, 20);
  s.add(2, 10);
  s.add(2, 20);
  return s;
}

std::vector<std::uint32_t> found(const StdfScanSpace& space, std::size_t n) {
  return {space.found_offsets(), space.found_offsets() + n};
}

// Scans from pos window after window, as the record stream does, until a scan makes
// no progress (the record there is not wholly in the buffer).
struct Scanned {
  std::vector<std::uint32_t> found;
  std::size_t stop = 0;
  int scans = 0, split_tried = 0, split = 0;
};
Scanned scan_all(const std::vector<std::uint8_t>& b, std::size_t pos, bool be, const StdfRecordSet& wanted,
                 std::size_t window, bool two_chains) {
  StdfScanSpace space(b.size());
  Scanned out;
  for (;;) {
    const auto r = scan_stdf_records(b.data(), pos, b.size(), be, wanted, space, window, two_chains);
    const auto f = found(space, r.found);
    out.found.insert(out.found.end(), f.begin(), f.end());
    ++out.scans;
    out.split_tried += r.split_tried;
    out.split += r.split;
    if (r.stop == pos) break;
    pos = r.stop;
  }
  out.stop = pos;
  return out;
}

}  // namespace

TEST_CASE("STDF scan: the same records as a plain walk, with and without the second chain", "[Stdf][scan]") {
  const StdfRecordSet wanted = prr_wir_wrr();
  for (const bool be : {false, true}) {
    for (const std::uint32_t seed : {1u, 2u, 3u}) {
      CAPTURE(be, seed);
      std::vector<std::uint8_t> buf = records(900u << 10, be, seed);
      const std::size_t whole = buf.size();
      // End the buffer inside a record's header and inside a record's body, as a read does.
      for (const std::size_t cut : {std::size_t{0}, std::size_t{2}, std::size_t{17}}) {
        CAPTURE(cut);
        const std::vector<std::uint8_t> b(buf.begin(), buf.begin() + static_cast<std::ptrdiff_t>(whole - cut));
        const Reference ref = walk(b, 0, be, wanted);
        REQUIRE(ref.found.size() > 500);
        // The stream's window, one the size of the buffer, and small ones (below
        // the second chain's minimum: one chain each).
        for (const std::size_t window : {yf::import::kStdfScanWindow, b.size(), std::size_t{5000}}) {
          CAPTURE(window);
          const Scanned two = scan_all(b, 0, be, wanted, window, true);
          // Second chains ran and were kept (now and then a start inside a record
          // passes the guess and is dropped: the results are the same either way).
          if (window >= yf::import::kStdfScanWindow) CHECK(two.split > 0);
          CHECK(two.stop == ref.stop);
          CHECK(two.found == ref.found);
          const Scanned one = scan_all(b, 0, be, wanted, window, false);
          CHECK(one.split_tried == 0);
          CHECK(one.stop == ref.stop);
          CHECK(one.found == ref.found);
        }
        // From a later boundary, as after a refill.
        const std::size_t from = ref.found[10];
        const Reference ref_later = walk(b, from, be, wanted);
        const Scanned later = scan_all(b, from, be, wanted, yf::import::kStdfScanWindow, true);
        CHECK(later.stop == ref_later.stop);
        CHECK(later.found == ref_later.found);
      }
    }
  }
}

TEST_CASE("STDF scan: a chain of fake headers inside a record at the halfway point is not taken for records",
          "[Stdf][scan]") {
  const StdfRecordSet wanted = prr_wir_wrr();
  for (const bool be : {false, true}) {
    CAPTURE(be);
    std::vector<std::uint8_t> buf = records(300u << 10, be, 7);
    // A 40 KiB DTR whose body is empty "PRR" headers (00 00 05 14: REC_LEN 0 in either
    // byte order), over the scanned range's halfway point: the second chain's start is
    // found inside it, and every step of that chain would be a wanted record.
    std::vector<std::uint8_t> decoy;
    for (int i = 0; i < 10000; ++i) decoy.insert(decoy.end(), {0, 0, 5, 20});
    put_record(buf, be, 50, 30, decoy);
    const std::size_t decoy_at = buf.size() - decoy.size() - 4;
    std::vector<std::uint8_t> tail = records(buf.size() + (200u << 10), be, 8);
    buf.insert(buf.end(), tail.begin(), tail.end());
    // One scan over [0, window): its halfway point inside the DTR.
    const std::size_t window = 2 * (decoy_at + 20000);

    const Reference ref = walk(buf, 0, be, wanted);
    StdfScanSpace space(buf.size());
    const auto r = scan_stdf_records(buf.data(), 0, buf.size(), be, wanted, space, window);
    CHECK(r.split_tried);  // a start found inside the DTR ...
    CHECK_FALSE(r.split);  // ... but the first chain stepped over it: the second one's findings are dropped
    CHECK(r.stop >= window);
    const std::vector<std::uint32_t> expected(ref.found.begin(),
                                              std::find_if(ref.found.begin(), ref.found.end(),
                                                           [&](std::uint32_t at) { return at >= r.stop; }));
    CHECK(found(space, r.found) == expected);
    const Scanned all = scan_all(buf, 0, be, wanted, window, true);
    CHECK(all.found == ref.found);  // none of the 10,000 fake PRRs
    CHECK(all.stop == ref.stop);
  }
}

TEST_CASE("STDF scan: empty records, a buffer ending on a boundary, and less than a header", "[Stdf][scan]") {
  StdfRecordSet wanted;
  wanted.add(15, 20);
  std::vector<std::uint8_t> b;
  put_record(b, false, 15, 20, {});
  put_record(b, false, 15, 10, {1, 2, 3});
  put_record(b, false, 15, 20, {});
  StdfScanSpace space(64);
  auto r = scan_stdf_records(b.data(), 0, b.size(), false, wanted, space);
  CHECK(r.stop == b.size());
  CHECK(found(space, r.found) == std::vector<std::uint32_t>{0, 11});
  b.push_back(9);  // 1 byte of a next header
  r = scan_stdf_records(b.data(), 0, b.size(), false, wanted, space);
  CHECK(r.stop == b.size() - 1);
  CHECK(r.found == 2);
  r = scan_stdf_records(b.data(), b.size() - 1, b.size(), false, wanted, space);
  CHECK(r.stop == b.size() - 1);
  CHECK(r.found == 0);
}

namespace {

// FAR, MIR, WCR, WIR, then padding until `target_at` (DTRs), then the dies: a PIR, a
// PTR and a PRR each, the record of type `straddle` (PRR or PTR) of die 0 starting at
// byte `target_at`. Die d is at X d % 8, Y d / 8, hard bin 1 + d % 3.
std::vector<std::uint8_t> padded_file(bool be, std::size_t target_at, bool straddle_prr) {
  yf::test::StdfWriter w(be);
  w.far();
  w.mir("LOT", "DEV", "T", 1);
  w.wcr(200.0f, 5.0f, 5.0f, 3, 'D', 'R', 'D');
  w.wir(1, "W1");
  auto pad_to = [&](std::size_t at) {
    while (w.bytes().size() < at) {
      const std::size_t gap = at - w.bytes().size();
      // Records of 4 + n bytes, n <= 60000; never leave a gap under 4 (a header).
      std::size_t n = gap - 4 > 60000 ? 60000 : gap - 4;
      if (gap - 4 - n != 0 && gap - 4 - n < 4) n -= 4;
      w.begin(50, 30);
      for (std::size_t i = 0; i < n; ++i) w.u1(static_cast<std::uint8_t>(i));
      w.end();
    }
  };
  for (int d = 0; d < 40; ++d) {
    const auto x = static_cast<std::int16_t>(d % 8), y = static_cast<std::int16_t>(d / 8);
    const auto bin = static_cast<std::uint16_t>(1 + d % 3);
    w.pir(1, 0);
    if (d == 0 && !straddle_prr) pad_to(target_at);
    w.ptr(1000, 1, 0, 0.25f);
    if (d == 0 && straddle_prr) pad_to(target_at);
    w.prr(1, 0, bin == 1 ? 0 : 8, bin, bin, x, y);
  }
  w.wrr(1, "W1", 40);
  w.mrr(2);
  return w.bytes();
}

}  // namespace

TEST_CASE("STDF import: a PRR or a PTR across the read buffer's end at every offset", "[Stdf][scan]") {
  constexpr std::size_t kBuffer = 1u << 20;  // StdfRecords.cpp's read buffer
  yf::test::TempDir dir;
  std::vector<std::int16_t> expected(40);
  for (int d = 0; d < 40; ++d) expected[static_cast<std::size_t>(d)] = static_cast<std::int16_t>(1 + d % 3);
  for (const bool be : {false, true})
    for (const bool prr : {true, false}) {
      yf::test::StdfWriter one(be);
      if (prr)
        one.prr(1, 0, 0, 1, 1, 0, 0);
      else
        one.ptr(1000, 1, 0, 0.25f);
      const std::size_t len = one.bytes().size();
      // From "starts at the buffer's end" through every split of its header and body
      // to "ends at the buffer's end".
      for (std::size_t before = 0; before <= len; ++before) {
        CAPTURE(be, prr, before);
        const auto bytes = padded_file(be, kBuffer - before, prr);
        const std::string path = dir / "pad.stdf";
        yf::test::StdfWriter::write_bytes(path, bytes);
        yf::test::RecordingSink sink;
        yf::import::import_stdf(path, {}, sink);
        REQUIRE(sink.wafers.size() == 1);
        REQUIRE(sink.wafers[0].binmap);
        CHECK(sink.wafers[0].binmap->bins == expected);
        CHECK_FALSE(sink.warned("PART_CNT"));
      }
    }
}

TEST_CASE("STDF import: a PIR before the MIR is out of order", "[Stdf][scan]") {
  yf::test::TempDir dir;
  yf::test::StdfWriter w(false);
  w.far();
  const auto at = w.bytes().size();
  w.pir(1, 0);
  w.mir("L", "P", "T", 1);
  w.write(dir / "pir.stdf");
  yf::test::RecordingSink sink;
  CHECK_THROWS_WITH(yf::import::import_stdf(dir / "pir.stdf", {}, sink),
                    Catch::Contains("pir.stdf: byte " + std::to_string(at) + ": PIR before the MIR"));
}

TEST_CASE("STDF import: two heads' PRRs interleaved go to their own wafers", "[Stdf][scan]") {
  // The importer remembers the last PRR's head and wafer: alternating heads, and a
  // head's wafer closed and another opened between PRRs, must not mix them up.
  yf::test::TempDir dir;
  yf::test::StdfWriter w(true);
  w.far();
  w.mir("L", "P", "T", 1);
  w.wir(1, "A");
  w.wir(2, "B");
  w.prr(1, 0, 0, 1, 1, 0, 0);
  w.prr(2, 0, 8, 7, 7, 0, 0);
  w.prr(1, 0, 8, 7, 7, 1, 0);
  w.prr(2, 0, 0, 1, 1, 1, 0);
  w.wrr(1, "A", 2);
  w.wir(1, "C");
  w.prr(1, 0, 8, 5, 5, 0, 0);  // same head as the PRR before the WRR, a new wafer
  w.prr(2, 0, 0, 1, 1, 0, 0);  // B's (0, 0) retested
  w.wrr(2, "B", 3);
  w.wrr(1, "C", 1);
  w.write(dir / "heads.stdf");
  yf::test::RecordingSink sink;
  yf::import::import_stdf(dir / "heads.stdf", {}, sink);
  REQUIRE(sink.wafers.size() == 3);
  CHECK(sink.wafers[0].meta.wafer_id == "A");
  CHECK(sink.wafers[0].binmap->bins == std::vector<std::int16_t>{1, 7});
  CHECK(sink.wafers[1].meta.wafer_id == "B");
  CHECK(sink.wafers[1].binmap->bins == std::vector<std::int16_t>{1, 1});
  CHECK(sink.wafers[2].meta.wafer_id == "C");
  CHECK(sink.wafers[2].binmap->bins == std::vector<std::int16_t>{5, -1});
  CHECK_FALSE(sink.warned("PART_CNT"));
}
