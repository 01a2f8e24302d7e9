#pragma once
// Features of a die pass/fail map that do not depend on the grid size (radial and
// angular fail-density profiles, density by region, geometry of the main failing
// regions, line evidence for scratches, spatial randomness). docs/patterns.md.
#include <cstdint>
#include <memory>
#include <string>
#include <vector>

#include "core/Wafer.hpp"

namespace yf {

// A die map for pattern recognition: row-major rows x cols, row 0 at the top.
enum class DieState : std::int8_t { none = -1, pass = 0, fail = 1 };
struct FailMap {
  int rows = 0;
  int cols = 0;
  std::vector<DieState> cells;
  DieState at(int col, int row) const { return cells[static_cast<std::size_t>(row) * cols + col]; }
};

// From per-die masks, row-major rows x cols: `present` = a die is there (tested, or a
// product die), `failed` = its verdict. The bin map case: present = tested (bin != -1),
// failed = tested and not a pass bin; the inspection case: present = product die,
// failed = killed. Throws std::invalid_argument when a mask has the wrong size.
FailMap fail_map_from_masks(int rows, int cols, const std::vector<std::uint8_t>& present,
                            const std::vector<std::uint8_t>& failed);
// A sort bin map: bin -1 (or below) -> none, a pass bin of `tables` -> pass, else fail.
FailMap fail_map_from_bins(const BinMap& binmap, const DatasetTables& tables);

// The working memory of pattern_features(): its buffers and the die layouts it last
// saw (everything that depends only on where the dies are), reused from map to map so
// that after the first maps nothing is allocated. Used by one thread at a time: the
// pipeline keeps one per worker thread (StageWorkspace); a call without one uses a
// workspace of the calling thread's own.
class PatternWorkspace {
 public:
  PatternWorkspace();
  ~PatternWorkspace();
  PatternWorkspace(PatternWorkspace&&) noexcept;
  PatternWorkspace& operator=(PatternWorkspace&&) noexcept;

  struct Impl;  // in PatternFeatures.cpp
  Impl& impl() { return *impl_; }

 private:
  std::unique_ptr<Impl> impl_;
};

// The fixed-length feature vector of a map (length pattern_feature_names().size()).
// Never NaN: a map without dies gives all zeros, one without fails zeros for every
// fail-based feature. Throws std::invalid_argument when cells.size() != rows * cols.
std::vector<float> pattern_features(const FailMap& map);
// The same into out[0 .. pattern_feature_names().size()), with the caller's workspace.
void pattern_features(const FailMap& map, PatternWorkspace& workspace, float* out);
const std::vector<std::string>& pattern_feature_names();

}  // namespace yf
