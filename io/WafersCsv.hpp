#pragma once
// OUT/wafers.csv: one row per wafer in input order (docs/formats.md). Columns
// are only ever added at the end; failed wafers keep their row with status
// "failed", the error, and empty metric cells.
#include <ostream>
#include <string>
#include <vector>

#include "core/WaferResult.hpp"

namespace yf {

const std::vector<std::string>& wafers_csv_columns();
void write_wafers_csv_header(std::ostream& out);
void write_wafers_csv_row(std::ostream& out, const WaferResult& result);

// RFC 4180 quoting: fields holding a comma, quote or line break are quoted.
std::string csv_field(const std::string& value);
// Splits one CSV line (no embedded line breaks) into fields, undoing csv_field.
std::vector<std::string> parse_csv_line(const std::string& line);

}  // namespace yf
