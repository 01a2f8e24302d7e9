#pragma once
// Product geometries the tests share (header-only: the stages suite links no HDF5).
#include <string>

#include "core/ProductGeometry.hpp"

namespace yf::test {

inline ProductGeometry make_product(const std::string& name, double diameter, double exclusion, double die_w,
                                   double die_h, int cols, int rows, double x0, double y0) {
  ProductGeometry p;
  p.name = name;
  p.wafer_diameter_mm = diameter;
  p.edge_exclusion_mm = exclusion;
  p.die_width_mm = die_w;
  p.die_height_mm = die_h;
  p.cols = cols;
  p.rows = rows;
  p.grid_x0_mm = x0;
  p.grid_y0_mm = y0;
  return p;
}

// 10 mm wafer, 1 mm exclusion (radius 4), 2x2 mm dies on a 4x4 grid from (-4, 4):
// exactly the 4 central dies are product dies; corners such as (0, 4) lie on the circle.
inline ProductGeometry tiny_product(const std::string& name = "P1") {
  return make_product(name, 10, 1, 2, 2, 4, 4, -4, 4);
}

}  // namespace yf::test
