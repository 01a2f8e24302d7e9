// SPC of a fab: the fab's trend p-chart and per inspection tool a p-chart of wafer
// sort yield and a c-chart of defects per wafer, with Western Electric excursions.
#include <fmt/format.h>

#include <algorithm>
#include <map>

#include "io/report/HtmlPage.hpp"
#include "io/report/HtmlText.hpp"
#include "io/report/ReportSections.hpp"
#include "io/report/SvgChart.hpp"

namespace yf::report {

using namespace analytics;

namespace {

const char* rule_text(int rule) {
  switch (rule) {
    case 1: return "rule 1: a point beyond 3 sigma";
    case 2: return "rule 2: 2 of 3 beyond 2 sigma";
    case 3: return "rule 3: 4 of 5 beyond 1 sigma";
    case 4: return "rule 4: 8 in a row on one side";
  }
  return "rule ?";
}

std::string chart_name(const SpcChart& c) {
  std::string what = c.chart == "p" ? "Laney p'-chart, wafer sort yield" : c.chart == "c" ? "Laney c-chart, defects per wafer" : c.chart;
  return (c.tool.empty() ? std::string("fab trend") : c.tool) + ": " + what;
}

std::string spc_figure(const SpcChart& spc) {
  ControlChart c;
  c.title = chart_name(spc);
  c.percent = spc.chart == "p";
  c.y_label = c.percent ? "sort yield" : "defects";
  if (spc.centre) c.centre = {*spc.centre};
  std::map<std::int64_t, std::size_t> position;  // full-series index -> shown point
  for (const SpcPoint& p : spc.points) {
    position[p.index] = c.values.size();
    c.values.push_back(p.value);
    c.ucl.push_back(p.ucl);
    c.lcl.push_back(p.lcl);
    c.point_labels.push_back(fmt::format("{} ({}, {})", p.wafer_id, p.lot_id, format_time(p.timestamp)));
    if (p.baseline) ++c.baseline_points;
  }
  std::map<std::size_t, std::string> notes;  // several rules may fire at one point
  for (const SpcViolation& v : spc.violations) {
    auto it = position.find(v.index);
    if (it == position.end()) continue;
    std::string& n = notes[it->second];
    n += (n.empty() ? "" : "; ") + std::string(rule_text(v.rule)) + (v.side.empty() ? "" : ", " + v.side);
  }
  for (auto& [pos, note] : notes) c.marked.push_back({pos, note});
  c.frame.width = 580;
  std::string caption = spc.baseline.empty() ? "" : "Baseline (shaded): " + spc.baseline + ". ";
  caption += fmt::format("Centre line {}, limits at 3 sigma. {} wafers", 
                         c.percent ? format_percent(spc.centre) : format_number(spc.centre, 2),
                         format_count(spc.total_points));
  if (static_cast<std::int64_t>(spc.points.size()) < spc.total_points)
    caption += fmt::format(", the last {} shown", spc.points.size());
  caption += fmt::format("; {} rule violations (circled).", format_count(spc.total_violations));
  return figure_html(control_chart_svg(c), caption);
}

}  // namespace

std::string spc_html(const FabReport& fab) {
  std::vector<const SpcChart*> charts;
  if (!fab.trend.points.empty()) charts.push_back(&fab.trend);
  for (const SpcChart& c : fab.spc)
    if (!c.points.empty()) charts.push_back(&c);
  if (charts.empty()) return "<p class=\"note\">No SPC data (too few wafers in time order).</p>\n";
  // The fab's trend on its own row, then a row per tool: p-chart beside c-chart.
  std::string s;
  for (std::size_t i = 0; i < charts.size(); ++i) {
    bool row_start = i == 0 || charts[i]->tool != charts[i - 1]->tool;
    bool row_end = i + 1 == charts.size() || charts[i + 1]->tool != charts[i]->tool;
    if (row_start) s += "<div class=\"grid\">";
    s += spc_figure(*charts[i]);
    if (row_end) s += "</div>\n";
  }
  Table t;
  t.caption = "Excursions (Western Electric rule violations)";
  t.header = {"chart", "rule", "wafer", "time (UTC)", "side"};
  std::size_t total = 0;
  for (const SpcChart* c : charts) {
    for (const SpcViolation& v : c->violations) {
      ++total;
      if (t.rows.size() >= kMaxExcursionRows) continue;
      t.rows.push_back({Cell::text(chart_name(*c)), Cell::text(rule_text(v.rule)), Cell::text(v.wafer_id),
                        Cell::text(format_time(v.timestamp)), Cell::text(v.side)});
      if (v.rule == 1) t.row_classes.resize(t.rows.size()), t.row_classes.back() = "alert";
    }
  }
  if (total == 0) return s + "<p class=\"note\">No Western Electric rule fired: every chart is in control.</p>\n";
  if (total > t.rows.size())
    t.note = fmt::format("{} of {} violations listed; all of them: summary.json and the CSV tables.", t.rows.size(), total);
  return s + table_html(t);
}

}  // namespace yf::report
