#include "calibration/WaferCalibration.hpp"

#include <cmath>

namespace yf::calib {

namespace {
constexpr double kDegToRad = 3.14159265358979323846 / 180.0;
}

cv::Point2d px_to_mm(const WaferCalibration& c, cv::Point2d px) {
  const double t = c.rotation_deg * kDegToRad, co = std::cos(t), si = std::sin(t);
  const double vx = (px.x - c.center_x_px) * c.mm_per_px;
  const double vy = -(px.y - c.center_y_px) * c.mm_per_px;
  return {co * vx + si * vy, -si * vx + co * vy};
}

cv::Point2d mm_to_px(const WaferCalibration& c, cv::Point2d mm) {
  const double t = c.rotation_deg * kDegToRad, co = std::cos(t), si = std::sin(t);
  const double vx = co * mm.x - si * mm.y;
  const double vy = si * mm.x + co * mm.y;
  return {c.center_x_px + vx / c.mm_per_px, c.center_y_px - vy / c.mm_per_px};
}

}  // namespace yf::calib
