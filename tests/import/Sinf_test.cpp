// The SINF map importer on the real S67608 map and on small maps written here.
#include <catch2/catch.hpp>
#include <fstream>
#include <map>

#include "TestPaths.hpp"
#include "import/RecordingSink.hpp"
#include "core/SimdLevel.hpp"
#include "io/import/SinfImporter.hpp"
#include "support/TempDir.hpp"

using yf::import::ImportError;
using yf::test::RecordingSink;

namespace {

RecordingSink import(const std::string& path, const yf::import::ImportOptions& options = {}) {
  RecordingSink sink;
  yf::import::import_sinf(path, options, sink);
  return sink;
}

std::string write(const yf::test::TempDir& dir, const std::string& name, const std::string& text) {
  std::ofstream(dir / name, std::ios::binary) << text;
  return dir / name;
}

std::string error_of(const std::string& path) {
  RecordingSink sink;
  try {
    yf::import::import_sinf(path, {}, sink);
  } catch (const ImportError& e) {
    return e.what();
  }
  return "(imported)";
}

}  // namespace

// Counts by `grep RowData | tr ' ' '\n' | sort | uniq -c` on the file: 5516 x 01,
// 92 x 02, 28 x 03, 1624 x __ (= 110 x 66 - 5636); the first 03 of the rows is
// in RowData line 16 (row 15), code 38 (column 37), by a Python split of the rows.
TEST_CASE("SINF S67608: 110 rows x 66 columns, bins 01 and 02 pass by BCEQU", "[Sinf][real]") {
  const auto s = import(std::string(yf::test::kSharedDataDir) + "/maps/sinf_S67608.inf", {"FABX", "PROBER1", "", "SORT"});
  REQUIRE(s.wafers.size() == 1);
  const auto& w = s.wafers[0];
  CHECK(w.meta.wafer_id == "01");
  CHECK(w.meta.lot_id == "S67608");
  CHECK(w.meta.product == "XF63817.1B");
  CHECK(w.meta.fab == "FABX");
  CHECK(w.meta.tool == "PROBER1");
  CHECK(w.meta.step == "SORT");
  REQUIRE(w.binmap);
  CHECK(w.binmap->rows == 110);
  CHECK(w.binmap->cols == 66);
  CHECK(RecordingSink::bin_counts(w) == std::map<int, int>{{1, 5516}, {2, 92}, {3, 28}});
  CHECK(w.binmap->at(37, 15) == 3);  // FNLOC 180: notch already at the bottom, no turn
  REQUIRE(s.products.size() == 1);
  CHECK(s.products[0].die_width_mm == 2.85);
  CHECK(s.products[0].die_height_mm == 1.7);
  CHECK(s.products[0].wafer_diameter_mm == 200.0);  // 66 x 2.85 = 188.1 mm fits a 200 mm wafer
  CHECK(s.bin(1)->pass);
  CHECK(s.bin(2)->pass);
  CHECK_FALSE(s.bin(3)->pass);
  CHECK(s.warnings.size() == 1);  // only that the wafer diameter was assumed
  CHECK(s.warned("no wafer diameter"));
}

TEST_CASE("SINF header counts that disagree with the rows: warnings, the rows win", "[Sinf]") {
  yf::test::TempDir dir;
  const auto path = write(dir, "m.inf",
                          "DEVICE:D1\nLOT:L1\nWAFER:07\nFNLOC:0\nROWCT:3\nCOLCT:4\nBCEQU:\nDUTMS:mil\nXDIES:100\n"
                          "YDIES:50\nDIECT:9\n"
                          "RowData:__ 01 0B\n"
                          "RowData:01 01 @@\r\n"
                          "\n");
  const auto s = import(path);
  REQUIRE(s.wafers.size() == 1);
  CHECK(s.warned("m.inf: line 5: ROWCT 3 but 2 RowData lines"));
  CHECK(s.warned("m.inf: line 6: COLCT 4 but RowData lines of up to 3 codes"));
  CHECK(s.warned("m.inf: line 11: DIECT 9 but 4 dies in the rows"));
  const auto& m = *s.wafers[0].binmap;
  // FNLOC 0: the notch is at the top, so the map turns half a turn.
  CHECK(m.cols == 3);
  CHECK(m.rows == 2);
  CHECK(m.bins == std::vector<std::int16_t>{-1, 1, 1, 11, 1, -1});
  CHECK(s.products[0].die_width_mm == Approx(2.54));
  CHECK(s.products[0].die_height_mm == Approx(1.27));
  CHECK(s.bin(1)->pass);  // blank BCEQU: 01 is the passing bin
  CHECK_FALSE(s.bin(11)->pass);
}

TEST_CASE("SINF quarter turn and two wafers in one file", "[Sinf]") {
  yf::test::TempDir dir;
  const auto path = write(dir, "two.inf",
                          "DEVICE:D\nWAFER:1\nFNLOC:90\nBCEQU:01,02\nRowData:01 02 03\n"
                          "WAFER:2\nFNLOC:180\nRowData:03 02 01\n");
  const auto s = import(path);
  REQUIRE(s.wafers.size() == 2);
  // FNLOC 90: notch on the right; a quarter turn clockwise makes the row a column,
  // its left end at the top.
  CHECK(s.wafers[0].binmap->cols == 1);
  CHECK(s.wafers[0].binmap->bins == std::vector<std::int16_t>{1, 2, 3});
  CHECK(s.wafers[1].binmap->cols == 3);
  CHECK(s.wafers[1].meta.product == "D-3x1");  // a second grid size: a product of its own
  CHECK(s.products.size() == 2);
  CHECK(s.bin(2)->pass);
  CHECK_FALSE(s.bin(3)->pass);
}

TEST_CASE("SINF broken files: errors naming the file and the line", "[Sinf][errors]") {
  yf::test::TempDir dir;
  CHECK_THAT(error_of(write(dir, "a.inf", "DEVICE:D\nRowData:01 0G\n")),
             Catch::Contains("a.inf: line 2: RowData: '0G' is not a hexadecimal bin code"));
  CHECK_THAT(error_of(write(dir, "b.inf", "DEVICE:D\nWAFER:1\n")), Catch::Contains("b.inf: no RowData lines"));
  CHECK_THAT(error_of(write(dir, "c.inf", "DEVICE:D\nthis is not sinf\n")),
             Catch::Contains("c.inf: line 2: not a SINF"));
  CHECK_THAT(error_of(write(dir, "d.inf", std::string("DEVICE:D\nRowData:01\0 01\n", 23))),
             Catch::Contains("d.inf: line 2: NUL byte"));
  CHECK_THAT(error_of(write(dir, "e.inf", "XDIES:wide\nRowData:01\n")),
             Catch::Contains("e.inf: line 1: XDIES: 'wide' is not a number"));
  CHECK_THAT(error_of((dir.path() / "none.inf").string()), Catch::Contains("none.inf: cannot open"));
}

TEST_CASE("SINF implausible numbers are errors, implausible sizes are ignored", "[Sinf][errors]") {
  yf::test::TempDir dir;
  CHECK_THAT(error_of(write(dir, "inf.inf", "FNLOC:1e300\nRowData:01\n")),
             Catch::Contains("inf.inf: line 1: FNLOC: '1e300' is not a number"));
  CHECK_THAT(error_of(write(dir, "nan.inf", "XDIES:nan\nRowData:01\n")),
             Catch::Contains("nan.inf: line 1: XDIES: 'nan' is not a number"));
  // A die of 5 km is no die size: the documented default (200 mm wafer, square dies) applies.
  const auto s = import(write(dir, "big.inf", "XDIES:5000000\nYDIES:1\nRowData:01 01\n"));
  CHECK(s.products.at(0).wafer_diameter_mm == 200.0);
  CHECK(s.products.at(0).die_width_mm == 100.0);
}

// Long rows go through the 16-dies-at-a-time decoder (SSSE3) and its scalar tail;
// every kind of code lands in every lane of a block somewhere. The expected values
// come from the code list itself: hex codes as numbers, "__", "@@" and FF as -1.
TEST_CASE("SINF long rows: every code kind at every position of a block", "[Sinf]") {
  yf::test::TempDir dir;
  const std::vector<std::string> kinds = {"01", "1f", "A0", "__", "@@", "FF", "ff", "7E", "00", "0a"};
  const std::vector<std::int16_t> values = {1, 0x1F, 0xA0, -1, -1, -1, -1, 0x7E, 0, 0x0A};
  std::string text = "DEVICE:D\nBCEQU:01\n";
  std::vector<std::int16_t> expected;
  const int cols = 117;  // AVX2: three blocks of 32, then SSSE3: one of 16, then a tail of 5
  for (int r = 0; r < 7; ++r) {
    text += "RowData:";
    for (int c = 0; c < cols; ++c) {
      const std::size_t k = static_cast<std::size_t>(c * 3 + r * 7) % kinds.size();
      text += (c ? " " : "") + kinds[k];
      expected.push_back(values[k]);
    }
    text += "\n";
  }
  // A row whose separators change inside a block (a tab): read by the general
  // splitter, same codes.
  text += "RowData:";
  for (int c = 0; c < cols; ++c) {
    text += (c == 0 ? "" : c == 20 ? "\t" : " ") + kinds[static_cast<std::size_t>(c) % kinds.size()];
    expected.push_back(values[static_cast<std::size_t>(c) % kinds.size()]);
  }
  text += "\n";
  std::string bad = "DEVICE:D\nRowData:";
  for (int c = 0; c < 40; ++c) bad += (c ? " " : "") + std::string(c == 21 ? "0G" : "01");
  // The AVX2 and SSSE3 block decoders (when the CPU has them) and the portable table
  // decoder alike.
  for (const auto level : {yf::SimdLevel::avx2, yf::SimdLevel::ssse3, yf::SimdLevel::sse2}) {
    yf::ScopedSimdLevel force(level);
    INFO("SIMD level " << static_cast<int>(yf::simd_level()));
    const auto s = import(write(dir, "long.inf", text));
    REQUIRE(s.wafers.size() == 1);
    CHECK(s.wafers[0].binmap->cols == cols);
    CHECK(s.wafers[0].binmap->bins == expected);
    // A bad code inside a block: the error names it.
    CHECK_THAT(error_of(write(dir, "bad.inf", bad + "\n")), Catch::Contains("bad.inf: line 2: RowData: '0G' is not a hexadecimal"));
    // ...and after two good blocks of 32.
    std::string late = "DEVICE:D\nRowData:";
    for (int c = 0; c < 100; ++c) late += (c ? " " : "") + std::string(c == 70 ? "G1" : "01");
    CHECK_THAT(error_of(write(dir, "late.inf", late + "\n")), Catch::Contains("late.inf: line 2: RowData: 'G1' is not a hexadecimal"));
  }
}
