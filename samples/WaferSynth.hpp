#pragma once
// One synthetic wafer: a sort bin map with a spatial failure pattern, the inspection
// tool's defect list, and the truth (pattern, killed/good/tested dies, planted defects).
// Pure computation: no files.
#include <cstdint>
#include <string>
#include <vector>

#include "core/ProductGeometry.hpp"
#include "core/Wafer.hpp"
#include "io/DatasetWriter.hpp"

namespace yf::samples {

// The product's die grid as the generator sees it, computed with its own geometry code
// (independent of stages/DieGrid, so that truth can check the pipeline).
struct DieLayout {
  ProductGeometry geometry;
  std::vector<std::uint8_t> tested;   // row-major: whole die on the wafer (corners strictly inside D/2)
  std::vector<std::uint8_t> product;  // row-major: corners strictly inside D/2 - edge_exclusion
  std::int64_t tested_count = 0;
  std::int64_t product_count = 0;

  explicit DieLayout(const ProductGeometry& g);
  std::size_t index(int col, int row) const { return static_cast<std::size_t>(row) * geometry.cols + col; }
  // Die centre in wafer millimetres.
  double center_x(int col) const { return geometry.grid_x0_mm + (col + 0.5) * geometry.die_width_mm; }
  double center_y(int row) const { return geometry.grid_y0_mm - (row + 0.5) * geometry.die_height_mm; }
  // True when (x, y) lies in or on the border of a product die.
  bool touches_product_die(double x, double y) const;
};

struct SynthWafer {
  BinMap binmap;
  std::vector<Defect> defects;  // scan order (y descending, then x ascending)
  WaferTruth truth;             // truth.defects row-aligned with `defects`
};

// `pattern` is one of sample_patterns(); `excursion` adds the excursion tool's fails
// (and turns "none" into "random", which is what such a wafer then shows).
SynthWafer synthesize_wafer(const DieLayout& layout, const std::string& pattern, bool excursion, bool with_defects,
                            std::uint64_t map_seed, std::uint64_t defect_seed);

// The /bins and /defect_classes tables the samples use.
std::vector<BinDef> sample_bins();
std::vector<DefectClass> sample_defect_classes();

}  // namespace yf::samples
