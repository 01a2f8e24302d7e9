#pragma once
// The industry formats yieldflow imports, told apart by their content (never by
// the file name), and the one explicit list that maps each to its importer.
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "io/import/ImportSink.hpp"

namespace yf::import {

enum class ImportFormat { klarf, stdf, e142, g85, sinf, wm811k };

// "klarf", "stdf", "e142", "g85", "sinf", "wm811k".
const char* format_name(ImportFormat f);
// The name as given to --format (case-insensitive); empty when unknown.
std::optional<ImportFormat> parse_format_name(std::string_view name);
const std::vector<ImportFormat>& all_formats();

// Which format the first bytes of a (decompressed) file are, if any:
// - STDF: a FAR record first (REC_LEN 2 in either byte order, REC_TYP 0, REC_SUB 10,
//   CPU_TYPE 1 or 2, STDF_VER 4);
// - KLARF: first statement `FileVersion` (1.1-1.7) or `Record FileRecord` (1.8);
// - E142: XML naming the E142 namespace or a MapData / SubstrateMaps element;
// - G85: XML whose root is Map or Maps;
// - SINF: first line a `KEY:value` header of SINF's keys (DEVICE, LOT, WAFER, ...);
// - WM-811K: JSON lines whose first object has "map" and "lotName" or "waferIndex".
// A UTF-8 byte-order mark and leading white space are skipped for the text formats.
std::optional<ImportFormat> detect_format_from_head(std::string_view head);

// Reads the file's first 4 KiB (through gzip when it is gzip) and detects its format.
// Throws ImportError "PATH: not a file of a known format (...)" when nothing matches.
ImportFormat detect_format(const std::string& path);

// Imports one file with the importer of `format` (the registry: one line a format).
void import_file(const std::string& path, ImportFormat format, const ImportOptions& options, ImportSink& sink);

}  // namespace yf::import
