#include "stages/WaferStages.hpp"

#include <catch2/catch.hpp>
#include <cmath>
#include <limits>
#include <memory>

#include "StagesTestData.hpp"

using yf::Defect;
using yf::WaferJob;

namespace {

constexpr double kNaN = std::numeric_limits<double>::quiet_NaN();
constexpr double kInf = std::numeric_limits<double>::infinity();

WaferJob tiny_job(bool with_bins_table = false) {
  auto tables = std::make_shared<const yf::DatasetTables>(yf::test::tiny_tables(with_bins_table));
  WaferJob job;
  job.seq = 7;
  job.source_file = "lot1.h5";
  job.wafer_row = 2;
  job.meta.wafer_id = "L1-03";
  job.meta.lot_id = "L1";
  job.meta.product = "P1";
  job.tables = tables;
  job.product = tables->products.at("P1");
  // Same defects as KillStage_test: killers 0, 1, 3, 7 in product dies (1,1), (2,2), (1,2).
  job.defects = {{-1, 1, 5.0, 1}, {-1.5, 1.5, 1.0, 9}, {1, 1, 9.0, 2}, {0, 0, 2.0, 1},
                 {-1, 3, 5.0, 1}, {4, 1, 5.0, 1},      {1, -2, 5.0, 1}, {-2, -1, 0.5, 1}};
  job.binmap = yf::test::tiny_binmap();
  return job;
}

std::string error_of(const WaferJob& job) {
  const auto r = yf::process_wafer(job, {});
  CHECK_FALSE(r.ok);
  return r.error;
}

}  // namespace

TEST_CASE("process_wafer: metrics and die verdicts of the tiny wafer", "[WaferStages]") {
  const auto r = yf::process_wafer(tiny_job(), {});
  REQUIRE(r.ok);
  CHECK(r.error.empty());
  CHECK(r.seq == 7);
  CHECK(r.source_file == "lot1.h5");
  CHECK(r.meta.wafer_id == "L1-03");
  const auto& m = r.metrics;
  CHECK(m.product_dies == 4);
  CHECK(m.defects == 8);
  CHECK(m.killer_defects == 4);
  CHECK(m.killed_dies == 3);
  REQUIRE(m.inspection_yield);
  CHECK(*m.inspection_yield == 0.25);  // 1 of 4 product dies is clean
  CHECK(m.tested_dies == 10);
  CHECK(m.good_dies == 6);
  REQUIRE(m.sort_yield);
  CHECK(*m.sort_yield == 6.0 / 10.0);

  CHECK(r.rows == 4);
  CHECK(r.cols == 4);
  constexpr std::uint8_t P = yf::kDieProduct, T = yf::kDieTested, S = yf::kDieSortPass, K = yf::kDieKilled;
  // Bins: -1 1 2 -1 / 1 1 3 -1 / 0 1 1 -1 / -1 -1 5 1 (bin 1 alone passes).
  const std::vector<std::uint8_t> want = {
      0,     T | S,         T,             0,      //
      T | S, P | K | T | S, P | T,         0,      //
      T,     P | K | T | S, P | K | T | S, 0,      //
      0,     0,             T,             T | S,  //
  };
  CHECK(r.die_verdicts == want);
}

TEST_CASE("process_wafer: options, /bins, no bin map, untested map, no product die", "[WaferStages]") {
  SECTION("min kill size 1.0 um") {
    yf::StageOptions o;
    o.kill.min_kill_size_um = 1.0;
    const auto r = yf::process_wafer(tiny_job(), o);
    CHECK(r.metrics.killer_defects == 3);
    CHECK(r.metrics.killed_dies == 2);
    CHECK(*r.metrics.inspection_yield == 0.5);
  }
  SECTION("several pass bins via /bins") {
    const auto r = yf::process_wafer(tiny_job(true), {});
    CHECK(r.metrics.good_dies == 7);
    CHECK(*r.metrics.sort_yield == 7.0 / 10.0);
    CHECK((r.die_verdicts[2] & yf::kDieSortPass) != 0);  // die (2,0), bin 2
  }
  SECTION("no bin map: no sort yield, no tested bit") {
    auto job = tiny_job();
    job.binmap.reset();
    const auto r = yf::process_wafer(job, {});
    REQUIRE(r.ok);
    CHECK_FALSE(r.metrics.sort_yield);
    CHECK(r.metrics.tested_dies == 0);
    for (auto v : r.die_verdicts) CHECK((v & (yf::kDieTested | yf::kDieSortPass)) == 0);
    CHECK(*r.metrics.inspection_yield == 0.25);
  }
  SECTION("a bin map that tests nothing has no sort yield either") {
    auto job = tiny_job();
    job.binmap->bins.assign(16, -1);
    const auto r = yf::process_wafer(job, {});
    REQUIRE(r.ok);
    CHECK(r.metrics.tested_dies == 0);
    CHECK_FALSE(r.metrics.sort_yield);
  }
  SECTION("exclusion eats every die: no inspection yield, nothing killed") {
    auto job = tiny_job();
    auto p = *job.product;
    p.edge_exclusion_mm = 4.5;  // radius 0.5: no die fits
    job.product = std::make_shared<const yf::ProductGeometry>(p);
    const auto r = yf::process_wafer(job, {});
    REQUIRE(r.ok);
    CHECK(r.metrics.product_dies == 0);
    CHECK(r.metrics.killer_defects == 0);
    CHECK_FALSE(r.metrics.inspection_yield);
    CHECK(*r.metrics.sort_yield == 0.6);  // sort data does not care
  }
  SECTION("no tables: spec defaults (every class kills, bin 1 alone passes)") {
    auto job = tiny_job(true);
    job.tables.reset();
    const auto r = yf::process_wafer(job, {});
    REQUIRE(r.ok);
    CHECK(r.metrics.killer_defects == 5);  // class 2 kills too
    CHECK(r.metrics.good_dies == 6);
  }
  SECTION("no defects") {
    auto job = tiny_job();
    job.defects.clear();
    const auto r = yf::process_wafer(job, {});
    CHECK(r.metrics.defects == 0);
    CHECK(*r.metrics.inspection_yield == 1.0);
  }
}

TEST_CASE("process_wafer: read errors and unknown products", "[WaferStages]") {
  auto job = tiny_job();
  job.error = "lot1.h5: wafer L1-03: /wafers defect_count: -4 is negative";
  const auto r = yf::process_wafer(job, {});
  CHECK_FALSE(r.ok);
  CHECK(r.error == job.error);
  CHECK(r.seq == 7);
  CHECK(r.meta.wafer_id == "L1-03");

  auto unknown = tiny_job();
  unknown.product.reset();
  unknown.meta.product = "P9";
  CHECK(error_of(unknown) == "lot1.h5: wafer L1-03: product: unknown product 'P9'");
}

TEST_CASE("process_wafer: bad defect values name file, wafer, field and row", "[WaferStages]") {
  auto job = tiny_job();
  job.defects.resize(20, Defect{0.5, 0.5, 1.0, 1});
  SECTION("NaN x") {
    job.defects[17].x_mm = kNaN;
    CHECK(error_of(job) == "lot1.h5: wafer L1-03: /defects x_mm: not finite (row 17 of the wafer)");
  }
  SECTION("infinite y") {
    job.defects[3].y_mm = -kInf;
    CHECK(error_of(job) == "lot1.h5: wafer L1-03: /defects y_mm: not finite (row 3 of the wafer)");
  }
  SECTION("NaN size") {
    job.defects[0].size_um = kNaN;
    CHECK(error_of(job) == "lot1.h5: wafer L1-03: /defects size_um: not finite (row 0 of the wafer)");
  }
  SECTION("negative size") {
    job.defects[19].size_um = -0.5;
    CHECK(error_of(job) == "lot1.h5: wafer L1-03: /defects size_um: -0.5 is negative (row 19 of the wafer)");
  }
}

TEST_CASE("process_wafer: bad bin maps and product geometry", "[WaferStages]") {
  auto job = tiny_job();
  SECTION("shape") {
    job.binmap = yf::BinMap{3, 4, std::vector<std::int16_t>(12, 1)};
    CHECK(error_of(job) ==
          "lot1.h5: wafer L1-03: /binmaps/P1: shape 3x4 does not match product P1 grid 4x4 (rows x cols)");
  }
  SECTION("bins vector of the wrong size") {
    job.binmap->bins.resize(15);
    CHECK(error_of(job) == "lot1.h5: wafer L1-03: /binmaps/P1: holds 15 bins, shape 4x4 (rows x cols) needs 16");
  }
  SECTION("bin below -1") {
    job.binmap->bins[2 * 4 + 3] = -7;  // row 2, col 3
    CHECK(error_of(job) == "lot1.h5: wafer L1-03: /binmaps/P1: bin -7 at row 2, col 3 is below -1");
  }
  SECTION("die width") {
    auto p = *job.product;
    p.die_width_mm = 0;
    job.product = std::make_shared<const yf::ProductGeometry>(p);
    CHECK(error_of(job) == "lot1.h5: wafer L1-03: /products/P1 die_width_mm: must be finite and > 0 (got 0)");
  }
  SECTION("rows") {
    auto p = *job.product;
    p.rows = -2;
    job.product = std::make_shared<const yf::ProductGeometry>(p);
    CHECK(error_of(job) == "lot1.h5: wafer L1-03: /products/P1 rows: must be >= 1 (got -2)");
  }
}

namespace {

// A stand-in classifier whose answer is computable by hand: class id = number of
// failing dies, confidence = failing / present dies.
struct CountingClassifier : yf::PatternClassifier {
  yf::PatternVerdict classify(const yf::FailMap& map) const override {
    int fail = 0, present = 0;
    for (auto c : map.cells) {
      fail += c == yf::DieState::fail;
      present += c != yf::DieState::none;
    }
    return {fail % 9, present ? static_cast<double>(fail) / present : 0.0};
  }
};

}  // namespace

TEST_CASE("process_wafer: sort and kill maps for pattern recognition", "[WaferStages][patterns]") {
  using S = yf::DieState;
  const auto r = yf::process_wafer(tiny_job(), {});
  REQUIRE(r.ok);
  // Without /bins only bin 1 passes: tested dies 1,2,4,5,6,8,9,10,14,15; fails 2 (bin 2),
  // 6 (bin 3), 8 (bin 0), 14 (bin 5).
  const auto sort = yf::sort_fail_map(r.die_verdicts, r.rows, r.cols);
  const std::vector<S> want_sort = {S::none, S::pass, S::fail, S::none,  //
                                    S::pass, S::pass, S::fail, S::none,  //
                                    S::fail, S::pass, S::pass, S::none,  //
                                    S::none, S::none, S::fail, S::pass};
  CHECK(sort.cells == want_sort);
  // Product dies 5, 6, 9, 10; killer defects in dies (1,1), (2,2), (1,2) = 5, 10, 9.
  const auto kill = yf::kill_fail_map(r.die_verdicts, r.rows, r.cols);
  const std::vector<S> want_kill = {S::none, S::none, S::none, S::none,  //
                                    S::none, S::fail, S::pass, S::none,  //
                                    S::none, S::fail, S::fail, S::none,  //
                                    S::none, S::none, S::none, S::none};
  CHECK(kill.cells == want_kill);
  CHECK(r.metrics.sort_pattern.empty());  // no classifier given
}

TEST_CASE("process_wafer: classifies the sort and the kill map when given a classifier", "[WaferStages][patterns]") {
  yf::StageOptions options;
  options.patterns = std::make_shared<CountingClassifier>();
  auto r = yf::process_wafer(tiny_job(), options);
  REQUIRE(r.ok);
  CHECK(r.metrics.sort_pattern == yf::pattern_classes()[4]);  // 4 fails
  CHECK(r.metrics.sort_pattern_confidence == Approx(0.4));    // of 10 tested
  CHECK(r.metrics.inspection_pattern == yf::pattern_classes()[3]);  // 3 killed
  CHECK(r.metrics.inspection_pattern_confidence == Approx(0.75));   // of 4 product dies

  WaferJob no_map = tiny_job();
  no_map.binmap.reset();
  r = yf::process_wafer(no_map, options);
  CHECK(r.metrics.sort_pattern.empty());
  CHECK(r.metrics.inspection_pattern == yf::pattern_classes()[3]);
}

TEST_CASE("process_wafer: a caller's workspace gives what a fresh one gives, across products", "[WaferStages][patterns]") {
  // The workspace keeps the last product's die grid and the last fail map: a wafer of
  // another product, then the first one again, must not see them.
  yf::StageOptions options;
  options.patterns = std::make_shared<CountingClassifier>();
  const WaferJob a = tiny_job();
  WaferJob b = tiny_job();
  auto p = *b.product;
  p.die_width_mm *= 2;  // another grid
  p.cols = 2;
  b.product = std::make_shared<const yf::ProductGeometry>(p);
  b.binmap->cols = 2;
  b.binmap->bins.resize(static_cast<std::size_t>(b.binmap->rows) * 2);
  yf::StageWorkspace workspace;
  for (const WaferJob* job : std::initializer_list<const WaferJob*>{&a, &b, &a, &b}) {
    yf::StageWorkspace fresh;
    const auto want = yf::process_wafer(*job, options, fresh);
    const auto got = yf::process_wafer(*job, options, workspace);
    REQUIRE(want.ok);
    REQUIRE(got.ok);
    CHECK(got.die_verdicts == want.die_verdicts);
    CHECK(got.metrics.tested_dies == want.metrics.tested_dies);
    CHECK(got.metrics.killed_dies == want.metrics.killed_dies);
    CHECK(got.metrics.sort_pattern == want.metrics.sort_pattern);
    CHECK(got.metrics.sort_pattern_confidence == want.metrics.sort_pattern_confidence);
    CHECK(got.metrics.inspection_pattern == want.metrics.inspection_pattern);
    CHECK(got.metrics.inspection_pattern_confidence == want.metrics.inspection_pattern_confidence);
  }
  // A fail map written over a larger one keeps none of it.
  yf::FailMap map;
  yf::sort_fail_map(std::vector<std::uint8_t>(12, yf::kDieTested), 3, 4, map);
  CHECK(map.cells == std::vector<yf::DieState>(12, yf::DieState::fail));
  yf::kill_fail_map({yf::kDieProduct, yf::kDieProduct | yf::kDieKilled, 0}, 1, 3, map);
  CHECK((map.rows == 1 && map.cols == 3));
  CHECK(map.cells == std::vector<yf::DieState>{yf::DieState::pass, yf::DieState::fail, yf::DieState::none});
}
