#pragma once
// OUT/defects.csv: every defect of every successful wafer, in input order: the tool's
// list first, then those found in the wafer's image, with their source
// (docs/formats.md). Columns are only ever added at the end.
#include <ostream>
#include <string>
#include <vector>

#include "core/WaferResult.hpp"

namespace yf {

const std::vector<std::string>& defects_csv_columns();
void write_defects_csv_header(std::ostream& out);
void write_defects_csv_rows(std::ostream& out, const WaferResult& result);

}  // namespace yf
