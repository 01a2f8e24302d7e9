#pragma once
// The rotation of the die grid in an image, from projection profiles: the streets and
// the die pattern repeat along the grid's axes, so the profile of the image projected
// across one axis is sharpest (largest variance) at the grid's true angle. The angle is
// searched around a start value (the notch or the tool's nominal rotation), which
// also settles the grid's 90-degree ambiguity.
#include <opencv2/core/mat.hpp>

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
GridRotation find_grid_rotation(const cv::Mat& image8u, double center_x_px, double center_y_px, double radius_px,
                                double start_deg, const GridRotationOptions& options = {});

}  // namespace yf::calib
