#include "io/DefectsCsv.hpp"

#include <fmt/format.h>

#include <cmath>

#include "io/WafersCsv.hpp"

namespace yf {

const std::vector<std::string>& defects_csv_columns() {
  static const std::vector<std::string> columns = {
      "source_file", "wafer_id", "source",   "x_mm",     "y_mm",       "size_um",         "class_id", "kind",
      "die_col",     "die_row",  "killer",   "area_um2", "contrast",   "elongation", "orientation_deg"};
  return columns;
}

void write_defects_csv_header(std::ostream& out) {
  const auto& cols = defects_csv_columns();
  for (std::size_t i = 0; i < cols.size(); ++i) out << (i ? "," : "") << cols[i];
  out << '\n';
}

namespace {
// Empty for NaN (tool defects have no image features).
std::string real(double v, int decimals) { return std::isfinite(v) ? fmt::format("{:.{}f}", v, decimals) : std::string(); }
}  // namespace

void write_defects_csv_rows(std::ostream& out, const WaferResult& r) {
  if (!r.ok) return;
  const std::string prefix = csv_field(r.source_file) + ',' + csv_field(r.meta.wafer_id) + ',';
  for (const ReportedDefect& d : r.defect_list) {
    out << prefix << to_string(d.source) << ',' << real(d.x_mm, 4) << ',' << real(d.y_mm, 4) << ','
        << real(d.size_um, 2) << ',' << d.class_id << ',' << csv_field(d.kind) << ',';
    if (d.die_col >= 0) out << d.die_col << ',' << d.die_row;
    else out << ',';
    out << ',' << (d.killer ? 1 : 0) << ',' << real(d.area_um2, 1) << ',' << real(d.contrast, 2) << ','
        << real(d.elongation, 3) << ',' << real(d.orientation_deg, 2) << '\n';
  }
}

}  // namespace yf
