#pragma once
// Sort yield from a wafer's bin map and the file's /bins table.
#include <cstdint>
#include <vector>

#include "core/Wafer.hpp"

namespace yf {

struct SortResult {
  std::int64_t tested_dies = 0;  // bin != -1, product die or not
  std::int64_t good_dies = 0;    // tested with a passing bin
  std::vector<std::uint8_t> tested;  // row-major 0/1
  std::vector<std::uint8_t> passed;  // row-major 0/1
};

// Bins below -1 are not valid sort data: the caller validates before (see WaferStages).
SortResult compute_sort_yield(const BinMap& binmap, const DatasetTables& tables);

}  // namespace yf
