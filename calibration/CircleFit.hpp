#pragma once
// Circle fits to edge points: the algebraic (Kasa) fit as a start, then geometric
// least squares (Gauss-Newton on the distances, Eigen) with outliers rejected by a
// robust (MAD) threshold, refitted until the inlier set settles.
#include <opencv2/core/types.hpp>
#include <vector>

namespace yf::calib {

struct Circle {
  double cx = 0, cy = 0, r = 0;
};

// Least squares on x^2 + y^2 + D x + E y + F = 0. Needs >= 3 points not on a line;
// returns r = 0 otherwise.
Circle fit_circle_algebraic(const std::vector<cv::Point2d>& pts);

// Minimises sum (|p - c| - r)^2 from `start` (Gauss-Newton, at most 30 steps).
Circle fit_circle_geometric(const std::vector<cv::Point2d>& pts, Circle start);

struct RobustCircle {
  Circle circle;
  std::vector<double> residuals;  // |p - c| - r, every point
  std::vector<bool> inlier;
  double rms = 0, max_abs = 0;    // over inliers
  int inliers = 0, outliers = 0;
};

// Points farther than max(k * 1.4826 * MAD, min_threshold) from the circle are
// outliers (the notch, chips); the fit is redone on the inliers, 5 rounds at most.
RobustCircle fit_circle_robust(const std::vector<cv::Point2d>& pts, double k = 3.5, double min_threshold = 0.5);

}  // namespace yf::calib
