#include "io/report/ReportHtml.hpp"

#include <fmt/format.h>

#include <algorithm>
#include <fstream>

#include "io/AtomicFile.hpp"
#include "io/report/HtmlPage.hpp"
#include "io/report/HtmlText.hpp"
#include "io/report/ReportSections.hpp"

namespace yf::report {

using namespace analytics;

namespace {

std::string h3(const std::string& title) { return "<h3>" + html_escape(title) + "</h3>\n"; }

// Wafers per failure pattern (WM-811K classes, docs/patterns.md) of the sort maps and of
// the inspection kill maps, by pattern name.
std::string patterns_html(const FabReport& fab) {
  if (fab.sort_patterns.empty() && fab.inspection_patterns.empty())
    return "<p class=\"note\">No failure patterns: the run had no pattern model (--no-patterns, or the model file "
           "was missing).</p>\n";
  std::int64_t sorted = 0, inspected = 0;
  for (const auto& [name, n] : fab.sort_patterns) sorted += n;
  for (const auto& [name, n] : fab.inspection_patterns) inspected += n;
  Table t;
  t.header = {"pattern", "wafers (sort map)", "share", "wafers (inspection kill map)", "share"};
  t.numeric_columns = {false, true, true, true, true};
  auto count = [](const std::map<std::string, std::int64_t>& m, const std::string& k) {
    auto it = m.find(k);
    return it == m.end() ? std::int64_t{0} : it->second;
  };
  auto share = [](std::int64_t n, std::int64_t total) {
    return total > 0 ? format_percent(static_cast<double>(n) / static_cast<double>(total)) : std::string("-");
  };
  std::vector<std::string> names;
  for (const auto& [name, n] : fab.sort_patterns) names.push_back(name);
  for (const auto& [name, n] : fab.inspection_patterns)
    if (!fab.sort_patterns.count(name)) names.push_back(name);
  std::sort(names.begin(), names.end());
  for (const std::string& name : names) {
    const std::int64_t a = count(fab.sort_patterns, name), b = count(fab.inspection_patterns, name);
    t.rows.push_back({Cell::text(name), Cell::number(format_count(a)), Cell::number(share(a, sorted)),
                      Cell::number(format_count(b)), Cell::number(share(b, inspected))});
  }
  t.note = "Classified by the random forest of docs/patterns.md; per-wafer patterns and confidences are in "
           "wafers.csv.";
  return table_html(t);
}

std::string fab_section(const FabReport& fab, std::size_t index) {
  std::string s = fmt::format("<section class=\"fab\" id=\"fab-{}\">\n<h2>Fab {}</h2>\n", index + 1, html_escape(fab.fab));
  s += headline_html(fab);
  s += h3("Yield by tool");
  s += yield_rows_html("tool", fab.yield_by_tool, fab.summary.yield, true);
  s += h3("Yield by lot");
  s += yield_rows_html("lot", fab.yield_by_lot, fab.summary.yield, true);
  s += h3("Yield by product");
  s += yield_rows_html("product", fab.yield_by_product, fab.summary.yield, false);
  s += h3("Trend and SPC");
  s += spc_html(fab);
  s += h3("Paretos");
  s += paretos_html(fab.summary);
  s += h3("Kill ratios");
  s += kill_ratios_html(fab.summary.kill_ratios);
  s += h3("Zones");
  s += zones_html(fab.summary.zones);
  s += h3("Stacked maps");
  s += stacked_maps_html(fab.summary.stacked_maps);
  s += h3("Failure patterns");
  s += patterns_html(fab);
  s += h3("Worst wafers");
  s += worst_wafers_html(fab.worst_wafers);
  s += h3("Tool commonality");
  s += commonality_html(fab.commonality);
  s += h3("Yield models");
  s += model_fits_html(fab.summary);
  return s + "</section>\n";
}

// Products, steps and tools across fabs: yield, D0 and the trusted model.
std::string groups_section(const std::vector<GroupAnalytics>& groups) {
  std::string s = "<section class=\"fab\" id=\"groups\">\n<h2>Across fabs</h2>\n";
  bool any = false;
  for (const char* kind : {"product", "step", "tool"}) {
    Table t;
    t.header = {kind, "wafers", "sort yield", "inspection yield", "D0 (/cm\xC2\xB2)", "clustering \xCE\xB1",
                "yield model to trust"};
    t.numeric_columns = {false, true, true, true, true, true, false};
    std::size_t total = 0;
    for (const GroupAnalytics& g : groups) {
      if (g.kind != kind) continue;
      if (++total > kMaxTableRows) continue;
      t.rows.push_back({Cell::text(g.key), Cell::number(format_count(g.yield.wafers)),
                        Cell::number(format_percent(g.yield.sort_yield)),
                        Cell::number(format_percent(g.yield.inspection_yield)),
                        Cell::number(format_number(g.density.d0_per_cm2, 4)),
                        Cell::number(g.defect_counts.poisson ? "Poisson" : format_number(g.defect_counts.alpha, 3)),
                        Cell::text(g.models.trusted_model.empty() ? "n/a" : g.models.trusted_model)});
    }
    if (total == 0) continue;
    if (total > t.rows.size()) t.note = fmt::format("{} of {} shown; all of them: summary.json.", t.rows.size(), total);
    any = true;
    s += h3(std::string("By ") + kind) + table_html(t);
  }
  if (!any) return "";
  return s + "</section>\n";
}

}  // namespace

std::string render_report_html(const Analytics& a, const ReportInfo& info) {
  std::string body = "<header class=\"top\"><h1>" + html_escape(info.title) + "</h1>";
  std::string run = fmt::format("{} wafers analysed in {} fab{}", format_count(a.wafers), a.fabs.size(),
                                a.fabs.size() == 1 ? "" : "s");
  if (info.wafers_read >= 0) run += fmt::format(" ({} read)", format_count(info.wafers_read));
  if (info.failed_wafers > 0 || info.failed_files > 0)
    run += fmt::format("; {} failed wafers and {} failed files are listed in summary.json",
                       format_count(info.failed_wafers), format_count(info.failed_files));
  body += "<p>" + html_escape(run + ".") + "</p>";
  body += "<p>Sort yield = good dies / tested dies (bin maps); inspection yield = 1 - killed / product dies "
          "(defects). Hover a bar or point for its numbers.</p></header>\n";
  body += "<nav class=\"toc\">";
  for (std::size_t i = 0; i < a.fabs.size(); ++i)
    body += fmt::format("<a href=\"#fab-{}\">{}</a>", i + 1, html_escape(a.fabs[i].fab));
  std::string groups = groups_section(a.groups);
  if (!groups.empty()) body += "<a href=\"#groups\">Across fabs</a>";
  body += "</nav>\n<main>\n";
  if (a.fabs.empty()) body += "<p class=\"note\">No wafer was analysed: nothing to report.</p>\n";
  for (std::size_t i = 0; i < a.fabs.size(); ++i) body += fab_section(a.fabs[i], i);
  body += groups;
  body += "</main>\n<footer>yieldflow " + html_escape(YF_VERSION) +
          fmt::format(" \xC2\xB7 analytics format {}", a.format_version);
  body += " \xC2\xB7 formulas: docs/algorithms.md \xC2\xB7 every table in full: summary.json and OUT/tables/</footer>";
  return page_html(info.title, body);
}

ReportInfo report_info(const RunTotals& totals) {
  ReportInfo info;
  info.wafers_read = totals.wafers;
  info.failed_wafers = static_cast<std::int64_t>(totals.failed_wafers.size());
  info.failed_files = static_cast<std::int64_t>(totals.failed_files.size());
  return info;
}

std::optional<ReportInfo> report_info_from_summary(const std::filesystem::path& summary_json) {
  std::ifstream in(summary_json, std::ios::binary);
  if (!in) return std::nullopt;
  nlohmann::json j = nlohmann::json::parse(in, nullptr, false);
  if (j.is_discarded() || !j.is_object()) return std::nullopt;
  ReportInfo info;
  if (auto it = j.find("wafers"); it != j.end() && it->is_number_integer()) info.wafers_read = it->get<std::int64_t>();
  if (auto it = j.find("failed_wafers"); it != j.end() && it->is_array())
    info.failed_wafers = static_cast<std::int64_t>(it->size());
  if (auto it = j.find("failed_files"); it != j.end() && it->is_array())
    info.failed_files = static_cast<std::int64_t>(it->size());
  return info;
}

void write_report(const std::filesystem::path& out_dir, const Analytics& analytics, const ReportInfo& info) {
  write_file_atomically(out_dir / "report.html", render_report_html(analytics, info));
}

}  // namespace yf::report
