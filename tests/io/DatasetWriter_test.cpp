// DatasetWriter, checked by reading its files back with the raw HDF5 C API.
#include "io/DatasetWriter.hpp"

#include <unistd.h>

#include <catch2/catch.hpp>
#include <filesystem>
#include <string>
#include <thread>
#include <vector>

#include "../samples/RawH5.hpp"
#include "io/Hdf5Handle.hpp"
#include "support/Products.hpp"
#include "support/TempDir.hpp"

namespace fs = std::filesystem;
using namespace yf;
using namespace yf::rawh5;

namespace {

using yf::test::TempDir;

ProductGeometry product_a() { return yf::test::make_product("PA", 300, 3, 10, 12, 30, 25, -150, 150); }
ProductGeometry product_b() { return yf::test::make_product("PB", 200, 2.5, 20, 25, 10, 8, -100, 100); }

BinMap make_map(const ProductGeometry& p, std::int16_t base) {
  BinMap m;
  m.rows = p.rows;
  m.cols = p.cols;
  m.bins.resize(static_cast<std::size_t>(p.rows * p.cols));
  for (std::size_t i = 0; i < m.bins.size(); ++i) m.bins[i] = static_cast<std::int16_t>((static_cast<int>(i) + base) % 9 - 1);
  return m;
}

WaferRecord wafer(const std::string& id, const std::string& product, int slot) {
  WaferRecord w;
  w.meta.wafer_id = id;
  w.meta.lot_id = "L2311";
  w.meta.slot = slot;
  w.meta.fab = "FAB14";
  w.meta.tool = "KLA-01";
  w.meta.product = product;
  w.meta.step = "M1_CMP";
  w.meta.timestamp = 1700000000 + slot;
  w.meta.image_row = 42;       // ignored: the writer assigns these four
  w.meta.binmap_row = 42;
  w.meta.defect_begin = 42;
  w.meta.defect_count = 42;
  return w;
}

// The small file most tests look at: 4 wafers over 2 products.
void write_small(const std::string& path, StringKind strings, int gzip = 4) {
  DatasetWriter w(path, {strings, gzip});
  w.add_product(product_a());
  w.add_product(product_b());
  w.set_defect_classes({{0, "UNCLASSIFIED", false}, {1, "PARTICLE", true}});
  w.set_bins({{1, "PASS", true}, {3, "OPEN", false}});
  w.set_calibration("KLA-01", 0.125, 0.5);

  WaferRecord a = wafer("L2311-01", "PA", 1);
  a.binmap = make_map(product_a(), 0);
  a.defects = {{1.5, -2.5, 0.3, 1}, {10, 20, 1.25, 0}};
  a.history = {{"POLY_ETCH", "ETCH-03", "PM2", 1699990000}, {"M1_CMP", "CMP-01", "CH-A", 1699995000}};
  a.truth = WaferTruth{"center", 3, 500, 600, {{1.5, -2.5, 0.3, "killer"}}, {}, {}};
  CHECK(w.append_wafer(a) == 0);

  WaferRecord b = wafer("L2311-02", "PB", 2);
  b.binmap = make_map(product_b(), 1);
  CHECK(w.append_wafer(b) == 1);

  WaferRecord c = wafer("L2311-03", "PA", 3);  // no bin map, 3 defects
  c.defects = {{0, 0, 1, 1}, {1, 1, 1, 1}, {2, 2, 2, 5}};
  CHECK(w.append_wafer(c) == 2);

  WaferRecord d = wafer("L2311-04", "PA", 4);
  d.binmap = make_map(product_a(), 2);
  d.truth = WaferTruth{"none", 0, 700, 700, {}, {}, {}};
  CHECK(w.append_wafer(d) == 3);
  w.finish();
}

}  // namespace

TEST_CASE("DatasetWriter: root attributes and products", "[io][writer]") {
  TempDir tmp;
  const std::string path = tmp.file("small.h5");
  write_small(path, StringKind::fixed);
  Id f = open_file(path);

  Id fmt{H5Aopen(f, "format", H5P_DEFAULT), H5Aclose};
  Id fmt_type{H5Aget_type(fmt), H5Tclose};
  CHECK(H5Tget_class(fmt_type) == H5T_STRING);
  CHECK(H5Tis_variable_str(fmt_type) == 0);
  std::vector<char> value(H5Tget_size(fmt_type) + 1, '\0');
  H5Aread(fmt, fmt_type, value.data());
  CHECK(std::string(value.data()) == "yieldflow-inspection");
  CHECK(attr_class(f, "/", "format_version") == H5T_INTEGER);
  CHECK(attr_int(f, "/", "format_version") == 1);

  const ProductGeometry a = product_a();
  CHECK(attr_class(f, "/products/PA", "wafer_diameter_mm") == H5T_FLOAT);
  CHECK(attr_real(f, "/products/PA", "wafer_diameter_mm") == 300);
  CHECK(attr_real(f, "/products/PA", "edge_exclusion_mm") == 3);
  CHECK(attr_real(f, "/products/PA", "die_width_mm") == 10);
  CHECK(attr_real(f, "/products/PA", "die_height_mm") == 12);
  CHECK(attr_class(f, "/products/PA", "cols") == H5T_INTEGER);
  CHECK(attr_int(f, "/products/PA", "cols") == 30);
  CHECK(attr_int(f, "/products/PA", "rows") == 25);
  CHECK(attr_real(f, "/products/PA", "grid_x0_mm") == -150);
  CHECK(attr_real(f, "/products/PA", "grid_y0_mm") == 150);
  CHECK(attr_real(f, "/products/PB", "edge_exclusion_mm") == 2.5);

  CHECK(attr_real(f, "/calibration/KLA-01", "mm_per_px") == 0.125);
  CHECK(attr_real(f, "/calibration/KLA-01", "rotation_deg") == 0.5);
  CHECK(attr_class(f, "/calibration/KLA-01", "mm_per_px") == H5T_FLOAT);
}

TEST_CASE("DatasetWriter: /wafers columns, types and row assignment", "[io][writer]") {
  TempDir tmp;
  const std::string path = tmp.file("small.h5");
  write_small(path, StringKind::fixed);
  Id f = open_file(path);

  CHECK(member_names(f, "/wafers") ==
        std::vector<std::string>{"wafer_id", "lot_id", "slot", "fab", "tool", "product", "step", "timestamp",
                                 "image_row", "binmap_row", "defect_begin", "defect_count"});
  auto fixed_size = [&](const std::string& ds, const std::string& col) {
    Id t = member_type(f, ds, col);
    REQUIRE(H5Tget_class(t) == H5T_STRING);
    CHECK(H5Tis_variable_str(t) == 0);
    CHECK(H5Tget_strpad(t) == H5T_STR_NULLPAD);
    CHECK(H5Tget_cset(t) == H5T_CSET_ASCII);
    return H5Tget_size(t);
  };
  CHECK(fixed_size("/wafers", "wafer_id") == 32);
  CHECK(fixed_size("/wafers", "lot_id") == 32);
  CHECK(fixed_size("/wafers", "fab") == 16);
  CHECK(fixed_size("/wafers", "tool") == 32);
  CHECK(fixed_size("/wafers", "product") == 32);
  CHECK(fixed_size("/wafers", "step") == 32);
  CHECK(fixed_size("/history", "chamber") == 16);
  CHECK(fixed_size("/history", "step") == 32);
  CHECK(fixed_size("/truth/wafers", "pattern") == 16);
  CHECK(fixed_size("/truth/defects", "kind") == 16);
  CHECK(fixed_size("/defect_classes", "name") == 32);
  CHECK(fixed_size("/bins", "name") == 32);
  {
    Id slot = member_type(f, "/wafers", "slot");
    CHECK(H5Tequal(slot, H5T_STD_I32LE) > 0);
    Id ts = member_type(f, "/wafers", "timestamp");
    CHECK(H5Tequal(ts, H5T_STD_I64LE) > 0);
    Id cls = member_type(f, "/defects", "class_id");
    CHECK(H5Tequal(cls, H5T_STD_I32LE) > 0);
    Id x = member_type(f, "/defects", "x_mm");
    CHECK(H5Tequal(x, H5T_IEEE_F64LE) > 0);
    Id killer = member_type(f, "/defect_classes", "killer");
    CHECK(H5Tequal(killer, H5T_STD_U8LE) > 0);
    Id bin = member_type(f, "/bins", "bin");
    CHECK(H5Tequal(bin, H5T_STD_I16LE) > 0);
    Id pass = member_type(f, "/bins", "pass");
    CHECK(H5Tequal(pass, H5T_STD_U8LE) > 0);
  }
  // Null padding, no terminator needed.
  std::vector<char> raw = read_fixed_raw(f, "/wafers", "wafer_id", 0);
  REQUIRE(raw.size() == 32);
  CHECK(std::string(raw.data(), 8) == "L2311-01");
  for (std::size_t i = 8; i < raw.size(); ++i) CHECK(raw[i] == '\0');

  CHECK(read_strings(f, "/wafers", "wafer_id") ==
        std::vector<std::string>{"L2311-01", "L2311-02", "L2311-03", "L2311-04"});
  CHECK(read_strings(f, "/wafers", "product") == std::vector<std::string>{"PA", "PB", "PA", "PA"});
  CHECK(read_ints(f, "/wafers", "slot") == std::vector<std::int64_t>{1, 2, 3, 4});
  CHECK(read_ints(f, "/wafers", "image_row") == std::vector<std::int64_t>{-1, -1, -1, -1});
  CHECK(read_ints(f, "/wafers", "binmap_row") == std::vector<std::int64_t>{0, 0, -1, 1});
  CHECK(read_ints(f, "/wafers", "defect_begin") == std::vector<std::int64_t>{0, 2, 2, 5});
  CHECK(read_ints(f, "/wafers", "defect_count") == std::vector<std::int64_t>{2, 0, 3, 0});

  CHECK(read_ints(f, "/defects", "wafer_row") == std::vector<std::int64_t>{0, 0, 2, 2, 2});
  CHECK(read_reals(f, "/defects", "x_mm") == std::vector<double>{1.5, 10, 0, 1, 2});
  CHECK(read_reals(f, "/defects", "size_um") == std::vector<double>{0.3, 1.25, 1, 1, 2});
  CHECK(read_ints(f, "/defects", "class_id") == std::vector<std::int64_t>{1, 0, 1, 1, 5});

  CHECK(read_ints(f, "/history", "wafer_row") == std::vector<std::int64_t>{0, 0});
  CHECK(read_strings(f, "/history", "tool") == std::vector<std::string>{"ETCH-03", "CMP-01"});
  CHECK(read_strings(f, "/history", "chamber") == std::vector<std::string>{"PM2", "CH-A"});

  CHECK(member_names(f, "/truth/wafers") ==
        std::vector<std::string>{"wafer_row", "pattern", "killed_dies", "good_dies", "tested_dies"});
  CHECK(read_ints(f, "/truth/wafers", "wafer_row") == std::vector<std::int64_t>{0, 3});
  CHECK(read_strings(f, "/truth/wafers", "pattern") == std::vector<std::string>{"center", "none"});
  CHECK(read_ints(f, "/truth/wafers", "killed_dies") == std::vector<std::int64_t>{3, 0});
  CHECK(read_ints(f, "/truth/wafers", "good_dies") == std::vector<std::int64_t>{500, 700});
  CHECK(read_ints(f, "/truth/wafers", "tested_dies") == std::vector<std::int64_t>{600, 700});
  CHECK(read_strings(f, "/truth/defects", "kind") == std::vector<std::string>{"killer"});

  CHECK(read_ints(f, "/defect_classes", "class_id") == std::vector<std::int64_t>{0, 1});
  CHECK(read_ints(f, "/defect_classes", "killer") == std::vector<std::int64_t>{0, 1});
  CHECK(read_strings(f, "/bins", "name") == std::vector<std::string>{"PASS", "OPEN"});
  CHECK(read_ints(f, "/bins", "pass") == std::vector<std::int64_t>{1, 0});
}

TEST_CASE("DatasetWriter: bin maps per product", "[io][writer]") {
  TempDir tmp;
  const std::string path = tmp.file("small.h5");
  write_small(path, StringKind::fixed);
  Id f = open_file(path);
  CHECK(shape(f, "/binmaps/PA") == std::vector<hsize_t>{2, 25, 30});
  CHECK(shape(f, "/binmaps/PB") == std::vector<hsize_t>{1, 8, 10});
  std::vector<std::int16_t> pa = read_binmaps(f, "/binmaps/PA");
  std::vector<std::int16_t> expect = make_map(product_a(), 0).bins;
  std::vector<std::int16_t> second = make_map(product_a(), 2).bins;
  expect.insert(expect.end(), second.begin(), second.end());
  CHECK(pa == expect);
  CHECK(read_binmaps(f, "/binmaps/PB") == make_map(product_b(), 1).bins);

  Id d = open_dataset(f, "/binmaps/PA");
  Id type{H5Dget_type(d), H5Tclose};
  CHECK(H5Tequal(type, H5T_STD_I16LE) > 0);
  Id dcpl{H5Dget_create_plist(d), H5Pclose};
  CHECK(H5Pget_layout(dcpl) == H5D_CHUNKED);
  hsize_t chunk[3] = {0, 0, 0};
  REQUIRE(H5Pget_chunk(dcpl, 3, chunk) == 3);
  CHECK(chunk[0] == 64);
  CHECK(chunk[1] == 25);
  CHECK(chunk[2] == 30);
  CHECK(H5Pget_nfilters(dcpl) == 2);  // shuffle + deflate
  Id space{H5Dget_space(d), H5Sclose};
  hsize_t maxdims[3];
  H5Sget_simple_extent_dims(space, nullptr, maxdims);
  CHECK(maxdims[0] == H5S_UNLIMITED);
}

TEST_CASE("DatasetWriter: gzip_level 0 writes no filters", "[io][writer]") {
  TempDir tmp;
  const std::string path = tmp.file("plain.h5");
  write_small(path, StringKind::fixed, 0);
  Id f = open_file(path);
  for (const char* ds : {"/binmaps/PA", "/wafers", "/defects"}) {
    Id d = open_dataset(f, ds);
    Id dcpl{H5Dget_create_plist(d), H5Pclose};
    CHECK(H5Pget_nfilters(dcpl) == 0);
  }
  CHECK(read_binmaps(f, "/binmaps/PB") == make_map(product_b(), 1).bins);
}

TEST_CASE("DatasetWriter: variable-length UTF-8 strings in the same columns", "[io][writer]") {
  TempDir tmp;
  const std::string path = tmp.file("vlen.h5");
  {
    DatasetWriter w(path, {StringKind::variable, 4});
    w.add_product(product_a());
    WaferRecord a = wafer("a-wafer-id-that-is-much-longer-than-thirty-two-bytes", "PA", 1);
    a.meta.fab = "FAB\xC3\xA9-Cr\xC3\xA9teil";  // UTF-8, longer than 16 bytes
    a.history = {{"ETCH", "ETCH-01", "chamber-with-a-long-name", 5}};
    w.append_wafer(a);
    w.append_wafer(wafer("L2311-02", "PA", 2));
    w.finish();
  }
  Id f = open_file(path);
  for (const char* col : {"wafer_id", "lot_id", "fab", "tool", "product", "step"}) {
    Id t = member_type(f, "/wafers", col);
    CHECK(H5Tget_class(t) == H5T_STRING);
    CHECK(H5Tis_variable_str(t) > 0);
    CHECK(H5Tget_cset(t) == H5T_CSET_UTF8);
  }
  CHECK(read_strings(f, "/wafers", "wafer_id") ==
        std::vector<std::string>{"a-wafer-id-that-is-much-longer-than-thirty-two-bytes", "L2311-02"});
  CHECK(read_strings(f, "/wafers", "fab")[0] == "FAB\xC3\xA9-Cr\xC3\xA9teil");
  CHECK(read_strings(f, "/history", "chamber")[0] == "chamber-with-a-long-name");
  // The format attribute stays a fixed-length string.
  Id fmt{H5Aopen(f, "format", H5P_DEFAULT), H5Aclose};
  Id fmt_type{H5Aget_type(fmt), H5Tclose};
  CHECK(H5Tis_variable_str(fmt_type) == 0);
}

TEST_CASE("DatasetWriter: rejects too-long strings, wrong bin maps, unknown products", "[io][writer]") {
  TempDir tmp;
  const std::string path = tmp.file("reject.h5");
  DatasetWriter w(path);
  w.add_product(product_a());

  WaferRecord ok32 = wafer(std::string(32, 'W'), "PA", 1);  // exactly S32 fits
  CHECK(w.append_wafer(ok32) == 0);

  WaferRecord long_id = wafer(std::string(33, 'W'), "PA", 2);
  CHECK_THROWS_AS(w.append_wafer(long_id), std::invalid_argument);
  CHECK_THROWS_WITH(w.append_wafer(long_id), Catch::Contains("wafer_id") && Catch::Contains("S32"));

  WaferRecord long_fab = wafer("L1-02", "PA", 2);
  long_fab.meta.fab = std::string(17, 'F');
  CHECK_THROWS_WITH(w.append_wafer(long_fab), Catch::Contains("/wafers column fab") && Catch::Contains("S16"));

  WaferRecord non_ascii = wafer("L1-02", "PA", 2);
  non_ascii.meta.tool = "KL\xC3\x84";
  CHECK_THROWS_WITH(w.append_wafer(non_ascii), Catch::Contains("tool") && Catch::Contains("ASCII"));

  WaferRecord long_chamber = wafer("L1-02", "PA", 2);
  long_chamber.history = {{"ETCH", "ETCH-01", std::string(17, 'C'), 1}};
  CHECK_THROWS_WITH(w.append_wafer(long_chamber), Catch::Contains("/history column chamber"));

  WaferRecord long_pattern = wafer("L1-02", "PA", 2);
  long_pattern.truth = WaferTruth{std::string(17, 'p'), -1, -1, -1, {}, {}, {}};
  CHECK_THROWS_WITH(w.append_wafer(long_pattern), Catch::Contains("/truth/wafers column pattern"));

  WaferRecord wrong_shape = wafer("L1-02", "PA", 2);
  wrong_shape.binmap = make_map(product_b(), 0);
  CHECK_THROWS_AS(w.append_wafer(wrong_shape), std::invalid_argument);
  WaferRecord short_map = wafer("L1-02", "PA", 2);
  short_map.binmap = make_map(product_a(), 0);
  short_map.binmap->bins.pop_back();
  CHECK_THROWS_WITH(w.append_wafer(short_map), Catch::Contains("bin map"));

  WaferRecord unknown = wafer("L1-02", "PX", 2);
  CHECK_THROWS_WITH(w.append_wafer(unknown), Catch::Contains("PX"));

  CHECK_THROWS_AS(w.add_product(product_a()), std::invalid_argument);  // twice
  ProductGeometry bad = product_b();
  bad.cols = 0;
  CHECK_THROWS_AS(w.add_product(bad), std::invalid_argument);
  ProductGeometry slash = product_b();
  slash.name = "a/b";
  CHECK_THROWS_AS(w.add_product(slash), std::invalid_argument);
  CHECK_THROWS_AS(w.set_bins({{1, std::string(33, 'n'), true}}), std::invalid_argument);

  // Rejected wafers leave no trace: the next wafer is row 1 with the right defect rows.
  WaferRecord next = wafer("L1-02", "PA", 2);
  next.binmap = make_map(product_a(), 0);
  next.defects = {{1, 1, 1, 1}};
  CHECK(w.append_wafer(next) == 1);
  w.finish();
  CHECK_THROWS_AS(w.append_wafer(next), std::logic_error);

  Id f = open_file(path);
  CHECK(rows(f, "/wafers") == 2);
  CHECK(read_strings(f, "/wafers", "wafer_id")[0] == std::string(32, 'W'));
  CHECK(read_ints(f, "/wafers", "binmap_row") == std::vector<std::int64_t>{-1, 0});
  CHECK(read_ints(f, "/wafers", "defect_begin") == std::vector<std::int64_t>{0, 0});
  CHECK(rows(f, "/defects") == 1);
  CHECK_FALSE(exists(f, "/history"));
  CHECK_FALSE(exists(f, "/truth"));
}

TEST_CASE("DatasetWriter: optional tables only when given", "[io][writer]") {
  TempDir tmp;
  SECTION("bare file: /wafers and /products only") {
    const std::string path = tmp.file("bare.h5");
    {
      DatasetWriter w(path);
      w.add_product(product_b());
      w.append_wafer(wafer("L-01", "PB", 1));
      w.finish();
    }
    Id f = open_file(path);
    CHECK(rows(f, "/wafers") == 1);
    CHECK(exists(f, "/products/PB"));
    for (const char* name : {"/defects", "/binmaps", "/history", "/truth", "/bins", "/defect_classes", "/calibration",
                             "/images"})
      CHECK_FALSE(exists(f, name));
  }
  SECTION("no wafers at all: an empty /wafers") {
    const std::string path = tmp.file("empty.h5");
    {
      DatasetWriter w(path);
      w.finish();
    }
    Id f = open_file(path);
    CHECK(rows(f, "/wafers") == 0);
    CHECK(exists(f, "/products"));
  }
  SECTION("a class table makes an empty /defects") {
    const std::string path = tmp.file("classes.h5");
    {
      DatasetWriter w(path);
      w.add_product(product_b());
      w.set_defect_classes({{1, "PARTICLE", true}});
      w.append_wafer(wafer("L-01", "PB", 1));
      w.finish();
    }
    Id f = open_file(path);
    REQUIRE(exists(f, "/defects"));
    CHECK(rows(f, "/defects") == 0);
    CHECK(member_names(f, "/defects") ==
          std::vector<std::string>{"wafer_row", "x_mm", "y_mm", "size_um", "class_id"});
  }
  SECTION("truth without defects still has an empty /truth/defects") {
    const std::string path = tmp.file("truth.h5");
    {
      DatasetWriter w(path);
      w.add_product(product_b());
      WaferRecord r = wafer("L-01", "PB", 1);
      r.truth = WaferTruth{"none", 0, -1, -1, {}, {}, {}};
      w.append_wafer(r);
      w.finish();
    }
    Id f = open_file(path);
    CHECK(rows(f, "/truth/wafers") == 1);
    CHECK(rows(f, "/truth/defects") == 0);
  }
}

TEST_CASE("DatasetWriter: the file appears atomically", "[io][writer]") {
  TempDir tmp;
  const std::string path = tmp.file("atomic.h5");
  const std::string temp = path + ".tmp-" + std::to_string(::getpid());
  SECTION("renamed on finish") {
    DatasetWriter w(path);
    w.add_product(product_a());
    w.append_wafer(wafer("L-01", "PA", 1));
    CHECK(fs::exists(temp));
    CHECK_FALSE(fs::exists(path));
    w.finish();
    CHECK(fs::exists(path));
    CHECK_FALSE(fs::exists(temp));
  }
  SECTION("removed without finish") {
    {
      DatasetWriter w(path);
      w.add_product(product_a());
      w.append_wafer(wafer("L-01", "PA", 1));
      CHECK(fs::exists(temp));
    }
    CHECK_FALSE(fs::exists(temp));
    CHECK_FALSE(fs::exists(path));
  }
  SECTION("an existing file is replaced only on finish") {
    write_small(path, StringKind::fixed);
    const auto before = file_bytes(path);
    {
      DatasetWriter w(path);
      w.add_product(product_a());
      w.append_wafer(wafer("L-01", "PA", 1));
    }  // abandoned
    CHECK(file_bytes(path) == before);
    {
      DatasetWriter w(path);
      w.add_product(product_a());
      w.append_wafer(wafer("L-01", "PA", 1));
      w.finish();
    }
    CHECK(file_bytes(path) != before);
    Id f = open_file(path);
    CHECK(rows(f, "/wafers") == 1);
  }
  SECTION("an unwritable directory throws") {
    CHECK_THROWS_AS(DatasetWriter(tmp.file("no/such/dir/x.h5")), std::runtime_error);
  }
}

TEST_CASE("DatasetWriter: byte-deterministic, no object times", "[io][writer]") {
  TempDir tmp;
  for (StringKind kind : {StringKind::fixed, StringKind::variable}) {
    const std::string p1 = tmp.file("d1.h5"), p2 = tmp.file("d2.h5");
    write_small(p1, kind);
    std::this_thread::sleep_for(std::chrono::milliseconds(1100));  // a tracked time would differ
    write_small(p2, kind);
    CHECK(file_bytes(p1) == file_bytes(p2));
    Id f = open_file(p1);
    for (const char* obj : {"/", "/wafers", "/products", "/products/PA", "/binmaps/PA", "/truth/wafers"}) {
      H5O_info_t info;
      REQUIRE(H5Oget_info_by_name2(f, obj, &info, H5O_INFO_TIME, H5P_DEFAULT) >= 0);
      CHECK(info.ctime == 0);
      CHECK(info.mtime == 0);
    }
  }
}

TEST_CASE("DatasetWriter: streams many wafers in batches", "[io][writer]") {
  TempDir tmp;
  const std::string path = tmp.file("many.h5");
  const int n = 2600;  // crosses the 1024-wafer and 8192-row batches and the 64-map chunks
  ProductGeometry small = product_b();
  {
    DatasetWriter w(path);
    w.add_product(small);
    for (int i = 0; i < n; ++i) {
      WaferRecord r = wafer("W" + std::to_string(i), "PB", i % 25 + 1);
      if (i % 3 != 0) r.binmap = make_map(small, static_cast<std::int16_t>(i));
      for (int k = 0; k < i % 7; ++k) r.defects.push_back({double(i), double(k), 0.5, k});
      r.history = {{"ETCH", "ETCH-0" + std::to_string(i % 3), "PM1", i}};
      CHECK(w.append_wafer(r) == static_cast<std::size_t>(i));
    }
    w.finish();
  }
  Id f = open_file(path);
  REQUIRE(rows(f, "/wafers") == n);
  auto ids = read_strings(f, "/wafers", "wafer_id");
  auto binmap_row = read_ints(f, "/wafers", "binmap_row");
  auto begin = read_ints(f, "/wafers", "defect_begin");
  auto count = read_ints(f, "/wafers", "defect_count");
  auto x = read_reals(f, "/defects", "x_mm");
  auto defect_wafer = read_ints(f, "/defects", "wafer_row");
  std::vector<std::int16_t> maps = read_binmaps(f, "/binmaps/PB");
  std::int64_t next_map = 0, next_defect = 0;
  const std::size_t cells = static_cast<std::size_t>(small.rows * small.cols);
  for (int i = 0; i < n; ++i) {
    const auto u = static_cast<std::size_t>(i);
    REQUIRE(ids[u] == "W" + std::to_string(i));
    if (i % 3 != 0) {
      REQUIRE(binmap_row[u] == next_map);
      const auto first = static_cast<std::size_t>(next_map) * cells;
      REQUIRE(std::vector<std::int16_t>(maps.begin() + static_cast<std::ptrdiff_t>(first),
                                        maps.begin() + static_cast<std::ptrdiff_t>(first + cells)) ==
              make_map(small, static_cast<std::int16_t>(i)).bins);
      ++next_map;
    } else {
      REQUIRE(binmap_row[u] == -1);
    }
    REQUIRE(begin[u] == next_defect);
    REQUIRE(count[u] == i % 7);
    for (std::int64_t k = 0; k < count[u]; ++k) {
      REQUIRE(defect_wafer[static_cast<std::size_t>(next_defect + k)] == i);
      REQUIRE(x[static_cast<std::size_t>(next_defect + k)] == double(i));
    }
    next_defect += count[u];
  }
  CHECK(shape(f, "/binmaps/PB")[0] == static_cast<hsize_t>(next_map));
  CHECK(rows(f, "/defects") == static_cast<std::size_t>(next_defect));
  CHECK(rows(f, "/history") == n);
}

TEST_CASE("DatasetWriter: two writers on two threads", "[io][writer]") {
  TempDir tmp;
  auto work = [&](const std::string& path) {
    DatasetWriter w(path);
    w.add_product(product_b());
    for (int i = 0; i < 300; ++i) {
      WaferRecord r = wafer("W" + std::to_string(i), "PB", 1);
      r.binmap = make_map(product_b(), static_cast<std::int16_t>(i));
      r.defects = {{1, 2, 3, 4}};
      w.append_wafer(r);
    }
    w.finish();
  };
  std::thread t1(work, tmp.file("t1.h5"));
  std::thread t2(work, tmp.file("t2.h5"));
  t1.join();
  t2.join();
  CHECK(file_bytes(tmp.file("t1.h5")) == file_bytes(tmp.file("t2.h5")));
  Id f = open_file(tmp.file("t1.h5"));
  CHECK(rows(f, "/wafers") == 300);
  CHECK(shape(f, "/binmaps/PB")[0] == 300);
}
