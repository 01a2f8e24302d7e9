#pragma once
// Defect-to-die mapping and the kill decision.
#include <cstdint>
#include <vector>

#include "core/Wafer.hpp"
#include "stages/DieGrid.hpp"

namespace yf {

struct KillOptions {
  // A killer-class defect smaller than this (equivalent diameter, µm) kills nothing.
  // 0 = no minimum (the default).
  double min_kill_size_um = 0;
};

struct KillResult {
  std::int64_t killer_defects = 0;          // killer class, in a product die, >= min size
  std::int64_t killed_dies = 0;             // product dies with >= 1 killer defect
  std::vector<std::uint16_t> killers_per_die;  // row-major, saturating count per die
};

// Die of each defect as DieGrid::linear, or -1 when it lies in no die of the grid.
std::vector<std::int64_t> map_defects_to_dies(const DieGrid& grid, const std::vector<Defect>& defects);

KillResult decide_kills(const DieGrid& grid, const std::vector<Defect>& defects,
                        const std::vector<std::int64_t>& die_of_defect,
                        const DatasetTables& tables, const KillOptions& options);

}  // namespace yf
