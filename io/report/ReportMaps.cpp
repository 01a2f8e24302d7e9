// Die maps of the report: stacked maps (per-die failure rate over a product's
// wafers) and the gallery of the worst wafers, as embedded PNG images.
#include <fmt/format.h>

#include <algorithm>
#include <cmath>

#include "io/report/HtmlText.hpp"
#include "io/report/MapImage.hpp"
#include "io/report/ReportSections.hpp"
#include "io/report/SvgChart.hpp"

namespace yf::report {

using namespace analytics;

namespace {

constexpr int kStackedPx = 260;  // longer side of a stacked map
constexpr int kGalleryPx = 150;  // longer side of a gallery map

std::string img_html(const std::vector<std::uint8_t>& png, const std::string& alt) {
  return "<img src=\"" + data_uri("image/png", png) + "\" alt=\"" + html_escape(alt) + "\">";
}

// The largest rate rounded up to a step of 5 % (at least 5 %): the colour scale's top.
double scale_top(const std::vector<double>& rates) {
  double top = 0;
  for (double r : rates)
    if (std::isfinite(r)) top = std::max(top, r);
  return std::max(0.05, std::ceil(top * 20 - 1e-9) / 20);
}

std::string rate_map_html(const std::vector<double>& rates, int rows, int cols, const std::string& title,
                          const std::string& sub, const std::string& legend) {
  double top = scale_top(rates);
  std::string s = "<div class=\"map\">";
  s += img_html(rate_map_png(rates, rows, cols, cell_size_for(rows, cols, kStackedPx), top), title);
  s += "<div class=\"cap\">" + html_escape(title) + "</div><div class=\"sub\">" + html_escape(sub) + "</div>";
  s += colour_legend_svg(0, top, legend, true);
  return s + "</div>\n";
}

}  // namespace

std::string stacked_maps_html(const std::vector<StackedMap>& maps) {
  std::string s;
  for (const StackedMap& m : maps) {
    const std::size_t n = static_cast<std::size_t>(std::max(m.rows, 0)) * static_cast<std::size_t>(std::max(m.cols, 0));
    if (n == 0 || m.tested.size() != n || m.failed.size() != n) continue;
    std::vector<double> fail(n, std::nan("")), kill(n, std::nan(""));
    std::int64_t tested = 0, failed = 0, inspected = 0, killed = 0;
    bool has_kill = m.inspected.size() == n && m.killed.size() == n;
    for (std::size_t i = 0; i < n; ++i) {
      if (m.tested[i] > 0) fail[i] = static_cast<double>(m.failed[i]) / static_cast<double>(m.tested[i]);
      tested += m.tested[i], failed += m.failed[i];
      if (has_kill && m.inspected[i] > 0) {
        kill[i] = static_cast<double>(m.killed[i]) / static_cast<double>(m.inspected[i]);
        inspected += m.inspected[i], killed += m.killed[i];
      }
    }
    if (tested > 0)
      s += rate_map_html(fail, m.rows, m.cols, m.product + ": sort fail rate",
                         fmt::format("{} wafers, {} of die tests failed", format_count(m.wafers),
                                     format_percent(static_cast<double>(failed) / static_cast<double>(tested))),
                         "fail rate per die");
    if (inspected > 0)
      s += rate_map_html(kill, m.rows, m.cols, m.product + ": inspection kill rate",
                         fmt::format("{} wafers, {} of product dies killed", format_count(m.wafers),
                                     format_percent(static_cast<double>(killed) / static_cast<double>(inspected))),
                         "kill rate per die");
  }
  if (s.empty()) return "<p class=\"note\">No stacked maps.</p>\n";
  return "<div class=\"maps\">" + s + "</div>\n";
}

std::string worst_wafers_html(const std::vector<WorstWafer>& wafers) {
  std::string s;
  for (const WorstWafer& w : wafers) {
    const std::size_t n = static_cast<std::size_t>(std::max(w.rows, 0)) * static_cast<std::size_t>(std::max(w.cols, 0));
    if (n == 0 || w.die_verdicts.size() != n) continue;
    s += "<div class=\"map\">";
    s += img_html(wafer_map_png(w.die_verdicts, w.rows, w.cols, cell_size_for(w.rows, w.cols, kGalleryPx)),
                  "die map of wafer " + w.wafer_id);
    s += "<div class=\"cap\"><b>" + html_escape(w.wafer_id) + "</b> " + html_escape(format_percent(w.sort_yield)) +
         "</div>";
    std::string sub = w.lot_id + " \xC2\xB7 " + w.product + " \xC2\xB7 " + w.tool;
    s += "<div class=\"sub\">" + html_escape(sub) + "</div>";
    std::string more = "inspection " + format_percent(w.inspection_yield);
    if (!w.sort_pattern.empty()) more += " \xC2\xB7 " + w.sort_pattern;
    s += "<div class=\"sub\">" + html_escape(more) + "</div>";
    s += "<div class=\"sub\">" + html_escape(format_time(w.timestamp)) + "</div></div>\n";
  }
  if (s.empty()) return "<p class=\"note\">No wafer maps.</p>\n";
  std::string legend = "<div class=\"swatches\">";
  const std::pair<DieColour, const char*> keys[] = {{DieColour::pass, "pass"},
                                                    {DieColour::fail, "fail"},
                                                    {DieColour::killed_fail, "fail, killer defect"},
                                                    {DieColour::killed_pass, "pass, killer defect"},
                                                    {DieColour::untested, "product die, not tested"}};
  for (auto [colour, name] : keys)
    legend += "<span><span class=\"swatch\" style=\"background:" + css_colour(die_colour(colour)) + "\"></span>" +
              name + "</span>";
  legend += "</div>\n";
  return legend + "<div class=\"maps\">" + s + "</div>\n";
}

}  // namespace yf::report
