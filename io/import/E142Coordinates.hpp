#pragma once
// SEMI E142 die coordinates (SubstrateMap OriginLocation and AxisDirection) and where
// a die given by them sits in the map as drawn (column 0 at the left, row 0 at the
// top). Used to place the dies of a `MapType="Coordinate"` BinCodeMap, whose BinCode
// elements carry X and Y; a 2DArray map is the drawing itself (docs/formats.md, E142).
#include <cstdint>
#include <optional>
#include <string>

namespace yf::import {

struct E142Axes {
  enum class Origin { lower_left, lower_right, upper_left, upper_right, center };
  Origin origin = Origin::lower_left;  // E142's defaults: LowerLeft, UpRight
  bool x_right = true;                 // X grows to the right (else to the left)
  bool y_up = true;                    // Y grows upwards (else downwards)
};

// "LowerLeft", "UpperRight", "Center", ... (any case, a leading "to" as some writers
// put it); nullopt when unknown. Empty: the default.
std::optional<E142Axes::Origin> parse_e142_origin(const std::string& s);
// "UpRight", "DownRight", "UpLeft", "DownLeft" (any case); false when unknown.
bool parse_e142_axis(const std::string& s, E142Axes& axes);
std::string to_string(const E142Axes& axes);

// The drawn column and row of die (x, y) on a cols x rows grid whose origin cell is
// coordinate (base, base): base 0 or 1. Corners put the origin cell at that corner; the
// centre puts it at the middle cell, rounded towards the axes' negative ends when a
// side is even. False when the die falls off the grid.
bool e142_place(const E142Axes& axes, int cols, int rows, int base, std::int64_t x, std::int64_t y, int& col,
                int& row);

}  // namespace yf::import
