#pragma once
// Finds the wafer disk in a full-wafer image: a coarse disk from an Otsu mask, then
// sub-pixel edge points along radial rays (the outermost strong fall of brightness,
// refined by a parabola through the gradient peak), a robust circle fit, and the
// notch as the deepest dip of the edge below the circle.
#include <opencv2/core/mat.hpp>
#include <optional>
#include <vector>

#include "calibration/CircleFit.hpp"

namespace yf::calib {

struct EdgeOptions {
  int rays = 0;                          // 0: one per ~4 px of circumference, 180..1440
  std::optional<double> notch_near_deg;  // search the notch within +-8 deg of this image angle
};

struct WaferEdge {
  Circle coarse;                         // from the mask
  std::vector<cv::Point2d> points;       // sub-pixel edge points, one per usable ray
  std::vector<double> angles_rad;        // their ray angles (image frame, y down)
  RobustCircle fit;
  bool cut_off = false;                  // part of the rim lies outside the image
  double rim_coverage = 1;               // fraction of rays that found the edge
  // Notch direction from the centre, image frame (atan2(dy, dx), y down), when found.
  std::optional<double> notch_angle_rad;
  double notch_depth_px = 0;
};

// Throws CalibrationError ("images: ...") for images that hold no usable wafer:
// wrong type or size, empty, constant, saturated, no wafer in view, or too little
// of the rim visible (< 40 % of the circumference).
WaferEdge find_wafer_edge(const cv::Mat& image8u, const EdgeOptions& options = {});

// Checks shape and type and brightness spread; throws CalibrationError.
void check_wafer_image(const cv::Mat& image);

}  // namespace yf::calib
