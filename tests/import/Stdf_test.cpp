// The STDF V4 importer on the two real wafer-sort files and on files built here by
// hand (tests/support/StdfWriter.hpp) in both byte orders, plain and gzip, broken.
#include <zlib.h>

#include <catch2/catch.hpp>
#include <fstream>
#include <map>

#include "TestPaths.hpp"
#include "import/RecordingSink.hpp"
#include "io/import/StdfImporter.hpp"
#include "support/StdfWriter.hpp"
#include "support/TempDir.hpp"

using yf::import::ImportError;
using yf::import::ImportOptions;
using yf::test::RecordingSink;
using yf::test::StdfWriter;

namespace {

std::string shared(const std::string& rel) { return std::string(yf::test::kSharedDataDir) + "/" + rel; }

RecordingSink import(const std::string& path, const ImportOptions& options = {}) {
  RecordingSink sink;
  yf::import::import_stdf(path, options, sink);
  return sink;
}

std::string error_of(const std::string& path) {
  RecordingSink sink;
  try {
    yf::import::import_stdf(path, {}, sink);
  } catch (const ImportError& e) {
    return e.what();
  }
  return "(imported)";
}

std::vector<std::uint8_t> gunzip(const std::string& path) {
  gzFile gz = gzopen(path.c_str(), "rb");
  REQUIRE(gz);
  std::vector<std::uint8_t> out;
  char buf[1 << 16];
  int n;
  while ((n = gzread(gz, buf, sizeof buf)) > 0) out.insert(out.end(), buf, buf + n);
  gzclose(gz);
  return out;
}

// A 3 x 2 wafer (X 10..12, Y 20..21) with two retests, after a little noise (PTRs).
//   (10,20) bin 1 pass   (11,20) bin 5 fail then bin 1 pass   (12,20) bin 1 then bin 7 fail
//   (10,21) bin 7 fail   (11,21) not tested                   (12,21) bin 1 pass
// Hard bin 1 is 'P' in its HBR, 7 is 'F', 5 has no HBR (its PRR says failed).
void small_lot(StdfWriter& w, std::uint8_t version = 4) {
  w.far(version);
  w.mir("LOT7", "DEV42", "tester-3", 1700000000u, "WS1", "FAB9");
  w.wcr(150.0f, 4.0f, 5.0f, 3, 'D', 'R', 'D');
  w.wir(1, "LOT7-01", 1700000100u);
  auto part = [&](std::uint8_t flags, std::uint16_t bin, std::int16_t x, std::int16_t y) {
    w.pir(1, 0);
    w.ptr(100, 1, 0, 0.5f);
    w.prr(1, 0, flags, bin, bin, x, y);
  };
  part(0x00, 1, 10, 20);
  part(0x08, 5, 11, 20);
  part(0x00, 1, 12, 20);
  part(0x08, 7, 10, 21);
  part(0x00, 1, 12, 21);
  part(0x02, 1, 11, 20);  // retest, supersedes the same X/Y
  part(0x0A, 7, 12, 20);  // retest, failed
  w.wrr(1, "LOT7-01", 7, 4);
  w.hbr(255, 1, 4, 'P', "GOOD");
  w.hbr(255, 7, 2, 'F', "LEAKAGE");
  w.mrr(1700000200u);
}

void check_small_lot(const RecordingSink& s) {
  REQUIRE(s.products.size() == 1);
  const auto& p = s.products[0];
  CHECK(p.name == "DEV42");
  CHECK(p.cols == 3);
  CHECK(p.rows == 2);
  CHECK(p.die_width_mm == 5.0);
  CHECK(p.die_height_mm == 4.0);
  CHECK(p.wafer_diameter_mm == 150.0);
  CHECK(p.grid_x0_mm == -7.5);  // grid centred: 3 x 5 mm wide, 2 x 4 mm high
  CHECK(p.grid_y0_mm == 4.0);
  REQUIRE(s.wafers.size() == 1);
  const auto& w = s.wafers[0];
  CHECK(w.meta.wafer_id == "LOT7-01");
  CHECK(w.meta.lot_id == "LOT7");
  CHECK(w.meta.product == "DEV42");
  CHECK(w.meta.tool == "tester-3");
  CHECK(w.meta.fab == "FAB9");
  CHECK(w.meta.step == "WS1");
  CHECK(w.meta.timestamp == 1700000100);
  REQUIRE(w.binmap);
  // POS_X 'R', POS_Y 'D': column = X - 10, row = Y - 20; last test wins.
  CHECK(w.binmap->bins == std::vector<std::int16_t>{1, 1, 7, 7, -1, 1});
  REQUIRE(s.bins.size() == 3);
  CHECK(s.bin(1)->pass);
  CHECK(s.bin(1)->name == "GOOD");
  CHECK_FALSE(s.bin(5)->pass);  // no HBR: from its PRR's PART_FLG
  CHECK_FALSE(s.bin(7)->pass);
  CHECK(s.bin(7)->name == "LEAKAGE");
}

}  // namespace

// Expected numbers, counted independently of the importer: a throwaway Python
// script (struct.unpack over the gunzipped bytes, not committed) walked every
// record of each file: lot2 has 1569 PRR, lot3 1619, both 1456 distinct X/Y sites;
// hard bin 1 in 1389 and 1378 PRRs; the per-die counts after keeping each site's
// last PRR are the maps below. The same PRR totals are in the files' own WRR
// PART_CNT and HBR HBIN_CNT fields, which the importer checks against the PRRs it
// read (a warning on any difference): no such warning means it read exactly
// 1569 / 1619 PRRs and 1389 / 1378 of them in hard bin 1.
TEST_CASE("STDF lot2: one wafer, 1456 dies by their last test, counts agreeing with WRR and HBR", "[Stdf][real]") {
  const auto s = import(shared("stdf/lot2.stdf.gz"));
  REQUIRE(s.wafers.size() == 1);
  const auto& w = s.wafers[0];
  CHECK(w.meta.wafer_id == "GAL-LOT-02");
  CHECK(w.meta.lot_id == "GAL-LOT");
  CHECK(w.meta.product == "GOLD8BAR");
  CHECK(w.meta.tool == "galaxy-t");
  CHECK(w.meta.timestamp == 991774222);  // WIR START_T 0x3B1D460E
  REQUIRE(s.products.size() == 1);
  CHECK(s.products[0].cols == 42);  // X 4..45
  CHECK(s.products[0].rows == 43);  // Y -45..-3
  CHECK(RecordingSink::tested(w) == 1456);
  CHECK(RecordingSink::bin_counts(w) ==
        std::map<int, int>{{1, 1389}, {2, 20}, {4, 3}, {5, 10}, {7, 3}, {8, 24}, {10, 5}, {15, 1}, {17, 1}});
  // WCR POS_Y 'U': row 0 is Y -3. Die (17, -4) failed in bin 8, then passed on retest.
  CHECK(w.binmap->at(17 - 4, -3 - -4) == 1);
  CHECK_FALSE(s.warned("PART_CNT"));
  CHECK_FALSE(s.warned("HBR counts"));
  CHECK(s.warned("no wafer diameter and die size"));  // its WCR has zeros
  // HBIN_PF is blank: bin 1 passes by its parts' PART_FLG, every other bin fails.
  for (const auto& b : s.bins) CHECK(b.pass == (b.bin == 1));
  CHECK(s.bins.size() == 10);  // the HBRs' 10 hard bins (20 holds retested dies only)
}

TEST_CASE("STDF lot3: one wafer, hard bin 1 1378 PRRs but 1377 dies after the last-test rule", "[Stdf][real]") {
  const auto s = import(shared("stdf/lot3.stdf.gz"));
  REQUIRE(s.wafers.size() == 1);
  const auto& w = s.wafers[0];
  CHECK(w.meta.wafer_id == "GAL-LOT-03");
  CHECK(RecordingSink::tested(w) == 1456);
  CHECK(RecordingSink::bin_counts(w) == std::map<int, int>{{1, 1377}, {2, 30}, {4, 4}, {5, 8}, {7, 1}, {8, 19},
                                                           {9, 1}, {10, 10}, {16, 1}, {17, 4}, {20, 1}});
  CHECK(w.binmap->at(27 - 4, -3 - -3) == 1);  // (27, -3): bin 8, then 1 on retest
  CHECK(w.binmap->at(0, -3 - -29) == 8);       // (4, -29)
  CHECK(w.binmap->at(0, -3 - -28) == 17);      // (4, -28)
  CHECK_FALSE(s.warned("PART_CNT"));
  CHECK_FALSE(s.warned("HBR counts"));
}

TEST_CASE("STDF gzip and plain give the same wafers", "[Stdf]") {
  yf::test::TempDir dir;
  const auto plain = dir.path() / "lot2.stdf";
  StdfWriter::write_bytes(plain.string(), gunzip(shared("stdf/lot2.stdf.gz")));
  const auto a = import(shared("stdf/lot2.stdf.gz"));
  const auto b = import(plain.string());
  REQUIRE(a.wafers.size() == 1);
  REQUIRE(b.wafers.size() == 1);
  CHECK(a.wafers[0].binmap->bins == b.wafers[0].binmap->bins);
  CHECK(a.wafers[0].meta.wafer_id == b.wafers[0].meta.wafer_id);

  StdfWriter w(false);
  small_lot(w);
  w.write((dir.path() / "small.stdf.gz").string(), true);
  check_small_lot(import((dir.path() / "small.stdf.gz").string()));
}

TEST_CASE("STDF big-endian and little-endian files built by hand import the same", "[Stdf]") {
  yf::test::TempDir dir;
  StdfWriter be(true), le(false);
  small_lot(be);
  small_lot(le);
  REQUIRE(be.bytes() != le.bytes());
  be.write((dir.path() / "be.stdf").string());
  le.write((dir.path() / "le.stdf").string());
  const auto a = import((dir.path() / "be.stdf").string());
  const auto b = import((dir.path() / "le.stdf").string());
  check_small_lot(a);
  check_small_lot(b);
  CHECK(a.warnings.empty());
  CHECK(b.warnings.empty());
}

TEST_CASE("STDF WCR directions and flat: X leftwards, Y upwards, flat on the right", "[Stdf]") {
  yf::test::TempDir dir;
  StdfWriter w(true);
  w.far();
  w.mir("L", "P", "T", 1);
  // 1 x 3 dies in mils: 400 x 200 mil, flat at the right -> turned a quarter clockwise.
  w.wcr(6000.0f, 200.0f, 400.0f, 4, 'R', 'L', 'U');
  w.wir(1, "W1");
  w.prr(1, 0, 0, 1, 1, 0, 0);  // X 0 is the rightmost column (POS_X 'L'), Y 0 the bottom row (POS_Y 'U')
  w.prr(1, 0, 8, 2, 2, 0, 1);
  w.prr(1, 0, 8, 3, 3, 0, 2);
  w.wrr(1, "W1", 3);
  w.write((dir.path() / "f.stdf").string());
  const auto s = import((dir.path() / "f.stdf").string());
  // As drawn: one column, rows top..bottom = bins 3, 2, 1, flat at the right. A
  // quarter turn clockwise puts the right side at the bottom: one row, left..right
  // = bins 1, 2, 3 (old bottom row to the left), and the die's width and height swap.
  REQUIRE(s.products.size() == 1);
  CHECK(s.products[0].cols == 3);
  CHECK(s.products[0].rows == 1);
  CHECK(s.products[0].die_width_mm == Approx(200 * 0.0254));
  CHECK(s.products[0].die_height_mm == Approx(400 * 0.0254));
  CHECK(s.products[0].wafer_diameter_mm == Approx(6000 * 0.0254));
  CHECK(s.wafers[0].binmap->bins == std::vector<std::int16_t>{1, 2, 3});
}

TEST_CASE("STDF counts that disagree with the PRRs are warnings", "[Stdf]") {
  yf::test::TempDir dir;
  StdfWriter w(false);
  w.far();
  w.mir("L", "P", "T", 1);
  w.wir(1, "W1");
  w.prr(1, 0, 0, 1, 1, 0, 0);
  w.prr(1, 0, 0, 1, 1, 1, 0);
  w.wrr(1, "W1", 5, 1);
  w.hbr(255, 1, 3, 'P', "PASS");
  w.write((dir.path() / "c.stdf").string());
  const auto s = import((dir.path() / "c.stdf").string());
  CHECK(s.warned("PART_CNT 5 but 2 PRRs"));
  CHECK(s.warned("GOOD_CNT 1 but 2 PRRs"));
  CHECK(s.warned("HBR counts 3 parts in hard bin 1, the PRRs 2"));
  CHECK(RecordingSink::tested(s.wafers.at(0)) == 2);
}

TEST_CASE("STDF broken files: a clear error naming the file and the byte", "[Stdf][errors]") {
  yf::test::TempDir dir;
  const auto file = [&](const std::string& name, const std::vector<std::uint8_t>& bytes) {
    const auto p = (dir.path() / name).string();
    StdfWriter::write_bytes(p, bytes);
    return p;
  };

  SECTION("missing and empty files") {
    CHECK_THAT(error_of((dir.path() / "none.stdf").string()), Catch::Contains("none.stdf: cannot open"));
    CHECK_THAT(error_of(file("empty.stdf", {})), Catch::Contains("empty.stdf: byte 0: not an STDF file"));
  }
  SECTION("garbage bytes are not a FAR") {
    std::vector<std::uint8_t> junk;
    for (int i = 0; i < 300; ++i) junk.push_back(static_cast<std::uint8_t>(i * 37 + 11));
    CHECK_THAT(error_of(file("junk.stdf", junk)), Catch::Contains("junk.stdf: byte 0: not an STDF file"));
  }
  SECTION("STDF V3") {
    StdfWriter w(true);
    small_lot(w, 3);
    CHECK_THAT(error_of(file("v3.stdf", w.bytes())), Catch::Contains("v3.stdf: byte 5: FAR: STDF_VER 3: only STDF V4"));
  }
  SECTION("truncated inside a record: the record's offset") {
    const auto bytes = gunzip(shared("stdf/lot2.stdf.gz"));
    REQUIRE(bytes.size() == 4418001);
    // The file ends with the 8-byte MRR at byte 4417993; cut 3 bytes of it off.
    const std::vector<std::uint8_t> cut(bytes.begin(), bytes.end() - 3);
    CHECK_THAT(error_of(file("cut.stdf", cut)),
               Catch::Contains("cut.stdf: byte 4417993: record (1, 20) of 4 bytes runs past the end of the file"));
    // Cut inside the 4-byte header of that record.
    const std::vector<std::uint8_t> cut2(bytes.begin(), bytes.end() - 6);
    CHECK_THAT(error_of(file("cut2.stdf", cut2)),
               Catch::Contains("cut2.stdf: byte 4417993: record header runs past the end of the file"));
  }
  SECTION("truncated gzip stream") {
    std::ifstream in(shared("stdf/lot2.stdf.gz"), std::ios::binary);
    std::vector<std::uint8_t> gz((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
    gz.resize(gz.size() / 2);
    CHECK_THAT(error_of(file("half.stdf.gz", gz)), Catch::Contains("half.stdf.gz: byte "));
  }
  SECTION("garbage after valid records: a record running past the end") {
    StdfWriter w(false);
    w.far();
    w.mir("L", "P", "T", 1);
    const auto offset = w.bytes().size();
    for (int i = 0; i < 40; ++i) w.bytes().push_back(0xFF);
    CHECK_THAT(error_of(file("tail.stdf", w.bytes())),
               Catch::Contains("tail.stdf: byte " + std::to_string(offset) + ": record (255, 255) of 65535 bytes"));
  }
  SECTION("records out of order") {
    StdfWriter w(false);
    w.far();
    const auto at = w.bytes().size();
    w.prr(1, 0, 0, 1, 1, 0, 0);
    w.mir("L", "P", "T", 1);
    CHECK_THAT(error_of(file("prr_first.stdf", w.bytes())),
               Catch::Contains("prr_first.stdf: byte " + std::to_string(at) + ": PRR before the MIR"));
    w.clear();
    w.far();
    w.mir("L", "P", "T", 1);
    const auto at2 = w.bytes().size();
    w.prr(1, 0, 0, 1, 1, 0, 0);
    CHECK_THAT(error_of(file("no_wir.stdf", w.bytes())),
               Catch::Contains("no_wir.stdf: byte " + std::to_string(at2) + ": PRR for head 1 outside a wafer"));
    w.clear();
    w.far();
    w.mir("L", "P", "T", 1);
    w.wrr(1, "W", 0);
    CHECK_THAT(error_of(file("wrr.stdf", w.bytes())), Catch::Contains("without a WIR"));
  }
  SECTION("a string running past its record") {
    StdfWriter w(true);
    w.far();
    const auto at = w.bytes().size();
    w.begin(1, 10).u4(1).u4(1).u1(1).c1('P').c1(' ').c1(' ').u2(0).c1(' ').u1(200).end();  // LOT_ID: 200 bytes?
    CHECK_THAT(error_of(file("str.stdf", w.bytes())),
               Catch::Contains("str.stdf: byte " + std::to_string(at) + ": MIR: LOT_ID (200 bytes) runs past"));
  }
  SECTION("no wafer records") {
    StdfWriter w(false);
    w.far();
    w.mir("L", "P", "T", 1);
    w.mrr(2);
    CHECK_THAT(error_of(file("final_test.stdf", w.bytes())), Catch::Contains("no wafer (WIR/WRR) records"));
  }
}

TEST_CASE("STDF without a WRR at the end keeps the wafer and warns", "[Stdf]") {
  yf::test::TempDir dir;
  StdfWriter w(false);
  w.far();
  w.mir("L", "P", "T", 1);
  w.wir(1, "W1");
  w.prr(1, 0, 0, 1, 1, 0, 0);
  w.write((dir.path() / "open.stdf").string());
  const auto s = import((dir.path() / "open.stdf").string());
  REQUIRE(s.wafers.size() == 1);
  CHECK(s.warned("has no WRR"));
}

TEST_CASE("STDF a wafer probed again under a second WIR: one wafer, dies by their last test", "[Stdf]") {
  yf::test::TempDir dir;
  StdfWriter w(true);
  w.far();
  w.mir("L", "P", "T", 1);
  w.wir(1, "W1");
  w.prr(1, 0, 0x08, 5, 5, 0, 0);
  w.prr(1, 0, 0x00, 1, 1, 1, 0);
  w.wrr(1, "W1", 2, 1);
  w.wir(1, "W2");
  w.prr(1, 0, 0x00, 1, 1, 0, 0);
  w.wrr(1, "W2", 1, 1);
  w.wir(1, "W1");  // the retest pass of W1
  w.prr(1, 0, 0x00, 1, 1, 0, 0);
  w.wrr(1, "W1", 1, 1);
  w.write((dir.path() / "again.stdf").string());
  const auto s = import((dir.path() / "again.stdf").string());
  REQUIRE(s.wafers.size() == 2);
  CHECK(s.wafers[0].meta.wafer_id == "W1");
  CHECK(s.wafers[0].binmap->bins == std::vector<std::int16_t>{1, 1});  // (0,0): bin 5, then 1
  CHECK(s.wafers[1].binmap->bins == std::vector<std::int16_t>{1, -1});
  CHECK(s.warned("wafer 'W1' is tested again"));
  CHECK_FALSE(s.warned("PART_CNT"));  // each WRR counts its own pair's PRRs
}
