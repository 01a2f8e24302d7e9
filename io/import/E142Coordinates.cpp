#include "io/import/E142Coordinates.hpp"

#include "io/import/BinCodes.hpp"

namespace yf::import {

std::optional<E142Axes::Origin> parse_e142_origin(const std::string& text) {
  std::string_view s = trim(text);
  if (s.size() > 2 && (s[0] == 't' || s[0] == 'T') && (s[1] == 'o' || s[1] == 'O')) s.remove_prefix(2);
  using O = E142Axes::Origin;
  if (s.empty() || iequals(s, "LowerLeft")) return O::lower_left;
  if (iequals(s, "LowerRight")) return O::lower_right;
  if (iequals(s, "UpperLeft")) return O::upper_left;
  if (iequals(s, "UpperRight")) return O::upper_right;
  if (iequals(s, "Center") || iequals(s, "Centre")) return O::center;
  return std::nullopt;
}

bool parse_e142_axis(const std::string& text, E142Axes& axes) {
  const std::string_view s = trim(text);
  if (s.empty() || iequals(s, "UpRight")) axes.x_right = true, axes.y_up = true;
  else if (iequals(s, "DownRight")) axes.x_right = true, axes.y_up = false;
  else if (iequals(s, "UpLeft")) axes.x_right = false, axes.y_up = true;
  else if (iequals(s, "DownLeft")) axes.x_right = false, axes.y_up = false;
  else return false;
  return true;
}

std::string to_string(const E142Axes& a) {
  using O = E142Axes::Origin;
  const char* o = a.origin == O::lower_left    ? "LowerLeft"
                  : a.origin == O::lower_right ? "LowerRight"
                  : a.origin == O::upper_left  ? "UpperLeft"
                  : a.origin == O::upper_right ? "UpperRight"
                                               : "Center";
  return std::string("OriginLocation ") + o + ", AxisDirection " + (a.y_up ? "Up" : "Down") +
         (a.x_right ? "Right" : "Left");
}

bool e142_place(const E142Axes& a, int cols, int rows, int base, std::int64_t x, std::int64_t y, int& col, int& row) {
  using O = E142Axes::Origin;
  // The origin cell, drawn.
  std::int64_t c0 = 0, r0 = 0;
  switch (a.origin) {
    case O::lower_left: c0 = 0, r0 = rows - 1; break;
    case O::lower_right: c0 = cols - 1, r0 = rows - 1; break;
    case O::upper_left: c0 = 0, r0 = 0; break;
    case O::upper_right: c0 = cols - 1, r0 = 0; break;
    case O::center:
      c0 = a.x_right ? (cols - 1) / 2 : cols / 2;  // the negative end of X is left when X grows right
      r0 = a.y_up ? rows / 2 : (rows - 1) / 2;     // and the bottom when Y grows up
      break;
  }
  constexpr std::int64_t kFar = 1'000'000'000;  // no grid is that large; no overflow below
  if (x < -kFar || x > kFar || y < -kFar || y > kFar) return false;
  const std::int64_t dx = x - base, dy = y - base;
  const std::int64_t c = c0 + (a.x_right ? dx : -dx);
  const std::int64_t r = r0 + (a.y_up ? -dy : dy);
  if (c < 0 || c >= cols || r < 0 || r >= rows) return false;
  col = static_cast<int>(c);
  row = static_cast<int>(r);
  return true;
}

}  // namespace yf::import
