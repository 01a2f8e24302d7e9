// The accumulator on hand-made wafer results (tallies set by hand), and on the
// bundled samples through the real pipeline: the planted bad tool comes out first
// and -j1 equals -j2.
#include "stages/analytics/AnalyticsAccumulator.hpp"

#include <catch2/catch.hpp>
#include <memory>

#include "TestPaths.hpp"
#include "pipeline/WaferPipeline.hpp"
#include "samples/SampleGenerator.hpp"
#include "stages/analytics/AnalyticsJson.hpp"

using namespace yf::analytics;

namespace {

std::shared_ptr<const yf::DatasetTables> tables() {
  auto t = std::make_shared<yf::DatasetTables>();
  t->defect_classes[1] = yf::DefectClass{1, "PARTICLE", true};
  t->defect_classes[2] = yf::DefectClass{2, "PIT", false};
  t->has_bins_table = true;
  t->bins[1] = yf::BinDef{1, "PASS", true};
  t->bins[3] = yf::BinDef{3, "OPEN", false};
  t->bins[4] = yf::BinDef{4, "SHORT", false};
  t->has_defects_table = true;
  return t;
}

// A 2 x 2 wafer of 1 cm^2 dies (all product and tested); die verdicts from `pass` and `killed`.
yf::WaferResult wafer(std::size_t seq, const std::string& id, const std::string& lot, std::int64_t t,
                      std::vector<bool> pass, std::vector<bool> killed) {
  static const auto tab = tables();
  yf::WaferResult r;
  r.seq = seq;
  r.source_file = "f.h5";
  r.meta.wafer_id = id;
  r.meta.lot_id = lot;
  r.meta.fab = "F";
  r.meta.tool = "KLA";
  r.meta.product = "P";
  r.meta.step = "S";
  r.meta.timestamp = t;
  r.tables = tab;
  r.rows = 2;
  r.cols = 2;
  r.tallies.computed = true;
  r.tallies.inspected = true;
  r.tallies.die_area_cm2 = 1;
  auto& m = r.metrics;
  m.product_dies = 4;
  m.tested_dies = 4;
  for (std::size_t i = 0; i < 4; ++i) {
    std::uint8_t v = yf::kDieProduct | yf::kDieTested;
    if (pass[i]) v |= yf::kDieSortPass, ++m.good_dies;
    if (killed[i]) v |= yf::kDieKilled, ++m.killed_dies;
    r.die_verdicts.push_back(v);
  }
  m.sort_yield = static_cast<double>(m.good_dies) / 4;
  m.inspection_yield = static_cast<double>(4 - m.killed_dies) / 4;
  return r;
}

}  // namespace

TEST_CASE("accumulator: kill ratios, D0, Paretos, zones and worst wafers by hand", "[AnalyticsAccumulator]") {
  AnalyticsSettings st;
  st.worst_wafers = 2;
  AnalyticsAccumulator acc(st);
  // Wafer A: dies pass 1 0 1 1, killed 0 1 0 0; 2 killer defects (in die 1).
  //   class 1 (PARTICLE): 2 defects, hits die 1 (fails); class 2 (PIT): 1 defect, hits die 2 (passes).
  //   clean dies: 0 and 3, both pass. Failing bins: one OPEN.
  yf::WaferResult a = wafer(0, "A", "L1", 100, {true, false, true, true}, {false, true, false, false});
  a.metrics.defects = 3;
  a.metrics.killer_defects = 2;
  a.tallies.classes = {{1, 2, 1, 0}, {2, 1, 1, 1}};
  a.tallies.clean_dies = 2;
  a.tallies.clean_dies_pass = 2;
  a.tallies.size_bins = {0, 3};
  a.tallies.fail_bins = {{3, 1}};
  a.tallies.killer_count_hist[0] = 3;
  a.tallies.killer_count_hist[2] = 1;
  a.tallies.zones[yf::kZoneCentre] = {4, 3, 4, 1};
  // Wafer B: dies pass 0 0 1 1, no killer; class 2 hits dies 0 and 1 (both fail), clean 2 and 3 pass.
  yf::WaferResult b = wafer(1, "B", "L2", 50, {false, false, true, true}, {false, false, false, false});
  b.metrics.defects = 2;
  b.tallies.classes = {{2, 2, 2, 0}};
  b.tallies.clean_dies = 2;
  b.tallies.clean_dies_pass = 2;
  b.tallies.size_bins = {1, 1};
  b.tallies.fail_bins = {{3, 1}, {4, 1}};
  b.tallies.killer_count_hist[0] = 4;
  b.tallies.zones[yf::kZoneCentre] = {4, 2, 4, 0};
  // Wafer C: all pass; a failed wafer and an untallied one are ignored.
  yf::WaferResult c = wafer(2, "C", "L2", 75, {true, true, true, true}, {false, false, false, false});
  c.tallies.clean_dies = 4;
  c.tallies.clean_dies_pass = 4;
  c.tallies.killer_count_hist[0] = 4;
  yf::WaferResult failed = c;
  failed.ok = false;
  yf::WaferResult untallied = c;
  untallied.tallies.computed = false;
  for (const auto* r : {&a, &b, &c, &failed, &untallied}) acc.add(*r);
  CHECK(acc.wafers() == 3);

  const Analytics an = acc.finish();
  REQUIRE(an.fabs.size() == 1);
  const FabReport& f = an.fabs[0];
  const GroupAnalytics& g = f.summary;
  CHECK(g.yield.wafers == 3);
  CHECK(*g.yield.sort_yield == Approx(9.0 / 12.0));
  // D0 = 2 killer defects / (12 product dies * 1 cm^2).
  CHECK(*g.density.d0_per_cm2 == Approx(2.0 / 12.0));
  CHECK(g.defect_counts.histogram[0] == 11);
  CHECK(g.defect_counts.histogram[2] == 1);

  // Kill ratios: clean dies 2 + 2 + 4 = 8, all pass -> Y(clean) = 1.
  // PARTICLE: 1 die, 0 pass -> KR = 1 - 0/1 = 1. PIT: 1 + 2 = 3 dies, 1 pass -> KR = 1 - (1/3)/1 = 2/3.
  REQUIRE(g.kill_ratios.size() == 2);
  CHECK(g.kill_ratios[0].class_name == "PARTICLE");
  CHECK(*g.kill_ratios[0].kill_ratio == Approx(1.0));
  CHECK(g.kill_ratios[1].class_name == "PIT");
  CHECK_FALSE(g.kill_ratios[1].killer);
  CHECK(g.kill_ratios[1].dies_with == 3);
  CHECK(g.kill_ratios[1].dies_with_pass == 1);
  CHECK(g.kill_ratios[1].dies_clean == 8);
  CHECK(*g.kill_ratios[1].kill_ratio == Approx(2.0 / 3.0));

  // Pareto by class: PIT 3, PARTICLE 2 -> shares 0.6, 1.0 cumulative. Failing bins: OPEN 2, SHORT 1.
  REQUIRE(g.defects_by_class.bars.size() == 2);
  CHECK(g.defects_by_class.bars[0].label == "PIT");
  CHECK(g.defects_by_class.bars[0].share == Approx(0.6));
  CHECK(g.defects_by_class.bars[1].cumulative_share == Approx(1.0));
  CHECK(g.failing_bins.total == 3);
  CHECK(g.failing_bins.bars[0].label == "OPEN");
  CHECK(g.failing_bins.bars[0].count == 2);
  CHECK(g.defects_by_size.bars[0].label == "0.1-0.2 um");  // size bin 1: 3 + 1 = 4 defects
  CHECK(g.defects_by_size.bars[0].count == 4);

  // Zones: centre 3 + 2 = 5 good of 8 tested (C added nothing to zones), inspection 1 - 1/8.
  CHECK(g.zones[0].zone == "centre");
  CHECK(*g.zones[0].sort_yield == Approx(5.0 / 8.0));
  CHECK(*g.zones[0].inspection_yield == Approx(7.0 / 8.0));
  CHECK_FALSE(g.zones[1].sort_yield);

  // Stacked map of P: die 1 failed on A and B, die 0 on B only.
  REQUIRE(g.stacked_maps.size() == 1);
  CHECK(g.stacked_maps[0].wafers == 3);
  CHECK(g.stacked_maps[0].fail_rate(0) == Approx(1.0 / 3.0));
  CHECK(g.stacked_maps[0].fail_rate(1) == Approx(2.0 / 3.0));
  CHECK(g.stacked_maps[0].killed[1] == 1);

  // Worst 2 by sort yield: B (0.5) then A (0.75).
  REQUIRE(f.worst_wafers.size() == 2);
  CHECK(f.worst_wafers[0].wafer_id == "B");
  CHECK(f.worst_wafers[1].wafer_id == "A");
  CHECK(f.worst_wafers[0].die_verdicts.size() == 4);

  // Yield by lot; groups of the other kinds; lots carry no stacked map.
  REQUIRE(f.yield_by_lot.size() == 2);
  CHECK(f.yield_by_lot[1].key == "L2");
  CHECK(*f.yield_by_lot[1].yield.sort_yield == Approx(6.0 / 8.0));
  bool lot_seen = false;
  for (const auto& grp : an.groups)
    if (grp.kind == "lot") {
      lot_seen = true;
      CHECK(grp.stacked_maps.empty());
    }
  CHECK(lot_seen);

  // SPC in time order: B (t 50), C (75), A (100).
  REQUIRE(f.trend.points.size() == 3);
  CHECK(f.trend.points[0].wafer_id == "B");
  CHECK(f.trend.points[2].wafer_id == "A");
  CHECK(*f.trend.centre == Approx(9.0 / 12.0));
}

namespace {

std::string run_samples(int threads) {
  yf::PipelineOptions o;
  o.threads = threads;
  class Consumer : public yf::ResultConsumer {
   public:
    AnalyticsAccumulator acc;
    void consume(const yf::WaferResult& r) override { acc.add(r); }
  } consumer;
  std::vector<std::string> files{std::string(yf::test::kSamplesDir) + "/fab14.h5",
                                 std::string(yf::test::kSamplesDir) + "/fab7.h5"};
  yf::run_pipeline(files, o, &consumer);
  const Analytics a = consumer.acc.finish();
  return analytics_json(a).dump();
}

}  // namespace

TEST_CASE("samples: the planted excursion (POLY_ETCH, ETCH-03) ranks first, -j1 equals -j2",
          "[AnalyticsAccumulator]") {
  const std::string j1 = run_samples(1);
  const Analytics a = analytics_from_json_text(j1, "samples");
  const FabReport* fab14 = nullptr;
  for (const auto& f : a.fabs)
    if (f.fab == "FAB14") fab14 = &f;
  REQUIRE(fab14);
  REQUIRE_FALSE(fab14->commonality.rows.empty());
  const CommonalityRow& top = fab14->commonality.rows.front();
  CHECK(top.step == yf::kSampleExcursionStep);
  CHECK(top.tool == yf::kSampleExcursionTool);
  CHECK(top.chamber.empty());
  CHECK(top.rank == 1);
  CHECK(top.significant);
  // samples/data/README.md: the 18 excursion wafers against the other 32 of FAB14.
  CHECK(top.wafers == 18);
  CHECK(top.wafers_rest == 32);
  CHECK(*top.yield_loss > 0.05);
  // FAB7 has no excursion: nothing significant there.
  for (const auto& f : a.fabs)
    if (f.fab == "FAB7")
      for (const auto& r : f.commonality.rows) CHECK_FALSE(r.significant);
  CHECK(run_samples(2) == j1);
}
