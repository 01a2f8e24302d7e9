// Tool commonality on a hand-made fab: one bad etch tool must come out first.
#include "stages/analytics/Commonality.hpp"

#include <catch2/catch.hpp>

using namespace yf::analytics;

TEST_CASE("commonality: the bad tool of a step ranks first, with its tests", "[Commonality]") {
  // names: 0 ETCH, 1 LITHO, 2 E1, 3 E2, 4 E3, 5 L1, 6 PM1, 7 PM2, 8 CH
  const std::vector<std::string> names{"ETCH", "LITHO", "E1", "E2", "E3", "L1", "PM1", "PM2", "CH"};
  std::vector<CommonalityWafer> wafers;
  auto add = [&](double y, std::uint32_t tool, std::uint32_t chamber) {
    wafers.push_back({y, {{1, 5, 8}, {0, tool, chamber}}});  // every wafer: LITHO on L1, then ETCH
  };
  for (double y : {0.90, 0.92, 0.94, 0.96}) add(y, 2, 6);
  for (double y : {0.91, 0.93, 0.95, 0.97}) add(y, 3, 6);
  add(0.70, 4, 6);
  add(0.72, 4, 7);
  add(0.74, 4, 6);
  add(0.76, 4, 7);
  const Commonality c = tool_commonality(wafers, names, AnalyticsSettings{}, "sort");

  // Steps by name: ETCH (tool level, chamber level), LITHO (one tool: tested nothing).
  REQUIRE(c.steps.size() == 4);
  CHECK(c.steps[0].step == "ETCH");
  CHECK(c.steps[0].level == "tool");
  CHECK(c.steps[0].groups == 3);
  CHECK(c.steps[0].wafers == 12);
  // Ranks: E3 1-4 (sum 10), E1 5,7,9,11 (32), E2 6,8,10,12 (36); N = 12, no ties:
  // H = 12/(12*13) * (10^2 + 32^2 + 36^2)/4 - 3*13 = 7.538462, df 2, p = exp(-H/2) = 0.0230698.
  CHECK(*c.steps[0].h == Approx(7.538461538461540));
  CHECK(*c.steps[0].p == Approx(0.0230698025).epsilon(1e-6));
  CHECK(c.steps[2].step == "LITHO");
  CHECK(c.steps[2].groups == 1);
  CHECK_FALSE(c.steps[2].p);

  // Tool rows first (3: one per etch tool), then chamber rows (4: E1/PM1, E2/PM1, E3/PM1, E3/PM2).
  REQUIRE(c.rows.size() == 7);
  const CommonalityRow& top = c.rows[0];
  CHECK(top.step == "ETCH");
  CHECK(top.tool == "E3");
  CHECK(top.chamber.empty());
  CHECK(top.rank == 1);
  CHECK(top.wafers == 4);
  CHECK(top.wafers_rest == 8);
  // Every E3 wafer is below every other: U = 0, exact p = 2 / C(12, 4) = 2/495; Holm over 3 rows: x3.
  CHECK(*top.mann_whitney_u == 0);
  CHECK(*top.mann_whitney_p == Approx(2.0 / 495.0));
  CHECK(*top.adjusted_p == Approx(6.0 / 495.0));
  // Medians: E3 (0.72 + 0.74)/2 = 0.73; rest (0.93 + 0.94)/2 = 0.935 -> loss 0.205.
  CHECK(*top.median_yield == Approx(0.73));
  CHECK(*top.median_yield_rest == Approx(0.935));
  CHECK(*top.yield_loss == Approx(0.205));
  CHECK(top.significant);
  CHECK(*top.kruskal_wallis_p == Approx(0.0230698025).epsilon(1e-6));
  // The good tools are not significant losses (their loss is negative).
  CHECK_FALSE(c.rows[1].significant);
  CHECK_FALSE(c.rows[2].significant);
  // Chamber rows ranked among themselves: an E3 chamber first.
  CHECK(c.rows[3].chamber.size() > 0);
  CHECK(c.rows[3].tool == "E3");
  CHECK(c.rows[3].rank == 1);
}

TEST_CASE("commonality: no history, no rows", "[Commonality]") {
  const Commonality c = tool_commonality({{0.9, {}}, {0.8, {}}}, {}, AnalyticsSettings{}, "sort");
  CHECK(c.rows.empty());
  CHECK(c.steps.empty());
}
