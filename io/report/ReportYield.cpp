// Headline figures, yield by tool / lot / product, and zone yields of a fab.
#include <fmt/format.h>

#include <algorithm>
#include <numeric>

#include "io/report/HtmlPage.hpp"
#include "io/report/HtmlText.hpp"
#include "io/report/ReportSections.hpp"
#include "io/report/SvgChart.hpp"

namespace yf::report {

using namespace analytics;

ShownYield shown_yield(const YieldSummary& y) {
  if (y.sort_yield) return {y.sort_yield, "sort"};
  return {y.inspection_yield, "inspection"};
}

std::string kpi_html(const std::string& label, const std::string& value, bool alert) {
  return fmt::format(R"(<div class="kpi{}"><div class="v">{}</div><div class="k">{}</div></div>)",
                     alert ? " alert" : "", html_escape(value), html_escape(label));
}

std::string figure_html(const std::string& svg, const std::string& caption) {
  std::string s = "<figure>" + svg;
  if (!caption.empty()) s += "<figcaption>" + html_escape(caption) + "</figcaption>";
  return s + "</figure>\n";
}

namespace {

const CommonalityRow* top_suspect(const Commonality& c) {
  for (const CommonalityRow& r : c.rows)
    if (r.chamber.empty() && r.rank == 1) return &r;
  return nullptr;
}

std::string mean_std(const YieldSummary& y) {
  if (!y.sort_yield_mean) return "n/a";
  std::string s = format_percent(y.sort_yield_mean);
  if (y.sort_yield_std) s += " \xC2\xB1 " + format_percent(y.sort_yield_std);  // ±
  return s;
}

}  // namespace

std::string headline_html(const FabReport& fab) {
  const GroupAnalytics& g = fab.summary;
  const YieldSummary& y = g.yield;
  std::string s = "<div class=\"kpis\">";
  s += kpi_html("wafers", format_count(y.wafers));
  s += kpi_html("sort yield (dies)", format_percent(y.sort_yield));
  s += kpi_html("mean wafer yield", mean_std(y));
  s += kpi_html("inspection yield", format_percent(y.inspection_yield));
  s += kpi_html("D0, killer defects / cm\xC2\xB2", format_number(g.density.d0_per_cm2, 3));
  s += kpi_html("killer defects", format_count(y.killer_defects));
  if (!g.models.trusted_model.empty()) s += kpi_html("yield model to trust", g.models.trusted_model);
  std::int64_t signals = 0;
  for (const SpcChart& c : fab.spc) signals += c.total_violations;
  s += kpi_html("SPC rule violations (tools)", format_count(signals), signals > 0);
  const CommonalityRow* suspect = top_suspect(fab.commonality);
  if (suspect && suspect->significant) s += kpi_html("most suspect tool", suspect->tool + " @ " + suspect->step, true);
  s += "</div>\n";
  // One sentence an engineer can quote.
  std::string lead = fmt::format("{} wafers; sort yield {} over {} tested dies, inspection yield {}.", format_count(y.wafers),
                                 format_percent(y.sort_yield), format_count(y.tested_dies),
                                 format_percent(y.inspection_yield));
  if (suspect) {
    lead += fmt::format(" Most suspect (step, tool): {} at {}, median wafer yield {} against {} for the other wafers "
                        "of the step (adjusted p = {}){}.",
                        suspect->tool, suspect->step, format_percent(suspect->median_yield),
                        format_percent(suspect->median_yield_rest), format_p_value(suspect->adjusted_p),
                        suspect->significant ? ", significant" : ", not significant");
  }
  s += "<p class=\"lead\">" + html_escape(lead) + "</p>\n";
  return s;
}

std::string yield_rows_html(const std::string& what, const std::vector<YieldRow>& rows, const YieldSummary& fab_yield,
                            bool chart) {
  if (rows.empty()) return "<p class=\"note\">No " + html_escape(what) + " data.</p>\n";
  ShownYield fab_shown = shown_yield(fab_yield);
  const bool sort = std::string(fab_shown.source) == "sort";
  auto value = [&](const YieldRow& r) { return sort ? r.yield.sort_yield : r.yield.inspection_yield; };
  // Rows by key as given; when too many, the lowest-yield ones (the ones to look at).
  std::vector<std::size_t> order(rows.size());
  std::iota(order.begin(), order.end(), 0);
  auto worst_first = [&](std::size_t a, std::size_t b) {
    double va = value(rows[a]).value_or(2), vb = value(rows[b]).value_or(2);
    return va != vb ? va < vb : a < b;
  };
  std::string s = "<div class=\"grid\">";
  if (chart) {
    std::vector<std::size_t> shown = order;
    if (shown.size() > kMaxChartBars) {
      std::stable_sort(shown.begin(), shown.end(), worst_first);
      shown.resize(kMaxChartBars);
      std::sort(shown.begin(), shown.end());
    }
    BarChart c;
    c.title = fmt::format("{} yield by {}", sort ? "Sort" : "Inspection", what);
    c.y_label = sort ? "sort yield" : "inspection yield";
    c.percent = true;
    c.y_min = 0;
    c.y_max = 1;
    c.reference = fab_shown.value;
    c.reference_label = "fab " + format_percent(fab_shown.value);
    for (std::size_t i : shown) {
      Bar b;
      b.label = rows[i].key;
      b.value = value(rows[i]).value_or(std::nan(""));
      b.tooltip = fmt::format("{}: {} over {} wafers", rows[i].key, format_percent(value(rows[i])),
                              format_count(rows[i].yield.wafers));
      c.bars.push_back(std::move(b));
    }
    // About 32 px a bar, between 380 and 760 px: a few tools beside their table, many lots wide.
    c.frame.width = std::clamp(160.0 + 32.0 * static_cast<double>(shown.size()), 380.0, 760.0);
    if (shown.size() > 16) c.frame.bottom = 76;
    std::string caption = shown.size() < rows.size()
                              ? fmt::format("The {} {}s of lowest yield, of {}. Dashed: the fab.", shown.size(), what,
                                            rows.size())
                              : "Dashed: the fab.";
    s += figure_html(bar_chart_svg(c), caption);
  }
  Table t;
  t.header = {what, "wafers", "tested dies", "sort yield", "mean wafer yield", "inspection yield", "killer defects"};
  t.numeric_columns = {false, true, true, true, true, true, true};
  std::vector<std::size_t> listed = order;
  if (listed.size() > kMaxTableRows) {
    std::stable_sort(listed.begin(), listed.end(), worst_first);
    listed.resize(kMaxTableRows);
    t.note = fmt::format("The {} {}s of lowest yield of {}, worst first; all of them: summary.json and the CSV tables.",
                         kMaxTableRows, what, rows.size());
  }
  for (std::size_t i : listed) {
    const YieldSummary& y = rows[i].yield;
    t.rows.push_back({Cell::text(rows[i].key), Cell::number(format_count(y.wafers)),
                      Cell::number(format_count(y.tested_dies)), Cell::number(format_percent(y.sort_yield)),
                      Cell::number(mean_std(y)), Cell::number(format_percent(y.inspection_yield)),
                      Cell::number(format_count(y.killer_defects))});
  }
  return s + table_html(t) + "</div>\n";
}

std::string zones_html(const std::vector<ZoneYield>& zones) {
  if (zones.empty()) return "<p class=\"note\">No zone data.</p>\n";
  bool sort = std::any_of(zones.begin(), zones.end(), [](const ZoneYield& z) { return z.sort_yield.has_value(); });
  BarChart c;
  c.title = sort ? "Sort yield by zone" : "Inspection yield by zone";
  c.y_label = sort ? "sort yield" : "inspection yield";
  c.percent = true;
  c.y_min = 0;
  c.y_max = 1;
  c.frame.width = 520;
  Table t;
  t.header = {"zone", "tested dies", "good dies", "sort yield", "product dies", "killed dies", "inspection yield"};
  t.numeric_columns = {false, true, true, true, true, true, true};
  for (const ZoneYield& z : zones) {
    std::string name = z.zone;
    std::replace(name.begin(), name.end(), '_', ' ');
    Bar b;
    b.label = name;
    b.value = (sort ? z.sort_yield : z.inspection_yield).value_or(std::nan(""));
    c.bars.push_back(b);
    t.rows.push_back({Cell::text(name), Cell::number(format_count(z.tested_dies)), Cell::number(format_count(z.good_dies)),
                      Cell::number(format_percent(z.sort_yield)), Cell::number(format_count(z.product_dies)),
                      Cell::number(format_count(z.killed_dies)), Cell::number(format_percent(z.inspection_yield))});
  }
  return "<div class=\"grid\">" +
         figure_html(bar_chart_svg(c), "Rings of equal area (centre, middle, edge) and quadrants, by die centre.") +
         table_html(t) + "</div>\n";
}

}  // namespace yf::report
