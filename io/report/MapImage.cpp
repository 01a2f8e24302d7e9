#include "io/report/MapImage.hpp"

#include <opencv2/core.hpp>
#include <opencv2/imgcodecs.hpp>

#include <algorithm>
#include <cmath>
#include <stdexcept>
#include <string>

#include "core/WaferResult.hpp"

namespace yf::report {
namespace {

const Rgb kBackground{255, 255, 255};

void check_shape(std::size_t size, int rows, int cols, const char* what) {
  if (rows <= 0 || cols <= 0 || size != static_cast<std::size_t>(rows) * static_cast<std::size_t>(cols))
    throw std::invalid_argument(std::string(what) + ": " + std::to_string(size) + " values for a " +
                                std::to_string(rows) + " x " + std::to_string(cols) + " grid");
}

// Paints die (r, c) into a white image of the grid.
void paint(cv::Mat& img, int r, int c, int cell, Rgb colour) {
  int pitch = cell + 1;
  cv::Mat block = img(cv::Rect(1 + c * pitch, 1 + r * pitch, cell, cell));
  block.setTo(cv::Scalar(colour.b, colour.g, colour.r));  // OpenCV is BGR
}

cv::Mat blank(int rows, int cols, int cell) {
  int pitch = cell + 1;
  return cv::Mat(1 + rows * pitch, 1 + cols * pitch, CV_8UC3,
                 cv::Scalar(kBackground.b, kBackground.g, kBackground.r));
}

std::vector<std::uint8_t> encode(const cv::Mat& img) {
  std::vector<std::uint8_t> png;
  if (!cv::imencode(".png", img, png, {cv::IMWRITE_PNG_COMPRESSION, 9}))
    throw std::runtime_error("report: PNG encoding of a die map failed");
  return png;
}

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
  cv::Mat img = blank(rows, cols, cell);
  for (int r = 0; r < rows; ++r)
    for (int c = 0; c < cols; ++c) {
      DieColour k = classify_die(verdicts[static_cast<std::size_t>(r) * static_cast<std::size_t>(cols) + static_cast<std::size_t>(c)]);
      if (k != DieColour::none) paint(img, r, c, cell, die_colour(k));
    }
  return encode(img);
}

std::vector<std::uint8_t> rate_map_png(const std::vector<double>& rates, int rows, int cols, int cell,
                                       double max_rate) {
  check_shape(rates.size(), rows, cols, "stacked map");
  cell = std::max(cell, 1);
  if (!(max_rate > 0)) max_rate = 1;
  cv::Mat img = blank(rows, cols, cell);
  for (int r = 0; r < rows; ++r)
    for (int c = 0; c < cols; ++c) {
      double v = rates[static_cast<std::size_t>(r) * static_cast<std::size_t>(cols) + static_cast<std::size_t>(c)];
      if (std::isfinite(v) && v >= 0) paint(img, r, c, cell, fail_rate_colour(v / max_rate));
    }
  return encode(img);
}

int cell_size_for(int rows, int cols, int target_px) {
  int longest = std::max({rows, cols, 1});
  return std::max(2, target_px / longest - 1);
}

}  // namespace yf::report
