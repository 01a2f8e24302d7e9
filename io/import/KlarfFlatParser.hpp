#pragma once
// KLARF 1.1 / 1.2 / 1.7: a stream of `Keyword values;` statements. Header keywords
// set the lot-level values, WaferID starts a wafer (the previous one is handed to
// the handler complete), lists (ClassLookup, SampleTestPlan, DefectList,
// SummaryList) are read row by row. Unknown statements are skipped to their ';'.
// Statements that some tools put inside a list (TiffFileName, FILENAME ...) are
// skipped too. A DefectList is never held whole: one row at a time, into the wafer.
#include "io/import/KlarfData.hpp"
#include "io/import/KlarfTokenizer.hpp"

namespace yf::import {

// Reads the whole file from its first token (FileVersion). Throws ImportError
// "PATH: line N: ..." for anything it cannot read, including a file that ends
// before EndOfFile.
void parse_klarf_flat(KlarfTokenizer& tok, KlarfHandler& handler);

}  // namespace yf::import
