#include "io/import/MapGeometry.hpp"

#include <algorithm>
#include <array>
#include <cctype>
#include <cmath>

namespace yf::import {

std::optional<double> unit_to_mm(const std::string& unit) {
  std::string u;
  for (char c : unit)
    if (!std::isspace(static_cast<unsigned char>(c))) u += static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  if (u == "mm" || u == "millimeter" || u == "millimeters" || u == "millimetre" || u == "millimetres") return 1.0;
  if (u == "um" || u == "micron" || u == "microns" || u == "micrometer" || u == "micrometers" || u == "micrometre" ||
      u == "micrometres")
    return 1e-3;
  if (u == "nm" || u == "nanometer" || u == "nanometers") return 1e-6;
  if (u == "mil" || u == "mils") return 0.0254;
  if (u == "in" || u == "inch" || u == "inches") return 25.4;
  if (u == "cm") return 10.0;
  return std::nullopt;
}

ProductGeometry map_product(const std::string& name, int cols, int rows, const MapSizes& sizes, std::string* assumed) {
  ProductGeometry p;
  p.name = name;
  p.cols = cols;
  p.rows = rows;
  const int longest = std::max(1, std::max(cols, rows));
  std::string what;
  // A size that is not a plausible length (0, negative, not finite, over a metre) is unknown.
  auto plausible = [](double v) { return std::isfinite(v) && v > 0 && v < 1000 ? v : 0.0; };
  double w = plausible(sizes.die_width_mm), h = plausible(sizes.die_height_mm), d = plausible(sizes.wafer_diameter_mm);
  const bool die_known = w > 0 && h > 0;
  if (!(d > 0)) {
    if (die_known) {
      const double span = std::max(cols * w, rows * h);
      static constexpr std::array<double, 6> kStandard{100, 125, 150, 200, 300, 450};
      d = span;
      for (double s : kStandard)
        if (s >= span) {
          d = s;
          break;
        }
      what = "wafer diameter";
    } else {
      d = kDefaultWaferDiameterMm;
      what = "wafer diameter";
    }
  }
  if (!die_known) {
    w = h = d / longest;
    what += what.empty() ? "die size" : " and die size";
  }
  p.wafer_diameter_mm = d;
  p.edge_exclusion_mm = 0;
  p.die_width_mm = w;
  p.die_height_mm = h;
  p.grid_x0_mm = -cols * w / 2;
  p.grid_y0_mm = rows * h / 2;
  if (assumed) *assumed = what;
  return p;
}

BinMap rotate_notch_down(const BinMap& map, NotchSide notch, MapSizes* sizes) {
  if (notch == NotchSide::bottom) return map;
  BinMap out;
  const int C = map.cols, R = map.rows;
  const bool swap = notch == NotchSide::left || notch == NotchSide::right;
  out.cols = swap ? R : C;
  out.rows = swap ? C : R;
  out.bins.assign(map.bins.size(), -1);
  for (int r = 0; r < R; ++r)
    for (int c = 0; c < C; ++c) {
      int nc = c, nr = r;
      switch (notch) {
        case NotchSide::top: nc = C - 1 - c; nr = R - 1 - r; break;           // half a turn
        case NotchSide::left: nc = r; nr = C - 1 - c; break;                  // a quarter turn anticlockwise
        case NotchSide::right: nc = R - 1 - r; nr = c; break;                 // a quarter turn clockwise
        case NotchSide::bottom: break;
      }
      out.bins[static_cast<std::size_t>(nr) * out.cols + nc] = map.at(c, r);
    }
  if (swap && sizes) std::swap(sizes->die_width_mm, sizes->die_height_mm);
  return out;
}

}  // namespace yf::import
