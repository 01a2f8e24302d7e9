// p-chart and c-chart limits and the Western Electric rules on hand-made series.
#include "stages/analytics/Spc.hpp"

#include <catch2/catch.hpp>

using namespace yf::analytics;

namespace {
SpcSample s(const char* id, std::int64_t t, std::int64_t count, std::int64_t n) {
  SpcSample x;
  x.wafer_id = id;
  x.lot_id = "L";
  x.timestamp = t;
  x.count = count;
  x.n = n;
  return x;
}
std::vector<int> rules_at(const std::vector<SpcViolation>& v, std::int64_t index) {
  std::vector<int> r;
  for (const auto& x : v)
    if (x.index == index) r.push_back(x.rule);
  return r;
}
}  // namespace

TEST_CASE("baseline size: max(min points, fraction of n), at most n", "[Spc]") {
  AnalyticsSettings st;  // 20 points, 25 %
  CHECK(baseline_size(10, st) == 10);
  CHECK(baseline_size(50, st) == 20);
  CHECK(baseline_size(100, st) == 25);
  CHECK(baseline_size(101, st) == 26);  // ceil(25.25)
}

TEST_CASE("p-chart (Laney p'): limits vary with the tested dies and widen by the wafer-to-wafer spread", "[Spc]") {
  // Good/tested: 90/100, 160/200, 45/50, 85/100 -> p-bar = 380/450 = 0.844444 (baseline = all 4).
  // Binomial sigma_i = sqrt(p-bar (1 - p-bar) / n_i) = 0.0362433 (n 100), 0.0256278 (200), 0.0512558 (50).
  // z_i = (p_i - p-bar) / sigma_i = 1.532848, -1.734220, 1.083887, 0.153285; moving ranges
  // 3.267068, 2.818107, 0.930603, mean 2.338593; sigma_z = 2.338593 / 1.128 = 2.073221.
  // Limits p-bar +- 3 sigma_i sigma_z: n = 100 -> LCL 0.6190231 (UCL 1.069 clipped to 1);
  // n = 200 -> LCL 0.6850475; n = 50 -> LCL 0.5256505.
  const std::vector<SpcSample> xs{s("a", 1, 90, 100), s("b", 2, 160, 200), s("c", 3, 45, 50), s("d", 4, 85, 100)};
  const SpcChart c = p_chart(xs, "KLA", AnalyticsSettings{});
  REQUIRE(c.centre);
  CHECK(*c.centre == Approx(380.0 / 450.0));
  REQUIRE(c.points.size() == 4);
  CHECK(c.points[0].ucl == 1.0);
  CHECK(c.points[0].lcl == Approx(0.6190230859845327));
  CHECK(c.points[1].lcl == Approx(0.6850474732531574));
  CHECK(c.points[2].lcl == Approx(0.5256505020618704));
  CHECK(c.points[1].value == Approx(0.8));
  CHECK(c.points[1].n == 200);
  CHECK(c.baseline_points == 4);
  CHECK(c.baseline_last_timestamp == 4);
  CHECK(c.baseline.find("sigma_z 2.07") != std::string::npos);
  CHECK(c.violations.empty());
}

TEST_CASE("c-chart (Laney): c-bar +- 3 sqrt(c-bar) sigma_z, LCL floored at 0, baseline drives the limits", "[Spc]") {
  // Baseline = the first 5 points (min points 5): 2 4 3 5 6 -> c-bar 4, sqrt(c-bar) 2;
  // z = -1, 0, -0.5, 0.5, 1; moving ranges 1, 0.5, 1, 0.5, mean 0.75; sigma_z = 0.75 / 1.128
  // = 0.6648936 (under-dispersed: the limits narrow): UCL 4 + 6 * 0.6648936 = 7.9893617,
  // LCL 0.0106383.
  AnalyticsSettings st;
  st.baseline_min_points = 5;
  st.baseline_fraction = 0;
  std::vector<SpcSample> xs;
  const std::int64_t counts[] = {2, 4, 3, 5, 6, 11, 4};
  for (int i = 0; i < 7; ++i) xs.push_back(s("w", i, counts[i], 1));
  const SpcChart c = c_chart(xs, "KLA", st);
  CHECK(*c.centre == 4);
  CHECK(c.points[6].ucl == Approx(7.98936170212766));
  CHECK(c.points[6].lcl == Approx(0.01063829787233983));
  CHECK(c.points[4].baseline);
  CHECK_FALSE(c.points[5].baseline);
  // 11 > UCL: rule 1 at point 5 (z = 7 / 1.3298 = 5.26); the baseline's z (at most 1.50)
  // fire nothing.
  REQUIRE(c.total_violations == 1);
  CHECK(c.violations[0].rule == 1);
  CHECK(c.violations[0].index == 5);
  CHECK(c.violations[0].side == "above");
  CHECK(c.violations[0].timestamp == 5);
}

TEST_CASE("Laney sigma_z: a baseline of one point, or of equal points, keeps the plain limits", "[Spc]") {
  // One wafer: no moving range -> sigma_z 1: UCL 4 + 3 * 2 = 10.
  AnalyticsSettings st;
  st.baseline_min_points = 1;
  st.baseline_fraction = 0;
  const SpcChart one = c_chart({s("w", 0, 4, 1), s("w", 1, 12, 1)}, "KLA", st);
  CHECK(one.points[1].ucl == Approx(10.0));
  // Equal baseline points: moving range 0 -> sigma_z 1 (not limits of zero width).
  st.baseline_min_points = 3;
  const SpcChart flat = c_chart({s("w", 0, 4, 1), s("w", 1, 4, 1), s("w", 2, 4, 1), s("w", 3, 9, 1)}, "KLA", st);
  CHECK(flat.points[3].ucl == Approx(10.0));
  CHECK(flat.total_violations == 0);
}

TEST_CASE("Western Electric rules", "[Spc]") {
  // Rule 1: beyond 3 sigma.
  CHECK(rules_at(western_electric({0.1, -3.2, 0.1}), 1) == std::vector<int>{1});
  // Rule 2: 2 of 3 beyond 2 sigma on one side, firing at the second.
  auto v = western_electric({2.5, 0.0, 2.1});
  CHECK(rules_at(v, 2) == std::vector<int>{2});
  CHECK(v[0].window_begin == 0);
  CHECK(western_electric({2.5, -2.5, 0.3}).empty());  // opposite sides
  // Rule 3: 4 of 5 beyond 1 sigma on one side.
  v = western_electric({-1.5, -1.2, 0.0, -1.1, -1.9});
  CHECK(rules_at(v, 4) == std::vector<int>{3});
  CHECK(v.back().side == "below");
  CHECK(western_electric({1.5, 1.2, 0.0, 1.1, 0.9}).empty());  // only 3 beyond 1 sigma
  // Rule 4: 8 in a row on one side; it fires again at the 9th; a point on the line breaks the run.
  v = western_electric({0.5, 0.4, 0.3, 0.2, 0.1, 0.2, 0.3, 0.4, 0.5, 0.0, 0.5});
  CHECK(rules_at(v, 7) == std::vector<int>{4});
  CHECK(rules_at(v, 8) == std::vector<int>{4});
  CHECK(v.size() == 2);
  CHECK(western_electric({0.5, 0.4, 0.3, 0.2, 0.1, 0.2, 0.3}).empty());  // only 7
}

TEST_CASE("SPC: the chart keeps the most recent points, counts all", "[Spc]") {
  AnalyticsSettings st;
  st.max_chart_points = 3;
  std::vector<SpcSample> xs;
  for (int i = 0; i < 10; ++i) xs.push_back(s("w", i, 90, 100));
  SpcChart all;
  const SpcChart c = p_chart(xs, "", st, &all);
  CHECK(c.total_points == 10);
  REQUIRE(c.points.size() == 3);
  CHECK(c.points[0].index == 7);
  CHECK(all.points.size() == 10);
  CHECK(all.total_points == 10);
}
