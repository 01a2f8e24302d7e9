// The run's output files: atomic appearance, CSV quoting, results.h5 layout,
// and the golden comparison's tolerances.
#include <catch2/catch.hpp>

#include <hdf5.h>

#include <cmath>
#include <fstream>
#include <sstream>

#include "io/AtomicFile.hpp"
#include "io/OutputCompare.hpp"
#include "io/ResultsH5Writer.hpp"
#include "io/WafersCsv.hpp"
#include "support/TempDir.hpp"

namespace fs = std::filesystem;
using Catch::Matchers::Contains;

namespace {

yf::WaferResult ok_result() {
  yf::WaferResult r;
  r.source_file = "dir/a.h5";
  r.meta.wafer_id = "W,1";  // a comma, to be quoted in CSV
  r.meta.lot_id = "L\"1";   // a quote
  r.meta.product = "P1";
  r.meta.slot = 3;
  r.metrics.product_dies = 4;
  r.metrics.tested_dies = 5;
  r.metrics.good_dies = 4;
  r.metrics.sort_yield = 0.8;
  r.metrics.killed_dies = 1;
  r.metrics.inspection_yield = 0.75;
  r.metrics.sort_pattern = "Edge-Ring";
  r.metrics.sort_pattern_confidence = 0.8125;
  r.rows = 2;
  r.cols = 3;
  r.die_verdicts = {0, 1 | 2 | 4, 1 | 2 | 8, 2, 1 | 2 | 4, 1 | 2 | 4};
  return r;
}

std::string slurp(const fs::path& p) {
  std::ifstream in(p);
  std::stringstream ss;
  ss << in.rdbuf();
  return ss.str();
}

}  // namespace

TEST_CASE("AtomicFile appears only on commit and leaves nothing when abandoned", "[io][outputs]") {
  yf::test::TempDir dir;
  {
    yf::AtomicFile f(dir.path() / "x.csv");
    f.stream() << "partial";
    CHECK_FALSE(fs::exists(dir.path() / "x.csv"));
    CHECK(fs::exists(f.temp_path()));
  }  // abandoned, as by an exception mid-run
  CHECK(fs::is_empty(dir.path()));
  yf::AtomicFile g(dir.path() / "x.csv");
  g.stream() << "whole\n";
  g.commit();
  CHECK(slurp(dir.path() / "x.csv") == "whole\n");
  CHECK(std::distance(fs::directory_iterator(dir.path()), fs::directory_iterator()) == 1);
}

TEST_CASE("wafers.csv rows quote what needs quoting and parse back", "[io][outputs]") {
  std::ostringstream out;
  yf::write_wafers_csv_row(out, ok_result());
  auto fields = yf::parse_csv_line(out.str().substr(0, out.str().size() - 1));
  REQUIRE(fields.size() == yf::wafers_csv_columns().size());
  CHECK(fields[1] == "W,1");
  CHECK(fields[2] == "L\"1");
  CHECK(fields[11] == "0.800000");  // sort_yield
  CHECK(fields[15] == "0.750000");  // inspection_yield
  CHECK(fields[17] == "ok");
  CHECK(fields[19] == "Edge-Ring");
  CHECK(fields[20] == "0.812");  // 3 decimals
  CHECK(fields[21].empty());     // inspection map not classified: both cells empty
  CHECK(fields[22].empty());

  yf::WaferResult failed = ok_result();
  failed.ok = false;
  failed.error = "a.h5: wafer W,1: product: unknown product 'P9'";
  std::ostringstream bad;
  yf::write_wafers_csv_row(bad, failed);
  fields = yf::parse_csv_line(bad.str().substr(0, bad.str().size() - 1));
  REQUIRE(fields.size() == yf::wafers_csv_columns().size());
  CHECK(fields[8].empty());   // product_dies
  CHECK(fields[15].empty());  // inspection_yield
  CHECK(fields[17] == "failed");
  CHECK(fields[18] == failed.error);
}

TEST_CASE("results.h5 holds the wafer table and the verdict maps", "[io][outputs]") {
  yf::test::TempDir dir;
  const fs::path path = dir.path() / "results.h5";
  {
    yf::ResultsH5Writer w(path);
    w.append(ok_result());
    yf::WaferResult failed = ok_result();
    failed.ok = false;
    failed.error = "broken";
    failed.metrics = {};
    w.append(failed);
    w.append(ok_result());
    CHECK_FALSE(fs::exists(path));
    w.finish();
  }
  REQUIRE(fs::exists(path));
  hid_t f = H5Fopen(path.c_str(), H5F_ACC_RDONLY, H5P_DEFAULT);
  REQUIRE(f >= 0);
  // /die_verdicts/P1: two maps (the failed wafer has none), 2x3 each.
  hid_t d = H5Dopen2(f, "/die_verdicts/P1", H5P_DEFAULT);
  hid_t s = H5Dget_space(d);
  hsize_t dims[3];
  REQUIRE(H5Sget_simple_extent_dims(s, dims, nullptr) == 3);
  CHECK(dims[0] == 2);
  CHECK(dims[1] == 2);
  CHECK(dims[2] == 3);
  std::vector<std::uint8_t> maps(12);
  H5Dread(d, H5T_NATIVE_UINT8, H5S_ALL, H5S_ALL, H5P_DEFAULT, maps.data());
  CHECK(maps[2] == (1 | 2 | 8));
  CHECK(maps[6 + 1] == (1 | 2 | 4));
  H5Sclose(s);
  H5Dclose(d);
  // /wafers: verdict_row 0, -1, 1; NaN-free yields for ok rows, NaN for the failed one.
  struct Row {
    std::int64_t verdict_row;
    double sort_yield;
    std::uint8_t ok;
    double sort_pattern_confidence;
    double inspection_pattern_confidence;
  };
  hid_t t = H5Tcreate(H5T_COMPOUND, sizeof(Row));
  H5Tinsert(t, "verdict_row", HOFFSET(Row, verdict_row), H5T_NATIVE_INT64);
  H5Tinsert(t, "sort_yield", HOFFSET(Row, sort_yield), H5T_NATIVE_DOUBLE);
  H5Tinsert(t, "ok", HOFFSET(Row, ok), H5T_NATIVE_UINT8);
  H5Tinsert(t, "sort_pattern_confidence", HOFFSET(Row, sort_pattern_confidence), H5T_NATIVE_DOUBLE);
  H5Tinsert(t, "inspection_pattern_confidence", HOFFSET(Row, inspection_pattern_confidence), H5T_NATIVE_DOUBLE);
  d = H5Dopen2(f, "/wafers", H5P_DEFAULT);
  std::vector<Row> rows(3);
  REQUIRE(H5Dread(d, t, H5S_ALL, H5S_ALL, H5P_DEFAULT, rows.data()) >= 0);
  CHECK(rows[0].verdict_row == 0);
  CHECK(rows[1].verdict_row == -1);
  CHECK(rows[2].verdict_row == 1);
  CHECK(rows[0].sort_yield == 0.8);
  CHECK(std::isnan(rows[1].sort_yield));
  CHECK(rows[1].ok == 0);
  CHECK(rows[0].sort_pattern_confidence == 0.8125);
  CHECK(std::isnan(rows[0].inspection_pattern_confidence));
  H5Dclose(d);
  H5Tclose(t);
  H5Fclose(f);
}

TEST_CASE("compare_outputs: yields within 2e-6 are equal, counts must match exactly", "[io][regress]") {
  yf::test::TempDir dir;
  auto write = [&](const std::string& name, const std::string& yield, const std::string& good, double group_yield) {
    fs::create_directories(dir.path() / name);
    std::ofstream(dir.path() / name / "wafers.csv")
        << "source_file,wafer_id,good_dies,sort_yield\n/x/a.h5,W1," << good << "," << yield << "\n";
    std::ofstream(dir.path() / name / "summary.json")
        << R"({"format":"yieldflow-summary","format_version":1,"wafers":1,"failed_wafers":[],"failed_files":[],)"
        << R"("groups":{"fab":{"F1":{"wafers":1,"sort_yield":)" << group_yield << "}}}}";
  };
  write("golden", "0.500000", "5", 0.5);
  write("close", "0.500001", "5", 0.5000015);
  write("far", "0.500010", "6", 0.51);
  CHECK(yf::compare_outputs(dir.path() / "golden", dir.path() / "close").empty());
  auto diffs = yf::compare_outputs(dir.path() / "golden", dir.path() / "far");
  REQUIRE(diffs.size() == 3);
  CHECK(diffs[0].key == "a.h5/W1");
  CHECK(diffs[0].field == "good_dies");
  CHECK(diffs[1].field == "sort_yield");
  CHECK(diffs[2].key == "fab/F1");
  CHECK_THAT(yf::format_differences(diffs), Contains("golden") && Contains("0.500010"));
  CHECK_THROWS_WITH(yf::compare_outputs(dir.path() / "golden", dir.path() / "none"), Contains("cannot open"));
}
