#pragma once
// Where a wafer lies in an image, and the transforms between image pixels and wafer
// millimetres (../shared/spec/inspection-dataset-v1.md conventions).
//
// Image: x right, y down, pixel (col, row) centred at (col, row). Wafer: mm, origin at
// the centre, +x right, +y up, notch at -y. The image shows the wafer rotated
// counter-clockwise by rotation_deg (as /calibration/<tool>/rotation_deg), scaled by
// mm_per_px, its centre at (center_x_px, center_y_px):
//   view = R(rotation) * wafer;   x_px = cx + view.x / s;   y_px = cy - view.y / s.
#include <opencv2/core/types.hpp>
#include <stdexcept>
#include <string>

namespace yf::calib {

// Thrown for an image that cannot be calibrated; the message starts with "images: ".
struct CalibrationError : std::runtime_error {
  using std::runtime_error::runtime_error;
};

struct WaferCalibration {
  double center_x_px = 0, center_y_px = 0;
  double radius_px = 0;
  double mm_per_px = 0;
  double rotation_deg = 0;
};

cv::Point2d px_to_mm(const WaferCalibration& c, cv::Point2d px);
cv::Point2d mm_to_px(const WaferCalibration& c, cv::Point2d mm);

// Fit quality of the wafer edge (pixels).
struct EdgeResiduals {
  double rms_px = 0;     // over inliers
  double max_px = 0;     // largest |residual| over inliers
  int inliers = 0;
  int outliers = 0;      // notch, chips, dirt on the edge
};

}  // namespace yf::calib
