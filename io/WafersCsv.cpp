#include "io/WafersCsv.hpp"

#include <fmt/format.h>

namespace yf {

const std::vector<std::string>& wafers_csv_columns() {
  static const std::vector<std::string> columns = {
      "source_file", "wafer_id", "lot_id", "slot", "fab", "tool", "product", "step",
      "product_dies", "tested_dies", "good_dies", "sort_yield", "defects", "killer_defects",
      "killed_dies", "inspection_yield", "timestamp", "status", "error",
      "sort_pattern", "sort_pattern_confidence", "inspection_pattern", "inspection_pattern_confidence"};
  return columns;
}

std::string csv_field(const std::string& value) {
  if (value.find_first_of(",\"\r\n") == std::string::npos) return value;
  std::string out = "\"";
  for (char c : value) {
    if (c == '"') out += '"';
    out += c;
  }
  return out + "\"";
}

std::vector<std::string> parse_csv_line(const std::string& line) {
  std::vector<std::string> fields(1);
  bool quoted = false;
  for (std::size_t i = 0; i < line.size(); ++i) {
    char c = line[i];
    if (quoted) {
      if (c == '"' && i + 1 < line.size() && line[i + 1] == '"') {
        fields.back() += '"';
        ++i;
      } else if (c == '"') {
        quoted = false;
      } else {
        fields.back() += c;
      }
    } else if (c == '"') {
      quoted = true;
    } else if (c == ',') {
      fields.emplace_back();
    } else if (c != '\r') {
      fields.back() += c;
    }
  }
  return fields;
}

void write_wafers_csv_header(std::ostream& out) {
  const auto& cols = wafers_csv_columns();
  for (std::size_t i = 0; i < cols.size(); ++i) out << (i ? "," : "") << cols[i];
  out << '\n';
}

namespace {
std::string yield_cell(const std::optional<double>& y) { return y ? fmt::format("{:.6f}", *y) : std::string(); }
}  // namespace

void write_wafers_csv_row(std::ostream& out, const WaferResult& r) {
  const WaferMeta& m = r.meta;
  const WaferMetrics& x = r.metrics;
  out << csv_field(r.source_file) << ',' << csv_field(m.wafer_id) << ',' << csv_field(m.lot_id) << ',' << m.slot
      << ',' << csv_field(m.fab) << ',' << csv_field(m.tool) << ',' << csv_field(m.product) << ','
      << csv_field(m.step) << ',';
  if (r.ok) {
    out << x.product_dies << ',' << x.tested_dies << ',' << x.good_dies << ',' << yield_cell(x.sort_yield) << ','
        << x.defects << ',' << x.killer_defects << ',' << x.killed_dies << ',' << yield_cell(x.inspection_yield);
  } else {
    out << ",,,,,,,";
  }
  out << ',' << m.timestamp << ',' << (r.ok ? "ok" : "failed") << ',' << csv_field(r.error);
  auto pattern = [&](const std::string& name, double confidence) {
    out << ',' << csv_field(name) << ',' << (name.empty() ? std::string() : fmt::format("{:.3f}", confidence));
  };
  pattern(x.sort_pattern, x.sort_pattern_confidence);
  pattern(x.inspection_pattern, x.inspection_pattern_confidence);
  out << '\n';
}

}  // namespace yf
