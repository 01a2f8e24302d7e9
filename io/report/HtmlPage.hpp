#pragma once
// The page skeleton of the HTML report (inline CSS, a Content-Security-Policy
// that forbids every network load and every script, print rules) and HTML
// tables whose cells are escaped unless the caller hands over finished HTML.
#include <string>
#include <string_view>
#include <vector>

namespace yf::report {

struct Cell {
  std::string html;
  bool numeric = false;  // right-aligned, tabular digits
  static Cell text(std::string_view s) { return {html_escape_for_cell(s), false}; }
  static Cell number(std::string formatted) { return {html_escape_for_cell(formatted), true}; }
  static Cell raw(std::string html, bool numeric = false) { return {std::move(html), numeric}; }

 private:
  static std::string html_escape_for_cell(std::string_view s);
};

struct Table {
  std::string caption;
  std::vector<std::string> header;           // plain text (escaped)
  std::vector<bool> numeric_columns;         // header alignment; optional
  std::vector<std::vector<Cell>> rows;
  std::vector<std::string> row_classes;      // optional, e.g. "alert"
  std::string note;                          // plain text under the table, e.g. "40 of 812 lots shown"
};
std::string table_html(const Table& table);

// A complete HTML document: <head> with the CSS and the policy, then body_html.
std::string page_html(const std::string& title, const std::string& body_html);

// The stylesheet alone (for tests and for the docs).
const std::string& report_css();

}  // namespace yf::report
