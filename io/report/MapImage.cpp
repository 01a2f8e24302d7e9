#include "io/report/MapImage.hpp"

#include <algorithm>
#include <cmath>
#include <stdexcept>
#include <string>

#include "core/WaferResult.hpp"
#include "io/report/PngWriter.hpp"

namespace yf::report {
namespace {

const Rgb kBackground{255, 255, 255};

void check_shape(std::size_t size, int rows, int cols, const char* what) {
  if (rows <= 0 || cols <= 0 || size != static_cast<std::size_t>(rows) * static_cast<std::size_t>(cols))
    throw std::invalid_argument(std::string(what) + ": " + std::to_string(size) + " values for a " +
                                std::to_string(rows) + " x " + std::to_string(cols) + " grid");
}

// An RGB picture of the grid: white, one-pixel gaps around cell x cell dies.
class MapCanvas {
 public:
  MapCanvas(int rows, int cols, int cell)
      : cell_(cell),
        width_(1 + cols * (cell + 1)),
        height_(1 + rows * (cell + 1)),
        rgb_(static_cast<std::size_t>(width_) * static_cast<std::size_t>(height_) * 3) {
    for (std::size_t i = 0; i < rgb_.size(); i += 3) set(&rgb_[i], kBackground);
  }

  // Paints die (r, c).
  void paint(int r, int c, Rgb colour) {
    const int pitch = cell_ + 1;
    for (int y = 1 + r * pitch; y < 1 + r * pitch + cell_; ++y) {
      std::uint8_t* px = &rgb_[(static_cast<std::size_t>(y) * static_cast<std::size_t>(width_) +
                                static_cast<std::size_t>(1 + c * pitch)) * 3];
      for (int x = 0; x < cell_; ++x, px += 3) set(px, colour);
    }
  }

  std::vector<std::uint8_t> png() const {
    return encode_png({rgb_.data(), width_, height_, static_cast<std::size_t>(width_) * 3, PngPixels::rgb});
  }

 private:
  static void set(std::uint8_t* px, Rgb colour) {
    px[0] = colour.r;
    px[1] = colour.g;
    px[2] = colour.b;
  }

  int cell_, width_, height_;
  std::vector<std::uint8_t> rgb_;
};

}  // namespace

Rgb die_colour(DieColour c) {
  switch (c) {
    case DieColour::pass: return {120, 190, 120};        // green
    case DieColour::fail: return {214, 72, 56};          // red
    case DieColour::killed_fail: return {110, 20, 20};   // dark red: failed, and inspection saw a killer
    case DieColour::killed_pass: return {240, 190, 60};  // amber: a killer defect, yet it passed
    case DieColour::untested: return {200, 200, 200};    // grey: product die without a bin
    case DieColour::none: break;
  }
  return kBackground;
}

DieColour classify_die(std::uint8_t bits) {
  bool tested = bits & kDieTested, pass = bits & kDieSortPass, killed = bits & kDieKilled;
  if (tested) {
    if (pass) return killed ? DieColour::killed_pass : DieColour::pass;
    return killed ? DieColour::killed_fail : DieColour::fail;
  }
  if (killed) return DieColour::killed_fail;
  return (bits & kDieProduct) ? DieColour::untested : DieColour::none;
}

std::vector<std::uint8_t> wafer_map_png(const std::vector<std::uint8_t>& verdicts, int rows, int cols, int cell) {
  check_shape(verdicts.size(), rows, cols, "wafer map");
  cell = std::max(cell, 1);
  MapCanvas img(rows, cols, cell);
  for (int r = 0; r < rows; ++r)
    for (int c = 0; c < cols; ++c) {
      DieColour k = classify_die(verdicts[static_cast<std::size_t>(r) * static_cast<std::size_t>(cols) + static_cast<std::size_t>(c)]);
      if (k != DieColour::none) img.paint(r, c, die_colour(k));
    }
  return img.png();
}

std::vector<std::uint8_t> rate_map_png(const std::vector<double>& rates, int rows, int cols, int cell,
                                       double max_rate) {
  check_shape(rates.size(), rows, cols, "stacked map");
  cell = std::max(cell, 1);
  if (!(max_rate > 0)) max_rate = 1;
  MapCanvas img(rows, cols, cell);
  for (int r = 0; r < rows; ++r)
    for (int c = 0; c < cols; ++c) {
      double v = rates[static_cast<std::size_t>(r) * static_cast<std::size_t>(cols) + static_cast<std::size_t>(c)];
      if (std::isfinite(v) && v >= 0) img.paint(r, c, fail_rate_colour(v / max_rate));
    }
  return img.png();
}

int cell_size_for(int rows, int cols, int target_px) {
  int longest = std::max({rows, cols, 1});
  return std::max(2, target_px / longest - 1);
}

}  // namespace yf::report
