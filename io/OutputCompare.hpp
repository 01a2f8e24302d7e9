#pragma once
// Compares a run's output folder with a golden one (yieldflow regress), per
// wafer (wafers.csv) and per group (summary.json). Tolerances (docs/formats.md):
// counts and names must be equal; yields may differ by at most `yield_tolerance`
// (wafers.csv prints 6 decimals, so the default is 2e-6).
#include <filesystem>
#include <string>
#include <vector>

namespace yf {

struct OutputDifference {
  std::string scope;   // "wafer" or "group" or "file"
  std::string key;     // e.g. "lot1.h5/L01-03" or "fab/FAB7"
  std::string field;
  std::string golden;
  std::string actual;
};

struct CompareOptions {
  double yield_tolerance = 2e-6;
};

// Throws std::runtime_error when either folder lacks wafers.csv or summary.json.
std::vector<OutputDifference> compare_outputs(const std::filesystem::path& golden, const std::filesystem::path& actual,
                                              const CompareOptions& options = {});

// The differences as an aligned text table.
std::string format_differences(const std::vector<OutputDifference>& diffs);

}  // namespace yf
