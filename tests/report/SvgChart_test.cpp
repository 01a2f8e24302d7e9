// SVG chart primitives: scales, ticks and the coordinates of bars and lines,
// checked against values computed by hand from the default Frame
// (640 x 260; plot x 64..616, y 204 (axis) .. 30 (top)).
#include <catch2/catch.hpp>

#include <regex>
#include <string>

#include "io/report/SvgChart.hpp"

using namespace yf::report;

namespace {

std::size_t count(const std::string& s, const std::string& what) {
  std::size_t n = 0;
  for (std::size_t p = s.find(what); p != std::string::npos; p = s.find(what, p + what.size())) ++n;
  return n;
}

Bar bar(const std::string& label, double value) {
  Bar b;
  b.label = label;
  b.value = value;
  return b;
}

}  // namespace

TEST_CASE("report: LinearScale maps the domain onto the range", "[report]") {
  LinearScale y(0, 1, 204, 30);
  CHECK(y(0) == Approx(204));
  CHECK(y(1) == Approx(30));
  CHECK(y(0.5) == Approx(117));
  LinearScale flat(3, 3, 0, 100);
  CHECK(flat(3) == Approx(50));
}

TEST_CASE("report: nice_ticks picks 1-2-5 steps covering the data", "[report]") {
  CHECK(nice_ticks(0, 0.87) == std::vector<double>{0, 0.2, 0.4, 0.6000000000000001, 0.8, 1.0});
  auto t = nice_ticks(3, 97);  // raw step 18.8 -> 20
  REQUIRE(t.size() == 6);
  CHECK(t.front() == 0);
  CHECK(t.back() == 100);
  auto u = nice_ticks(0.72, 0.93);  // raw 0.042 -> 0.05
  REQUIRE(u.size() == 6);
  CHECK(u.front() == Approx(0.70));
  CHECK(u.back() == Approx(0.95));
  CHECK(nice_ticks(5, 5).size() >= 2);
}

TEST_CASE("report: bar chart bars have the hand-computed position and height", "[report]") {
  BarChart c;
  c.title = "yield by tool";
  c.percent = true;
  c.y_max = 1.0;
  c.bars = {{"ETCH-01", 1.0, "", false}, {"ETCH-03", 0.5, "", true}};
  std::string svg = bar_chart_svg(c);
  // band = (616 - 64) / 2 = 276; bar x = 64 + 0.15 * 276 = 105.4, width 0.7 * 276 = 193.2.
  CHECK(svg.find(R"(<rect class="bar" x="105.4" y="30.0" width="193.2" height="174.0")") != std::string::npos);
  // 0.5 -> y = 204 - 0.5 * 174 = 117; second bar x = 64 + 1.15 * 276 = 381.4; highlighted.
  CHECK(svg.find(R"(<rect class="bar hi" x="381.4" y="117.0" width="193.2" height="87.0")") != std::string::npos);
  CHECK(svg.find(">ETCH-03: 50.0 %</title>") != std::string::npos);
  CHECK(svg.find(">100%</text>") != std::string::npos);  // top tick
  CHECK(svg.rfind("<svg", 0) == 0);
  CHECK(svg.substr(svg.size() - 6) == "</svg>");
}

TEST_CASE("report: bar chart reference line sits at its value", "[report]") {
  BarChart c;
  c.y_max = 100;
  c.bars = {bar("a", 10)};
  c.reference = 25;  // y = 204 - 0.25 * 174 = 160.5
  std::string svg = bar_chart_svg(c);
  CHECK(svg.find(R"(<line class="ref" x1="64.0" y1="160.5" x2="616.0" y2="160.5"/>)") != std::string::npos);
}

TEST_CASE("report: Pareto sorts bars and draws the cumulative share", "[report]") {
  ParetoChart p;
  p.bars = {bar("SCRATCH", 10), bar("PARTICLE", 60), bar("RESIDUE", 30), bar("NONE", 0)};
  std::string svg = pareto_svg(p);
  // Right margin widened to 48: plot x 64..592, band (592 - 64) / 3 = 176; centres 152, 328, 504.
  // Cumulative 0.6, 0.9, 1.0 -> y = 204 - share * 174 = 99.6, 47.4, 30.0.
  CHECK(svg.find(R"(d="M152.0 99.6L328.0 47.4L504.0 30.0")") != std::string::npos);
  // Largest first; the zero bar is left out.
  std::size_t particle = svg.find(">PARTICLE<"), residue = svg.find(">RESIDUE<"), scratch = svg.find(">SCRATCH<");
  REQUIRE(particle != std::string::npos);
  CHECK(particle < residue);
  CHECK(residue < scratch);
  CHECK(svg.find("NONE") == std::string::npos);
  CHECK(count(svg, "<rect class=\"bar\"") == 3);
  // Left axis 0 .. 60 (ticks of 10): the 60 bar reaches the top.
  CHECK(svg.find(R"(y="30.0" width="123.2" height="174.0")") != std::string::npos);
}

TEST_CASE("report: control chart draws limits, centre and marks excursions", "[report]") {
  ControlChart c;
  c.values = {0.9, 0.8, 0.85, 0.3, 0.88};
  c.point_labels = {"W1", "W2", "W3", "W<4>", "W5"};
  c.centre = {0.85};
  c.lcl = {0.7};
  c.ucl = {1.0};
  c.baseline_points = 3;
  c.marked = {{3, "rule 1: beyond 3 sigma"}};
  c.percent = true;
  std::string svg = control_chart_svg(c);
  CHECK(count(svg, "class=\"limit\"") == 2);
  CHECK(count(svg, "class=\"centre\"") == 1);
  CHECK(count(svg, "class=\"exc\"") == 1);
  CHECK(count(svg, "class=\"baseline\"") == 1);
  CHECK(svg.find("W&lt;4&gt;: 30.0 % - rule 1: beyond 3 sigma") != std::string::npos);
  CHECK(svg.find("W<4>") == std::string::npos);
  // Constant limits are one straight segment each: "M<x> <y>H<x>".
  std::regex straight(R"(class="limit" d="M[0-9.]+ [0-9.]+H[0-9.]+")");
  CHECK(std::regex_search(svg, straight));
}

TEST_CASE("report: control chart limits that vary per point are steps", "[report]") {
  ControlChart c;
  c.values = {0.9, 0.8};
  c.centre = {0.85};
  c.ucl = {0.95, 1.0};
  std::string svg = control_chart_svg(c);
  CHECK(svg.find("class=\"limit\" d=\"M") != std::string::npos);
  std::size_t at = svg.find("class=\"limit\" d=\"");
  std::string d = svg.substr(at, svg.find("\"/>", at) - at);
  CHECK(count(d, "H") == 2);
  CHECK(count(d, "L") == 1);
}

TEST_CASE("report: xy chart maps points and lists every series in the legend", "[report]") {
  XYChart c;
  c.x_min = 0, c.x_max = 2, c.y_min = 0, c.y_max = 1;
  c.series = {{"observed", {{1, 0.5}}, false, true, 0}, {"Poisson", {{0, 1}, {2, 0}}, true, false, 1}};
  std::string svg = xy_chart_svg(c);
  // x 0..2 -> 64..616: 1 -> 340; y 0.5 -> 117.
  CHECK(svg.find(R"(<circle class="pt s0" cx="340.0" cy="117.0")") != std::string::npos);
  CHECK(svg.find(R"(<path class="line s1" d="M64.0 30.0L616.0 204.0"/>)") != std::string::npos);
  CHECK(svg.find(">observed<") != std::string::npos);
  CHECK(svg.find(">Poisson<") != std::string::npos);
}

TEST_CASE("report: charts escape every label", "[report]") {
  BarChart c;
  c.title = "<b>title</b>";
  c.bars = {bar("<img src=x onerror=alert(1)>", 1)};
  std::string svg = bar_chart_svg(c);
  CHECK(svg.find("<img") == std::string::npos);
  CHECK(svg.find("<b>") == std::string::npos);
  CHECK(svg.find("&lt;b&gt;title&lt;/b&gt;") != std::string::npos);
}

TEST_CASE("report: fail-rate colours run from pale yellow to dark red", "[report]") {
  CHECK(fail_rate_colour(0) == Rgb{255, 255, 204});
  CHECK(fail_rate_colour(0.5) == Rgb{253, 141, 60});
  CHECK(fail_rate_colour(1) == Rgb{128, 0, 38});
  CHECK(fail_rate_colour(7) == Rgb{128, 0, 38});
  CHECK(fail_rate_colour(0.125) == Rgb{255, 236, 161});  // halfway between the first two stops
  CHECK(css_colour({255, 0, 16}) == "#ff0010");
  std::string legend = colour_legend_svg(0, 0.5, "fail rate", true, 4);
  CHECK(count(legend, "<rect") == 4);
  CHECK(legend.find(">50%<") != std::string::npos);
}

TEST_CASE("report: shorten cuts on code points and adds an ellipsis", "[report]") {
  CHECK(shorten("ETCH-01", 14) == "ETCH-01");
  CHECK(shorten("ABCDEFGHIJ", 5) == "ABCD\xE2\x80\xA6");
  CHECK(shorten("\xC3\xA9\xC3\xA9\xC3\xA9", 3) == "\xC3\xA9\xC3\xA9\xC3\xA9");
  CHECK(shorten("\xC3\xA9\xC3\xA9\xC3\xA9x", 3) == "\xC3\xA9\xC3\xA9\xE2\x80\xA6");
}
