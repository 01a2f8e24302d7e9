#pragma once
// SVG chart primitives of the HTML report: bar chart, Pareto (bars with a
// cumulative line), control chart (centre line, limits, marked excursions) and
// an x-y chart of lines and points. Each returns one inline <svg> element whose
// colours come from the page's CSS classes (so print styles can change them).
// Every string drawn is HTML-escaped here; numbers use fixed digits so the same
// input gives the same bytes.
#include <cstddef>
#include <optional>
#include <string>
#include <utility>
#include <vector>

namespace yf::report {

// Maps the data interval [d0, d1] linearly onto the pixel interval [r0, r1].
// An empty data interval (d0 == d1) maps everything to the middle of the range.
class LinearScale {
 public:
  LinearScale(double d0, double d1, double r0, double r1) : d0_(d0), d1_(d1), r0_(r0), r1_(r1) {}
  double operator()(double v) const {
    if (d1_ == d0_) return (r0_ + r1_) / 2;
    return r0_ + (v - d0_) / (d1_ - d0_) * (r1_ - r0_);
  }

 private:
  double d0_, d1_, r0_, r1_;
};

// Round tick values (1, 2 or 5 x 10^k steps) from the first multiple of the step
// at or below lo to the first at or above hi, about `target` intervals.
std::vector<double> nice_ticks(double lo, double hi, int target = 5);

// The plot area inside the SVG: the chart is width x height pixels, the axes
// sit `left` from the left edge and `bottom` from the bottom.
struct Frame {
  double width = 640, height = 260;
  double left = 64, right = 24, top = 30, bottom = 56;
  double x0() const { return left; }
  double x1() const { return width - right; }
  double y0() const { return height - bottom; }  // the axis line (pixel y grows downwards)
  double y1() const { return top; }
};

struct Bar {
  std::string label;
  double value = 0;
  std::string tooltip;     // shown on hover (SVG <title>); empty: label and value
  bool highlight = false;  // drawn in the alert colour (e.g. the suspect tool)
};

struct BarChart {
  std::string title;
  std::string y_label;
  std::vector<Bar> bars;
  bool percent = false;              // values are fractions, axis shows %
  std::optional<double> y_min, y_max;  // default: 0 .. a round value above the largest
  std::optional<double> reference;   // dashed horizontal line, e.g. the fab's yield
  std::string reference_label;
  Frame frame;
};
std::string bar_chart_svg(const BarChart& chart);

// Bars sorted by value, largest first (ties in the given order), with the cumulative
// share on a 0-100 % right axis.
struct ParetoChart {
  std::string title;
  std::string y_label;
  std::vector<Bar> bars;
  Frame frame;
};
std::string pareto_svg(const ParetoChart& chart);

struct MarkedPoint {
  std::size_t index = 0;
  std::string note;  // e.g. "rule 1: beyond 3 sigma"
};

// A p-chart or c-chart: values in time order. centre/lcl/ucl hold one value for
// every point (p-chart limits vary with the sample size) or a single value for
// all. NaN values are gaps.
struct ControlChart {
  std::string title;
  std::string y_label;
  std::vector<double> values;
  std::vector<std::string> point_labels;  // tooltips, e.g. wafer ids (may be empty)
  std::vector<double> centre, lcl, ucl;
  std::size_t baseline_points = 0;  // the first n points set the limits (shaded)
  std::vector<MarkedPoint> marked;  // Western Electric violations
  bool percent = false;
  Frame frame;
};
std::string control_chart_svg(const ControlChart& chart);

struct Series {
  std::string name;
  std::vector<std::pair<double, double>> points;  // (x, y), drawn in the given order
  bool line = true;      // join the points
  bool markers = false;  // a dot at each point
  int colour = 0;        // palette index (CSS class s0..s5)
};

struct XYChart {
  std::string title;
  std::string x_label, y_label;
  std::vector<Series> series;
  std::optional<double> x_min, x_max, y_min, y_max;  // default: round values around the data
  bool y_percent = false;
  Frame frame;
};
std::string xy_chart_svg(const XYChart& chart);

// A horizontal colour bar from lo to hi in `steps` swatches (fail_rate_colour),
// for the stacked maps.
std::string colour_legend_svg(double lo, double hi, const std::string& label, bool percent, int steps = 10);

struct Rgb {
  unsigned char r = 0, g = 0, b = 0;
  bool operator==(const Rgb&) const = default;
};
// Sequential colour scale for failure rates: t = 0 pale yellow ... t = 1 dark
// red (clamped). Light at zero so a clean die reads as blank, also in print.
Rgb fail_rate_colour(double t);
std::string css_colour(Rgb c);  // "#rrggbb"

// Keeps at most max_chars UTF-8 code points, ending with an ellipsis when cut.
std::string shorten(const std::string& text, std::size_t max_chars);

}  // namespace yf::report
