#include "calibration/ImageCalibrator.hpp"

#include <cmath>

#include "calibration/GridRotation.hpp"
#include "calibration/WaferEdge.hpp"

#include <algorithm>

namespace yf::calib {
namespace {
constexpr double kPi = 3.14159265358979323846;
double wrap180(double deg) { return std::remainder(deg, 360.0); }

// Runs of consecutive rays whose edge lies deeper than `min_depth` inside the circle.
std::vector<EdgeBite> find_bites(const WaferEdge& e, double min_depth) {
  std::vector<EdgeBite> out;
  const std::size_t n = e.points.size();
  if (n < 8) return out;
  const Circle& c = e.fit.circle;
  auto deep = [&](std::size_t i) { return -e.fit.residuals[i % n] > min_depth; };
  // Start at a shallow ray so that no run wraps around the start.
  std::size_t start = 0;
  while (start < n && deep(start)) ++start;
  if (start == n) return out;
  const double step = 2 * kPi / static_cast<double>(n);
  for (std::size_t k = 1; k <= n; ++k) {
    const std::size_t i = (start + k) % n;
    if (!deep(i)) continue;
    std::size_t len = 0;
    double best = 0, best_angle = 0, sum_depth = 0;
    while (len < n && deep(start + k + len)) {
      const std::size_t j = (start + k + len) % n;
      const double d = -e.fit.residuals[j];
      sum_depth += d;
      if (d > best) {
        best = d;
        best_angle = e.angles_rad[j];
      }
      ++len;
    }
    // Chord: the run's rays plus half a ray spacing on each side (where the rim is whole again).
    const double chord = c.r * step * static_cast<double>(len + 1);
    EdgeBite b;
    b.depth_px = best;
    b.chord_px = chord;
    b.area_px = std::max(2.0 / 3.0 * chord * best, sum_depth * c.r * step);
    const double rr = c.r - 0.4 * best;
    b.center_px = {c.cx + rr * std::cos(best_angle), c.cy + rr * std::sin(best_angle)};
    out.push_back(b);
    k += len;
  }
  return out;
}
}  // namespace

ImageCalibration calibrate_image(const cv::Mat& image, double diameter_mm, const CalibrationHint& hint) {
  GridRotationBuffers buffers;
  return calibrate_image(image, diameter_mm, hint, buffers);
}

ImageCalibration calibrate_image(const cv::Mat& image, double diameter_mm, const CalibrationHint& hint,
                                 GridRotationBuffers& buffers) {
  if (!(diameter_mm > 0)) throw CalibrationError("images: wafer diameter must be > 0");
  EdgeOptions eo;
  // With a nominal rotation, the notch is looked for where it should be: at image
  // angle 90 - rotation (the wafer's -y, seen rotated, with image y pointing down).
  if (hint.rotation_deg) eo.notch_near_deg = 90.0 - *hint.rotation_deg;
  const WaferEdge edge = find_wafer_edge(image, eo);

  ImageCalibration out;
  out.cut_off = edge.cut_off;
  if (edge.cut_off)
    out.warnings.push_back("wafer cut off at the image border: edge found on " +
                           std::to_string(static_cast<int>(edge.rim_coverage * 100)) + " % of the rim");
  WaferCalibration& w = out.wafer;
  w.center_x_px = edge.fit.circle.cx;
  w.center_y_px = edge.fit.circle.cy;
  w.radius_px = edge.fit.circle.r;
  w.mm_per_px = diameter_mm / (2 * w.radius_px);
  out.residuals = {edge.fit.rms, edge.fit.max_abs, edge.fit.inliers, edge.fit.outliers};
  if (hint.mm_per_px && std::abs(w.mm_per_px / *hint.mm_per_px - 1) > 0.05)
    out.warnings.push_back("scale " + std::to_string(w.mm_per_px) + " mm/px differs from the nominal " +
                           std::to_string(*hint.mm_per_px) + " by more than 5 %");

  double start = hint.rotation_deg.value_or(0);
  if (edge.notch_angle_rad) {
    out.notch_found = true;
    out.notch_angle_rad = *edge.notch_angle_rad;
    out.notch_depth_px = edge.notch_depth_px;
    out.notch_rotation_deg = wrap180(90.0 - *edge.notch_angle_rad * 180 / kPi);
    if (hint.rotation_deg && std::abs(wrap180(out.notch_rotation_deg - *hint.rotation_deg)) > 2)
      out.warnings.push_back("notch implies rotation " + std::to_string(out.notch_rotation_deg) +
                             " deg, nominal is " + std::to_string(*hint.rotation_deg));
    start = out.notch_rotation_deg;
  } else {
    out.warnings.push_back(hint.rotation_deg ? "notch not found: rotation searched around the nominal"
                                             : "notch not found and no nominal rotation: rotation searched around 0");
  }
  // Edge chips: bites deeper than 2 px (and 5x the fit's noise), the notch excepted.
  for (const EdgeBite& b : find_bites(edge, std::max(2.0, 5 * edge.fit.rms))) {
    if (edge.notch_angle_rad) {
      const double a = std::atan2(b.center_px.y - w.center_y_px, b.center_px.x - w.center_x_px);
      if (std::abs(std::remainder(a - *edge.notch_angle_rad, 2 * kPi)) < 2.5 * kPi / 180) continue;
    }
    out.edge_bites.push_back(b);
  }
  const GridRotation grid = find_grid_rotation(image, w.center_x_px, w.center_y_px, w.radius_px, start, {}, buffers);
  w.rotation_deg = grid.rotation_deg;
  out.grid_sharpness = grid.sharpness;
  return out;
}

}  // namespace yf::calib
