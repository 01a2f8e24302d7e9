// The per-wafer analytics counts on the tiny wafer of StagesTestData.hpp, counted by
// hand (die of each defect as in KillStage_test / WaferStages_test).
#include "stages/WaferTallyStage.hpp"

#include <catch2/catch.hpp>
#include <memory>

#include "StagesTestData.hpp"
#include "stages/WaferStages.hpp"

namespace {

yf::WaferJob tiny_job() {
  auto tables = std::make_shared<const yf::DatasetTables>(yf::test::tiny_tables(true));
  yf::WaferJob job;
  job.meta.wafer_id = "L1-03";
  job.meta.product = "P1";
  job.tables = tables;
  job.product = tables->products.at("P1");
  // (x, y, size, class) -> die (col, row): #0 (1,1), #1 (1,1), #2 (2,1), #3 (2,2),
  // #4 (1,0) not product, #5 outside the grid, #6 (2,3) not product, #7 (1,2).
  job.defects = {{-1, 1, 5.0, 1}, {-1.5, 1.5, 1.0, 9}, {1, 1, 9.0, 2}, {0, 0, 2.0, 1},
                 {-1, 3, 5.0, 1}, {4, 1, 5.0, 1},      {1, -2, 5.0, 1}, {-2, -1, 0.5, 1}};
  job.binmap = yf::test::tiny_binmap();
  return job;
}

}  // namespace

TEST_CASE("block_shape and size_bin", "[WaferTallyStage]") {
  CHECK(yf::block_shape(1).rows == 1);
  CHECK(yf::block_shape(2).rows == 1);
  CHECK(yf::block_shape(2).cols == 2);
  CHECK(yf::block_shape(6).rows == 2);
  CHECK(yf::block_shape(6).cols == 3);
  CHECK(yf::block_shape(9).rows == 3);
  CHECK(yf::block_shape(7).rows == 1);  // a prime: a 1 x 7 strip
  const std::vector<double> edges{0, 0.1, 0.2, 0.5, 1, 2, 5, 10};
  CHECK(yf::size_bin(0.05, edges) == 0);
  CHECK(yf::size_bin(0.5, edges) == 3);  // [0.5, 1)
  CHECK(yf::size_bin(9.99, edges) == 6);
  CHECK(yf::size_bin(10, edges) == 7);   // [10, inf)
  CHECK(yf::size_bin(-1, edges) == 0);
}

TEST_CASE("tally_wafer: counts of the tiny wafer", "[WaferTallyStage]") {
  const auto r = yf::process_wafer(tiny_job(), {});
  REQUIRE(r.ok);
  const yf::WaferTallies& t = r.tallies;
  REQUIRE(t.computed);
  CHECK(t.inspected);
  CHECK(t.die_area_cm2 == Approx(0.04));  // 2 x 2 mm

  // Classes: 1 -> defects #0 #3 #4 #5 #6 #7; tested product dies hit (1,1) (2,2) (1,2), all pass (bin 1).
  // 2 -> #2 in (2,1), bin 3 fails. 9 (absent from the table) -> #1 in (1,1), passes.
  REQUIRE(t.classes.size() == 3);
  CHECK(t.classes[0].class_id == 1);
  CHECK(t.classes[0].defects == 6);
  CHECK(t.classes[0].dies_with == 3);
  CHECK(t.classes[0].dies_with_pass == 3);
  CHECK(t.classes[1].class_id == 2);
  CHECK(t.classes[1].dies_with == 1);
  CHECK(t.classes[1].dies_with_pass == 0);
  CHECK(t.classes[2].class_id == 9);
  CHECK(t.classes[2].dies_with == 1);
  CHECK(t.classes[2].dies_with_pass == 1);
  // Every one of the 4 tested product dies holds a defect.
  CHECK(t.clean_dies == 0);
  CHECK(t.clean_dies_pass == 0);

  // Sizes 5 1 9 2 5 5 5 0.5: [0.5,1) 1, [1,2) 1, [2,5) 1, [5,10) 5.
  CHECK(t.size_bins == std::vector<std::int64_t>{0, 0, 0, 1, 1, 1, 5, 0});
  // Failing tested dies: (2,1) bin 3, (0,2) bin 0, (2,3) bin 5.
  REQUIRE(t.fail_bins.size() == 3);
  CHECK(t.fail_bins[0].bin == 0);
  CHECK(t.fail_bins[1].bin == 3);
  CHECK(t.fail_bins[2].bin == 5);
  CHECK(t.fail_bins[2].dies == 1);
  // Killers per product die: (1,1) 2, (2,1) 0, (1,2) 1, (2,2) 1.
  CHECK(t.killer_count_hist[0] == 1);
  CHECK(t.killer_count_hist[1] == 2);
  CHECK(t.killer_count_hist[2] == 1);

  // Windows 1, 2 (1x2), 4 (2x2), 6 (2x3), 9 (3x3). 1x1: 10 tested, 7 pass; 4 product, 1 not killed.
  // 1x2 tiles fully tested: (0,1)+(1,1) good, (0,2)+(1,2) and (2,3)+(3,3) hold a fail. No larger tile is fully tested.
  REQUIRE(t.sort_blocks.size() == 5);
  CHECK(t.sort_blocks[0].blocks == 10);
  CHECK(t.sort_blocks[0].good_blocks == 7);
  CHECK(t.sort_blocks[1].blocks == 3);
  CHECK(t.sort_blocks[1].good_blocks == 1);
  CHECK(t.sort_blocks[2].blocks == 0);
  CHECK(t.sort_blocks[4].blocks == 0);
  CHECK(t.inspection_blocks[0].blocks == 4);
  CHECK(t.inspection_blocks[0].good_blocks == 1);
  CHECK(t.inspection_blocks[1].blocks == 0);

  // Zones (wafer radius 5: centre r^2 < 25/3, middle < 50/3), die centres (-3 + 2c, 3 - 2r).
  using Z = yf::ZoneIndex;
  CHECK(t.zones[Z::kZoneCentre].tested_dies == 4);
  CHECK(t.zones[Z::kZoneCentre].good_dies == 3);
  CHECK(t.zones[Z::kZoneCentre].product_dies == 4);
  CHECK(t.zones[Z::kZoneCentre].killed_dies == 3);
  CHECK(t.zones[Z::kZoneMiddle].tested_dies == 5);
  CHECK(t.zones[Z::kZoneMiddle].good_dies == 3);
  CHECK(t.zones[Z::kZoneEdge].tested_dies == 1);
  CHECK(t.zones[Z::kZoneUpperRight].tested_dies == 2);
  CHECK(t.zones[Z::kZoneUpperRight].good_dies == 1);
  CHECK(t.zones[Z::kZoneUpperLeft].tested_dies == 3);
  CHECK(t.zones[Z::kZoneUpperLeft].killed_dies == 1);
  CHECK(t.zones[Z::kZoneLowerLeft].good_dies == 1);
  CHECK(t.zones[Z::kZoneLowerRight].tested_dies == 3);
  CHECK(t.zones[Z::kZoneLowerRight].good_dies == 2);
}

TEST_CASE("tally_wafer: off when the options say so, and history passed on", "[WaferTallyStage]") {
  yf::StageOptions off;
  off.tallies.enabled = false;
  auto job = tiny_job();
  job.history = {{"ETCH", "E1", "PM1", 5}};
  const auto r = yf::process_wafer(job, off);
  REQUIRE(r.ok);
  CHECK_FALSE(r.tallies.computed);
  CHECK(r.history.empty());
  const auto on = yf::process_wafer(job, {});
  REQUIRE(on.history.size() == 1);
  CHECK(on.history[0].tool == "E1");
  CHECK(on.product == job.product);
}
