#pragma once
// Per-wafer counts that the yield analytics (stages/analytics/) fold into group
// sums: defects by class and size, failing bins, die-level class hits against the
// sort verdict (kill ratios), killer defects per die (defect clustering), die-block
// windows (yield-model fits) and zones. Small: a few hundred integers per wafer,
// computed in the parallel stages so the serial collector only adds.
#include <array>
#include <cstdint>
#include <vector>

namespace yf {

// Defects of one class on the wafer, and the tested product dies they hit.
struct ClassTally {
  std::int32_t class_id = 0;
  std::int64_t defects = 0;         // every defect of the class on the wafer
  std::int64_t dies_with = 0;       // tested product dies holding >= 1 defect of the class
  std::int64_t dies_with_pass = 0;  // ... of which passed sort
};

struct BinTally {
  std::int16_t bin = 0;
  std::int64_t dies = 0;
};

// Blocks of adjacent dies (die-block windowing): counted when every die of the block
// is usable (tested / product die), good when every die of it is good.
struct BlockTally {
  std::int64_t blocks = 0;
  std::int64_t good_blocks = 0;
};

struct ZoneTally {
  std::int64_t tested_dies = 0;
  std::int64_t good_dies = 0;
  std::int64_t product_dies = 0;
  std::int64_t killed_dies = 0;
};

// Zones of a die by its centre: rings of equal area, then quadrants.
enum ZoneIndex : std::size_t { kZoneCentre, kZoneMiddle, kZoneEdge, kZoneUpperRight, kZoneUpperLeft,
                               kZoneLowerLeft, kZoneLowerRight, kZoneCount };

// Killer defects per product die are counted 0 .. kKillerCountCap - 1, and ">= cap" last.
inline constexpr std::size_t kKillerCountCap = 16;

struct WaferTallies {
  bool computed = false;                      // false: analytics were off for this run
  bool inspected = false;                     // the wafer has defect data (its file has /defects)
  double die_area_cm2 = 0;                    // die pitch area of the product
  std::vector<ClassTally> classes;            // by class id
  std::vector<std::int64_t> size_bins;        // defects per size bin (StageOptions edges)
  std::vector<BinTally> fail_bins;            // tested dies per failing bin, by bin
  std::int64_t clean_dies = 0;                // tested product dies with no defect at all
  std::int64_t clean_dies_pass = 0;
  std::array<std::int64_t, kKillerCountCap + 1> killer_count_hist{};  // product dies by killer count
  std::vector<BlockTally> sort_blocks;        // per window size (StageOptions), sort verdicts
  std::vector<BlockTally> inspection_blocks;  // per window size, kill verdicts on product dies
  std::array<ZoneTally, kZoneCount> zones{};
};

}  // namespace yf
