#pragma once
// WM-811K wafer maps as JSON lines (../shared/data/wm811k; io/Wm811kJson.hpp) into
// bin maps: 1 (pass) -> bin 1, 2 (fail) -> bin 2, 0 (no die) -> -1, the label kept
// as /truth/wafers pattern. docs/formats.md "Importing" has the whole mapping.
#include <string>

#include "io/import/ImportSink.hpp"

namespace yf::import {

void import_wm811k(const std::string& path, const ImportOptions& options, ImportSink& sink);

}  // namespace yf::import
