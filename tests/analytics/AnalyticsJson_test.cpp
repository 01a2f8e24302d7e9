// The analytics JSON round trip: every struct written and read back equal, missing
// keys keeping their defaults (additive changes), a bad text naming its file.
#include <catch2/catch.hpp>

#include "stages/analytics/AnalyticsJson.hpp"

using namespace yf::analytics;

namespace {

Analytics sample_analytics() {
  Analytics a;
  a.wafers = 3;
  FabReport fab;
  fab.fab = "FAB14";
  fab.summary.kind = "fab";
  fab.summary.key = "FAB14";
  fab.summary.yield.wafers = 3;
  fab.summary.yield.sort_yield = 0.75;
  fab.summary.density.d0_per_cm2 = 0.125;
  fab.summary.defect_counts.histogram = {10, 2, 1};
  fab.summary.defect_counts.alpha = 1.5;
  fab.summary.models.yield_source = "sort";
  fab.summary.models.points.push_back({"P1", 2, 0.5, 100, 80, 0.8});
  ModelFit nb;
  nb.model = "negative_binomial";
  nb.parameters = 2;
  nb.d0_per_cm2 = 0.3;
  nb.alpha = 2.0;
  nb.trusted = true;
  fab.summary.models.fits.push_back(nb);
  fab.summary.kill_ratios.push_back({7, "PARTICLE", true, 4, 3, 1, 90, 81, 1.0 / 3.0, 0.9, 1 - (1.0 / 3.0) / 0.9});
  fab.summary.failing_bins.total = 5;
  fab.summary.failing_bins.bars.push_back({"OPEN", 3, 5, 1.0, 1.0});
  fab.summary.zones.push_back({"centre", 10, 9, 10, 1, 0.9, 0.9});
  StackedMap m;
  m.product = "P1";
  m.rows = 1;
  m.cols = 2;
  m.wafers = 3;
  m.tested = {3, 0};
  m.failed = {1, 0};
  m.inspected = {3, 3};
  m.killed = {0, 0};
  fab.summary.stacked_maps.push_back(m);
  fab.yield_by_tool.push_back({"KLA-01", fab.summary.yield});
  fab.trend.chart = "p";
  fab.trend.centre = 0.8;
  fab.trend.points.push_back({0, "W1", "L1", 1700000000, 0.8, 100, 0.92, 0.68, true});
  fab.trend.violations.push_back({1, 0, 0, "W1", 1700000000, "below"});
  fab.commonality.rows.push_back({"POLY_ETCH", "ETCH-03", "", 18, 32, 0.75, 0.85, 0.74, 0.86, 0.10, 12.0, 1e-5,
                                  3e-5, 2e-5, true, 1});
  fab.commonality.steps.push_back({"POLY_ETCH", "tool", 3, 50, 20.5, 2, 3.5e-5});
  WorstWafer w;
  w.wafer_id = "W1";
  w.rows = 2;
  w.cols = 3;
  w.die_verdicts = {0, 1, 3, 7, 15, 11};
  w.sort_yield = 0.5;
  fab.worst_wafers.push_back(w);
  a.fabs.push_back(fab);
  GroupAnalytics lot;
  lot.kind = "lot";
  lot.key = "L1";
  a.groups.push_back(lot);
  return a;
}

}  // namespace

TEST_CASE("analytics JSON: write then read gives the same values") {
  const Analytics a = sample_analytics();
  const std::string text = analytics_json(a).dump();
  const Analytics b = analytics_from_json_text(text, "x.h5");
  // Written again, the read-back object gives the same text: nothing lost or changed.
  CHECK(analytics_json(b).dump() == text);
  REQUIRE(b.fabs.size() == 1);
  const FabReport& f = b.fabs[0];
  CHECK(f.summary.yield.sort_yield == 0.75);
  CHECK_FALSE(f.summary.yield.inspection_yield.has_value());  // null stays empty
  CHECK(f.worst_wafers[0].die_verdicts == std::vector<std::uint8_t>{0, 1, 3, 7, 15, 11});
  CHECK(f.commonality.rows[0].tool == "ETCH-03");
  CHECK(f.summary.stacked_maps[0].fail_rate(0) == Approx(1.0 / 3.0));
  CHECK(f.summary.stacked_maps[0].fail_rate(1) == -1.0);
}

TEST_CASE("analytics JSON: the piecewise text equals the whole tree's dump") {
  const Analytics a = sample_analytics();
  CHECK(analytics_json_text(a) == analytics_json(a).dump());
  CHECK(analytics_json_text(Analytics{}) == analytics_json(Analytics{}).dump());
}

TEST_CASE("analytics JSON: die verdicts are one hex digit per die") {
  const nlohmann::json j = analytics_json(sample_analytics());
  CHECK(j["fabs"][0]["worst_wafers"][0]["die_verdicts"] == "0137fb");
  CHECK(j["fabs"][0]["summary"]["yield"]["inspection_yield"].is_null());
}

TEST_CASE("analytics JSON: a missing key keeps its default (older files still read)") {
  const Analytics b = analytics_from_json_text(R"({"format_version": 1, "wafers": 5})", "old.h5");
  CHECK(b.wafers == 5);
  CHECK(b.settings.worst_wafers == AnalyticsSettings{}.worst_wafers);
  CHECK(b.fabs.empty());
}

TEST_CASE("analytics JSON: bad text names the file and the problem") {
  CHECK_THROWS_WITH(analytics_from_json_text("{nope", "out/results.h5"),
                    Catch::StartsWith("out/results.h5: analytics JSON does not parse"));
  CHECK_THROWS_WITH(analytics_from_json_text(R"({"format_version": 99})", "r.h5"),
                    Catch::Contains("format_version 99 is not supported"));
  CHECK_THROWS_WITH(analytics_from_json_text(R"({"format_version": 1, "wafers": "many"})", "r.h5"),
                    Catch::Contains("wrong type"));
  CHECK_THROWS_WITH(
      analytics_from_json_text(R"({"format_version": 1, "fabs": [{"worst_wafers": [{"die_verdicts": "0g"}]}]})", "r.h5"),
      Catch::Contains("not a hex digit"));
}
