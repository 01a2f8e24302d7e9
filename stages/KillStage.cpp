#include "stages/KillStage.hpp"

#include <limits>
#include <stdexcept>
#include <string>

namespace yf {

std::vector<std::int64_t> map_defects_to_dies(const DieGrid& grid, const std::vector<Defect>& defects) {
  std::vector<std::int64_t> out;
  out.reserve(defects.size());
  for (const Defect& d : defects) {
    const auto die = grid.die_of(d.x_mm, d.y_mm);
    out.push_back(die ? static_cast<std::int64_t>(grid.linear(*die)) : -1);
  }
  return out;
}

KillResult decide_kills(const DieGrid& grid, const std::vector<Defect>& defects,
                        const std::vector<std::int64_t>& die_of_defect,
                        const DatasetTables& tables, const KillOptions& options) {
  // Mismatched inputs are a caller's bug, not bad data: say so loudly.
  if (die_of_defect.size() != defects.size()) {
    throw std::invalid_argument("decide_kills: " + std::to_string(die_of_defect.size()) +
                                " die indices for " + std::to_string(defects.size()) + " defects");
  }
  const std::size_t dies = static_cast<std::size_t>(grid.cols()) * static_cast<std::size_t>(grid.rows());
  KillResult out;
  out.killers_per_die.assign(dies, 0);
  constexpr auto kMax = std::numeric_limits<std::uint16_t>::max();
  for (std::size_t i = 0; i < defects.size(); ++i) {
    const std::int64_t die = die_of_defect[i];
    if (die < 0 || static_cast<std::size_t>(die) >= dies) continue;  // in no die: kills nothing
    if (grid.product_mask()[static_cast<std::size_t>(die)] == 0) continue;  // spec: only product dies
    const Defect& d = defects[i];
    if (!tables.is_killer_class(d.class_id)) continue;
    // "!(size >= min)" rather than "size < min": an unknown (NaN) size never passes a minimum.
    if (options.min_kill_size_um > 0 && !(d.size_um >= options.min_kill_size_um)) continue;
    ++out.killer_defects;
    auto& n = out.killers_per_die[static_cast<std::size_t>(die)];
    if (n == 0) ++out.killed_dies;
    if (n < kMax) ++n;  // saturate: the count is for display, the verdict is n > 0
  }
  return out;
}

}  // namespace yf
