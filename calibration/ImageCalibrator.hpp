#pragma once
// Calibrates one full-wafer image: wafer edge -> robust circle (centre, radius, so
// mm per pixel from the product's diameter) -> notch -> die-grid rotation.
#include <opencv2/core/mat.hpp>
#include <optional>
#include <string>
#include <vector>

#include "calibration/GridRotation.hpp"
#include "calibration/WaferCalibration.hpp"

namespace yf::calib {

// What is known before looking: the tool's nominal optics (from /calibration/<tool>
// or a calibration file). Any of them may be absent.
struct CalibrationHint {
  std::optional<double> mm_per_px;
  std::optional<double> rotation_deg;
};

// A bite out of the wafer rim (an edge chip): a run of edge points well inside the
// fitted circle, away from the notch.
struct EdgeBite {
  cv::Point2d center_px;   // centroid estimate of the missing area (2/5 of the depth in from the rim)
  double depth_px = 0;     // deepest point below the circle
  double chord_px = 0;     // length of rim affected
  double area_px = 0;      // ~2/3 chord x depth (a parabolic segment)
};

struct ImageCalibration {
  WaferCalibration wafer;
  EdgeResiduals residuals;
  bool cut_off = false;          // degraded: part of the rim outside the image
  bool notch_found = false;
  double notch_rotation_deg = 0; // rotation implied by the notch alone (about +-0.3 deg)
  double notch_angle_rad = 0;    // direction of the notch from the centre (image frame, y down)
  double notch_depth_px = 0;
  double grid_sharpness = 0;
  std::vector<EdgeBite> edge_bites;
  std::vector<std::string> warnings;  // degraded results, said in words
};

// Throws CalibrationError ("images: ...") when the image cannot be calibrated.
ImageCalibration calibrate_image(const cv::Mat& image8u, double wafer_diameter_mm, const CalibrationHint& hint = {});
// The same, the grid search's buffers kept by the caller (calibration/GridRotation.hpp).
ImageCalibration calibrate_image(const cv::Mat& image8u, double wafer_diameter_mm, const CalibrationHint& hint,
                                 GridRotationBuffers& buffers);

}  // namespace yf::calib
