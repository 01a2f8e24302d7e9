// The sample generator: determinism, the committed samples, and the realism list,
// all read back with the raw HDF5 C API (tests/samples/RawH5.hpp).
#include "samples/SampleGenerator.hpp"

#include <unistd.h>

#include <catch2/catch.hpp>
#include <cmath>
#include <filesystem>
#include <map>
#include <set>
#include <string>
#include <vector>

#include "RawH5.hpp"
#include "TestPaths.hpp"
#include "io/Hdf5Handle.hpp"
#include "support/TempDir.hpp"

namespace fs = std::filesystem;
using namespace yf;
using namespace yf::rawh5;

namespace {

using yf::test::TempDir;

std::vector<std::string> generate(const fs::path& dir, std::uint64_t seed, int wafers, int files = 0,
                                  bool defects = true, StringKind strings = StringKind::fixed) {
  SampleOptions o;
  o.seed = seed;
  o.wafers = wafers;
  o.out_dir = dir.string();
  o.files = files;
  o.defects = defects;
  o.strings = strings;
  return generate_samples(o);
}

// Everything the realism checks need from one file.
struct Loaded {
  std::string path;
  std::map<std::string, ProductGeometry> products;
  std::map<std::int64_t, bool> killer_class;  // /defect_classes
  std::set<std::int64_t> pass_bins;
  std::vector<std::string> wafer_id, lot_id, fab, product, step, tool;
  std::vector<std::int64_t> slot, timestamp, image_row, binmap_row, defect_begin, defect_count;
  std::vector<std::int64_t> d_wafer, d_class;
  std::vector<double> d_x, d_y;
  std::vector<std::int64_t> h_wafer, h_time;
  std::vector<std::string> h_step, h_tool, h_chamber;
  std::vector<std::int64_t> t_row, t_killed, t_good, t_tested;
  std::vector<std::string> t_pattern;
  std::vector<std::int64_t> td_wafer;
  std::vector<double> td_x, td_y;
  std::vector<std::string> td_kind;
  std::map<std::string, std::vector<std::int16_t>> binmaps;

  explicit Loaded(const std::string& p) : path(p) {
    Id f = open_file(p);
    Id products_group = open_group(f, "/products");
    H5G_info_t info;
    H5Gget_info(products_group, &info);
    for (hsize_t i = 0; i < info.nlinks; ++i) {
      char name[64];
      H5Lget_name_by_idx(products_group, ".", H5_INDEX_NAME, H5_ITER_INC, i, name, sizeof name, H5P_DEFAULT);
      const std::string obj = std::string("/products/") + name;
      ProductGeometry g;
      g.name = name;
      g.wafer_diameter_mm = attr_real(f, obj, "wafer_diameter_mm");
      g.edge_exclusion_mm = attr_real(f, obj, "edge_exclusion_mm");
      g.die_width_mm = attr_real(f, obj, "die_width_mm");
      g.die_height_mm = attr_real(f, obj, "die_height_mm");
      g.cols = static_cast<int>(attr_int(f, obj, "cols"));
      g.rows = static_cast<int>(attr_int(f, obj, "rows"));
      g.grid_x0_mm = attr_real(f, obj, "grid_x0_mm");
      g.grid_y0_mm = attr_real(f, obj, "grid_y0_mm");
      products[name] = g;
      if (exists(f, "/binmaps/" + std::string(name))) binmaps[name] = read_binmaps(f, "/binmaps/" + std::string(name));
    }
    if (exists(f, "/defect_classes")) {
      auto ids = read_ints(f, "/defect_classes", "class_id");
      auto killer = read_ints(f, "/defect_classes", "killer");
      for (std::size_t i = 0; i < ids.size(); ++i) killer_class[ids[i]] = killer[i] != 0;
    }
    auto bins = read_ints(f, "/bins", "bin");
    auto pass = read_ints(f, "/bins", "pass");
    for (std::size_t i = 0; i < bins.size(); ++i)
      if (pass[i]) pass_bins.insert(bins[i]);
    wafer_id = read_strings(f, "/wafers", "wafer_id");
    lot_id = read_strings(f, "/wafers", "lot_id");
    fab = read_strings(f, "/wafers", "fab");
    product = read_strings(f, "/wafers", "product");
    step = read_strings(f, "/wafers", "step");
    tool = read_strings(f, "/wafers", "tool");
    slot = read_ints(f, "/wafers", "slot");
    timestamp = read_ints(f, "/wafers", "timestamp");
    image_row = read_ints(f, "/wafers", "image_row");
    binmap_row = read_ints(f, "/wafers", "binmap_row");
    defect_begin = read_ints(f, "/wafers", "defect_begin");
    defect_count = read_ints(f, "/wafers", "defect_count");
    if (exists(f, "/defects")) {
      d_wafer = read_ints(f, "/defects", "wafer_row");
      d_class = read_ints(f, "/defects", "class_id");
      d_x = read_reals(f, "/defects", "x_mm");
      d_y = read_reals(f, "/defects", "y_mm");
    }
    h_wafer = read_ints(f, "/history", "wafer_row");
    h_time = read_ints(f, "/history", "timestamp");
    h_step = read_strings(f, "/history", "step");
    h_tool = read_strings(f, "/history", "tool");
    h_chamber = read_strings(f, "/history", "chamber");
    t_row = read_ints(f, "/truth/wafers", "wafer_row");
    t_pattern = read_strings(f, "/truth/wafers", "pattern");
    t_killed = read_ints(f, "/truth/wafers", "killed_dies");
    t_good = read_ints(f, "/truth/wafers", "good_dies");
    t_tested = read_ints(f, "/truth/wafers", "tested_dies");
    td_wafer = read_ints(f, "/truth/defects", "wafer_row");
    td_x = read_reals(f, "/truth/defects", "x_mm");
    td_y = read_reals(f, "/truth/defects", "y_mm");
    td_kind = read_strings(f, "/truth/defects", "kind");
  }

  std::size_t wafers() const { return wafer_id.size(); }
  std::vector<std::int16_t> binmap(std::size_t w) const {
    const ProductGeometry& g = products.at(product[w]);
    const auto cells = static_cast<std::size_t>(g.rows * g.cols);
    const auto& all = binmaps.at(product[w]);
    const auto first = static_cast<std::ptrdiff_t>(static_cast<std::size_t>(binmap_row[w]) * cells);
    return {all.begin() + first, all.begin() + first + static_cast<std::ptrdiff_t>(cells)};
  }
  bool is_killer(std::int64_t cls) const {
    auto it = killer_class.find(cls);
    return it == killer_class.end() || it->second;
  }
};

// The spec's geometry, written again here (not the generator's code).
bool corners_inside(const ProductGeometry& g, int c, int r, double radius) {
  const double xs[2] = {g.grid_x0_mm + c * g.die_width_mm, g.grid_x0_mm + (c + 1) * g.die_width_mm};
  const double ys[2] = {g.grid_y0_mm - r * g.die_height_mm, g.grid_y0_mm - (r + 1) * g.die_height_mm};
  for (double x : xs)
    for (double y : ys)
      if (!(x * x + y * y < radius * radius)) return false;
  return true;
}
bool is_product_die(const ProductGeometry& g, int c, int r) {
  return corners_inside(g, c, r, g.wafer_diameter_mm / 2 - g.edge_exclusion_mm);
}
// Die holding (x, y): x in [x0 + c*w, x0 + (c+1)*w), y in (y0 - (r+1)*h, y0 - r*h]; -1 when outside.
std::pair<int, int> die_of(const ProductGeometry& g, double x, double y) {
  const int c = static_cast<int>(std::floor((x - g.grid_x0_mm) / g.die_width_mm));
  const int r = static_cast<int>(std::floor((g.grid_y0_mm - y) / g.die_height_mm));
  if (c < 0 || r < 0 || c >= g.cols || r >= g.rows) return {-1, -1};
  return {c, r};
}

double sort_yield(const Loaded& f, std::size_t w) {
  std::int64_t good = 0, tested = 0;
  for (std::int16_t b : f.binmap(w)) {
    if (b == -1) continue;
    ++tested;
    good += f.pass_bins.count(b) ? 1 : 0;
  }
  return tested ? double(good) / double(tested) : 0;
}

bool ran_excursion(const Loaded& f, std::size_t w) {
  for (std::size_t i = 0; i < f.h_wafer.size(); ++i)
    if (f.h_wafer[i] == static_cast<std::int64_t>(w) && f.h_step[i] == kSampleExcursionStep &&
        f.h_tool[i] == kSampleExcursionTool)
      return true;
  return false;
}

}  // namespace

TEST_CASE("samples: same seed gives byte-identical files, another seed differs", "[samples]") {
  TempDir a, b, c;
  auto pa = generate(a.path(), 7, 60);
  auto pb = generate(b.path(), 7, 60);
  auto pc = generate(c.path(), 8, 60);
  REQUIRE(pa.size() == 2);
  REQUIRE(pb.size() == 2);
  CHECK(fs::path(pa[0]).filename() == "fab14.h5");
  CHECK(fs::path(pa[1]).filename() == "fab7.h5");
  for (std::size_t i = 0; i < pa.size(); ++i) {
    CHECK(file_bytes(pa[i]) == file_bytes(pb[i]));
    CHECK(file_bytes(pa[i]) != file_bytes(pc[i]));
  }
  // Variable-length strings: deterministic as well.
  TempDir va, vb;
  auto qa = generate(va.path(), 7, 30, 0, true, StringKind::variable);
  auto qb = generate(vb.path(), 7, 30, 0, true, StringKind::variable);
  for (std::size_t i = 0; i < qa.size(); ++i) CHECK(file_bytes(qa[i]) == file_bytes(qb[i]));
  Id f = open_file(qa[0]);
  Id t = member_type(f, "/wafers", "wafer_id");
  CHECK(H5Tis_variable_str(t) > 0);
}

TEST_CASE("samples: the committed samples are what `yieldflow samples --seed 7 --wafers 100` writes", "[samples]") {
  TempDir d;
  auto paths = generate(d.path(), 7, 100);
  REQUIRE(paths.size() == 2);
  std::uintmax_t total = 0;
  for (const std::string& p : paths) {
    const fs::path committed = fs::path(yf::test::kSamplesDir) / fs::path(p).filename();
    INFO("regenerate with: yieldflow samples --seed 7 --wafers 100 -o samples/data  (" << committed << ")");
    REQUIRE(fs::exists(committed));
    CHECK(file_bytes(p) == file_bytes(committed.string()));
    total += fs::file_size(committed);
  }
  CHECK(total < 3u * 1024 * 1024);
}

TEST_CASE("samples: 100 wafers meet the realism list", "[samples]") {
  TempDir d;
  auto paths = generate(d.path(), 7, 100);
  std::vector<Loaded> files;
  for (const auto& p : paths) files.emplace_back(p);

  std::set<std::string> fabs, patterns, tools_at_excursion_step;
  std::map<std::string, double> diameter;
  std::map<std::string, std::set<std::int64_t>> lot_slots;
  std::map<std::string, int> lot_size;
  std::vector<double> excursion_yield, other_yield;
  std::set<std::int64_t> classes_seen;
  std::size_t wafers = 0;
  for (const Loaded& f : files) {
    INFO(f.path);
    wafers += f.wafers();
    std::set<std::string> fabs_here(f.fab.begin(), f.fab.end());
    CHECK(fabs_here.size() == 1);  // one file per fab
    fabs.insert(f.fab.begin(), f.fab.end());
    for (const auto& [name, g] : f.products) {
      diameter[name] = g.wafer_diameter_mm;
      // The grid covers the wafer and is centred on it.
      CHECK(g.cols * g.die_width_mm >= g.wafer_diameter_mm);
      CHECK(g.rows * g.die_height_mm >= g.wafer_diameter_mm);
      CHECK(g.grid_x0_mm == Approx(-g.cols * g.die_width_mm / 2));
      CHECK(g.grid_y0_mm == Approx(g.rows * g.die_height_mm / 2));
    }
    // Class 0 is in the table as non-killer; class 99 is missing (so a killer).
    CHECK(f.killer_class.at(0) == false);
    CHECK(f.killer_class.count(99) == 0);
    CHECK(f.pass_bins == std::set<std::int64_t>{1, 2});

    REQUIRE(f.t_row.size() == f.wafers());
    REQUIRE(f.td_wafer.size() == f.d_wafer.size());
    for (std::size_t w = 0; w < f.wafers(); ++w) {
      INFO("wafer " << f.wafer_id[w]);
      lot_slots[f.lot_id[w]].insert(f.slot[w]);
      ++lot_size[f.lot_id[w]];
      CHECK(f.image_row[w] == -1);
      if (w > 0) CHECK(f.timestamp[w] > f.timestamp[w - 1]);
      REQUIRE(f.t_row[w] == static_cast<std::int64_t>(w));
      patterns.insert(f.t_pattern[w]);

      // Truth good/tested agree with the bin map; -1 exactly where no whole die is on the wafer.
      const ProductGeometry& g = f.products.at(f.product[w]);
      const std::vector<std::int16_t> map = f.binmap(w);
      std::int64_t tested = 0, good = 0;
      for (int r = 0; r < g.rows; ++r)
        for (int c = 0; c < g.cols; ++c) {
          const std::int16_t b = map[static_cast<std::size_t>(r * g.cols + c)];
          CHECK((b == -1) == !corners_inside(g, c, r, g.wafer_diameter_mm / 2));
          if (b == -1) continue;
          CHECK(b >= 1);
          CHECK(b <= 8);
          ++tested;
          good += f.pass_bins.count(b) ? 1 : 0;
        }
      CHECK(f.t_tested[w] == tested);
      CHECK(f.t_good[w] == good);

      // Killed dies, recounted from /defects with the spec's rules.
      std::set<std::pair<int, int>> killed;
      for (std::int64_t k = 0; k < f.defect_count[w]; ++k) {
        const auto i = static_cast<std::size_t>(f.defect_begin[w] + k);
        REQUIRE(f.d_wafer[i] == static_cast<std::int64_t>(w));
        REQUIRE(f.td_wafer[i] == static_cast<std::int64_t>(w));
        CHECK(f.td_x[i] == f.d_x[i]);  // truth is row-aligned with /defects
        CHECK(f.td_y[i] == f.d_y[i]);
        CHECK(std::hypot(f.d_x[i], f.d_y[i]) < g.wafer_diameter_mm / 2);
        classes_seen.insert(f.d_class[i]);
        const auto [c, r] = die_of(g, f.d_x[i], f.d_y[i]);
        const bool in_product = c >= 0 && is_product_die(g, c, r);
        if (f.td_kind[i] == "killer") {
          CHECK(f.is_killer(f.d_class[i]));
          REQUIRE(in_product);
          CHECK(f.pass_bins.count(map[static_cast<std::size_t>(r * g.cols + c)]) == 0);  // a failing die
        } else if (f.td_kind[i] == "edge") {
          CHECK_FALSE(in_product);
        } else {
          CHECK(f.td_kind[i] == "nuisance");
          CHECK_FALSE(f.is_killer(f.d_class[i]));
        }
        if (in_product && f.is_killer(f.d_class[i])) killed.insert({c, r});
      }
      CHECK(f.t_killed[w] == static_cast<std::int64_t>(killed.size()));

      // History: the route up to the inspection step, before the inspection.
      std::vector<std::string> steps;
      for (std::size_t i = 0; i < f.h_wafer.size(); ++i)
        if (f.h_wafer[i] == static_cast<std::int64_t>(w)) {
          steps.push_back(f.h_step[i]);
          CHECK(f.h_time[i] < f.timestamp[w]);
          if (f.h_step[i] == kSampleExcursionStep) tools_at_excursion_step.insert(f.h_tool[i]);
          CHECK_FALSE(f.h_chamber[i].empty());
        }
      REQUIRE_FALSE(steps.empty());
      CHECK(steps.front() == "POLY_LITHO");
      CHECK(steps.back() == f.step[w]);

      if (f.fab[w] == "FAB14") (ran_excursion(f, w) ? excursion_yield : other_yield).push_back(sort_yield(f, w));
    }
  }
  CHECK(wafers == 100);
  CHECK(fabs.size() >= 2);
  CHECK(diameter.size() >= 2);
  CHECK(std::set<double>{diameter["P300A"], diameter["P200B"]} == std::set<double>{200, 300});
  CHECK(lot_size.size() == 4);
  for (const auto& [lot, n] : lot_size) {
    INFO(lot);
    CHECK(n == 25);
    CHECK(lot_slots[lot].size() == 25);
    CHECK(*lot_slots[lot].begin() == 1);
    CHECK(*lot_slots[lot].rbegin() == 25);
  }
  for (const std::string& p : sample_patterns()) {
    INFO(p);
    CHECK(patterns.count(p) == 1);
  }
  CHECK(patterns.size() == 9);
  CHECK(classes_seen.count(0) == 1);
  CHECK(classes_seen.count(99) == 1);
  CHECK(tools_at_excursion_step.count(kSampleExcursionTool) == 1);
  CHECK(tools_at_excursion_step.size() >= 3);

  REQUIRE(excursion_yield.size() >= 10);
  REQUIRE(other_yield.size() >= 10);
  auto mean = [](const std::vector<double>& v) {
    double s = 0;
    for (double x : v) s += x;
    return s / double(v.size());
  };
  INFO("excursion mean " << mean(excursion_yield) << " vs " << mean(other_yield));
  CHECK(mean(excursion_yield) < mean(other_yield) - 0.05);
}

TEST_CASE("samples: bin maps only, and any file split, give the same wafers", "[samples]") {
  TempDir full, maps, split;
  auto pf = generate(full.path(), 11, 60);
  auto pm = generate(maps.path(), 11, 60, 0, false);
  auto ps = generate(split.path(), 11, 60, 4);
  REQUIRE(ps.size() == 4);
  CHECK(fs::path(ps[0]).filename() == "sample-000.h5");

  std::map<std::string, std::vector<std::int16_t>> by_id;
  std::map<std::string, std::string> pattern_of;
  std::vector<std::string> order;
  for (const auto& p : pf) {
    Loaded f(p);
    for (std::size_t w = 0; w < f.wafers(); ++w) {
      by_id[f.wafer_id[w]] = f.binmap(w);
      pattern_of[f.wafer_id[w]] = f.t_pattern[w];
    }
  }
  for (const auto& p : pm) {
    Id f = open_file(p);
    CHECK_FALSE(exists(f, "/defects"));
    CHECK_FALSE(exists(f, "/defect_classes"));
    CHECK(rows(f, "/truth/defects") == 0);
    CHECK(read_ints(f, "/truth/wafers", "killed_dies") == std::vector<std::int64_t>(rows(f, "/wafers"), 0));
    Loaded l(p);
    for (std::size_t w = 0; w < l.wafers(); ++w) {
      INFO(l.wafer_id[w]);
      CHECK(l.binmap(w) == by_id.at(l.wafer_id[w]));
      CHECK(l.defect_count[w] == 0);
    }
  }
  std::size_t total = 0;
  for (const auto& p : ps) {
    Loaded l(p);
    total += l.wafers();
    for (std::size_t w = 0; w < l.wafers(); ++w) {
      order.push_back(l.wafer_id[w]);
      CHECK(l.binmap(w) == by_id.at(l.wafer_id[w]));
      CHECK(l.t_pattern[w] == pattern_of.at(l.wafer_id[w]));
    }
  }
  CHECK(total == 60);
  CHECK(order.front() == "N2401-01");
  CHECK(order.back() == "N2403-10");
}

TEST_CASE("samples: --bench-product puts every wafer on the ~2,500-die product, other draws unchanged", "[samples]") {
  TempDir plain, bench;
  auto pp = generate(plain.path(), 5, 50, 1, false);
  SampleOptions o;
  o.seed = 5;
  o.wafers = 50;
  o.out_dir = bench.path().string();
  o.files = 1;
  o.defects = false;
  o.bench_product = true;
  auto pb = generate_samples(o);
  REQUIRE(pb.size() == 1);
  Loaded p(pp[0]), b(pb[0]);
  const ProductGeometry x = sample_bench_product();
  REQUIRE(b.products.size() == 1);
  const ProductGeometry& g = b.products.at(x.name);
  CHECK(g.cols == 55);
  CHECK(g.rows == 60);
  CHECK(g.wafer_diameter_mm == 300);
  int tested = 0;
  for (int r = 0; r < g.rows; ++r)
    for (int c = 0; c < g.cols; ++c) tested += corners_inside(g, c, r, g.wafer_diameter_mm / 2) ? 1 : 0;
  CHECK(tested == 2454);
  REQUIRE(b.wafers() == 50);
  for (std::size_t w = 0; w < b.wafers(); ++w) {
    INFO(b.wafer_id[w]);
    CHECK(b.product[w] == x.name);
    CHECK(b.t_tested[w] == tested);
    CHECK(b.binmap(w).size() == 55u * 60u);
    // Same wafers otherwise: ids, tools, route and pattern.
    CHECK(b.wafer_id[w] == p.wafer_id[w]);
    CHECK(b.tool[w] == p.tool[w]);
    CHECK(b.step[w] == p.step[w]);
    CHECK(b.t_pattern[w] == p.t_pattern[w]);
  }
  CHECK(b.h_tool == p.h_tool);
}

TEST_CASE("samples: bad options are rejected", "[samples]") {
  SampleOptions o;
  o.out_dir = (fs::temp_directory_path() / "yf_samples_never").string();
  o.wafers = 0;
  CHECK_THROWS_AS(generate_samples(o), std::invalid_argument);
  o.wafers = 10;
  o.files = -1;
  CHECK_THROWS_AS(generate_samples(o), std::invalid_argument);
  o.files = 0;
  o.out_dir.clear();
  CHECK_THROWS_AS(generate_samples(o), std::invalid_argument);
}
