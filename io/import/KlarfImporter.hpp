#pragma once
// KLARF (KLA Results File) defect lists into v1 datasets: versions 1.1, 1.2, 1.7
// (flat `Keyword values;` statements) and 1.8 (nested Record / Field / List).
// docs/formats.md "Importing" gives the mapping of each field, units and warnings.
#include <string>

#include "io/import/ImportSink.hpp"

namespace yf::import {

void import_klarf(const std::string& path, const ImportOptions& options, ImportSink& sink);

}  // namespace yf::import
