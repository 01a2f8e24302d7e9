// KLARF variants made from the fixtures by text edits: orientation, gzip, and broken
// files (truncated, garbage, lists shorter or longer than declared), each of which
// must fail with ImportError naming the file and the line.
#include <catch2/catch.hpp>
#include <zlib.h>

#include <fstream>
#include <sstream>
#include <string>

#include "CollectSink.hpp"
#include "TestPaths.hpp"
#include "io/import/KlarfConvert.hpp"
#include "io/import/KlarfImporter.hpp"
#include "support/TempDir.hpp"

using yf::test::CollectSink;
using Catch::Contains;

namespace {

std::string read_text(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  std::stringstream ss;
  ss << in.rdbuf();
  return ss.str();
}

std::string fixture(const std::string& name) {
  return read_text(std::string(yf::test::kSharedDataDir) + "/klarf/" + name);
}

std::string replaced(std::string text, const std::string& from, const std::string& to) {
  const auto at = text.find(from);
  REQUIRE(at != std::string::npos);
  return text.replace(at, from.size(), to);
}

std::string write(const yf::test::TempDir& dir, const std::string& name, const std::string& text) {
  const std::string path = dir / name;
  std::ofstream(path, std::ios::binary) << text;
  return path;
}

CollectSink import(const std::string& path) {
  CollectSink sink;
  yf::import::import_klarf(path, {}, sink);
  return sink;
}

std::string error_of(const std::string& path) {
  try {
    import(path);
  } catch (const yf::import::ImportError& e) {
    return e.what();
  }
  return "(imported)";
}

}  // namespace

TEST_CASE("KLARF orientation mark: UP turns by 180 degrees, RIGHT and LEFT by 90", "[klarf][orientation]") {
  yf::test::TempDir dir;
  // simple12: one defect at (-71.499877, 0.000123) mm on die (0, 0), 150 mm dies,
  // the die spanning x [-75, 75], y [-75, 75] around the centre.
  const std::string text = fixture("parser_fixtures/simple12.klarf");
  const double x = -71.499877, y = 0.000123;
  SECTION("UP") {
    const auto s = import(write(dir, "up.klarf", replaced(text, "OrientationMarkLocation DOWN", "OrientationMarkLocation UP")));
    CHECK(s.wafers[0].defects[0].x_mm == Approx(-x).margin(1e-9));
    CHECK(s.wafers[0].defects[0].y_mm == Approx(-y).margin(1e-9));
  }
  SECTION("RIGHT: the mark at +x goes to the bottom, (x, y) -> (y, -x)") {
    const auto s = import(write(dir, "r.klarf", replaced(text, "OrientationMarkLocation DOWN", "OrientationMarkLocation RIGHT")));
    CHECK(s.wafers[0].defects[0].x_mm == Approx(y).margin(1e-9));
    CHECK(s.wafers[0].defects[0].y_mm == Approx(-x).margin(1e-9));
  }
  SECTION("LEFT: (x, y) -> (-y, x)") {
    const auto s = import(write(dir, "l.klarf", replaced(text, "OrientationMarkLocation DOWN", "OrientationMarkLocation LEFT")));
    CHECK(s.wafers[0].defects[0].x_mm == Approx(-y).margin(1e-9));
    CHECK(s.wafers[0].defects[0].y_mm == Approx(x).margin(1e-9));
    // The grid turns too: the one 150 x 150 mm die spans x [-75, 75], y [-75, 75].
    CHECK(s.products[0].grid_x0_mm == Approx(-75));
    CHECK(s.products[0].grid_y0_mm == Approx(75));
  }
}

TEST_CASE("KLARF orientation on a non-square die: RIGHT swaps the pitch and the grid's sides", "[klarf][orientation]") {
  yf::test::TempDir dir;
  // ATI: pitch 3963 x 1669 um, XINDEX -9..10 (20), YINDEX -25..24 (50).
  const std::string text = fixture("ati_wind_v1.2.001");
  const auto down = import(write(dir, "d.klarf", text));
  const auto right = import(write(dir, "r.klarf", replaced(text, "OrientationMarkLocation DOWN", "OrientationMarkLocation RIGHT")));
  const auto& p = right.products[0];
  CHECK(p.die_width_mm == Approx(1.669));
  CHECK(p.die_height_mm == Approx(3.963));
  CHECK(p.cols == 50);
  CHECK(p.rows == 20);
  // (x, y) -> (y, -x) for every defect.
  REQUIRE(right.defects() == down.defects());
  for (std::size_t i = 0; i < down.wafers[0].defects.size(); i += 50) {
    CHECK(right.wafers[0].defects[i].x_mm == Approx(down.wafers[0].defects[i].y_mm).margin(1e-9));
    CHECK(right.wafers[0].defects[i].y_mm == Approx(-down.wafers[0].defects[i].x_mm).margin(1e-9));
  }
}

TEST_CASE("KLARF in gzip reads like the plain file", "[klarf][gzip]") {
  yf::test::TempDir dir;
  const std::string text = fixture("amat_complus_v1.1.001");
  const std::string gz = dir / "amat.001.gz";
  gzFile f = gzopen(gz.c_str(), "wb");
  REQUIRE(f);
  REQUIRE(gzwrite(f, text.data(), static_cast<unsigned>(text.size())) == static_cast<int>(text.size()));
  gzclose(f);
  const auto s = import(gz);
  CHECK(s.defects() == 16);
  CHECK(s.classes.size() == 276);
}

TEST_CASE("KLARF: columns in another order, extra columns, DSIZE missing", "[klarf]") {
  yf::test::TempDir dir;
  const std::string text = fixture("parser_fixtures/simple12.klarf");
  // YINDEX first and XREL last, an extra column, no DSIZE (size from DEFECTAREA 25.123 um^2).
  std::string t = replaced(text,
                           "DefectRecordSpec 17 DEFECTID XREL YREL XINDEX YINDEX XSIZE YSIZE DEFECTAREA DSIZE CLASSNUMBER "
                           "TEST CLUSTERNUMBER ROUGHBINNUMBER FINEBINNUMBER REVIEWSAMPLE IMAGECOUNT IMAGELIST ;",
                           "DefectRecordSpec 8 YINDEX DEFECTID VENDORX XINDEX YREL DEFECTAREA CLASSNUMBER XREL ;");
  t = replaced(t, " 1 3500.123 75000.123 0 0 1.111 1.444 25.123 5.000 10 1 0 0 0 0 0 0 ; ",
               " 0 1 NA 0 75000.123 25.123 10 3500.123 ;");
  const auto s = import(write(dir, "order.klarf", t));
  REQUIRE(s.defects() == 1);
  const auto& d = s.wafers[0].defects[0];
  CHECK(d.x_mm == Approx(-71.499877).margin(1e-9));
  CHECK(d.y_mm == Approx(0.000123).margin(1e-9));
  CHECK(d.size_um == Approx(2 * std::sqrt(25.123 / 3.14159265358979)));
  CHECK(d.class_id == 10);
}

TEST_CASE("KLARF: unknown statements of any length are skipped, a list missing its semicolon ends at a keyword", "[klarf]") {
  yf::test::TempDir dir;
  std::string map = "SampleDieMap 300\n";
  for (int i = 0; i < 300; ++i) map += " " + std::to_string(i % 20) + " " + std::to_string(i / 20) + "\n";
  map += ";\n";
  std::string t = replaced(fixture("parser_fixtures/simple12.klarf"), "InspectionTest 1;", map + "InspectionTest 1;");
  // SummaryList's closing ';' left out (as ../shared/data's Altatech file does): it ends at EndOfFile.
  t = replaced(t, "  1    1    5.11e-007    1    1  ;", "  1    1    5.11e-007    1    1");
  const auto s = import(write(dir, "long.klarf", t));
  CHECK(s.defects() == 1);
  CHECK(s.warned("SummaryList (line"));
}

TEST_CASE("KLARF: DSIZE NA takes the size from DEFECTAREA", "[klarf]") {
  yf::test::TempDir dir;
  const std::string t = replaced(fixture("parser_fixtures/simple12.klarf"), "25.123 5.000", "25.123 NA");
  const auto s = import(write(dir, "na_size.klarf", t));
  REQUIRE(s.defects() == 1);
  CHECK(s.wafers[0].defects[0].size_um == Approx(2 * std::sqrt(25.123 / 3.14159265358979)));
  const auto with = import(write(dir, "size.klarf", fixture("parser_fixtures/simple12.klarf")));
  CHECK(with.wafers[0].defects[0].size_um == Approx(5.0));
}

TEST_CASE("KLARF bad input: a clear error with file and line", "[klarf][bad]") {
  yf::test::TempDir dir;
  const std::string amat = fixture("amat_complus_v1.1.001");
  const std::string simple = fixture("parser_fixtures/simple12.klarf");

  SECTION("truncated inside the SampleTestPlan (at byte 20000; the list starts at line 295)") {
    const std::string path = write(dir, "cut.klarf", amat.substr(0, 20000));
    CHECK_THAT(error_of(path), Contains("cut.klarf: line 295:") && Contains("SampleTestPlan") && Contains("truncated"));
  }
  SECTION("truncated inside the DefectList") {
    const std::string path = write(dir, "cut2.klarf", amat.substr(0, amat.find(" 9 1.2941200000e+03")));
    CHECK_THAT(error_of(path), Contains("cut2.klarf: line") && Contains("DefectList") && Contains("truncated"));
  }
  SECTION("truncated after the last list: no EndOfFile") {
    const std::string path = write(dir, "cut3.klarf", amat.substr(0, amat.find("WaferStatus")));
    CHECK_THAT(error_of(path), Contains("cut3.klarf: line") && Contains("EndOfFile"));
  }
  SECTION("garbage bytes") {
    std::string junk = "FileVersion 1 2;\n";
    for (int i = 0; i < 300; ++i) junk.push_back(static_cast<char>((i * 7919 + 13) % 251 + 1));
    CHECK_THAT(error_of(write(dir, "junk.klarf", junk)), Contains("junk.klarf: line"));
    CHECK_THAT(error_of(write(dir, "bin.klarf", std::string("\x00\x01\x02\x03", 4))), Contains("bin.klarf: line 1:"));
  }
  SECTION("SampleTestPlan shorter than declared (line 24)") {
    const std::string t = replaced(simple, "SampleTestPlan 1", "SampleTestPlan 3");
    CHECK_THAT(error_of(write(dir, "short.klarf", t)), Contains("short.klarf: line 24:") && Contains("declares 3") &&
                                                           Contains("shorter than declared"));
  }
  SECTION("ClassLookup longer than declared (line 18)") {
    const std::string t = replaced(simple, "ClassLookup 2", "ClassLookup 1");
    CHECK_THAT(error_of(write(dir, "long.klarf", t)), Contains("long.klarf: line 18:") && Contains("longer than declared"));
  }
  SECTION("a DefectList row shorter than the DefectRecordSpec (line 29)") {
    const std::string t = replaced(simple, " 0 0 0 0 0 0 ; ", " 0 0 0 0 ; ");
    CHECK_THAT(error_of(write(dir, "row.klarf", t)), Contains("row.klarf: line 29:") && Contains("of the 17 columns"));
  }
  SECTION("XREL NA: the defect has no position") {
    const std::string t = replaced(simple, " 1 3500.123 ", " 1 NA ");
    CHECK_THAT(error_of(write(dir, "na.klarf", t)), Contains("na.klarf: line 29:") && Contains("XREL"));
  }
  SECTION("1.8 List Data count larger than the rows (shorter than declared)") {
    const std::string t = replaced(fixture("parser_fixtures/simple18.klarf"), "Data 3", "Data 4");
    CHECK_THAT(error_of(write(dir, "s18.klarf", t)), Contains("s18.klarf: line 13:") && Contains("DefectList declares 4 rows"));
  }
  SECTION("1.8 List Data count smaller than the rows (longer than declared)") {
    const std::string t = replaced(fixture("parser_fixtures/simple18.klarf"), "Data 3", "Data 2");
    CHECK_THAT(error_of(write(dir, "l18.klarf", t)), Contains("l18.klarf: line") && Contains("longer than declared"));
  }
  SECTION("1.8 truncated before the closing braces") {
    const std::string s18 = fixture("parser_fixtures/simple18.klarf");
    const std::string t = s18.substr(0, s18.find("Field DeviceID"));
    CHECK_THAT(error_of(write(dir, "t18.klarf", t)), Contains("t18.klarf: line") && Contains("truncated"));
  }
  SECTION("1.8 Field with fewer values than declared") {
    const std::string t = replaced(fixture("parser_fixtures/simple18.klarf"), "Field SlotNumber 1 {25}", "Field SlotNumber 2 {25}");
    CHECK_THAT(error_of(write(dir, "f18.klarf", t)), Contains("f18.klarf: line 11:") && Contains("SlotNumber declares 2"));
  }
}

TEST_CASE("KLARF flat: several wafers, several tests per wafer", "[klarf]") {
  yf::test::TempDir dir;
  const std::string text = fixture("parser_fixtures/simple12.klarf");
  // simple12's wafer block (WaferID ... SummaryList) repeated as wafer "w2", slot 2, with a
  // second InspectionTest whose plan has die (0, 0) and whose DefectList has 1 defect of TEST 2.
  const auto begin = text.find("WaferID"), end = text.find("EndOfFile");
  std::string w2 = text.substr(begin, end - begin);
  w2 = replaced(w2, "WaferID \"aWafer\"", "WaferID \"w2\"");
  w2 = replaced(w2, "Slot 1;", "Slot 2;");
  w2 = replaced(w2, "ProcessEquipmentIDList",
                "InspectionTest 2;\r\nSampleTestPlan 1\r\n 0 0;\r\nDefectList\r\n"
                " 2 10.0 20.0 0 0 1 1 1 5 0 2 0 0 0 0 0 0;\r\nProcessEquipmentIDList");
  w2 = replaced(w2, "  1    1    5.11e-007    1    1  ;", "  1    1    5.11e-007    1    1\r\n  2 1 0 1 1;");
  const std::string t = text.substr(0, end) + w2 + "EndOfFile;\r\n";
  const auto s = import(write(dir, "multi.klarf", t));
  REQUIRE(s.wafers.size() == 2);
  CHECK(s.products.size() == 1);  // one product, declared once
  CHECK(s.wafers[0].defects.size() == 1);
  CHECK(s.wafers[1].defects.size() == 2);
  CHECK(s.wafers[1].meta.wafer_id == "w2");
  CHECK(s.wafers[1].meta.slot == 2);
  // Defect 2 of w2 on die (0, 0), centre (75000, 75000) um: (10 - 75000, 20 - 75000) um.
  CHECK(s.wafers[1].defects[1].x_mm == Approx((10.0 - 75000) / 1000).margin(1e-9));
  CHECK(s.wafers[1].defects[1].y_mm == Approx((20.0 - 75000) / 1000).margin(1e-9));
  // Both summaries agree with the data (each test: 1 defect on 1 die of a 1-die plan).
  CHECK(s.warnings.empty());
}

TEST_CASE("KLARF timestamps", "[klarf]") {
  using yf::import::parse_klarf_timestamp;
  // Values from Python's datetime (UTC).
  CHECK(parse_klarf_timestamp("10-19-21 10:04:09") == 1634637849);
  CHECK(parse_klarf_timestamp("08-18-2023 16:19:42") == 1692375582);
  CHECK(parse_klarf_timestamp("2000-01-30 15:40:57") == 949246857);
  CHECK(parse_klarf_timestamp("2000-01-30T15:40:57") == 949246857);
  CHECK(parse_klarf_timestamp("12/11/1971 12:32:22") == 61302742);
  CHECK(!parse_klarf_timestamp("yesterday"));
  CHECK(!parse_klarf_timestamp("13-40-21 10:00:00"));
}
