#pragma once
// `yieldflow import` as a library call: several input files of any importable format
// into one v1 dataset, written atomically (DatasetWriter: temp file + rename).
#include <optional>
#include <string>
#include <vector>

#include "io/import/DatasetSink.hpp"
#include "io/import/ImportFormat.hpp"

namespace yf::import {

struct ImportSummary {
  std::size_t files = 0;
  std::size_t wafers = 0;
  std::size_t warnings = 0;
};

// Imports `inputs` (format detected per file from its content unless `format` is
// given) into `output`. Any error (ImportError, naming the file and line or byte)
// leaves no output file. Warnings go to `on_warning`.
ImportSummary import_files(const std::vector<std::string>& inputs, std::optional<ImportFormat> format,
                           const ImportOptions& options, const std::string& output, WarningHandler on_warning);

}  // namespace yf::import
