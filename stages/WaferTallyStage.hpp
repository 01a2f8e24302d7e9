#pragma once
// The per-wafer counts of the yield analytics (core/WaferTallies.hpp), from the
// wafer's die verdicts, defects and bin map. Pure; called by process_wafer.
#include <cstdint>
#include <vector>

#include "core/Wafer.hpp"
#include "core/WaferTallies.hpp"

namespace yf {

struct TallyOptions {
  bool enabled = true;  // false: process_wafer leaves WaferTallies empty (yieldflow run --no-analytics)
  // Defect size bins: [e0, e1), ..., [e_last, inf); a size below e0 (or NaN) goes to bin 0.
  std::vector<double> size_bin_edges_um{0, 0.1, 0.2, 0.5, 1, 2, 5, 10};
  // Die-block windows: dies per block, each tiled as h x w with h the largest divisor <= sqrt.
  std::vector<int> window_block_dies{1, 2, 4, 6, 9};
};

// The rows x cols shape of a block of `dies` dies (1 -> 1x1, 2 -> 1x2, 4 -> 2x2, 6 -> 2x3, 9 -> 3x3).
struct BlockShape {
  int rows = 1;
  int cols = 1;
};
BlockShape block_shape(int dies);

// Index of the size bin of `size_um` for these edges.
std::size_t size_bin(double size_um, const std::vector<double>& edges);

// die_verdicts: row-major DieVerdictBit masks of the wafer (process_wafer's);
// die_of_defect: DieGrid::linear of each defect or -1; binmap: null without sort data.
WaferTallies tally_wafer(const ProductGeometry& product, const std::vector<std::uint8_t>& die_verdicts,
                         const std::vector<Defect>& defects, const std::vector<std::int64_t>& die_of_defect,
                         const std::vector<std::uint16_t>& killers_per_die, const BinMap* binmap,
                         const DatasetTables& tables, const TallyOptions& options);

}  // namespace yf
