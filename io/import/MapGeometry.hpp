#pragma once
// How a wafer-sort map (STDF, E142, G85, SINF) becomes a v1 product grid and bin
// map. Shared by the sort-map importers so that they all answer the questions the
// map files leave open (wafer size, die size, where the notch is) the same way;
// docs/formats.md ("Importing") documents the rules.
#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "core/ProductGeometry.hpp"
#include "core/Wafer.hpp"

namespace yf::import {

// Wafer diameter assumed when a map file gives neither the wafer nor the die size.
inline constexpr double kDefaultWaferDiameterMm = 200.0;

// Length units that map files use, to millimetres; nullopt when unknown.
// Accepts mm, um/micron(s), nm, mil(s), in/inch(es), cm (case-insensitive).
std::optional<double> unit_to_mm(const std::string& unit);

// The physical sizes a file may carry; 0 = not given.
struct MapSizes {
  double wafer_diameter_mm = 0;
  double die_width_mm = 0;   // pitch along a row (x), in the map as drawn
  double die_height_mm = 0;  // pitch along a column (y)
};

// A product for a cols x rows map (already turned notch-down):
// - die size from the file; without it, square dies of diameter / max(cols, rows)
//   (the map spans the wafer);
// - wafer diameter from the file; without it, the smallest standard diameter
//   (100, 125, 150, 200, 300, 450 mm) that holds the grid's wider side, or the
//   grid's wider side itself past 450 mm; with neither size, 200 mm;
// - the grid centred on the wafer centre, no edge exclusion (sort yield counts
//   every tested die, the product-die rule does not apply to sort data).
// `assumed` (when not null) receives what had to be assumed, "" when nothing.
ProductGeometry map_product(const std::string& name, int cols, int rows, const MapSizes& sizes,
                            std::string* assumed = nullptr);

// Where the notch (or flat) is in a map as drawn: quarter turns clockwise from the
// bottom (0 bottom, 1 left, 2 top, 3 right).
enum class NotchSide { bottom = 0, left = 1, top = 2, right = 3 };

// Rotates a map (row 0 at the top) so that its notch ends at the bottom, the v1
// convention. Left/right notches swap rows and columns (and die width and height
// in `sizes`, when given).
BinMap rotate_notch_down(const BinMap& map, NotchSide notch, MapSizes* sizes = nullptr);

// Grids bigger than this are refused: a corrupt coordinate must not allocate GBs.
inline constexpr int kMaxMapSide = 10000;
inline constexpr std::int64_t kMaxMapCells = 25'000'000;

}  // namespace yf::import
