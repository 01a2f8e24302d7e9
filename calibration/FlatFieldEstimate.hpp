#pragma once
// A tool's illumination profile (flat field) from its own images: each image's local
// mean brightness over the wafer (a wide box mean, normalised by the wafer mask so the
// rim does not darken it) divided by its overall level, the median of those ratios
// over the images, then a smooth 2-D polynomial fitted to it (the die pattern and the
// defects average out; the polynomial also extends the profile beyond the wafers).
#include <opencv2/core/mat.hpp>
#include <vector>

#include "calibration/WaferCalibration.hpp"

namespace yf::calib {

struct FlatFieldOptions {
  int degree = 4;        // of the polynomial in x and y (total degree)
  int window_px = 0;     // box mean size; 0: 1/10 of the image, at least 15
  int sample_step = 8;   // fit on every n-th pixel in x and y
};

// The fitted profile: flat(x, y) = sum_k coef[k] * X^i * Y^j over i + j <= degree, in the
// order i = 0..degree (outer), j = 0..degree - i (inner), with X = 2x / (width - 1) - 1
// and Y = 2y / (height - 1) - 1 (pixel centres at integers); clamped below at 0.1.
// Stored as is in tool calibration files (docs/formats.md).
struct FlatFieldModel {
  int width = 0, height = 0, degree = 0;
  std::vector<double> coefficients;
};

// `images` are 8-bit, all of one size; `wafers` their calibrations (for the masks).
// Mean 1 over the wafers. Throws CalibrationError when no image is usable or sizes differ.
FlatFieldModel fit_flat_field(const std::vector<cv::Mat>& images, const std::vector<WaferCalibration>& wafers,
                              const FlatFieldOptions& options = {});

// The model evaluated on every pixel (CV_32F).
cv::Mat render_flat_field(const FlatFieldModel& model);

// fit_flat_field, then render_flat_field.
cv::Mat estimate_flat_field(const std::vector<cv::Mat>& images, const std::vector<WaferCalibration>& wafers,
                            const FlatFieldOptions& options = {});

}  // namespace yf::calib
