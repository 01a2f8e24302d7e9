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

// `images` are 8-bit, all of one size; `wafers` their calibrations (for the masks).
// Returns CV_32F of the images' size, mean 1 over the wafers. Throws CalibrationError
// when no image is usable or sizes differ.
cv::Mat estimate_flat_field(const std::vector<cv::Mat>& images, const std::vector<WaferCalibration>& wafers,
                            const FlatFieldOptions& options = {});

}  // namespace yf::calib
