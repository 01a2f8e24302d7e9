#pragma once
// Sort yield from a wafer's bin map and the file's /bins table.
#include <array>
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

// DatasetTables::is_pass_bin for every bin, answered from a table for bins below 256
// (read from the /bins map once per wafer instead of one tree lookup per die).
class PassBins {
 public:
  explicit PassBins(const DatasetTables& tables);
  bool operator()(std::int16_t bin) const {
    if (bin < 0) return false;
    return bin < 256 ? small_[static_cast<std::size_t>(bin)] : tables_.is_pass_bin(bin);
  }

 private:
  const DatasetTables& tables_;
  std::array<bool, 256> small_{};
};

// Bins below -1 are not valid sort data: the caller validates before (see WaferStages).
SortResult compute_sort_yield(const BinMap& binmap, const DatasetTables& tables);

}  // namespace yf
