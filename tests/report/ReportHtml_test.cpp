// report.html rendered from a small hand-built analytics struct: the sections and
// the values an engineer reads are there, user strings are escaped, nothing
// loads from the network, the bytes are deterministic and the file atomic.
#include <catch2/catch.hpp>

#include <cmath>
#include <fstream>
#include <regex>
#include <sstream>

#include "core/WaferResult.hpp"
#include "io/report/ReportHtml.hpp"
#include "io/report/ReportSections.hpp"
#include "support/TempDir.hpp"

using namespace yf;
using namespace yf::analytics;

namespace {

std::size_t count(const std::string& s, const std::string& what) {
  std::size_t n = 0;
  for (std::size_t p = s.find(what); p != std::string::npos; p = s.find(what, p + what.size())) ++n;
  return n;
}

YieldSummary yield(std::int64_t wafers, std::int64_t tested, std::int64_t good) {
  YieldSummary y;
  y.wafers = wafers;
  y.sorted_wafers = wafers;
  y.tested_dies = tested;
  y.good_dies = good;
  y.product_dies = tested;
  y.sort_yield = static_cast<double>(good) / static_cast<double>(tested);
  y.inspection_yield = 0.9;
  return y;
}

Analytics hand_built() {
  Analytics a;
  a.wafers = 4;
  FabReport fab;
  fab.fab = "FAB<14>";
  fab.summary.kind = "fab";
  fab.summary.key = fab.fab;
  fab.summary.yield = yield(4, 400, 300);  // 75.0 %
  fab.summary.density.d0_per_cm2 = 0.1234;
  fab.yield_by_tool = {{"KLA-01", yield(2, 200, 180)}, {"KLA-02", yield(2, 200, 120)}};
  fab.yield_by_lot = {{"L1&L2", yield(4, 400, 300)}};
  fab.yield_by_product = {{"P1", yield(4, 400, 300)}};
  fab.summary.defects_by_class = {30, {{"PARTICLE", 7, 20, 2.0 / 3, 2.0 / 3}, {"SCRATCH", 3, 10, 1.0 / 3, 1.0}}};
  fab.summary.failing_bins = {100, {{"OPEN", 3, 100, 1.0, 1.0}}};
  fab.summary.kill_ratios.push_back({7, "PARTICLE", true, 20, 10, 2, 300, 270, 0.2, 0.9, 1 - 0.2 / 0.9});
  fab.summary.zones.push_back({"upper_left", 100, 80, 100, 5, 0.8, 0.95});
  StackedMap m;
  m.product = "P1";
  m.rows = 2;
  m.cols = 2;
  m.wafers = 4;
  m.tested = {4, 4, 4, 0};
  m.failed = {0, 1, 4, 0};
  m.inspected = {4, 4, 4, 4};
  m.killed = {0, 0, 1, 0};
  fab.summary.stacked_maps.push_back(m);
  fab.summary.models.yield_source = "sort";
  fab.summary.models.points = {{"P1", 1, 1.2, 400, 300, 0.75}, {"P1", 2, 2.4, 200, 120, 0.6}};
  ModelFit poisson;
  poisson.model = "poisson";
  poisson.d0_per_cm2 = 0.24;
  poisson.converged = true;
  ModelFit nb;
  nb.model = "negative_binomial";
  nb.parameters = 2;
  nb.d0_per_cm2 = 0.3;
  nb.alpha = 2.5;
  nb.rmse = 0.0123;
  nb.converged = true;
  nb.trusted = true;
  fab.summary.models.fits = {poisson, nb};
  fab.summary.models.trusted_model = "negative_binomial";
  fab.trend.chart = "p";
  fab.trend.centre = 0.75;
  for (int i = 0; i < 4; ++i)
    fab.trend.points.push_back({i, "W" + std::to_string(i), "L1", 1709251200 + i * 120, i == 3 ? 0.2 : 0.8, 100,
                                0.88, 0.62, i < 2});
  fab.trend.total_points = 4;
  fab.trend.violations.push_back({1, 3, 3, "W3", 1709251200 + 360, "below"});
  fab.trend.total_violations = 1;
  fab.commonality.yield_source = "sort";
  fab.commonality.rows.push_back({"POLY_ETCH", "ETCH-03<bad>", "", 2, 2, 0.6, 0.9, 0.55, 0.88, 0.3, 0.0, 0.01,
                                  0.004, 0.02, true, 1});
  fab.commonality.rows.push_back({"POLY_ETCH", "ETCH-01", "", 2, 2, 0.9, 0.6, 0.88, 0.55, -0.3, 4.0, 0.5, 0.5,
                                  0.02, false, 2});
  fab.commonality.steps.push_back({"POLY_ETCH", "tool", 2, 4, 5.4, 1, 0.02});
  WorstWafer w;
  w.wafer_id = "W3";
  w.lot_id = "L1";
  w.product = "P1";
  w.tool = "KLA-02";
  w.sort_yield = 0.2;
  w.rows = 2;
  w.cols = 2;
  w.die_verdicts = {kDieProduct | kDieTested, kDieProduct | kDieTested | kDieSortPass, 0, kDieProduct | kDieTested};
  fab.worst_wafers.push_back(w);
  fab.sort_patterns = {{"Edge-Ring", 1}, {"none", 3}};  // 4 sorted wafers
  fab.inspection_patterns = {{"none", 4}};
  a.fabs.push_back(fab);
  GroupAnalytics product;
  product.kind = "product";
  product.key = "P1";
  product.yield = yield(4, 400, 300);
  a.groups.push_back(product);
  return a;
}

}  // namespace

TEST_CASE("report: the page has every section and the headline values", "[report]") {
  std::string html = report::render_report_html(hand_built());
  for (const char* section : {"Yield by tool", "Yield by lot", "Yield by product", "Trend and SPC", "Paretos",
                              "Kill ratios", "Zones", "Stacked maps", "Failure patterns", "Worst wafers",
                              "Tool commonality", "Yield models"})
    CHECK(html.find(std::string("<h3>") + section + "</h3>") != std::string::npos);
  CHECK(html.find("<h2>Across fabs</h2>") != std::string::npos);
  CHECK(html.find("<h2>Fab FAB&lt;14&gt;</h2>") != std::string::npos);
  CHECK(html.find(">75.0 %</div><div class=\"k\">sort yield (dies)") != std::string::npos);
  CHECK(html.find(">0.123</div><div class=\"k\">D0") != std::string::npos);  // 0.1234, 3 digits
  CHECK(html.find("ETCH-03&lt;bad&gt; @ POLY_ETCH") != std::string::npos);    // most suspect tool KPI
  CHECK(html.find("<td class=\"num\">90.0 %</td>") != std::string::npos);     // KLA-01: 180 / 200
  CHECK(html.find("<td class=\"num\">60.0 %</td>") != std::string::npos);     // KLA-02: 120 / 200
  CHECK(html.find("<td class=\"num\">0.778</td>") != std::string::npos);      // KR = 1 - 0.2 / 0.9
  CHECK(html.find("trust this one") != std::string::npos);
  // Failure patterns: Edge-Ring 1 of 4 sort maps (25.0 %), none 3 (75.0 %) and 4 of 4 kill maps.
  CHECK(html.find("<td>Edge-Ring</td><td class=\"num\">1</td><td class=\"num\">25.0 %</td>"
                  "<td class=\"num\">0</td><td class=\"num\">0.0 %</td>") != std::string::npos);
  CHECK(html.find("<td>none</td><td class=\"num\">3</td><td class=\"num\">75.0 %</td>"
                  "<td class=\"num\">4</td><td class=\"num\">100.0 %</td>") != std::string::npos);
  CHECK(count(html, "<svg class=\"chart\"") >= 8);
  CHECK(count(html, "src=\"data:image/png;base64,") == 3);  // 2 stacked maps (sort, kill) + 1 gallery map
}

TEST_CASE("report: the commonality table lists the significant tool first and marks it", "[report]") {
  std::string html = report::render_report_html(hand_built());
  std::size_t bad = html.find("<td>ETCH-03&lt;bad&gt;</td>"), good = html.find("<td>ETCH-01</td>");
  REQUIRE(bad != std::string::npos);
  REQUIRE(good != std::string::npos);
  CHECK(bad < good);
  std::size_t row = html.rfind("<tr", bad);
  CHECK(html.compare(row, 18, "<tr class=\"alert\">") == 0);
  CHECK(html.find("0.004") != std::string::npos);  // adjusted p
}

TEST_CASE("report: the SPC excursion is circled and listed", "[report]") {
  std::string html = report::render_report_html(hand_built());
  CHECK(count(html, "class=\"exc\"") == 1);
  CHECK(html.find("W3 (L1, 2024-03-01 00:06): 20.0 % - rule 1: a point beyond 3 sigma, below") != std::string::npos);
  CHECK(count(html, "class=\"baseline\"") == 1);
}

TEST_CASE("report: no user string reaches the page unescaped and nothing loads from outside", "[report]") {
  std::string html = report::render_report_html(hand_built());
  CHECK(html.find("FAB<14>") == std::string::npos);
  CHECK(html.find("<bad>") == std::string::npos);
  CHECK(html.find("L1&L2") == std::string::npos);
  CHECK(html.find("L1&amp;L2") != std::string::npos);
  CHECK(html.find("<script") == std::string::npos);
  CHECK(html.find("http://") == html.find("http://www.w3.org/2000/svg"));  // only the SVG namespace
  CHECK(html.find("https://") == std::string::npos);
  CHECK(html.find("default-src 'none'") != std::string::npos);
  std::regex external(R"((src|href)="(?!data:|#))");
  CHECK_FALSE(std::regex_search(html, external));
}

TEST_CASE("report: same analytics, same bytes, write_report is atomic", "[report]") {
  Analytics a = hand_built();
  CHECK(report::render_report_html(a) == report::render_report_html(a));
  test::TempDir dir;
  report::write_report(dir.path(), a);
  std::ifstream in(dir.path() / "report.html", std::ios::binary);
  std::stringstream text;
  text << in.rdbuf();
  CHECK(text.str() == report::render_report_html(a));
  std::size_t files = 0;
  for ([[maybe_unused]] const auto& e : std::filesystem::directory_iterator(dir.path())) ++files;
  CHECK(files == 1);  // no temporary left behind
  CHECK_THROWS_AS(report::write_report(dir.path() / "missing" / "deeper", a), std::runtime_error);
}

TEST_CASE("report: an empty analytics renders a valid page saying so", "[report]") {
  std::string html = report::render_report_html(Analytics{});
  CHECK(html.find("nothing to report") != std::string::npos);
  CHECK(html.rfind("<!DOCTYPE html>", 0) == 0);
  CHECK(html.find("</html>") != std::string::npos);
}

TEST_CASE("report: yield model curves follow the textbook formulas", "[report]") {
  // AD = 0.5: Poisson e^-0.5, Murphy ((1 - e^-0.5) / 0.5)^2, Seeds 1 / 1.5, NB(alpha 2) 1.25^-2.
  CHECK(*report::model_yield("poisson", 1, 0.5, std::nullopt) == Approx(0.6065306597));
  CHECK(*report::model_yield("murphy", 1, 0.5, std::nullopt) == Approx(0.6192724870));
  CHECK(*report::model_yield("seeds", 2, 0.25, std::nullopt) == Approx(2.0 / 3.0));
  CHECK(*report::model_yield("negative_binomial", 1, 0.5, 2.0) == Approx(0.64));
  CHECK(*report::model_yield("murphy", 0, 0.5, std::nullopt) == 1.0);
  CHECK_FALSE(report::model_yield("negative_binomial", 1, 0.5, std::nullopt));
  CHECK_FALSE(report::model_yield("unknown", 1, 0.5, std::nullopt));
}
