// Several files into one v1 dataset through DatasetSink / import_files, read back
// with DatasetReader: products, classes and bins declared after wafers, duplicate
// product names, duplicate wafer ids, and nothing written on an error.
#include <catch2/catch.hpp>

#include <filesystem>
#include <fstream>

#include "TestPaths.hpp"
#include "io/DatasetReader.hpp"
#include "io/import/DatasetSink.hpp"
#include "io/import/ImportFiles.hpp"
#include "support/TempDir.hpp"

namespace fs = std::filesystem;

namespace {
std::string data(const std::string& name) { return std::string(yf::test::kSharedDataDir) + "/" + name; }

struct Warnings {
  std::vector<std::string> all;
  yf::import::WarningHandler handler() {
    return [this](const std::string& where, const std::string& m) { all.push_back(where + ": " + m); };
  }
};
}  // namespace

TEST_CASE("import_files: two KLARF files into one dataset, read back", "[sink][real]") {
  yf::test::TempDir dir;
  const std::string out = dir / "two.h5";
  Warnings w;
  const auto s = yf::import::import_files({data("klarf/amat_complus_v1.1.001"), data("klarf/ati_wind_v1.2.001")},
                                          std::nullopt, {}, out, w.handler());
  CHECK(s.files == 2);
  CHECK(s.wafers == 2);
  yf::DatasetReader r(out);
  REQUIRE(r.wafer_count() == 2);
  CHECK(r.tables()->products.size() == 2);
  CHECK(r.tables()->defect_classes.size() == 276);
  const auto a = r.read_wafer(0), b = r.read_wafer(1);
  CHECK(a.error.empty());
  CHECK(a.defects.size() == 16);
  CHECK(b.defects.size() == 453);
  CHECK(a.defects[0].x_mm == Approx(-88.99076).margin(1e-9));  // hand-computed in KlarfImporter_test
  CHECK(b.meta.wafer_id == "LotID-CassetteID-1");
}

TEST_CASE("import_files: the same file twice gets a distinct wafer id and a warning", "[sink]") {
  yf::test::TempDir dir;
  Warnings w;
  const std::string f = data("klarf/amat_complus_v1.1.001");
  yf::import::import_files({f, f}, yf::import::ImportFormat::klarf, {}, dir / "twice.h5", w.handler());
  yf::DatasetReader r(dir / "twice.h5");
  REQUIRE(r.wafer_count() == 2);
  CHECK(r.read_meta(0).wafer_id == "25");
  CHECK(r.read_meta(1).wafer_id == "25#2");
  CHECK(r.tables()->products.size() == 1);  // same name, same geometry: one product
  REQUIRE(w.all.size() == 1);
  CHECK_THAT(w.all[0], Catch::Contains("wafer id \"25\" appears more than once"));
}

TEST_CASE("import_files: one product name, two geometries -> error naming both files, no output", "[sink]") {
  yf::test::TempDir dir;
  yf::import::ImportOptions opt;
  opt.product = "SAME";  // neither file has a DeviceID: both wafers are product SAME
  const std::string out = dir / "clash.h5";
  try {
    yf::import::import_files({data("klarf/amat_complus_v1.1.001"), data("klarf/ati_wind_v1.2.001")}, std::nullopt, opt,
                             out, {});
    FAIL("imported");
  } catch (const yf::import::ImportError& e) {
    CHECK_THAT(e.what(), Catch::Contains("ati_wind_v1.2.001: product \"SAME\"") &&
                             Catch::Contains("amat_complus_v1.1.001 declared it as"));
  }
  CHECK(!fs::exists(out));
  for (const auto& e : fs::directory_iterator(dir.path())) FAIL("left behind: " << e.path());
}

TEST_CASE("import_files: a bad file among good ones leaves no dataset", "[sink]") {
  yf::test::TempDir dir;
  const std::string out = dir / "bad.h5";
  CHECK_THROWS_WITH(yf::import::import_files({data("klarf/amat_complus_v1.1.001"),
                                              data("klarf/parser_fixtures/bad12.klarf")},
                                             std::nullopt, {}, out, {}),
                    Catch::Contains("bad12.klarf: line 36:"));
  CHECK(!fs::exists(out));
  const std::string csv = dir / "x.csv";
  { std::ofstream(csv) << "a,b\n"; }
  CHECK_THROWS_WITH(yf::import::import_files({data("klarf/amat_complus_v1.1.001"), csv}, std::nullopt, {}, out, {}),
                    Catch::Contains("x.csv: not a file of a known format"));
  CHECK(!fs::exists(out));
}

TEST_CASE("DatasetSink: bins and a product declared after the wafers (STDF's order)", "[sink]") {
  yf::test::TempDir dir;
  const std::string out = dir / "late.h5";
  {
    yf::DatasetWriter writer(out);
    yf::import::DatasetSink sink(writer, {});
    sink.begin_file("late.stdf");
    yf::WaferRecord w;
    w.meta.wafer_id = "W1";
    w.meta.product = "P";
    w.binmap = yf::BinMap{1, 2, {1, 7}};
    sink.add_wafer(w);  // product P not known yet: waits
    CHECK(sink.wafers_written() == 0);
    yf::ProductGeometry p;
    p.name = "P", p.wafer_diameter_mm = 10, p.die_width_mm = 1, p.die_height_mm = 1, p.cols = 2, p.rows = 1;
    p.grid_x0_mm = -1, p.grid_y0_mm = 0.5;
    sink.add_product(p);
    CHECK(sink.wafers_written() == 1);
    sink.add_bins({{1, "PASS", true}, {7, "OPEN", false}});
    sink.add_bins({{7, "SHORT", false}});  // conflicting name: warned, first kept
    CHECK(sink.warnings() == 1);
    sink.end_file();
    sink.finish();
  }
  yf::DatasetReader r(out);
  const auto t = r.tables();
  REQUIRE(t->has_bins_table);
  CHECK(t->bins.at(7).name == "OPEN");
  CHECK(t->is_pass_bin(1));
  CHECK(!t->is_pass_bin(7));
  const auto job = r.read_wafer(0);
  REQUIRE(job.binmap);
  CHECK(job.binmap->bins == std::vector<std::int16_t>{1, 7});
}

TEST_CASE("DatasetSink: a wafer whose product never comes fails at the end of its file", "[sink]") {
  yf::test::TempDir dir;
  yf::DatasetWriter writer(dir / "never.h5");
  yf::import::DatasetSink sink(writer, {});
  sink.begin_file("f.map");
  yf::WaferRecord w;
  w.meta.wafer_id = "W1";
  w.meta.product = "GHOST";
  sink.add_wafer(w);
  CHECK_THROWS_WITH(sink.end_file(), Catch::Contains("f.map: wafer \"W1\" uses product \"GHOST\""));
}
