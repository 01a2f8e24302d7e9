#include "io/report/HtmlPage.hpp"

#include "io/report/HtmlText.hpp"

namespace yf::report {

std::string Cell::html_escape_for_cell(std::string_view s) { return html_escape(s); }

std::string table_html(const Table& t) {
  std::string s = "<div class=\"tablewrap\"><table class=\"data\">";
  if (!t.caption.empty()) s += "<caption>" + html_escape(t.caption) + "</caption>";
  s += "<thead><tr>";
  for (std::size_t i = 0; i < t.header.size(); ++i) {
    bool num = i < t.numeric_columns.size() && t.numeric_columns[i];
    s += num ? "<th class=\"num\">" : "<th>";
    s += html_escape(t.header[i]) + "</th>";
  }
  s += "</tr></thead><tbody>";
  for (std::size_t r = 0; r < t.rows.size(); ++r) {
    const std::string& cls = r < t.row_classes.size() ? t.row_classes[r] : std::string();
    s += cls.empty() ? "<tr>" : "<tr class=\"" + html_escape(cls) + "\">";
    for (const Cell& c : t.rows[r]) s += (c.numeric ? "<td class=\"num\">" : "<td>") + c.html + "</td>";
    s += "</tr>";
  }
  s += "</tbody></table>";
  if (!t.note.empty()) s += "<p class=\"note\">" + html_escape(t.note) + "</p>";
  return s + "</div>\n";
}

const std::string& report_css() {
  static const std::string css = R"CSS(
:root { --ink: #1d2430; --muted: #5b6575; --rule: #d9dee6; --panel: #f5f7fa; --accent: #2f6db5; --alert: #c0392b; }
* { box-sizing: border-box; }
body { margin: 0; color: var(--ink); background: #fff; font: 14px/1.45 system-ui, -apple-system, "Segoe UI", Roboto, "DejaVu Sans", "Liberation Sans", Arial, sans-serif; }
header.top { padding: 18px 32px 12px; border-bottom: 3px solid var(--accent); }
header.top h1 { margin: 0 0 4px; font-size: 24px; }
header.top p { margin: 2px 0; color: var(--muted); }
nav.toc { position: sticky; top: 0; z-index: 1; padding: 8px 32px; background: var(--panel); border-bottom: 1px solid var(--rule); }
nav.toc a { margin-right: 18px; color: var(--accent); text-decoration: none; font-weight: 600; }
main { padding: 0 32px 32px; }
section.fab { padding-top: 12px; }
section.fab > h2 { font-size: 22px; margin: 18px 0 8px; padding-bottom: 4px; border-bottom: 1px solid var(--rule); }
h3 { font-size: 17px; margin: 22px 0 8px; color: var(--accent); }
h4 { font-size: 14px; margin: 14px 0 6px; }
p.note, p.lead { color: var(--muted); margin: 4px 0 10px; max-width: 60em; }
.kpis { display: flex; flex-wrap: wrap; gap: 12px; margin: 8px 0 12px; }
.kpi { min-width: 140px; padding: 10px 14px; border: 1px solid var(--rule); border-radius: 6px; background: var(--panel); }
.kpi .v { font-size: 22px; font-weight: 700; font-variant-numeric: tabular-nums; }
.kpi .k { font-size: 12px; color: var(--muted); text-transform: uppercase; letter-spacing: .04em; }
.kpi.alert { border-color: var(--alert); }
.kpi.alert .v { color: var(--alert); }
.grid { display: flex; flex-wrap: wrap; gap: 12px 24px; align-items: flex-start; }
figure { margin: 6px 0; width: fit-content; max-width: 100%; break-inside: avoid; page-break-inside: avoid; }
figcaption { font-size: 12px; color: var(--muted); contain: inline-size; }  /* as wide as the chart, never wider */
.tablewrap { overflow-x: auto; margin: 6px 0 12px; break-inside: auto; }
table.data { border-collapse: collapse; font-size: 13px; }
table.data caption { text-align: left; font-weight: 600; padding: 4px 0; }
table.data th, table.data td { padding: 3px 10px; white-space: nowrap; border-bottom: 1px solid var(--rule); text-align: left; vertical-align: top; }
table.data th { background: var(--panel); font-weight: 600; border-bottom: 2px solid var(--rule); }
table.data .num { text-align: right; font-variant-numeric: tabular-nums; white-space: nowrap; }
table.data tr.alert td { background: #fdecea; }
table.data tr.alert td:first-child { border-left: 3px solid var(--alert); }
table.data tr.best td { font-weight: 600; }
.badge { display: inline-block; padding: 0 6px; border-radius: 8px; font-size: 11px; font-weight: 600; background: #e8eef7; color: var(--accent); }
.badge.alert { background: #fdecea; color: var(--alert); }
svg.chart { max-width: 100%; height: auto; display: block; }
svg text { font-family: inherit; fill: var(--ink); }
svg .ct { font-size: 13px; font-weight: 600; }
svg .tick, svg .leg, svg .lim, svg .reflabel { font-size: 10px; fill: var(--muted); }
svg .al { font-size: 11px; fill: var(--muted); }
svg .note { font-size: 12px; fill: var(--muted); }
svg .grid { stroke: #eceff3; stroke-width: 1; }
svg .axis { stroke: #8a93a3; stroke-width: 1; }
svg .bar { fill: #4a7fc1; }
svg .bar.hi { fill: var(--alert); }
svg .ref { stroke: #333; stroke-width: 1; stroke-dasharray: 4 3; }
svg .cum { fill: none; stroke: #e69f00; stroke-width: 2; }
svg .cumdot { fill: #e69f00; }
svg .baseline { fill: #eef3fa; }
svg .limit { fill: none; stroke: var(--alert); stroke-width: 1.2; stroke-dasharray: 5 3; }
svg .centre { fill: none; stroke: #2e7d32; stroke-width: 1.2; }
svg .series { fill: none; stroke: #4a7fc1; stroke-width: 1.2; }
svg .dot { fill: #4a7fc1; }
svg .exc { fill: none; stroke: var(--alert); stroke-width: 2; }
svg .line { fill: none; stroke-width: 2; }
svg .pt { stroke: #fff; stroke-width: .8; }
svg .s0.line { stroke: #0072b2; } svg .s0.pt { fill: #0072b2; }
svg .s1.line { stroke: #d55e00; } svg .s1.pt { fill: #d55e00; }
svg .s2.line { stroke: #009e73; } svg .s2.pt { fill: #009e73; }
svg .s3.line { stroke: #cc79a7; } svg .s3.pt { fill: #cc79a7; }
svg .s4.line { stroke: #e69f00; } svg .s4.pt { fill: #e69f00; }
svg .s5.line { stroke: #333333; } svg .s5.pt { fill: #333333; }
.maps { display: flex; flex-wrap: wrap; gap: 14px; }
.map { border: 1px solid var(--rule); border-radius: 6px; padding: 6px; text-align: center; break-inside: avoid; page-break-inside: avoid; }
.map img { display: block; margin: 0 auto 4px; image-rendering: pixelated; max-width: 100%; }
.map .cap { font-size: 12px; }
.map .sub { font-size: 11px; color: var(--muted); }
.swatches { display: flex; flex-wrap: wrap; gap: 12px; font-size: 12px; color: var(--muted); margin: 4px 0 8px; }
.swatch { display: inline-block; width: 11px; height: 11px; margin-right: 4px; vertical-align: -1px; border: 1px solid #999; }
footer { padding: 12px 32px; color: var(--muted); font-size: 12px; border-top: 1px solid var(--rule); }
@media print {
  @page { size: A4; margin: 14mm 12mm; }
  body { font-size: 10.5pt; background: #fff; color: #000; }
  nav.toc { display: none; }
  header.top, main, footer { padding-left: 0; padding-right: 0; }
  section.fab { break-before: page; page-break-before: always; }
  section.fab:first-of-type { break-before: auto; page-break-before: auto; }
  .kpi, table.data th, nav.toc { background: #fff; }
  svg.chart { max-width: 180mm; }
  .tablewrap { overflow: visible; }
  a { color: inherit; text-decoration: none; }
  h3 { break-after: avoid; page-break-after: avoid; }
}
)CSS";
  return css;
}

std::string page_html(const std::string& title, const std::string& body_html) {
  std::string s = "<!DOCTYPE html>\n<html lang=\"en\">\n<head>\n<meta charset=\"utf-8\">\n";
  // No network, no script: everything the page needs is inside it.
  s += "<meta http-equiv=\"Content-Security-Policy\" content=\"default-src 'none'; style-src 'unsafe-inline'; "
       "img-src data:\">\n";
  s += "<meta name=\"viewport\" content=\"width=device-width, initial-scale=1\">\n";
  s += "<title>" + html_escape(title) + "</title>\n<style>" + report_css() + "</style>\n</head>\n<body>\n";
  s += body_html;
  s += "\n</body>\n</html>\n";
  return s;
}

}  // namespace yf::report
