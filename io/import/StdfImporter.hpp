#pragma once
// STDF V4 (Standard Test Data Format) wafer-sort files, plain or gzip, either byte
// order, into bin maps: one WaferRecord per WIR/WRR pair, the product grid from the
// dies' X/Y extent and the WCR, /bins from HBR (and the parts' pass/fail flags).
// A die tested more than once counts by its last PRR in the file.
// docs/formats.md ("Importing", STDF) has the field mapping.
#include <string>

#include "io/import/ImportSink.hpp"

namespace yf::import {

// Streams `path`; throws ImportError "PATH: byte N: ..." (N = offset in the
// decompressed stream) for a file that is not STDF V4, is truncated, or whose
// records are out of order (a PRR before MIR or outside a WIR/WRR pair).
void import_stdf(const std::string& path, const ImportOptions& options, ImportSink& sink);

}  // namespace yf::import
