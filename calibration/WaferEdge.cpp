#include "calibration/WaferEdge.hpp"

#include <algorithm>
#include <cmath>
#include <opencv2/imgproc.hpp>
#include <string>

#include "calibration/WaferCalibration.hpp"

namespace yf::calib {
namespace {

constexpr double kPi = 3.14159265358979323846;

double bilinear(const cv::Mat& img, double x, double y) {
  const int x0 = static_cast<int>(std::floor(x)), y0 = static_cast<int>(std::floor(y));
  const double fx = x - x0, fy = y - y0;
  const uchar* r0 = img.ptr<uchar>(y0);
  const uchar* r1 = img.ptr<uchar>(y0 + 1);
  return (1 - fy) * ((1 - fx) * r0[x0] + fx * r0[x0 + 1]) + fy * ((1 - fx) * r1[x0] + fx * r1[x0 + 1]);
}

// The coarse disk: the largest outer contour of the Otsu mask of a reduced image.
Circle coarse_disk(const cv::Mat& img, bool& touches_border) {
  const double scale = std::min(1.0, 512.0 / std::max(img.cols, img.rows));
  cv::Mat small;
  if (scale < 1)
    cv::resize(img, small, cv::Size(), scale, scale, cv::INTER_AREA);
  else
    small = img;
  cv::Mat mask;
  cv::threshold(small, mask, 0, 255, cv::THRESH_BINARY | cv::THRESH_OTSU);
  cv::morphologyEx(mask, mask, cv::MORPH_CLOSE, cv::getStructuringElement(cv::MORPH_ELLIPSE, {5, 5}));
  std::vector<std::vector<cv::Point>> contours;
  cv::findContours(mask, contours, cv::RETR_EXTERNAL, cv::CHAIN_APPROX_NONE);
  double best = 0;
  std::size_t bi = 0;
  for (std::size_t i = 0; i < contours.size(); ++i) {
    const double a = cv::contourArea(contours[i]);
    if (a > best) {
      best = a;
      bi = i;
    }
  }
  const double min_area = 0.02 * small.rows * small.cols;
  if (contours.empty() || best < min_area)
    throw CalibrationError("images: no wafer in view (no bright disk covering 2 % of the image)");
  std::vector<cv::Point> hull;
  cv::convexHull(contours[bi], hull);
  const double solidity = best / std::max(1.0, cv::contourArea(hull));
  if (solidity < 0.8)
    throw CalibrationError("images: no wafer in view (the bright region is not disk-shaped, solidity " +
                           std::to_string(solidity).substr(0, 4) + ")");
  const cv::Rect box = cv::boundingRect(contours[bi]);
  touches_border = box.x <= 1 || box.y <= 1 || box.x + box.width >= small.cols - 1 || box.y + box.height >= small.rows - 1;
  Circle c;
  if (touches_border) {
    // The mask's area underestimates a cut disk: fit its contour points off the border instead.
    std::vector<cv::Point2d> pts;
    for (const cv::Point& p : contours[bi])
      if (p.x > 1 && p.y > 1 && p.x < small.cols - 2 && p.y < small.rows - 2) pts.emplace_back(p.x, p.y);
    c = fit_circle_algebraic(pts);
    if (c.r <= 0) throw CalibrationError("images: wafer cut off at the border, or no wafer in view (too little rim visible)");
  } else {
    const cv::Moments m = cv::moments(contours[bi]);
    c = {m.m10 / m.m00, m.m01 / m.m00, std::sqrt(best / kPi)};
  }
  // Back to full-resolution pixel centres.
  c.cx = (c.cx + 0.5) / scale - 0.5;
  c.cy = (c.cy + 0.5) / scale - 0.5;
  c.r /= scale;
  return c;
}

// The edge along one ray: the outermost clear fall of brightness (at least 15 grey levels
// over 2 px, and a fifth of the window's strongest: the rim of a wafer whose edge runs
// through a dark street falls less than the pattern just inside it), at the peak of the
// gradient (parabola, sub-pixel). Returns the radius, or a negative value when the ray
// has no edge or leaves the image.
double edge_on_ray(const cv::Mat& img, double cx, double cy, double ca, double sa, double r0, double half,
                   std::vector<double>& prof, std::vector<double>& grad) {
  const double step = 0.5;
  const int n = static_cast<int>(2 * half / step) + 1;
  prof.resize(static_cast<std::size_t>(n));
  for (int i = 0; i < n; ++i) {
    const double r = r0 - half + i * step;
    const double x = cx + r * ca, y = cy + r * sa;
    if (x < 0 || y < 0 || x >= img.cols - 1 || y >= img.rows - 1) return -1;
    prof[static_cast<std::size_t>(i)] = bilinear(img, x, y);
  }
  // Derivative over +-1 px (a smoothing central difference).
  grad.assign(static_cast<std::size_t>(n), 0);
  double strongest = 0;
  for (int i = 2; i < n - 2; ++i) {
    const double d = prof[static_cast<std::size_t>(i + 2)] - prof[static_cast<std::size_t>(i - 2)];
    grad[static_cast<std::size_t>(i)] = -d;  // a fall outwards is positive
    strongest = std::max(strongest, -d);
  }
  const double need = std::max(15.0, 0.2 * strongest);
  if (strongest < need) return -1;  // no edge
  int at = -1;
  for (int i = n - 3; i >= 2; --i)
    if (grad[static_cast<std::size_t>(i)] >= need) {
      at = i;
      break;
    }
  if (at < 0) return -1;
  // Up the rise to the peak, at most 1.5 px inwards: further in is the pattern's own edge
  // (a street along the rim merges the two falls).
  for (int k = 0; k < 3 && at > 2 && grad[static_cast<std::size_t>(at - 1)] > grad[static_cast<std::size_t>(at)]; ++k) --at;
  if (at <= 2 || at >= n - 3) return -1;
  const double gm = grad[static_cast<std::size_t>(at - 1)], g0 = grad[static_cast<std::size_t>(at)],
               gp = grad[static_cast<std::size_t>(at + 1)];
  const double denom = gm - 2 * g0 + gp;
  const double off = denom < 0 ? 0.5 * (gm - gp) / denom : 0;
  return r0 - half + (at + std::clamp(off, -1.0, 1.0)) * step;
}

}  // namespace

void check_wafer_image(const cv::Mat& image) {
  if (image.empty()) throw CalibrationError("images: empty image");
  if (image.type() != CV_8UC1)
    throw CalibrationError("images: expected 8-bit single-channel pixels, got OpenCV type " + std::to_string(image.type()));
  if (image.cols < 32 || image.rows < 32)
    throw CalibrationError("images: image of " + std::to_string(image.cols) + "x" + std::to_string(image.rows) +
                           " pixels is too small (at least 32x32)");
  double lo = 0, hi = 0;
  cv::minMaxLoc(image, &lo, &hi);
  if (hi - lo < 20) throw CalibrationError("images: constant image (grey levels " + std::to_string(int(lo)) + ".." +
                                           std::to_string(int(hi)) + "): no wafer in view");
  // Pixels at 255, counted in place (`image >= 255` would be a whole-image temporary).
  std::size_t at_max = 0;
  for (int r = 0; r < image.rows; ++r) {
    const uchar* p = image.ptr<uchar>(r);
    for (int c = 0; c < image.cols; ++c) at_max += p[c] == 255;
  }
  const double saturated = static_cast<double>(at_max) / static_cast<double>(image.total());
  if (saturated > 0.3)
    throw CalibrationError("images: saturated (" + std::to_string(static_cast<int>(saturated * 100)) +
                           " % of the pixels at 255)");
}

WaferEdge find_wafer_edge(const cv::Mat& img, const EdgeOptions& o) {
  check_wafer_image(img);
  WaferEdge out;
  bool touches = false;
  out.coarse = coarse_disk(img, touches);
  const Circle& c0 = out.coarse;
  const int rays = o.rays > 0 ? o.rays : std::clamp(static_cast<int>(2 * kPi * c0.r / 4), 180, 1440);
  const double half = std::max(8.0, 0.03 * c0.r);
  std::vector<double> prof, grad;
  int left_image = 0;
  for (int k = 0; k < rays; ++k) {
    const double a = 2 * kPi * k / rays;
    const double ca = std::cos(a), sa = std::sin(a);
    const double r = edge_on_ray(img, c0.cx, c0.cy, ca, sa, c0.r, half, prof, grad);
    if (r < 0) {
      const double xe = c0.cx + (c0.r + half) * ca, ye = c0.cy + (c0.r + half) * sa;
      if (xe < 0 || ye < 0 || xe >= img.cols - 1 || ye >= img.rows - 1) ++left_image;
      continue;
    }
    out.points.emplace_back(c0.cx + r * ca, c0.cy + r * sa);
    out.angles_rad.push_back(a);
  }
  out.rim_coverage = static_cast<double>(out.points.size()) / rays;
  out.cut_off = touches || left_image > 0;
  if (out.rim_coverage < 0.4)
    throw CalibrationError(std::string("images: ") +
                           (out.cut_off ? "wafer cut off at the border, or no wafer in view" : "wafer edge not found") + " (edge found on " +
                           std::to_string(static_cast<int>(out.rim_coverage * 100)) + " % of the rim, need 40 %)");
  out.fit = fit_circle_robust(out.points);
  if (out.fit.circle.r <= 0) throw CalibrationError("images: circle fit failed on the wafer edge");

  // Notch: the deepest dip below the circle, averaged over +-1 ray.
  const std::size_t n = out.points.size();
  double best = 0;
  std::size_t bi = n;
  for (std::size_t i = 0; i < n; ++i) {
    if (o.notch_near_deg) {
      double d = std::remainder(out.angles_rad[i] - *o.notch_near_deg * kPi / 180, 2 * kPi);
      if (std::abs(d) > 8 * kPi / 180) continue;
    }
    const double v = -(out.fit.residuals[(i + n - 1) % n] + 2 * out.fit.residuals[i] + out.fit.residuals[(i + 1) % n]) / 4;
    if (v > best) {
      best = v;
      bi = i;
    }
  }
  if (bi < n && best > 1.0) {
    // Centroid of the dip's depth over the rays within 3 degrees.
    double sw = 0, sx = 0, sy = 0;
    for (std::size_t i = 0; i < n; ++i) {
      const double d = std::remainder(out.angles_rad[i] - out.angles_rad[bi], 2 * kPi);
      if (std::abs(d) > 3 * kPi / 180) continue;
      const double depth = -out.fit.residuals[i];
      if (depth <= 0.3 * best) continue;
      sw += depth;
      sx += depth * std::cos(out.angles_rad[i]);
      sy += depth * std::sin(out.angles_rad[i]);
    }
    if (sw > 0) {
      out.notch_angle_rad = std::atan2(sy, sx);
      out.notch_depth_px = best;
    }
  }
  return out;
}

}  // namespace yf::calib
