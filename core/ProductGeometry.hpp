#pragma once
// The die grid of a product, exactly as /products/<name> in the v1 dataset
// (../shared/spec/inspection-dataset-v1.md): die (c, r) covers
// x in [x0 + c*w, x0 + (c+1)*w) and y in (y0 - (r+1)*h, y0 - r*h].
#include <string>

namespace yf {

struct ProductGeometry {
  std::string name;
  double wafer_diameter_mm = 0;
  double edge_exclusion_mm = 0;
  double die_width_mm = 0;   // pitch: die plus street
  double die_height_mm = 0;
  int cols = 0;
  int rows = 0;
  double grid_x0_mm = 0;     // upper-left corner of die (0, 0)
  double grid_y0_mm = 0;

  int die_count() const { return cols * rows; }
  bool operator==(const ProductGeometry&) const = default;
};

}  // namespace yf
