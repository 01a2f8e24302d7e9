#pragma once
// KLARF 1.8: nested `Record Type "name" { ... }`, `Field Name N {v, ...}` and
// `List Name { Columns N { type NAME, ... } Data M { row; ... } }`, from
// `Record FileRecord "1.8"` to `EndOfFile;`.
//
// Lot-level fields (DiePitch, SampleSize, DeviceID ...) may stand after the lot's
// wafer records. Rather than holding the lot's wafers until its record closes
// (memory as large as the file), the parser reads the file twice: a first pass
// collects the file's and lots' own fields and skips wafer records by their braces;
// the second reads the wafers one at a time, each handed over complete. A 1.8 file
// therefore costs two reads (docs/performance.md), and memory stays one wafer.
#include <string>

#include "io/import/KlarfData.hpp"
#include "io/import/KlarfTokenizer.hpp"

namespace yf::import {

// Throws ImportError "PATH: line N: ..." for anything it cannot read.
void parse_klarf_18(const std::string& path, KlarfHandler& handler);

}  // namespace yf::import
