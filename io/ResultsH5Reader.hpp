#pragma once
// Reads back what `yieldflow report` needs from OUT/results.h5 (docs/formats.md).
#include <filesystem>
#include <optional>
#include <string>

namespace yf {

// The text of /analytics/json, or empty when the file has no such dataset (a
// run without analytics, or a results.h5 of an older version). Throws
// std::runtime_error naming the file when it is missing, not HDF5, not a
// yieldflow results file, or the dataset is not a string.
std::optional<std::string> read_analytics_json(const std::filesystem::path& results_h5);

}  // namespace yf
