#pragma once
// What leaves the stages for one wafer and reaches the collector.
#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "core/Wafer.hpp"
#include "core/WaferTallies.hpp"

namespace yf {

// Per-die verdict bits (results.h5 /die_verdicts/<product>, docs/formats.md).
enum DieVerdictBit : std::uint8_t {
  kDieProduct = 1u << 0,    // a product die (all four corners inside the exclusion circle)
  kDieTested = 1u << 1,     // the bin map has a bin other than -1 here
  kDieSortPass = 1u << 2,   // tested with a passing bin
  kDieKilled = 1u << 3,     // product die holding at least one killer defect
};

struct WaferMetrics {
  std::int64_t product_dies = 0;
  std::int64_t tested_dies = 0;
  std::int64_t good_dies = 0;
  std::optional<double> sort_yield;     // empty without a bin map
  std::int64_t defects = 0;
  std::int64_t killer_defects = 0;
  std::int64_t killed_dies = 0;
  std::optional<double> inspection_yield;  // empty when the product has no product die
  // Failure pattern (a WM-811K class name) of the sort map and of the inspection kill
  // map, with the classifier's confidence; empty when not classified.
  std::string sort_pattern;
  double sort_pattern_confidence = 0;
  std::string inspection_pattern;
  double inspection_pattern_confidence = 0;
};

struct WaferResult {
  std::size_t seq = 0;
  std::string source_file;
  WaferMeta meta;
  bool ok = true;
  std::string error;                 // set when !ok
  WaferMetrics metrics;
  int rows = 0, cols = 0;            // grid of die_verdicts
  std::vector<std::uint8_t> die_verdicts;  // row-major DieVerdictBit masks
  // For the yield analytics (issue 4): the product and file tables (shared, not
  // copied), the process route, and the per-wafer counts.
  std::shared_ptr<const ProductGeometry> product;
  std::shared_ptr<const DatasetTables> tables;
  std::vector<HistoryEntry> history;
  WaferTallies tallies;
};

}  // namespace yf
