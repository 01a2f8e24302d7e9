// The KLARF importer on every real file and parser fixture of ../shared/data/klarf.
//
// Where the numbers come from (none from the importer's own output):
// - die, defect and class counts of the three real files: ../shared/data/README.md
//   (amat 4988 dies, 16 defects, 276 classes; ati 784 dies, 453 defects; altatech a
//   726-die plan, no defects); the fixtures' counts were counted by hand in the files.
// - die-index extents (grid cols x rows) and product-die counts: a throwaway Python
//   script (not committed) that read SampleTestPlan and applied the v1 product-die
//   rule (four corners strictly inside the wafer circle) to the bounding box.
// - defect coordinates: worked by hand below from the file's values,
//   x = (XINDEX * pitchX + DieOriginX + XREL - SampleCenterX) / units.
// - timestamps: Python's datetime (UTC).
#include <catch2/catch.hpp>

#include <cmath>
#include <string>

#include "CollectSink.hpp"
#include "TestPaths.hpp"
#include "io/import/KlarfImporter.hpp"
#include "stages/DieGrid.hpp"

using yf::test::CollectSink;

namespace {

std::string klarf(const std::string& name) { return std::string(yf::test::kSharedDataDir) + "/klarf/" + name; }

CollectSink import(const std::string& path, const yf::import::ImportOptions& options = {}) {
  CollectSink sink;
  yf::import::import_klarf(path, options, sink);
  return sink;
}

}  // namespace

TEST_CASE("KLARF 1.1 AMAT ComPlus: 4988-die plan, 16 defects, 276 classes, coordinates", "[klarf][real]") {
  yf::import::ImportOptions opt;
  opt.fab = "FAB9";
  const CollectSink s = import(klarf("amat_complus_v1.1.001"), opt);
  REQUIRE(s.wafers.size() == 1);
  REQUIRE(s.products.size() == 1);
  CHECK(s.classes.size() == 276);
  CHECK(s.classes.back().class_id == 1020);
  CHECK(s.classes.back().name == "Group20");
  const auto& w = s.wafers[0];
  CHECK(w.defects.size() == 16);
  CHECK(w.meta.wafer_id == "25");
  CHECK(w.meta.slot == 25);
  CHECK(w.meta.lot_id == "HJU008");
  CHECK(w.meta.tool == "HYCPS04");     // InspectionStationID's third value
  CHECK(w.meta.step == "IMD2_SRO");
  CHECK(w.meta.fab == "FAB9");         // from the options: KLARF has no fab
  CHECK(w.meta.timestamp == 1634637849);  // ResultTimestamp 10-19-21 10:04:09 UTC
  // No DeviceID: the product is named after the pitch.
  const auto& p = s.products[0];
  CHECK(w.meta.product == p.name);
  CHECK(p.wafer_diameter_mm == 200);
  CHECK(p.die_width_mm == Approx(2.48996));
  CHECK(p.die_height_mm == Approx(2.25992));
  CHECK(p.cols == 76);  // XINDEX -37..38
  CHECK(p.rows == 83);  // YINDEX -40..42
  CHECK(yf::DieGrid(p).product_die_count() == 5289);
  // Defect 1: XREL 552.64, YREL 1043.08 um on die (-35, -9); pitch 2489.96 x 2259.92,
  // centre (2394.8, 2090.32): x = (-87148.6 + 552.64 - 2394.8) um, y = (-20339.28 + 1043.08 - 2090.32) um.
  CHECK(w.defects[0].x_mm == Approx(-88.99076).margin(1e-9));
  CHECK(w.defects[0].y_mm == Approx(-21.38652).margin(1e-9));
  CHECK(w.defects[0].size_um == Approx(4.5206407965));
  CHECK(w.defects[0].class_id == 0);
  // ... and it lies in the grid cell of die (-35, -9): column -35 - (-37) = 2, row 42 - (-9) = 51.
  const auto cell = yf::DieGrid(p).die_of(w.defects[0].x_mm, w.defects[0].y_mm);
  REQUIRE(cell);
  CHECK(cell->col == 2);
  CHECK(cell->row == 51);
  CHECK(s.warnings.empty());  // its SummaryList (16 defects, 4988 dies, 15 dies with defects) agrees
}

TEST_CASE("KLARF 1.2 ATI WIND: 784-die plan, 453 defects with an image list on a second line", "[klarf][real]") {
  const CollectSink s = import(klarf("ati_wind_v1.2.001"));
  REQUIRE(s.wafers.size() == 1);
  const auto& w = s.wafers[0];
  CHECK(w.defects.size() == 453);
  CHECK(s.classes.empty());  // no ClassLookup
  // WaferID "" : named after lot and slot.
  CHECK(w.meta.wafer_id == "LotID-CassetteID-1");
  CHECK(w.meta.tool == "WIND");  // InspectionStationID "ATI" "WIND" "": the last non-empty one
  CHECK(w.meta.timestamp == 1692375582);  // 08-18-2023 16:19:42
  const auto& p = s.products[0];
  CHECK(p.wafer_diameter_mm == 300);
  CHECK(p.cols == 20);  // XINDEX -9..10
  CHECK(p.rows == 50);  // YINDEX -25..24
  CHECK(yf::DieGrid(p).product_die_count() == 1000);
  // Defect 1: XREL 674, YREL 84.5 on die (-9, 9), pitch 3963 x 1669, centre (3963, 0).
  CHECK(w.defects[0].x_mm == Approx(-38.956).margin(1e-9));
  CHECK(w.defects[0].y_mm == Approx(15.1055).margin(1e-9));
  CHECK(w.defects[0].size_um == Approx(36));
  // Last defect (453): XREL 3827.5, YREL 654.5 on die (10, -3).
  CHECK(w.defects.back().x_mm == Approx((10 * 3963 + 3827.5 - 3963) / 1000).margin(1e-9));
  CHECK(w.defects.back().y_mm == Approx((-3 * 1669 + 654.5) / 1000).margin(1e-9));
  // Its summary says NDEFDIE 0 although 453 defects lie on dies: a warning, not an error.
  CHECK(s.warned("NDEFDIE 0"));
}

TEST_CASE("KLARF 1.2 Altatech: a 726-die plan without defects, a centre in another frame", "[klarf][real]") {
  const CollectSink s = import(klarf("altatech_v1.2_nodefects.klarf"));
  REQUIRE(s.wafers.size() == 1);
  CHECK(s.wafers[0].defects.empty());
  CHECK(s.wafers[0].meta.product == "RPCS_DEVICE_ID");
  CHECK(s.wafers[0].meta.wafer_id == "FBYH22-01D3");
  CHECK(s.wafers[0].meta.slot == 2);
  const auto& p = s.products[0];
  CHECK(p.cols == 30);  // XINDEX -15..14
  CHECK(p.rows == 34);  // YINDEX -16..17
  // SampleCenterLocation (100000, 100000) would put most of the plan off a 200 mm
  // wafer: the importer warns and centres the die frame instead; the plan's dies
  // are then on the wafer (890 product dies in the grid, by the script).
  CHECK(s.warned("off the wafer"));
  CHECK(yf::DieGrid(p).product_die_count() == 890);
  CHECK(p.grid_x0_mm == Approx(-15 * 5.9));
  CHECK(p.grid_y0_mm == Approx(18 * 5.3 - 5.183));  // top of YINDEX 17 plus DieOrigin y
}

TEST_CASE("KLARF fixtures 1.2: counts, unquoted values, lists split by TiffFileName statements", "[klarf][fixtures]") {
  SECTION("simple12: 1 defect, 2 classes") {
    const CollectSink s = import(klarf("parser_fixtures/simple12.klarf"));
    REQUIRE(s.wafers.size() == 1);
    CHECK(s.defects() == 1);
    CHECK(s.classes.size() == 2);
    CHECK(s.classes[0].class_id == -1);
    CHECK(s.wafers[0].meta.product == "aDevice");
    CHECK(s.wafers[0].defects[0].class_id == 10);
    // Die (0, 0) of a 150 mm pitch, centre (75000, 75000) um: (3500.123 - 75000, 75000.123 - 75000) um.
    CHECK(s.wafers[0].defects[0].x_mm == Approx(-71.499877).margin(1e-9));
    CHECK(s.wafers[0].defects[0].y_mm == Approx(0.000123).margin(1e-9));
  }
  SECTION("klarf12Example: 2 defects, 1 class, summary mismatches warned") {
    const CollectSink s = import(klarf("parser_fixtures/klarf12Example.klarf"));
    CHECK(s.defects() == 2);
    CHECK(s.classes.size() == 1);
    CHECK(s.wafers[0].meta.slot == 15);
    CHECK(s.warned("NDIE 0"));
  }
  SECTION("klarf12DefectListExample: 13 defects in 5 DefectList statements, image lists of 0, 1 and 7 images") {
    const CollectSink s = import(klarf("parser_fixtures/klarf12DefectListExample.klarf"));
    REQUIRE(s.wafers.size() == 1);
    CHECK(s.defects() == 13);
    CHECK(s.wafers[0].meta.wafer_id == "aWafer");  // unquoted
    CHECK(s.wafers[0].meta.slot == 9);
    CHECK(s.warned("NDEFECT 4"));  // the summary's 4 against 13 listed
  }
}

TEST_CASE("KLARF 1.8 fixtures: nested records, lot fields after the wafers, NA values, image lists", "[klarf][fixtures]") {
  SECTION("simple18: two wafers, two tests, units in nanometres") {
    const CollectSink s = import(klarf("parser_fixtures/simple18.klarf"));
    REQUIRE(s.wafers.size() == 2);
    CHECK(s.wafers[0].defects.size() == 3);
    CHECK(s.wafers[1].defects.size() == 1);
    CHECK(s.classes.size() == 4);  // ClassLookupList after the wafers
    const auto& m = s.wafers[0].meta;
    CHECK(m.wafer_id == "FirstWaferId");
    CHECK(m.lot_id == "aLot.String");
    CHECK(m.slot == 25);
    CHECK(m.product == "aDevice");  // DeviceID, given after the wafer records
    CHECK(m.step == "AStepId");
    CHECK(m.tool == "B");
    CHECK(m.timestamp == 61302742);  // ResultTimestamp 12-11-1971 12:32:22
    CHECK(s.wafers[1].meta.slot == 3);
    CHECK(s.products[0].wafer_diameter_mm == 300);  // SampleSize 300000000 nm
    CHECK(s.products[0].die_width_mm == Approx(5.74415));
    // Defect 2: XREL 1254960, YREL 4346692 nm on die (2, 24), pitch 5744150 x 5410203,
    // centre (4929000, -490333): x = 11488300 + 1254960 - 4929000, y = 129844872 + 4346692 + 490333.
    const auto& d = s.wafers[0].defects[0];
    CHECK(d.x_mm == Approx(7.81426).margin(1e-9));
    CHECK(d.y_mm == Approx(134.681897).margin(1e-9));
    CHECK(d.size_um == Approx(0.325));  // DSIZE 325 nm
    CHECK(d.class_id == 91);
    // The summary says 4 defects for each test; the data has 2 and 1.
    CHECK(s.warned("summary of test 1 says NDEFECT 4, the DefectList has 2"));
    // First wafer's grid: XINDEX -3..20 (plans and defects), YINDEX -27..24: 24 x 52.
    REQUIRE(s.products.size() == 2);
    CHECK(s.products[0].cols == 24);
    CHECK(s.products[0].rows == 52);
    // The second wafer has no plan and its one defect, on die (-14, 13), is off that
    // grid: a product of its own covering every die that touches the wafer. By hand:
    // centre (4.952008, -0.491294) mm, pitch 5.74415 x 5.410203, radius 150:
    // XINDEX floor((-150 + 4.952008) / 5.74415) = -26 .. floor((150 + 4.952008) / 5.74415) = 26,
    // YINDEX floor((-150 - 0.491294) / 5.410203) = -28 .. floor((150 - 0.491294) / 5.410203) = 27.
    CHECK(s.wafers[1].meta.product == "aDevice-53x56");
    CHECK(s.products[1].cols == 53);
    CHECK(s.products[1].rows == 56);
    CHECK(s.warned("stored as product \"aDevice-53x56\""));
  }
  SECTION("wierdKlarfWithNAs: NA in columns the import does not need") {
    const CollectSink s = import(klarf("parser_fixtures/wierdKlarfWithNAs.klarf"));
    REQUIRE(s.wafers.size() == 2);
    CHECK(s.defects() == 4);
  }
  SECTION("klarfWithImagelist: ImageList values 'N' and 'Images 3 { ... }'") {
    const CollectSink s = import(klarf("parser_fixtures/klarfWithImagelist.klarf"));
    REQUIRE(s.wafers.size() == 1);
    CHECK(s.defects() == 6);
    CHECK(s.classes.size() == 1);
    CHECK(s.wafers[0].meta.slot == 3);
    CHECK(s.wafers[0].meta.product == "aDevice");
    // Defect 2: XREL 7243340, YREL 1952050 nm on die (-2, -9); pitch 7270960 x 6559460,
    // centre (175480, -179730).
    CHECK(s.wafers[0].defects[0].x_mm == Approx((-2 * 7270960 + 7243340 - 175480) / 1e6).margin(1e-9));
    CHECK(s.wafers[0].defects[0].y_mm == Approx((-9 * 6559460 + 1952050 + 179730) / 1e6).margin(1e-9));
  }
}

TEST_CASE("KLARF parser fixtures named bad*: a clear error naming file and line", "[klarf][fixtures]") {
  auto error_of = [](const std::string& name) {
    try {
      import(klarf("parser_fixtures/" + name));
    } catch (const yf::import::ImportError& e) {
      return std::string(e.what());
    }
    return std::string("(imported)");
  };
  // A second WaferID with no DefectList at line 36.
  const std::string bad12 = error_of("bad12.klarf");
  CHECK_THAT(bad12, Catch::Contains("bad12.klarf: line 36:") && Catch::Contains("anotherWafer") &&
                        Catch::Contains("no DefectList"));
  // A row with one value too many: XINDEX gets 75000.123 (line 29).
  const std::string bad_list = error_of("bad12DefectList.klarf");
  CHECK_THAT(bad_list, Catch::Contains("bad12DefectList.klarf: line 29:") && Catch::Contains("XINDEX"));
}
