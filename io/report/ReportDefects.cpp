// Paretos (defects by class and by size, failing bins) and kill ratios of a group.
#include <fmt/format.h>

#include "io/report/HtmlPage.hpp"
#include "io/report/HtmlText.hpp"
#include "io/report/ReportSections.hpp"
#include "io/report/SvgChart.hpp"

namespace yf::report {

using namespace analytics;

namespace {

std::string pareto_figure(const Pareto& p, const std::string& title, const std::string& y_label, bool with_code) {
  ParetoChart c;
  c.title = title;
  c.y_label = y_label;
  c.frame.width = 520;
  std::size_t shown = 0;
  for (const ParetoBar& b : p.bars) {
    if (shown++ >= kMaxChartBars) break;
    Bar bar;
    bar.label = with_code ? fmt::format("{} {}", b.code, b.label) : b.label;
    bar.value = static_cast<double>(b.count);
    bar.tooltip = fmt::format("{}: {}", bar.label, format_count(b.count));
    c.bars.push_back(std::move(bar));
  }
  std::string caption = fmt::format("{} in all; line: cumulative share.", format_count(p.total));
  return figure_html(pareto_svg(c), caption);
}

}  // namespace

std::string paretos_html(const GroupAnalytics& g) {
  std::string s = "<div class=\"grid\">";
  s += pareto_figure(g.defects_by_class, "Defects by class", "defects", false);
  s += pareto_figure(g.defects_by_size, "Defects by size", "defects", false);
  s += pareto_figure(g.failing_bins, "Failing bins", "failing dies", true);
  return s + "</div>\n";
}

std::string kill_ratios_html(const std::vector<KillRatio>& rows) {
  if (rows.empty()) return "<p class=\"note\">No kill ratios: they need both defect lists and bin maps.</p>\n";
  Table t;
  t.header = {"class", "killer", "defects", "dies with the class", "their yield", "clean dies", "clean yield",
              "kill ratio"};
  t.numeric_columns = {false, false, true, true, true, true, true, true};
  for (const KillRatio& k : rows) {
    std::string name = k.class_name.empty() ? fmt::format("class {}", k.class_id) : k.class_name;
    t.rows.push_back({Cell::text(name), Cell::text(k.killer ? "yes" : "no"), Cell::number(format_count(k.defects)),
                      Cell::number(format_count(k.dies_with)), Cell::number(format_percent(k.yield_with)),
                      Cell::number(format_count(k.dies_clean)), Cell::number(format_percent(k.yield_clean)),
                      Cell::number(format_number(k.kill_ratio, 3))});
    t.row_classes.push_back(k.kill_ratio && *k.kill_ratio >= 0.5 ? "alert" : "");
  }
  t.note = "KR = 1 - Y(dies with a defect of the class) / Y(dies with no defect), over sort-tested product dies.";
  return table_html(t);
}

}  // namespace yf::report
