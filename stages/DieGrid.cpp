#include "stages/DieGrid.hpp"

#include <algorithm>
#include <cmath>

namespace yf {

namespace {

// The grid lines, computed by one expression each. die_of() decides membership by
// comparing against exactly these values and the product-die test uses them as
// corners, so a point printed as "on the edge" of a die lands where the spec says.
double col_left(const ProductGeometry& g, long c) { return g.grid_x0_mm + static_cast<double>(c) * g.die_width_mm; }
double row_top(const ProductGeometry& g, long r) { return g.grid_y0_mm - static_cast<double>(r) * g.die_height_mm; }

bool positive_finite(double v) { return std::isfinite(v) && v > 0; }

}  // namespace

DieGrid::DieGrid(const ProductGeometry& product)
    : g_(product), cols_(std::max(product.cols, 0)), rows_(std::max(product.rows, 0)) {
  product_mask_.assign(static_cast<std::size_t>(cols_) * static_cast<std::size_t>(rows_), 0);
  const double radius = g_.wafer_diameter_mm / 2 - g_.edge_exclusion_mm;
  // A non-positive (or NaN) radius has no point strictly inside: no product die.
  if (!(radius > 0)) return;
  const double r2 = radius * radius;
  // Squared distances instead of hypot: for the exactly representable corners of
  // usual grids (integers, halves, quarters) x*x + y*y is exact, so a corner lying
  // exactly on the circle is reliably "not strictly inside". NaN compares false.
  auto inside = [r2](double x, double y) { return x * x + y * y < r2; };
  for (int r = 0; r < rows_; ++r) {
    const double top = row_top(g_, r), bottom = row_top(g_, r + 1);
    for (int c = 0; c < cols_; ++c) {
      const double left = col_left(g_, c), right = col_left(g_, c + 1);
      if (inside(left, top) && inside(right, top) && inside(left, bottom) && inside(right, bottom)) {
        product_mask_[linear({c, r})] = 1;
        ++product_dies_;
      }
    }
  }
}

std::optional<DieIndex> DieGrid::die_of(double x_mm, double y_mm) const {
  if (!std::isfinite(x_mm) || !std::isfinite(y_mm)) return std::nullopt;
  if (!positive_finite(g_.die_width_mm) || !positive_finite(g_.die_height_mm)) return std::nullopt;
  if (!std::isfinite(g_.grid_x0_mm) || !std::isfinite(g_.grid_y0_mm)) return std::nullopt;

  // Columns: x in [left(c), left(c+1)). floor() of the quotient is a first guess
  // only: the division rounds, so a point exactly on a grid line can come out one
  // column low or high (e.g. w = 0.1, x0 = -4: the line of column 3 gives 2.99...).
  const double t = (x_mm - g_.grid_x0_mm) / g_.die_width_mm;
  // Reject far-away points before converting to an integer (no overflow).
  if (!(t > -2.0 && t < static_cast<double>(cols_) + 2.0)) return std::nullopt;
  long c = static_cast<long>(std::floor(t));
  while (c >= 0 && x_mm < col_left(g_, c)) --c;
  while (c < cols_ && x_mm >= col_left(g_, c + 1)) ++c;
  if (c < 0 || c >= cols_) return std::nullopt;

  // Rows: y in (top(r+1), top(r)], row 0 at the top; the top edge is closed, so a
  // point on a horizontal grid line belongs to the row below the line.
  const double s = (g_.grid_y0_mm - y_mm) / g_.die_height_mm;
  if (!(s > -2.0 && s < static_cast<double>(rows_) + 2.0)) return std::nullopt;
  long r = static_cast<long>(std::floor(s));
  while (r >= 0 && y_mm > row_top(g_, r)) --r;
  while (r < rows_ && y_mm <= row_top(g_, r + 1)) ++r;
  if (r < 0 || r >= rows_) return std::nullopt;

  return DieIndex{static_cast<int>(c), static_cast<int>(r)};
}

}  // namespace yf
