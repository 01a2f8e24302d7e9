// KLARF CoordinatesMirrored: hand-made files that describe the same wafer - one in
// the front view, others in frames mirrored along X, along Y and along both - must
// give the same product grid and the same defect positions in wafer mm.
//
// The wafer (worked by hand): 100 mm, die pitch 10000 x 8000 um, the centre in the
// middle of die (0, 0) of the front frame (DieOrigin 0 0, SampleCenterLocation 5000
// 4000), a test plan of dies i = -1..2, j = 0 (x from -15 to 25 mm, y from -4 to 4 mm).
// Defect 1 at (18, -3) mm: front frame die (2, 0), XREL 3000, YREL 1000:
//   x = 2 * 10000 + 3000 - 5000 = 18000 um, y = 0 * 8000 + 1000 - 4000 = -3000 um.
// Defect 2 at (-12.5, 2) mm: die (-1, 0), XREL 2500, YREL 6000.
// In a frame mirrored along X (x_m = -x, same DieOrigin and centre), front die i is
// die -i and a defect's x_m = -x: defect 1 at x_m = -18000 = -2 * 10000 + 7000 - 5000
// (die -2, XREL 7000); defect 2 at x_m = 12500 = 1 * 10000 + 7500 - 5000 (die 1, XREL
// 7500). Mirrored along Y as well (y_m = -y): row 0 stays row 0, defect 1 at y_m = 3000
// = 0 + 7000 - 4000 (YREL 7000), defect 2 at y_m = -2000 = 0 + 2000 - 4000 (YREL
// 2000); the notch, at the bottom of the front view, is at the top of that frame
// (OrientationMarkLocation UP).
#include <catch2/catch.hpp>

#include <fstream>
#include <string>

#include "CollectSink.hpp"
#include "io/import/KlarfImporter.hpp"
#include "support/TempDir.hpp"

using yf::test::CollectSink;
using Catch::Contains;

namespace {

std::string flat_file(const std::string& mark, const std::string& mirrored, const std::string& plan,
                      const std::string& defects) {
  return "FileVersion 1 2;\nFileTimestamp 01-02-2024 03:04:05;\nInspectionStationID \"V\" \"M\" \"T1\";\n"
         "SampleType WAFER;\nLotID \"L1\";\nSampleSize 1 100;\nDeviceID \"DEV\";\nStepID \"S\";\n"
         "SampleOrientationMarkType NOTCH;\nOrientationMarkLocation " + mark + ";\n"
         "DiePitch 1.0e+004 8.0e+003;\nDieOrigin 0 0;\nWaferID \"W1\";\nSlot 1;\n"
         "SampleCenterLocation 5000 4000;\n" + mirrored + "InspectionTest 1;\nSampleTestPlan 4\n" + plan + ";\n"
         "DefectRecordSpec 6 DEFECTID XREL YREL XINDEX YINDEX DSIZE;\nDefectList\n" + defects + ";\n"
         "SummarySpec 3 TESTNO NDEFECT NDIE;\nSummaryList\n1 2 4;\nEndOfFile;\n";
}

const std::string kFront = flat_file("DOWN", "CoordinatesMirrored NO;\n", "-1 0\n0 0\n1 0\n2 0\n",
                                     "1 3000 1000 2 0 5\n2 2500 6000 -1 0 7");
const std::string kMirrorX = flat_file("DOWN", "CoordinatesMirrored YES;\n", "1 0\n0 0\n-1 0\n-2 0\n",
                                       "1 7000 1000 -2 0 5\n2 7500 6000 1 0 7");
const std::string kMirrorXY = flat_file("UP", "CoordinatesMirrored XY;\n", "1 0\n0 0\n-1 0\n-2 0\n",
                                        "1 7000 7000 -2 0 5\n2 7500 2000 1 0 7");

CollectSink import_text(const std::string& text) {
  yf::test::TempDir dir;
  const std::string path = dir / "w.klarf";
  std::ofstream(path, std::ios::binary) << text;
  CollectSink sink;
  yf::import::import_klarf(path, {}, sink);
  return sink;
}

void check_front_wafer(const CollectSink& s) {
  REQUIRE(s.products.size() == 1);
  REQUIRE(s.wafers.size() == 1);
  const auto& p = s.products[0];
  CHECK(p.cols == 4);
  CHECK(p.rows == 1);
  CHECK(p.die_width_mm == Approx(10));
  CHECK(p.die_height_mm == Approx(8));
  CHECK(p.grid_x0_mm == Approx(-15));  // left edge of front die -1
  CHECK(p.grid_y0_mm == Approx(4));    // top edge of row 0
  const auto& d = s.wafers[0].defects;
  REQUIRE(d.size() == 2);
  CHECK(d[0].x_mm == Approx(18).margin(1e-12));
  CHECK(d[0].y_mm == Approx(-3).margin(1e-12));
  CHECK(d[0].size_um == Approx(5));
  CHECK(d[1].x_mm == Approx(-12.5).margin(1e-12));
  CHECK(d[1].y_mm == Approx(2).margin(1e-12));
  CHECK(s.warnings.empty());
}

}  // namespace

TEST_CASE("KLARF CoordinatesMirrored NO: the front view as written", "[klarf][mirror]") {
  check_front_wafer(import_text(kFront));
}

TEST_CASE("KLARF CoordinatesMirrored YES: X mirrored, same wafer positions as the front view", "[klarf][mirror]") {
  check_front_wafer(import_text(kMirrorX));
  // The same with the spellings tools use.
  std::string lower = kMirrorX;
  lower.replace(lower.find("CoordinatesMirrored YES"), 23, "coordinatesmirrored Yes");
  check_front_wafer(import_text(lower));
}

TEST_CASE("KLARF CoordinatesMirrored XY with the mark UP in the mirrored frame", "[klarf][mirror]") {
  check_front_wafer(import_text(kMirrorXY));
}

TEST_CASE("KLARF CoordinatesMirrored before the first wafer holds for the file", "[klarf][mirror]") {
  std::string text = kMirrorX;
  text.replace(text.find("CoordinatesMirrored YES;\n"), 25, "");
  text.replace(text.find("WaferID"), 0, "CoordinatesMirrored YES;\n");
  check_front_wafer(import_text(text));
}

TEST_CASE("KLARF CoordinatesMirrored with an unknown value is an error naming the line", "[klarf][mirror]") {
  std::string text = kMirrorX;
  text.replace(text.find("CoordinatesMirrored YES"), 23, "CoordinatesMirrored SIDEWAYS");
  CHECK_THROWS_WITH(import_text(text), Contains("line 16: CoordinatesMirrored \"SIDEWAYS\""));
}

TEST_CASE("KLARF 1.8 Field CoordinatesMirrored {\"YES\"}: nanometres, same wafer positions", "[klarf][mirror]") {
  // kMirrorX in 1.8: positions in nanometres, the diameter in nanometres too.
  const std::string text =
      "Record FileRecord \"1.8\"\n{\n  Record LotRecord \"L1\"\n  {\n"
      "    Field DeviceID 1 {\"DEV\"}\n    Field DiePitch 2 {10000000, 8000000}\n"
      "    Field OrientationMarkLocation 1 {0}\n    Field SampleOrientationMarkType 1 {\"NOTCH\"}\n"
      "    Field SampleSize 2 {100000000, 0}\n"
      "    Record WaferRecord \"W1\"\n    {\n      Field DieOrigin 2 {0, 0}\n"
      "      Field CoordinatesMirrored 1 {\"YES\"}\n"
      "      Field SampleCenterLocation 2 {5000000, 4000000}\n      Field SlotNumber 1 {1}\n"
      "      List DefectList\n      {\n"
      "        Columns 6 { int32 DEFECTID, int32 XREL, int32 YREL, int32 XINDEX, int32 YINDEX, int32 DSIZE }\n"
      "        Data 2\n        {\n          1 7000000 1000000 -2 0 5000;\n          2 7500000 6000000 1 0 7000;\n"
      "        }\n      }\n"
      "      Record TestRecord \"1\"\n      {\n        List SampleTestPlanList\n        {\n"
      "          Columns 2 { int32 XINDEX, int32 YINDEX }\n          Data 4\n          {\n"
      "            1 0;\n            0 0;\n            -1 0;\n            -2 0;\n          }\n        }\n      }\n"
      "    }\n  }\n}\nEndOfFile;\n";
  check_front_wafer(import_text(text));
}
