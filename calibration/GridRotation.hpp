#pragma once
// The rotation of the die grid in an image, from projection profiles: the streets and
// the die pattern repeat along the grid's axes, so the profile of the image projected
// across one axis is sharpest (largest variance) at the grid's true angle. The angle is
// searched around a start value (the notch or the tool's nominal rotation), which
// also settles the grid's 90-degree ambiguity.
#include <opencv2/core/mat.hpp>
#include <vector>

namespace yf::calib {

struct GridRotationOptions {
  double search_half_range_deg = 1.0;  // around the start angle
  int roi_half_size_px = 400;          // a square around the wafer centre, inside the wafer
};

struct GridRotation {
  double rotation_deg = 0;  // counter-clockwise, as WaferCalibration::rotation_deg
  double sharpness = 0;     // profile variance at the best angle over its median (>= 1)
};

// `start_deg` is the expected rotation; the result lies within +-search_half_range_deg of
// it. Throws CalibrationError when the region holds no structure (a blank wafer).
// The search's buffers, kept by a caller that calibrates image after image (the image
// stage, per pipeline worker), so that their pages are not faulted in afresh for each
// (the halves' region alone is some 10 MB at 2048 px). Nothing carries over into a result.
struct GridRotationBuffers {
  cv::Mat search, search_slow;  // the search square, high-passed, and its box mean
  cv::Mat halves, halves_slow;  // the same for the halves' refinement (0.85 R)
  std::vector<float> x, y, v;   // the halves' samples inside the disk
  // Memory a caller may lend for `halves` and `halves_slow` (continuous CV_32F, used when
  // large enough): the image stage lends its comparison images', made only after calibration.
  cv::Mat halves_lent, halves_slow_lent;
};

GridRotation find_grid_rotation(const cv::Mat& image8u, double center_x_px, double center_y_px, double radius_px,
                                double start_deg, const GridRotationOptions& options = {});
GridRotation find_grid_rotation(const cv::Mat& image8u, double center_x_px, double center_y_px, double radius_px,
                                double start_deg, const GridRotationOptions& options, GridRotationBuffers& buffers);

}  // namespace yf::calib
