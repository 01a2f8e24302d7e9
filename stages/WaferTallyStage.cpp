#include "stages/WaferTallyStage.hpp"

#include <algorithm>
#include <array>
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
// edge of the grid is not a block. One pass serves both sources: the AND of a tile's
// verdict masks says whether every die is tested / passing / a product die, the OR
// whether any die is killed. Column runs are combined first (h rows), then w columns.
void tile(const std::vector<std::uint8_t>& verdicts, int rows, int cols, BlockShape shape, bool sort, BlockTally& sort_out,
          BlockTally& inspection_out, std::vector<std::uint8_t>& col_and, std::vector<std::uint8_t>& col_or) {
  const auto ucols = static_cast<std::size_t>(cols);
  col_and.resize(ucols);
  col_or.resize(ucols);
  for (int r0 = 0; r0 + shape.rows <= rows; r0 += shape.rows) {
    const std::uint8_t* first = verdicts.data() + static_cast<std::size_t>(r0) * ucols;
    std::copy(first, first + ucols, col_and.begin());
    std::copy(first, first + ucols, col_or.begin());
    for (int r = r0 + 1; r < r0 + shape.rows; ++r) {
      const std::uint8_t* row = verdicts.data() + static_cast<std::size_t>(r) * ucols;
      for (std::size_t c = 0; c < ucols; ++c) {
        col_and[c] &= row[c];
        col_or[c] |= row[c];
      }
    }
    std::uint32_t sort_blocks = 0, sort_good = 0, insp_blocks = 0, insp_good = 0;
    for (int c0 = 0; c0 + shape.cols <= cols; c0 += shape.cols) {
      std::uint32_t all = 0xff, any = 0;
      for (int c = c0; c < c0 + shape.cols; ++c) {
        all &= col_and[static_cast<std::size_t>(c)];
        any |= col_or[static_cast<std::size_t>(c)];
      }
      // Branch-free: tested and passing bits of the AND; product bit of the AND, killed bit of the OR.
      sort_blocks += (all >> 1) & 1u;
      sort_good += (all >> 1) & (all >> 2) & 1u;
      insp_blocks += all & 1u;
      insp_good += all & ~(any >> 3) & 1u;
    }
    if (sort) {
      sort_out.blocks += sort_blocks;
      sort_out.good_blocks += sort_good;
    }
    inspection_out.blocks += insp_blocks;
    inspection_out.good_blocks += insp_good;
  }
}

// Ring and quadrant of every die of a product, by its centre. Depends on the product
// only: kept per thread for the last product seen (a run is usually one product after
// another), recomputed when the geometry differs.
struct ZoneMap {
  ProductGeometry g;
  std::array<std::vector<std::uint8_t>, kZoneCount> mask;  // 0xff where the die is in the zone
};

bool same_grid(const ProductGeometry& a, const ProductGeometry& b) {
  return a.wafer_diameter_mm == b.wafer_diameter_mm && a.die_width_mm == b.die_width_mm &&
         a.die_height_mm == b.die_height_mm && a.cols == b.cols && a.rows == b.rows && a.grid_x0_mm == b.grid_x0_mm &&
         a.grid_y0_mm == b.grid_y0_mm;
}

const ZoneMap& zone_map_of(const ProductGeometry& g) {
  thread_local ZoneMap map;
  if (!map.mask[0].empty() && same_grid(map.g, g)) return map;
  map.g = g;
  const auto n = static_cast<std::size_t>(g.rows) * static_cast<std::size_t>(g.cols);
  for (auto& m : map.mask) m.assign(n, 0);
  const double radius = g.wafer_diameter_mm / 2;
  const double ring1 = radius * radius / 3.0, ring2 = radius * radius * 2.0 / 3.0;  // r^2 of equal-area rings
  for (int r = 0; r < g.rows; ++r) {
    const double y = g.grid_y0_mm - (r + 0.5) * g.die_height_mm;
    for (int c = 0; c < g.cols; ++c) {
      const double x = g.grid_x0_mm + (c + 0.5) * g.die_width_mm;
      const double r2 = x * x + y * y;
      const std::size_t i = static_cast<std::size_t>(r) * static_cast<std::size_t>(g.cols) + static_cast<std::size_t>(c);
      map.mask[r2 < ring1 ? kZoneCentre : (r2 < ring2 ? kZoneMiddle : kZoneEdge)][i] = 0xff;
      map.mask[y >= 0 ? (x >= 0 ? kZoneUpperRight : kZoneUpperLeft) : (x >= 0 ? kZoneLowerRight : kZoneLowerLeft)][i] =
          0xff;
    }
  }
  return map;
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

  // Killer defects per product die, zones, clean dies, failing bins. Per die only two
  // histogram increments (zone x verdict mask); the sums come from the histograms.
  const ZoneMap& zone_map = zone_map_of(g);
  std::array<std::uint32_t, 256> fail_small{};                    // failing bins 0..255
  std::vector<std::int16_t> fail_other;                           // any other failing bin
  const std::int16_t* bins = binmap ? binmap->bins.data() : nullptr;
  const std::uint8_t* vd = verdicts.data();
  const std::uint16_t* killers = killers_per_die.size() == dies ? killers_per_die.data() : nullptr;
  // Counts over every die, branch-free (vectorised): product, tested, passing, product and
  // tested, ... and passing, product and killed.
  std::uint32_t n_product = 0, n_tested = 0, n_pass = 0, n_tp = 0, n_tpp = 0, n_killed = 0;
  for (std::size_t i = 0; i < dies; ++i) {
    const std::uint32_t u = vd[i];
    const std::uint32_t p = u & 1u, t = (u >> 1) & 1u, ok = (u >> 2) & 1u, k = (u >> 3) & 1u;
    n_product += p;
    n_tested += t;
    n_pass += t & ok;
    n_tp += p & t;
    n_tpp += p & t & ok;
    n_killed += p & k;
  }
  // Only product dies can hold a killer; a wafer without killed dies has all of them at 0.
  if (killers && n_killed > 0) {
    for (std::size_t i = 0; i < dies; ++i)
      if (vd[i] & kDieProduct) ++out.killer_count_hist[std::min<std::size_t>(killers[i], kKillerCountCap)];
  } else {
    out.killer_count_hist[0] = n_product;
  }
  if (bins && n_tested > n_pass) {
    for (std::size_t i = 0; i < dies; ++i) {
      if ((vd[i] & (kDieTested | kDieSortPass)) != kDieTested) continue;
      const std::int16_t b = bins[i];
      if (b >= 0 && b < 256)
        ++fail_small[static_cast<std::size_t>(b)];
      else
        fail_other.push_back(b);
    }
  }
  // Zones: each zone's verdict bits summed over its dies, the zone a 0/0xff mask per die
  // (branch-free loops the compiler vectorises).
  for (std::size_t z = 0; z < kZoneCount; ++z) {
    const std::uint8_t* mask = zone_map.mask[z].data();
    std::uint32_t product = 0, tested = 0, pass = 0, killed = 0;
    for (std::size_t i = 0; i < dies; ++i) {
      const std::uint32_t u = vd[i] & mask[i];
      product += u & 1u;
      tested += (u >> 1) & 1u;
      pass += (u >> 2) & 1u;
      killed += (u >> 3) & 1u;
    }
    out.zones[z] = ZoneTally{tested, pass, product, killed};
  }
  const std::int64_t tested_product = n_tp, tested_product_pass = n_tpp;
  out.clean_dies = tested_product - dies_hit;
  out.clean_dies_pass = tested_product_pass - dies_hit_pass;
  std::sort(fail_other.begin(), fail_other.end());
  for (std::int16_t b : fail_other)
    if (b < 0) {
      if (out.fail_bins.empty() || out.fail_bins.back().bin != b) out.fail_bins.push_back(BinTally{b, 0});
      ++out.fail_bins.back().dies;
    }
  for (std::size_t b = 0; b < fail_small.size(); ++b)
    if (fail_small[b]) out.fail_bins.push_back(BinTally{static_cast<std::int16_t>(b), fail_small[b]});
  for (std::int16_t b : fail_other)
    if (b >= 256) {
      if (out.fail_bins.empty() || out.fail_bins.back().bin != b) out.fail_bins.push_back(BinTally{b, 0});
      ++out.fail_bins.back().dies;
    }

  // Die-block windows of the sort verdicts (tested, pass) and the kill verdicts (product,
  // not killed). Single dies come straight from the histogram.
  std::vector<std::uint8_t> col_and, col_or;
  for (int k : options.window_block_dies) {
    BlockTally sort_blocks, inspection_blocks;
    if (k == 1) {
      if (binmap) sort_blocks = {n_tested, n_pass};
      inspection_blocks = {n_product, n_product - n_killed};
    } else {
      tile(verdicts, rows, cols, block_shape(k), binmap != nullptr, sort_blocks, inspection_blocks, col_and, col_or);
    }
    out.sort_blocks.push_back(sort_blocks);
    out.inspection_blocks.push_back(inspection_blocks);
  }
  return out;
}

}  // namespace yf
