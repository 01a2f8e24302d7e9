#include "calibration/CircleFit.hpp"

#include <Eigen/Dense>
#include <algorithm>
#include <cmath>

namespace yf::calib {

Circle fit_circle_algebraic(const std::vector<cv::Point2d>& pts) {
  if (pts.size() < 3) return {};
  // Centred coordinates keep the normal equations well conditioned.
  double mx = 0, my = 0;
  for (const auto& p : pts) {
    mx += p.x;
    my += p.y;
  }
  mx /= static_cast<double>(pts.size());
  my /= static_cast<double>(pts.size());
  Eigen::MatrixXd A(static_cast<Eigen::Index>(pts.size()), 3);
  Eigen::VectorXd b(static_cast<Eigen::Index>(pts.size()));
  for (std::size_t i = 0; i < pts.size(); ++i) {
    const double x = pts[i].x - mx, y = pts[i].y - my;
    const auto k = static_cast<Eigen::Index>(i);
    A(k, 0) = x;
    A(k, 1) = y;
    A(k, 2) = 1;
    b(k) = -(x * x + y * y);
  }
  const Eigen::Vector3d s = A.colPivHouseholderQr().solve(b);
  const double cx = -s(0) / 2, cy = -s(1) / 2;
  const double r2 = cx * cx + cy * cy - s(2);
  if (!std::isfinite(r2) || r2 <= 0) return {};
  return {cx + mx, cy + my, std::sqrt(r2)};
}

Circle fit_circle_geometric(const std::vector<cv::Point2d>& pts, Circle c) {
  if (pts.size() < 3 || c.r <= 0) return c;
  for (int iter = 0; iter < 30; ++iter) {
    Eigen::Matrix3d JtJ = Eigen::Matrix3d::Zero();
    Eigen::Vector3d Jtr = Eigen::Vector3d::Zero();
    for (const auto& p : pts) {
      const double dx = p.x - c.cx, dy = p.y - c.cy;
      const double d = std::hypot(dx, dy);
      if (d < 1e-12) continue;
      const Eigen::Vector3d J(-dx / d, -dy / d, -1.0);  // d(d - r)/d(cx, cy, r)
      const double res = d - c.r;
      JtJ += J * J.transpose();
      Jtr += J * res;
    }
    const Eigen::Vector3d step = JtJ.ldlt().solve(-Jtr);
    if (!step.allFinite()) break;
    c.cx += step(0);
    c.cy += step(1);
    c.r += step(2);
    if (step.norm() < 1e-9) break;
  }
  return c;
}

namespace {
double median(std::vector<double> v) {
  if (v.empty()) return 0;
  const auto mid = v.begin() + static_cast<std::ptrdiff_t>(v.size() / 2);
  std::nth_element(v.begin(), mid, v.end());
  return *mid;
}
}  // namespace

RobustCircle fit_circle_robust(const std::vector<cv::Point2d>& pts, double k, double min_threshold) {
  RobustCircle out;
  Circle c = fit_circle_algebraic(pts);
  if (c.r <= 0) return out;
  std::vector<bool> inlier(pts.size(), true);
  std::vector<double> res(pts.size());
  for (int round = 0; round < 5; ++round) {
    for (std::size_t i = 0; i < pts.size(); ++i) res[i] = std::hypot(pts[i].x - c.cx, pts[i].y - c.cy) - c.r;
    std::vector<double> abs_in;
    for (std::size_t i = 0; i < pts.size(); ++i)
      if (inlier[i]) abs_in.push_back(std::abs(res[i] - 0.0));
    const double mad = median(abs_in);
    const double thr = std::max(k * 1.4826 * mad, min_threshold);
    std::vector<bool> next(pts.size());
    std::vector<cv::Point2d> keep;
    for (std::size_t i = 0; i < pts.size(); ++i) {
      next[i] = std::abs(res[i]) <= thr;
      if (next[i]) keep.push_back(pts[i]);
    }
    if (keep.size() < 3) break;
    const bool same = next == inlier && round > 0;
    inlier = std::move(next);
    c = fit_circle_geometric(keep, c);
    if (same) break;
  }
  for (std::size_t i = 0; i < pts.size(); ++i) res[i] = std::hypot(pts[i].x - c.cx, pts[i].y - c.cy) - c.r;
  out.circle = c;
  double ss = 0;
  for (std::size_t i = 0; i < pts.size(); ++i) {
    if (inlier[i]) {
      ++out.inliers;
      ss += res[i] * res[i];
      out.max_abs = std::max(out.max_abs, std::abs(res[i]));
    } else {
      ++out.outliers;
    }
  }
  out.rms = out.inliers > 0 ? std::sqrt(ss / out.inliers) : 0;
  out.residuals = std::move(res);
  out.inlier = std::move(inlier);
  return out;
}

}  // namespace yf::calib
