#include "io/report/SvgChart.hpp"

#include <fmt/format.h>

#include <algorithm>
#include <cmath>
#include <numeric>

#include "io/report/HtmlText.hpp"

namespace yf::report {
namespace {

// Pixel coordinates with one decimal; never "-0.0".
std::string px(double v) {
  if (!std::isfinite(v)) v = 0;
  std::string s = fmt::format("{:.1f}", v);
  return s == "-0.0" ? "0.0" : s;
}

// Decimals that tell ticks `step` apart.
int tick_digits(double step) {
  if (!(step > 0)) return 0;
  return std::max(0, static_cast<int>(std::ceil(-std::log10(step) - 1e-9)));
}

std::string tick_label(double v, double step, bool percent) {
  if (percent) return fmt::format("{:.{}f}%", v * 100, tick_digits(step * 100));
  if (std::fabs(v) >= 10000 && step >= 1) return format_count(static_cast<std::int64_t>(std::llround(v)));
  std::string s = fmt::format("{:.{}f}", v, tick_digits(step));
  return s.rfind("-0", 0) == 0 && std::stod(s) == 0 ? s.substr(1) : s;
}

std::string value_label(double v, bool percent) {
  return percent ? format_percent(v) : (v == std::floor(v) && std::fabs(v) < 1e15 ? format_count(static_cast<std::int64_t>(v))
                                                                                   : format_number(v, 3));
}

// An SVG element under construction. Text content passes html_escape.
class Svg {
 public:
  Svg(const Frame& f, const std::string& title) {
    s_ = fmt::format(R"(<svg class="chart" xmlns="http://www.w3.org/2000/svg" viewBox="0 0 {0} {1}" width="{0}" height="{1}" role="img" aria-label="{2}">)",
                     px(f.width), px(f.height), html_escape(title));
    if (!title.empty()) s_ += fmt::format(R"(<text class="ct" x="{}" y="18">{}</text>)", px(f.x0()), html_escape(title));
  }
  void rect(double x, double y, double w, double h, const char* cls, const std::string& tip = {}) {
    s_ += fmt::format(R"(<rect class="{}" x="{}" y="{}" width="{}" height="{}")", cls, px(x), px(y), px(std::max(0.0, w)),
                      px(std::max(0.0, h)));
    close_with_tip(tip, "rect");
  }
  void line(double x1, double y1, double x2, double y2, const char* cls) {
    s_ += fmt::format(R"(<line class="{}" x1="{}" y1="{}" x2="{}" y2="{}"/>)", cls, px(x1), px(y1), px(x2), px(y2));
  }
  void circle(double cx, double cy, double r, const char* cls, const std::string& tip = {}) {
    s_ += fmt::format(R"(<circle class="{}" cx="{}" cy="{}" r="{}")", cls, px(cx), px(cy), px(r));
    close_with_tip(tip, "circle");
  }
  void path(const std::string& d, const char* cls) {
    if (!d.empty()) s_ += fmt::format(R"(<path class="{}" d="{}"/>)", cls, d);
  }
  // anchor: start, middle or end.
  void text(double x, double y, const char* anchor, const char* cls, const std::string& content,
            double rotate = 0) {
    std::string transform = rotate != 0 ? fmt::format(R"~( transform="rotate({} {} {})")~", px(rotate), px(x), px(y)) : "";
    s_ += fmt::format(R"(<text class="{}" x="{}" y="{}" text-anchor="{}"{}>{}</text>)", cls, px(x), px(y), anchor,
                      transform, html_escape(content));
  }
  std::string finish() { return std::move(s_) + "</svg>"; }

 private:
  void close_with_tip(const std::string& tip, const char* element) {
    if (tip.empty())
      s_ += "/>";
    else
      s_ += fmt::format("><title>{}</title></{}>", html_escape(tip), element);
  }
  std::string s_;
};

struct Axis {
  double lo, hi;
  std::vector<double> ticks;
};

// The value axis: [lo, hi] widened to round ticks unless fixed by the caller.
Axis value_axis(double data_lo, double data_hi, std::optional<double> fixed_lo, std::optional<double> fixed_hi) {
  double lo = fixed_lo.value_or(data_lo), hi = fixed_hi.value_or(data_hi);
  if (!(hi > lo)) hi = lo + (lo == 0 ? 1 : std::fabs(lo) * 0.1);
  std::vector<double> t = nice_ticks(lo, hi, 5);
  if (!fixed_lo) lo = t.front();
  if (!fixed_hi) hi = t.back();
  std::vector<double> inside;
  for (double v : t)
    if (v >= lo - 1e-12 * std::fabs(hi - lo) && v <= hi + 1e-12 * std::fabs(hi - lo)) inside.push_back(v);
  return {lo, hi, inside};
}

void draw_y_axis(Svg& svg, const Frame& f, const Axis& axis, const LinearScale& y, bool percent,
                 const std::string& label) {
  double step = axis.ticks.size() > 1 ? axis.ticks[1] - axis.ticks[0] : 1;
  for (double t : axis.ticks) {
    svg.line(f.x0(), y(t), f.x1(), y(t), "grid");
    svg.text(f.x0() - 6, y(t) + 4, "end", "tick", tick_label(t, step, percent));
  }
  svg.line(f.x0(), f.y0(), f.x0(), f.y1(), "axis");
  if (!label.empty()) svg.text(14, (f.y0() + f.y1()) / 2, "middle", "al", label, -90);
}

// Category labels under bars: horizontal when they fit, else slanted and shortened.
void draw_category_labels(Svg& svg, const Frame& f, const std::vector<Bar>& bars, double band) {
  std::size_t longest = 0;
  for (const Bar& b : bars) longest = std::max(longest, b.label.size());
  bool slanted = static_cast<double>(longest) * 6.5 > band;
  for (std::size_t i = 0; i < bars.size(); ++i) {
    double cx = f.x0() + (static_cast<double>(i) + 0.5) * band;
    if (slanted)
      svg.text(cx + 3, f.y0() + 12, "end", "tick", shorten(bars[i].label, 14), -40);
    else
      svg.text(cx, f.y0() + 14, "middle", "tick", bars[i].label);
  }
}

std::string bar_tip(const Bar& b, bool percent) {
  return b.tooltip.empty() ? b.label + ": " + value_label(b.value, percent) : b.tooltip;
}

// One value per point, or a single value for all points.
double at(const std::vector<double>& v, std::size_t i) {
  if (v.empty()) return std::nan("");
  return v.size() == 1 ? v[0] : (i < v.size() ? v[i] : std::nan(""));
}

// A limit line: straight when constant, else steps centred on each point.
std::string limit_path(const std::vector<double>& v, std::size_t n, const LinearScale& x, const LinearScale& y,
                       double half) {
  std::string d;
  bool constant = v.size() == 1 || std::all_of(v.begin(), v.end(), [&](double a) { return a == v.front(); });
  if (v.empty() || n == 0) return d;
  if (constant) {
    if (!std::isfinite(v.front())) return d;
    return "M" + px(x(0) - half) + " " + px(y(v.front())) + "H" + px(x(static_cast<double>(n - 1)) + half);
  }
  bool open = false;
  for (std::size_t i = 0; i < n; ++i) {
    double value = at(v, i);
    if (!std::isfinite(value)) {
      open = false;
      continue;
    }
    double xi = x(static_cast<double>(i));
    d += (open ? "L" : "M") + px(xi - half) + " " + px(y(value)) + "H" + px(xi + half);
    open = true;
  }
  return d;
}

}  // namespace

std::vector<double> nice_ticks(double lo, double hi, int target) {
  if (!std::isfinite(lo) || !std::isfinite(hi)) return {0, 1};
  if (hi < lo) std::swap(lo, hi);
  if (hi == lo) hi = lo + (lo == 0 ? 1 : std::fabs(lo) * 0.1);
  double raw = (hi - lo) / std::max(1, target);
  double mag = std::pow(10.0, std::floor(std::log10(raw)));
  double norm = raw / mag;
  double step = (norm < 1.5 ? 1 : norm < 3 ? 2 : norm < 7 ? 5 : 10) * mag;
  double first = std::floor(lo / step + 1e-9), last = std::ceil(hi / step - 1e-9);
  std::vector<double> ticks;
  for (double k = first; k <= last + 0.5; k += 1) {
    double t = k * step;
    if (std::fabs(t) < step * 1e-9) t = 0;
    ticks.push_back(t);
  }
  return ticks;
}

std::string bar_chart_svg(const BarChart& c) {
  Frame f = c.frame;
  if (c.reference && !c.reference_label.empty()) f.right = std::max(f.right, 64.0);  // room for its label
  Svg svg(f, c.title);
  double data_lo = 0, data_hi = 0;
  for (const Bar& b : c.bars) {
    if (!std::isfinite(b.value)) continue;
    data_lo = std::min(data_lo, b.value);
    data_hi = std::max(data_hi, b.value);
  }
  if (c.reference && std::isfinite(*c.reference)) data_hi = std::max(data_hi, *c.reference);
  Axis axis = value_axis(data_lo, data_hi, c.y_min, c.y_max);
  LinearScale y(axis.lo, axis.hi, f.y0(), f.y1());
  draw_y_axis(svg, f, axis, y, c.percent, c.y_label);
  if (c.bars.empty()) {
    svg.text((f.x0() + f.x1()) / 2, (f.y0() + f.y1()) / 2, "middle", "note", "no data");
    return svg.finish();
  }
  double band = (f.x1() - f.x0()) / static_cast<double>(c.bars.size());
  double base = y(std::clamp(0.0, axis.lo, axis.hi));
  for (std::size_t i = 0; i < c.bars.size(); ++i) {
    const Bar& b = c.bars[i];
    if (!std::isfinite(b.value)) continue;
    double top = y(std::clamp(b.value, axis.lo, axis.hi));
    svg.rect(f.x0() + (static_cast<double>(i) + 0.15) * band, std::min(top, base), band * 0.7, std::fabs(base - top),
             b.highlight ? "bar hi" : "bar", bar_tip(b, c.percent));
  }
  svg.line(f.x0(), base, f.x1(), base, "axis");
  if (c.reference && std::isfinite(*c.reference)) {
    double ry = y(*c.reference);
    svg.line(f.x0(), ry, f.x1(), ry, "ref");
    if (!c.reference_label.empty()) svg.text(f.x1() + 4, ry + 3, "start", "reflabel", c.reference_label);
  }
  draw_category_labels(svg, f, c.bars, band);
  return svg.finish();
}

std::string pareto_svg(const ParetoChart& c) {
  Frame f = c.frame;
  f.right = std::max(f.right, 48.0);  // room for the cumulative % axis
  std::vector<Bar> bars;
  for (const Bar& b : c.bars)
    if (std::isfinite(b.value) && b.value > 0) bars.push_back(b);
  // Ties keep the caller's order (the analytics sorts ties by code).
  std::stable_sort(bars.begin(), bars.end(), [](const Bar& a, const Bar& b) { return a.value > b.value; });
  Svg svg(f, c.title);
  double total = 0;
  for (const Bar& b : bars) total += b.value;
  Axis axis = value_axis(0, bars.empty() ? 1 : bars.front().value, std::nullopt, std::nullopt);
  LinearScale y(axis.lo, axis.hi, f.y0(), f.y1());
  draw_y_axis(svg, f, axis, y, false, c.y_label);
  LinearScale cum(0, 1, f.y0(), f.y1());
  for (double t : {0.0, 0.25, 0.5, 0.75, 1.0}) svg.text(f.x1() + 6, cum(t) + 4, "start", "tick", tick_label(t, 0.25, true));
  svg.line(f.x1(), f.y0(), f.x1(), f.y1(), "axis");
  svg.text(f.width - 8, (f.y0() + f.y1()) / 2, "middle", "al", "cumulative", 90);
  if (bars.empty()) {
    svg.text((f.x0() + f.x1()) / 2, (f.y0() + f.y1()) / 2, "middle", "note", "no data");
    return svg.finish();
  }
  double band = (f.x1() - f.x0()) / static_cast<double>(bars.size());
  std::string d;
  double running = 0;
  std::vector<std::pair<double, double>> dots;
  for (std::size_t i = 0; i < bars.size(); ++i) {
    const Bar& b = bars[i];
    running += b.value;
    double share = running / total;
    std::string tip = bar_tip(b, false) + fmt::format(" ({:.1f} % of all, cumulative {:.1f} %)", b.value / total * 100,
                                                      share * 100);
    double top = y(b.value);
    svg.rect(f.x0() + (static_cast<double>(i) + 0.15) * band, top, band * 0.7, f.y0() - top, b.highlight ? "bar hi" : "bar",
             tip);
    double cx = f.x0() + (static_cast<double>(i) + 0.5) * band;
    d += (i == 0 ? "M" : "L") + px(cx) + " " + px(cum(share));
    dots.emplace_back(cx, cum(share));
  }
  svg.line(f.x0(), f.y0(), f.x1(), f.y0(), "axis");
  svg.path(d, "cum");
  for (auto [cx, cy] : dots) svg.circle(cx, cy, 2.5, "cumdot");
  draw_category_labels(svg, f, bars, band);
  return svg.finish();
}

std::string control_chart_svg(const ControlChart& c) {
  const Frame& f = c.frame;
  Svg svg(f, c.title);
  const std::size_t n = c.values.size();
  double lo = INFINITY, hi = -INFINITY;
  auto take = [&](double v) {
    if (std::isfinite(v)) lo = std::min(lo, v), hi = std::max(hi, v);
  };
  for (std::size_t i = 0; i < n; ++i) {
    take(c.values[i]);
    take(at(c.centre, i));
    take(at(c.lcl, i));
    take(at(c.ucl, i));
  }
  if (!std::isfinite(lo)) lo = 0, hi = 1;
  double pad = (hi - lo) * 0.05;
  lo -= pad, hi += pad;
  if (c.percent) lo = std::max(lo, 0.0), hi = std::min(hi, 1.0);
  if (lo >= 0 && !c.percent && lo < (hi - lo) * 0.5) lo = 0;  // counts: start at zero when close
  Axis axis = value_axis(lo, hi, std::nullopt, std::nullopt);
  LinearScale y(axis.lo, axis.hi, f.y0(), f.y1());
  double span = n > 1 ? static_cast<double>(n - 1) : 1;
  double inset = std::min(10.0, (f.x1() - f.x0()) / (2 * (span + 1)));
  LinearScale x(0, span, f.x0() + inset, f.x1() - inset);
  double half = n > 1 ? (x(1) - x(0)) / 2 : inset;
  if (c.baseline_points > 0 && n > 0) {
    double bx1 = x(static_cast<double>(std::min(c.baseline_points, n) - 1)) + half;
    svg.rect(f.x0(), f.y1(), bx1 - f.x0(), f.y0() - f.y1(), "baseline", "baseline: the limits come from these points");
  }
  draw_y_axis(svg, f, axis, y, c.percent, c.y_label);
  svg.line(f.x0(), f.y0(), f.x1(), f.y0(), "axis");
  // x axis: point numbers in time order.
  if (n > 0) {
    std::vector<double> t = nice_ticks(1, static_cast<double>(n), 6);
    for (double k : t)
      if (k >= 1 && k <= static_cast<double>(n)) svg.text(x(k - 1), f.y0() + 14, "middle", "tick", fmt::format("{:.0f}", k));
    svg.text((f.x0() + f.x1()) / 2, f.height - 8, "middle", "al", "wafer, in time order");
  }
  svg.path(limit_path(c.ucl, n, x, y, half), "limit");
  svg.path(limit_path(c.lcl, n, x, y, half), "limit");
  svg.path(limit_path(c.centre, n, x, y, half), "centre");
  std::string d;
  bool open = false;
  for (std::size_t i = 0; i < n; ++i) {
    if (!std::isfinite(c.values[i])) {
      open = false;
      continue;
    }
    d += (open ? "L" : "M") + px(x(static_cast<double>(i))) + " " + px(y(c.values[i]));
    open = true;
  }
  svg.path(d, "series");
  auto label = [&](std::size_t i) {
    std::string who = i < c.point_labels.size() ? c.point_labels[i] : fmt::format("point {}", i + 1);
    return who + ": " + value_label(c.values[i], c.percent);
  };
  if (n <= 150)
    for (std::size_t i = 0; i < n; ++i)
      if (std::isfinite(c.values[i])) svg.circle(x(static_cast<double>(i)), y(c.values[i]), 2, "dot", label(i));
  for (const MarkedPoint& m : c.marked) {
    if (m.index >= n || !std::isfinite(c.values[m.index])) continue;
    svg.circle(x(static_cast<double>(m.index)), y(c.values[m.index]), 4.5, "exc",
               label(m.index) + (m.note.empty() ? "" : " - " + m.note));
  }
  // Limit labels at the right end.
  auto end_label = [&](const std::vector<double>& v, const char* name) {
    double last = n > 0 ? at(v, n - 1) : std::nan("");
    if (std::isfinite(last)) svg.text(f.x1() + 2, y(last) + 3, "start", "lim", name);
  };
  end_label(c.ucl, "UCL");
  end_label(c.lcl, "LCL");
  end_label(c.centre, "CL");
  return svg.finish();
}

std::string xy_chart_svg(const XYChart& c) {
  const Frame& f = c.frame;
  Svg svg(f, c.title);
  double xlo = INFINITY, xhi = -INFINITY, ylo = INFINITY, yhi = -INFINITY;
  for (const Series& s : c.series)
    for (auto [px_, py_] : s.points) {
      if (!std::isfinite(px_) || !std::isfinite(py_)) continue;
      xlo = std::min(xlo, px_), xhi = std::max(xhi, px_), ylo = std::min(ylo, py_), yhi = std::max(yhi, py_);
    }
  if (!std::isfinite(xlo)) xlo = 0, xhi = 1, ylo = 0, yhi = 1;
  Axis xa = value_axis(xlo, xhi, c.x_min, c.x_max);
  Axis ya = value_axis(ylo, yhi, c.y_min, c.y_max);
  LinearScale x(xa.lo, xa.hi, f.x0(), f.x1()), y(ya.lo, ya.hi, f.y0(), f.y1());
  draw_y_axis(svg, f, ya, y, c.y_percent, c.y_label);
  double xstep = xa.ticks.size() > 1 ? xa.ticks[1] - xa.ticks[0] : 1;
  for (double t : xa.ticks) {
    svg.line(x(t), f.y0(), x(t), f.y0() + 4, "axis");
    svg.text(x(t), f.y0() + 16, "middle", "tick", tick_label(t, xstep, false));
  }
  svg.line(f.x0(), f.y0(), f.x1(), f.y0(), "axis");
  if (!c.x_label.empty()) svg.text((f.x0() + f.x1()) / 2, f.height - 8, "middle", "al", c.x_label);
  auto inside = [&](double vx, double vy) {
    return std::isfinite(vx) && std::isfinite(vy) && vx >= xa.lo && vx <= xa.hi && vy >= ya.lo && vy <= ya.hi;
  };
  for (const Series& s : c.series) {
    std::string cls = fmt::format("s{}", ((s.colour % 6) + 6) % 6);
    if (s.line) {
      std::string d;
      bool open = false;
      for (auto [vx, vy] : s.points) {
        if (!inside(vx, vy)) {
          open = false;
          continue;
        }
        d += (open ? "L" : "M") + px(x(vx)) + " " + px(y(vy));
        open = true;
      }
      svg.path(d, ("line " + cls).c_str());
    }
    if (s.markers)
      for (auto [vx, vy] : s.points)
        if (inside(vx, vy)) svg.circle(x(vx), y(vy), 3, ("pt " + cls).c_str());
  }
  // Legend, top right inside the plot.
  double ly = f.y1() + 12;
  for (const Series& s : c.series) {
    std::string cls = fmt::format("s{}", ((s.colour % 6) + 6) % 6);
    double lx = f.x1() - 150;
    if (s.line) svg.line(lx, ly - 4, lx + 18, ly - 4, ("line " + cls).c_str());
    if (s.markers) svg.circle(lx + 9, ly - 4, 3, ("pt " + cls).c_str());
    svg.text(lx + 24, ly, "start", "leg", shorten(s.name, 22));
    ly += 15;
  }
  return svg.finish();
}

Rgb fail_rate_colour(double t) {
  // Stops of a yellow-orange-red sequential scale.
  static constexpr Rgb kStops[] = {{255, 255, 204}, {254, 217, 118}, {253, 141, 60}, {227, 26, 28}, {128, 0, 38}};
  constexpr int kLast = static_cast<int>(std::size(kStops)) - 1;
  if (!std::isfinite(t)) t = 0;
  t = std::clamp(t, 0.0, 1.0) * kLast;
  int i = std::min(static_cast<int>(t), kLast - 1);
  double u = t - i;
  auto mix = [&](unsigned char a, unsigned char b) {
    return static_cast<unsigned char>(std::lround(a + (b - a) * u));
  };
  return {mix(kStops[i].r, kStops[i + 1].r), mix(kStops[i].g, kStops[i + 1].g), mix(kStops[i].b, kStops[i + 1].b)};
}

std::string css_colour(Rgb c) { return fmt::format("#{:02x}{:02x}{:02x}", c.r, c.g, c.b); }

std::string colour_legend_svg(double lo, double hi, const std::string& label, bool percent, int steps) {
  steps = std::max(steps, 2);
  Frame f;
  f.width = 260, f.height = 44, f.left = 10, f.right = 10, f.top = 16, f.bottom = 14;
  std::string s = fmt::format(R"(<svg class="legend" xmlns="http://www.w3.org/2000/svg" viewBox="0 0 {0} {1}" width="{0}" height="{1}" role="img" aria-label="{2}">)",
                              px(f.width), px(f.height), html_escape(label));
  s += fmt::format(R"(<text class="tick" x="{}" y="11">{}</text>)", px(f.x0()), html_escape(label));
  double w = (f.x1() - f.x0()) / steps;
  for (int i = 0; i < steps; ++i) {
    double t = (i + 0.5) / steps;
    s += fmt::format(R"(<rect x="{}" y="{}" width="{}" height="12" fill="{}"/>)", px(f.x0() + i * w), px(f.y1()),
                     px(w + 0.5), css_colour(fail_rate_colour(t)));
  }
  auto lab = [&](double v) { return percent ? fmt::format("{:.0f}%", v * 100) : format_number(v, 2); };
  s += fmt::format(R"(<text class="tick" x="{}" y="{}" text-anchor="start">{}</text>)", px(f.x0()), px(f.y1() + 24),
                   html_escape(lab(lo)));
  s += fmt::format(R"(<text class="tick" x="{}" y="{}" text-anchor="end">{}</text>)", px(f.x1()), px(f.y1() + 24),
                   html_escape(lab(hi)));
  return s + "</svg>";
}

std::string shorten(const std::string& text, std::size_t max_chars) {
  std::size_t chars = 0, cut = std::string::npos;
  for (std::size_t i = 0; i < text.size(); ++i) {
    if ((static_cast<unsigned char>(text[i]) & 0xC0) == 0x80) continue;  // continuation byte
    if (chars == (max_chars > 0 ? max_chars - 1 : 0) && cut == std::string::npos) cut = i;
    ++chars;
  }
  if (chars <= max_chars) return text;
  return text.substr(0, cut) + "\xE2\x80\xA6";  // U+2026
}

}  // namespace yf::report
