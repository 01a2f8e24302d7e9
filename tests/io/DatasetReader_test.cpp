// The v1 reader: every table, any integer width, float32/64, fixed and
// variable-length strings, and each kind of bad input named precisely.
#include <catch2/catch.hpp>

#include <filesystem>
#include <fstream>

#include "TestPaths.hpp"
#include "io/DatasetError.hpp"
#include "io/DatasetReader.hpp"
#include "support/MiniDataset.hpp"
#include "support/TempDir.hpp"

using yf::DatasetError;
using yf::DatasetReader;
using yf::test::MiniDataset;
using Catch::Matchers::Contains;

namespace {

// Three wafers: W1 with two defects and a bin map, W2 with nothing, W3 with one defect.
MiniDataset three_wafers() {
  MiniDataset d;
  d.add_wafer("W1");
  d.add_wafer("W2");
  d.add_wafer("W3");
  d.set_defects(0, {{-1.5, 1.5, 2.5, 7}, {0.5, -0.5, 10.0, 3}});
  d.set_defects(2, {{1.25, 1.75, 0.5, 0}});
  std::vector<std::int16_t> bins(16, -1);
  bins[5] = 1;
  bins[6] = 2;
  bins[9] = 1;
  bins[10] = 7;
  d.set_binmap(0, bins);
  d.classes = std::vector<yf::DefectClass>{{3, "particle", true}, {7, "nuisance", false}};
  d.bins = std::vector<yf::BinDef>{{1, "good", true}, {2, "good-slow", true}, {7, "open", false}};
  d.history = {{"ETCH", "ETCH-01", "A", 1699990000}, {"LITHO", "LITHO-02", "", 1699990100},
               {"ETCH", "ETCH-02", "B", 1699990200}};
  d.history_wafer_rows = {0, 0, 2};
  return d;
}

void check_three_wafers(const std::string& path) {
  DatasetReader r(path);
  REQUIRE(r.wafer_count() == 3);
  auto tables = r.tables();
  REQUIRE(tables->products.size() == 1);
  const auto& p = *tables->products.at("P1");
  CHECK(p.wafer_diameter_mm == 10);
  CHECK(p.edge_exclusion_mm == 1);
  CHECK(p.cols == 4);
  CHECK(p.rows == 4);
  CHECK(p.grid_x0_mm == -4);
  CHECK(p.grid_y0_mm == 4);
  CHECK(tables->defect_classes.at(3).name == "particle");
  CHECK(tables->defect_classes.at(3).killer);
  CHECK_FALSE(tables->defect_classes.at(7).killer);
  CHECK(tables->has_bins_table);
  CHECK(tables->is_pass_bin(2));
  CHECK_FALSE(tables->is_pass_bin(7));

  yf::WaferJob w1 = r.read_wafer(0);
  INFO(w1.error);
  REQUIRE(w1.error.empty());
  CHECK(w1.meta.wafer_id == "W1");
  CHECK(w1.meta.lot_id == "LOT1");
  CHECK(w1.meta.slot == 1);
  CHECK(w1.meta.fab == "FAB1");
  CHECK(w1.meta.tool == "TOOL1");
  CHECK(w1.meta.step == "M1");
  CHECK(w1.meta.timestamp == 1700000000);
  REQUIRE(w1.defects.size() == 2);
  CHECK(w1.defects[0].x_mm == -1.5);
  CHECK(w1.defects[0].y_mm == 1.5);
  CHECK(w1.defects[0].size_um == 2.5);
  CHECK(w1.defects[0].class_id == 7);
  CHECK(w1.defects[1].size_um == 10.0);
  REQUIRE(w1.binmap);
  CHECK(w1.binmap->rows == 4);
  CHECK(w1.binmap->at(1, 1) == 1);
  CHECK(w1.binmap->at(2, 1) == 2);
  CHECK(w1.binmap->at(2, 2) == 7);
  CHECK(w1.binmap->at(0, 0) == -1);
  REQUIRE(w1.history.size() == 2);
  CHECK(w1.history[0].tool == "ETCH-01");
  CHECK(w1.history[0].chamber == "A");
  CHECK(w1.history[1].step == "LITHO");

  yf::WaferJob w2 = r.read_wafer(1);
  REQUIRE(w2.error.empty());
  CHECK(w2.defects.empty());
  CHECK_FALSE(w2.binmap);
  CHECK(w2.history.empty());

  yf::WaferJob w3 = r.read_wafer(2);
  REQUIRE(w3.error.empty());
  REQUIRE(w3.defects.size() == 1);
  CHECK(w3.defects[0].x_mm == 1.25);
  CHECK(w3.defects[0].class_id == 0);
  REQUIRE(w3.history.size() == 1);
  CHECK(w3.history[0].tool == "ETCH-02");
}

std::string first_error(const std::string& path) {
  DatasetReader r(path);
  for (std::size_t i = 0; i < r.wafer_count(); ++i) {
    auto job = r.read_wafer(i);
    if (!job.error.empty()) return job.error;
  }
  return {};
}

}  // namespace

TEST_CASE("reader reads every table: fixed strings, int64, float64", "[io][reader]") {
  yf::test::TempDir dir;
  three_wafers().write(dir / "a.h5");
  check_three_wafers(dir / "a.h5");
}

TEST_CASE("reader reads variable-length strings, narrow integers and float32", "[io][reader]") {
  yf::test::TempDir dir;
  for (hid_t int_type : {H5T_STD_I16LE, H5T_STD_I32BE, H5T_STD_I64BE}) {  // signed: -1 must fit
    MiniDataset d = three_wafers();
    d.variable_strings = true;
    d.int_type = int_type;
    d.real_type = H5T_IEEE_F32LE;  // every test value is exact in float32
    d.write(dir / "b.h5");
    check_three_wafers(dir / "b.h5");
  }
}

TEST_CASE("reader accepts history in any row order", "[io][reader]") {
  yf::test::TempDir dir;
  MiniDataset d = three_wafers();
  d.history_wafer_rows = {2, 0, 0};  // wafer 2's entry first
  std::swap(d.history[0], d.history[2]);
  d.write(dir / "h.h5");
  DatasetReader r(dir / "h.h5");
  CHECK(r.read_wafer(0).history.size() == 2);
  CHECK(r.read_wafer(1).history.empty());
  auto w3 = r.read_wafer(2);
  REQUIRE(w3.history.size() == 1);
  CHECK(w3.history[0].tool == "ETCH-02");
}

TEST_CASE("whole-file problems throw one line naming the file and the field", "[io][reader][bad]") {
  yf::test::TempDir dir;
  const std::string path = dir / "bad.h5";

  SECTION("missing file") {
    CHECK_THROWS_WITH(DatasetReader(dir / "nope.h5"), Contains("nope.h5") && Contains("not found"));
  }
  SECTION("not HDF5") {
    std::ofstream(path) << "wafer,yield\nW1,0.9\n";
    CHECK_THROWS_WITH(DatasetReader(path), Contains("bad.h5") && Contains("not an HDF5 file"));
  }
  SECTION("format attribute missing") {
    MiniDataset d = three_wafers();
    d.format.reset();
    d.write(path);
    CHECK_THROWS_WITH(DatasetReader(path), Contains("bad.h5") && Contains("'format' missing"));
  }
  SECTION("wrong format attribute") {
    MiniDataset d = three_wafers();
    d.format = "something-else";
    d.write(path);
    CHECK_THROWS_WITH(DatasetReader(path), Contains("bad.h5") && Contains("something-else"));
  }
  SECTION("unsupported format_version") {
    MiniDataset d = three_wafers();
    d.format_version = 2;
    d.write(path);
    CHECK_THROWS_WITH(DatasetReader(path), Contains("bad.h5") && Contains("format_version 2"));
  }
  SECTION("missing required column") {
    MiniDataset d = three_wafers();
    d.omit_wafer_column = "defect_count";
    d.write(path);
    CHECK_THROWS_WITH(DatasetReader(path),
                      Contains("bad.h5") && Contains("/wafers") && Contains("'defect_count' missing"));
  }
  SECTION("string in an integer column") {
    MiniDataset d = three_wafers();
    d.string_wafer_column = "slot";
    d.write(path);
    CHECK_THROWS_WITH(DatasetReader(path), Contains("/wafers") && Contains("'slot'") && Contains("found string"));
  }
  SECTION("float in an integer column") {
    MiniDataset d = three_wafers();
    d.float_wafer_column = "binmap_row";
    d.write(path);
    CHECK_THROWS_WITH(DatasetReader(path), Contains("'binmap_row'") && Contains("found float"));
  }
}

TEST_CASE("wafer problems come back as that wafer's error, naming file, wafer and field", "[io][reader][bad]") {
  yf::test::TempDir dir;
  const std::string path = dir / "w.h5";
  MiniDataset d = three_wafers();

  SECTION("unknown product") {
    d.wafers[1].product = "P9";
    d.write(path);
    DatasetReader r(path);
    CHECK(r.read_wafer(0).error.empty());
    auto e = r.read_wafer(1).error;
    CHECK_THAT(e, Contains("w.h5") && Contains("wafer W2") && Contains("product") && Contains("'P9'"));
    CHECK(r.read_wafer(2).error.empty());
  }
  SECTION("image_row out of range") {
    d.images = 1;
    d.wafers[0].image_row = 0;
    d.wafers[2].image_row = 1;
    d.write(path);
    DatasetReader r(path);
    CHECK(r.read_wafer(0).error.empty());
    CHECK_THAT(r.read_wafer(2).error, Contains("wafer W3") && Contains("image_row 1") && Contains("out of range"));
  }
  SECTION("binmap_row out of range") {
    d.wafers[2].binmap_row = 5;
    d.write(path);
    CHECK_THAT(first_error(path), Contains("wafer W3") && Contains("binmap_row 5") && Contains("out of range"));
  }
  SECTION("binmap_row with no bin map dataset for the product") {
    d.binmaps.clear();
    d.write(path);
    CHECK_THAT(first_error(path), Contains("wafer W1") && Contains("/binmaps/P1 missing"));
  }
  SECTION("defect_begin/defect_count beyond /defects") {
    d.wafers[2].defect_count = 4;
    d.write(path);
    CHECK_THAT(first_error(path), Contains("wafer W3") && Contains("defect_begin/defect_count") &&
                                      Contains("beyond /defects"));
  }
  SECTION("defect rows that belong to another wafer") {
    d.wafers[2].defect_begin = 1;  // row 1 is W1's second defect
    d.wafers[2].defect_count = 1;
    d.write(path);
    CHECK_THAT(first_error(path), Contains("wafer W3") && Contains("belongs to wafer_row 0"));
  }
  SECTION("negative defect_count") {
    d.wafers[1].defect_count = -2;
    d.write(path);
    CHECK_THAT(first_error(path), Contains("wafer W2") && Contains("negative"));
  }
  SECTION("bin map of the wrong shape") {
    d.binmap_dims["P1"] = {1, 4, 5};
    d.write(path);
    CHECK_THAT(first_error(path), Contains("wafer W1") && Contains("/binmaps/P1") && Contains("4x5") &&
                                      Contains("product grid is 4x4"));
  }
}

// Bin maps in chunks larger than HDF5's default 1 MiB chunk cache (files not written
// by DatasetWriter): the reader enlarges the cache (docs/performance.md); the maps
// must read back the same, in order and out of order.
TEST_CASE("reader reads bin maps stored in chunks larger than the default chunk cache", "[io][reader]") {
  yf::test::TempDir dir;
  const std::string path = dir / "big-chunks.h5";
  const int side = 100, wafers = 80;  // chunk of 64 maps: 64 * 100 * 100 * 2 = 1.28 MB
  MiniDataset d;
  d.products = {yf::test::make_product("P1", 300, 3, 3, 3, side, side, -150, 150)};
  auto map_of = [&](int w) {
    std::vector<std::int16_t> bins(static_cast<std::size_t>(side * side));
    for (std::size_t i = 0; i < bins.size(); ++i) bins[i] = static_cast<std::int16_t>((w * 7 + int(i)) % 9 - 1);
    return bins;
  };
  for (int w = 0; w < wafers; ++w) {
    d.add_wafer("W" + std::to_string(w));
    d.set_binmap(static_cast<std::size_t>(w), map_of(w));
  }
  d.write(path);

  // Rewrite /binmaps/P1 chunked (64 maps a chunk) and compressed.
  {
    hid_t f = H5Fopen(path.c_str(), H5F_ACC_RDWR, H5P_DEFAULT);
    REQUIRE(f >= 0);
    REQUIRE(H5Ldelete(f, "/binmaps/P1", H5P_DEFAULT) >= 0);
    const hsize_t dims[3] = {hsize_t(wafers), hsize_t(side), hsize_t(side)};
    const hsize_t chunk[3] = {64, hsize_t(side), hsize_t(side)};
    hid_t space = H5Screate_simple(3, dims, nullptr);
    hid_t dcpl = H5Pcreate(H5P_DATASET_CREATE);
    H5Pset_chunk(dcpl, 3, chunk);
    H5Pset_deflate(dcpl, 1);
    hid_t ds = H5Dcreate2(f, "/binmaps/P1", H5T_STD_I16LE, space, H5P_DEFAULT, dcpl, H5P_DEFAULT);
    REQUIRE(ds >= 0);
    std::vector<std::int16_t> all;
    for (int w = 0; w < wafers; ++w) {
      auto m = map_of(w);
      all.insert(all.end(), m.begin(), m.end());
    }
    REQUIRE(H5Dwrite(ds, H5T_NATIVE_INT16, H5S_ALL, H5S_ALL, H5P_DEFAULT, all.data()) >= 0);
    H5Dclose(ds);
    H5Pclose(dcpl);
    H5Sclose(space);
    H5Fclose(f);
  }

  DatasetReader r(path);
  REQUIRE(r.wafer_count() == std::size_t(wafers));
  std::vector<std::size_t> order;
  for (int w = 0; w < wafers; ++w) order.push_back(std::size_t(w));
  for (int w = wafers - 1; w >= 0; w -= 3) order.push_back(std::size_t(w));
  for (std::size_t row : order) {
    INFO("wafer row " << row);
    auto job = r.read_wafer(row);
    REQUIRE(job.error.empty());
    REQUIRE(job.binmap);
    CHECK(job.binmap->rows == side);
    CHECK(job.binmap->cols == side);
    CHECK(job.binmap->bins == map_of(int(row)));
  }
}
