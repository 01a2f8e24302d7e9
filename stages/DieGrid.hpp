#pragma once
// The die grid of a product: which dies are product dies, and which die holds a
// wafer point. Pure geometry, per the v1 spec's conventions.
#include <cstdint>
#include <optional>
#include <vector>

#include "core/ProductGeometry.hpp"

namespace yf {

struct DieIndex {
  int col = 0;
  int row = 0;
  bool operator==(const DieIndex&) const = default;
};

class DieGrid {
 public:
  explicit DieGrid(const ProductGeometry& product);

  const ProductGeometry& geometry() const { return g_; }
  int cols() const { return cols_; }
  int rows() const { return rows_; }
  std::size_t linear(DieIndex d) const { return static_cast<std::size_t>(d.row) * cols_ + d.col; }

  // All four corners strictly inside radius diameter/2 - edge_exclusion.
  bool is_product_die(DieIndex d) const { return product_mask_[linear(d)] != 0; }
  const std::vector<std::uint8_t>& product_mask() const { return product_mask_; }  // row-major
  std::int64_t product_die_count() const { return product_dies_; }

  // The die containing (x, y): x in [x0 + c*w, x0 + (c+1)*w), y in (y0 - (r+1)*h, y0 - r*h].
  // Empty when the point lies outside the grid or is not finite.
  std::optional<DieIndex> die_of(double x_mm, double y_mm) const;

 private:
  ProductGeometry g_;
  int cols_ = 0, rows_ = 0;
  std::vector<std::uint8_t> product_mask_;
  std::int64_t product_dies_ = 0;
};

}  // namespace yf
