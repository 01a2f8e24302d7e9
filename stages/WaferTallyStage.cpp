#include "stages/WaferTallyStage.hpp"

#include <algorithm>
#include <cmath>
#include <utility>

#include "core/WaferResult.hpp"

namespace yf {

BlockShape block_shape(int dies) {
  if (dies < 1) return {1, 1};
  int h = 1;
  for (int d = 1; d * d <= dies; ++d)
    if (dies % d == 0) h = d;
  return {h, dies / h};
}

std::size_t size_bin(double size_um, const std::vector<double>& edges) {
  // upper_bound: the first edge above the size; the bin is the one before it.
  const auto it = std::upper_bound(edges.begin(), edges.end(), size_um);
  if (it == edges.begin() || std::isnan(size_um)) return 0;
  return static_cast<std::size_t>(it - edges.begin()) - 1;
}

namespace {

// Non-overlapping h x w tiles from die (0, 0); a partial tile at the right or bottom
// edge of the grid is not a block.
BlockTally tile(const std::vector<std::uint8_t>& verdicts, int rows, int cols, BlockShape shape, std::uint8_t usable_bit,
                std::uint8_t good_bit, bool good_when_set) {
  BlockTally t;
  for (int r0 = 0; r0 + shape.rows <= rows; r0 += shape.rows) {
    for (int c0 = 0; c0 + shape.cols <= cols; c0 += shape.cols) {
      bool usable = true, good = true;
      for (int r = r0; r < r0 + shape.rows && usable; ++r) {
        const std::uint8_t* row = verdicts.data() + static_cast<std::size_t>(r) * static_cast<std::size_t>(cols);
        for (int c = c0; c < c0 + shape.cols; ++c) {
          const std::uint8_t v = row[c];
          if (!(v & usable_bit)) {
            usable = false;
            break;
          }
          if (((v & good_bit) != 0) != good_when_set) good = false;
        }
      }
      if (!usable) continue;
      ++t.blocks;
      if (good) ++t.good_blocks;
    }
  }
  return t;
}

}  // namespace

WaferTallies tally_wafer(const ProductGeometry& g, const std::vector<std::uint8_t>& verdicts,
                         const std::vector<Defect>& defects, const std::vector<std::int64_t>& die_of_defect,
                         const std::vector<std::uint16_t>& killers_per_die, const BinMap* binmap,
                         const DatasetTables& tables, const TallyOptions& options) {
  WaferTallies out;
  out.computed = true;
  out.inspected = tables.has_defects_table || !defects.empty();
  out.die_area_cm2 = g.die_width_mm * g.die_height_mm / 100.0;
  const int rows = g.rows, cols = g.cols;
  const std::size_t dies = verdicts.size();

  // Defects by class (all of them) and by size; die-level class hits on tested product dies.
  out.size_bins.assign(std::max<std::size_t>(options.size_bin_edges_um.size(), 1), 0);
  std::vector<std::pair<std::int64_t, std::int32_t>> die_class;  // (die, class) of defects in tested product dies
  die_class.reserve(defects.size());
  std::vector<std::pair<std::int32_t, std::int64_t>> class_defects;  // (class, 1) per defect, summed below
  class_defects.reserve(defects.size());
  for (std::size_t i = 0; i < defects.size(); ++i) {
    class_defects.emplace_back(defects[i].class_id, 1);
    ++out.size_bins[size_bin(defects[i].size_um, options.size_bin_edges_um)];
    const std::int64_t die = i < die_of_defect.size() ? die_of_defect[i] : -1;
    if (die < 0 || static_cast<std::size_t>(die) >= dies) continue;
    const std::uint8_t v = verdicts[static_cast<std::size_t>(die)];
    if ((v & kDieProduct) && (v & kDieTested)) die_class.emplace_back(die, defects[i].class_id);
  }
  std::sort(class_defects.begin(), class_defects.end());
  for (const auto& [cls, one] : class_defects) {
    if (out.classes.empty() || out.classes.back().class_id != cls) out.classes.push_back(ClassTally{cls, 0, 0, 0});
    out.classes.back().defects += one;
  }
  std::sort(die_class.begin(), die_class.end());
  die_class.erase(std::unique(die_class.begin(), die_class.end()), die_class.end());
  std::int64_t dies_hit = 0, dies_hit_pass = 0, last_die = -1;
  for (const auto& [die, cls] : die_class) {
    const bool pass = (verdicts[static_cast<std::size_t>(die)] & kDieSortPass) != 0;
    auto it = std::lower_bound(out.classes.begin(), out.classes.end(), cls,
                               [](const ClassTally& t, std::int32_t c) { return t.class_id < c; });
    ++it->dies_with;
    if (pass) ++it->dies_with_pass;
    if (die != last_die) {
      ++dies_hit;
      if (pass) ++dies_hit_pass;
      last_die = die;
    }
  }

  // Killer defects per product die, zones, clean dies, failing bins.
  const double radius = g.wafer_diameter_mm / 2;
  const double ring1 = radius * radius / 3.0, ring2 = radius * radius * 2.0 / 3.0;  // r^2 of equal-area rings
  std::int64_t tested_product = 0, tested_product_pass = 0;
  std::vector<std::int16_t> failing;
  for (int r = 0; r < rows; ++r) {
    const double y = g.grid_y0_mm - (r + 0.5) * g.die_height_mm;
    for (int c = 0; c < cols; ++c) {
      const std::size_t i = static_cast<std::size_t>(r) * static_cast<std::size_t>(cols) + static_cast<std::size_t>(c);
      const std::uint8_t v = verdicts[i];
      if (!(v & (kDieProduct | kDieTested))) continue;
      const double x = g.grid_x0_mm + (c + 0.5) * g.die_width_mm;
      const double r2 = x * x + y * y;
      const std::size_t ring = r2 < ring1 ? kZoneCentre : (r2 < ring2 ? kZoneMiddle : kZoneEdge);
      const std::size_t quadrant =
          y >= 0 ? (x >= 0 ? kZoneUpperRight : kZoneUpperLeft) : (x >= 0 ? kZoneLowerRight : kZoneLowerLeft);
      const bool tested = v & kDieTested, pass = v & kDieSortPass, product = v & kDieProduct,
                 killed = v & kDieKilled;
      for (std::size_t z : {ring, quadrant}) {
        ZoneTally& t = out.zones[z];
        t.tested_dies += tested;
        t.good_dies += pass;
        t.product_dies += product;
        t.killed_dies += killed;
      }
      if (product) {
        const std::uint16_t k = i < killers_per_die.size() ? killers_per_die[i] : 0;
        ++out.killer_count_hist[std::min<std::size_t>(k, kKillerCountCap)];
        if (tested) {
          ++tested_product;
          if (pass) ++tested_product_pass;
        }
      }
      if (tested && !pass && binmap) failing.push_back(binmap->bins[i]);
    }
  }
  out.clean_dies = tested_product - dies_hit;
  out.clean_dies_pass = tested_product_pass - dies_hit_pass;
  std::sort(failing.begin(), failing.end());
  for (std::int16_t b : failing) {
    if (out.fail_bins.empty() || out.fail_bins.back().bin != b) out.fail_bins.push_back(BinTally{b, 0});
    ++out.fail_bins.back().dies;
  }

  // Die-block windows of the sort verdicts (tested, pass) and the kill verdicts (product, not killed).
  for (int k : options.window_block_dies) {
    const BlockShape shape = block_shape(k);
    out.sort_blocks.push_back(binmap ? tile(verdicts, rows, cols, shape, kDieTested, kDieSortPass, true) : BlockTally{});
    out.inspection_blocks.push_back(tile(verdicts, rows, cols, shape, kDieProduct, kDieKilled, false));
  }
  return out;
}

}  // namespace yf
