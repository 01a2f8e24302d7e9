#pragma once
// SINF (Simplified Integrator Nested Format) wafer maps: a `KEY:value` header
// (DEVICE, LOT, WAFER, FNLOC, ROWCT, COLCT, BCEQU, DUTMS, XDIES, YDIES, DIECT, ...)
// and one `RowData:` line of hexadecimal bin codes per row. Several wafers may
// follow one another in a file (a header key after RowData lines starts the next).
// docs/formats.md ("Importing", SINF) has the mapping.
#include <string>

#include "io/import/ImportSink.hpp"

namespace yf::import {

// Throws ImportError "PATH: line N: ..." for input that is not a SINF map.
void import_sinf(const std::string& path, const ImportOptions& options, ImportSink& sink);

}  // namespace yf::import
