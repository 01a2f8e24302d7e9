#include "calibration/GridRotation.hpp"

#include <algorithm>
#include <cmath>
#include <opencv2/imgproc.hpp>
#include <vector>

#include "calibration/WaferCalibration.hpp"

namespace yf::calib {
namespace {

constexpr double kDegToRad = 3.14159265358979323846 / 180.0;

// The region's pixels, zero-mean after removing the slow illumination (a wide blur).
struct Samples {
  std::vector<float> x, y, v;
};

Samples collect(const cv::Mat& img, double cx, double cy, int half, int stride) {
  const cv::Rect roi(static_cast<int>(std::lround(cx)) - half, static_cast<int>(std::lround(cy)) - half, 2 * half + 1,
                     2 * half + 1);
  cv::Mat f;
  img(roi).convertTo(f, CV_32F);
  cv::Mat slow;
  cv::blur(f, slow, cv::Size(31, 31), cv::Point(-1, -1), cv::BORDER_REFLECT);
  f -= slow;
  Samples s;
  for (int r = 0; r < f.rows; r += stride) {
    const float* p = f.ptr<float>(r);
    for (int c = 0; c < f.cols; c += stride) {
      s.x.push_back(static_cast<float>(roi.x + c - cx));
      s.y.push_back(static_cast<float>(roi.y + r - cy));
      s.v.push_back(p[c]);
    }
  }
  return s;
}

// Sharpness of the two projection profiles at rotation `deg`: sum over 1-px bins of
// (bin sum)^2 / (bin weight), with linear splatting so the score is smooth in angle.
double score(const Samples& s, double deg, int half, std::vector<double>& sum, std::vector<double>& wt) {
  const double t = deg * kDegToRad, co = std::cos(t), si = std::sin(t);
  const int bins = 4 * half + 8;
  double total = 0;
  for (int axis = 0; axis < 2; ++axis) {
    sum.assign(static_cast<std::size_t>(bins), 0);
    wt.assign(static_cast<std::size_t>(bins), 0);
    // Rows of the grid (wafer x) run along (cos t, -sin t) in the image: project on (sin t, cos t);
    // columns run along (sin t, cos t): project on (cos t, -sin t).
    const double ax = axis == 0 ? si : co, ay = axis == 0 ? co : -si;
    for (std::size_t i = 0; i < s.v.size(); ++i) {
      const double p = s.x[i] * ax + s.y[i] * ay + 2 * half + 2;
      const int b = static_cast<int>(p);
      const double f = p - b;
      sum[static_cast<std::size_t>(b)] += (1 - f) * s.v[i];
      wt[static_cast<std::size_t>(b)] += 1 - f;
      sum[static_cast<std::size_t>(b + 1)] += f * s.v[i];
      wt[static_cast<std::size_t>(b + 1)] += f;
    }
    for (int b = 0; b < bins; ++b)
      if (wt[static_cast<std::size_t>(b)] > 4) total += sum[static_cast<std::size_t>(b)] * sum[static_cast<std::size_t>(b)] / wt[static_cast<std::size_t>(b)];
  }
  return total;
}

// Best angle on a grid of steps, refined by a parabola through the best and its neighbours.
double search(const Samples& s, int half, double lo, double hi, double step, std::vector<double>* all_scores,
              double* best_score) {
  std::vector<double> sum, wt, sc;
  const int n = static_cast<int>(std::lround((hi - lo) / step)) + 1;
  for (int i = 0; i < n; ++i) sc.push_back(score(s, lo + i * step, half, sum, wt));
  const auto bi = static_cast<int>(std::max_element(sc.begin(), sc.end()) - sc.begin());
  if (all_scores) *all_scores = sc;
  if (best_score) *best_score = sc[static_cast<std::size_t>(bi)];
  double best = lo + bi * step;
  if (bi > 0 && bi < n - 1) {
    const double a = sc[static_cast<std::size_t>(bi - 1)], b = sc[static_cast<std::size_t>(bi)],
                 c = sc[static_cast<std::size_t>(bi + 1)];
    const double d = a - 2 * b + c;
    if (d < 0) best += std::clamp(0.5 * (a - c) / d, -0.5, 0.5) * step;
  }
  return best;
}

}  // namespace

GridRotation find_grid_rotation(const cv::Mat& img, double cx, double cy, double radius, double start_deg,
                                const GridRotationOptions& o) {
  // The region: a square inside the wafer (inscribed in 0.65 R) and inside the image.
  int half = std::min<int>(o.roi_half_size_px, static_cast<int>(0.65 * radius / std::sqrt(2.0)));
  half = std::min({half, static_cast<int>(cx) - 1, static_cast<int>(cy) - 1, img.cols - 2 - static_cast<int>(cx),
                   img.rows - 2 - static_cast<int>(cy)});
  if (half < 24) throw CalibrationError("images: too little of the wafer in view to measure the grid rotation");
  // Coarse search on every 2nd pixel, fine search on all of them.
  const Samples coarse = collect(img, cx, cy, half, 2);
  std::vector<double> scores;
  double best_score = 0;
  const double r = o.search_half_range_deg;
  const double c = search(coarse, half, start_deg - r, start_deg + r, 0.05, &scores, &best_score);
  std::vector<double> sorted = scores;
  std::nth_element(sorted.begin(), sorted.begin() + static_cast<std::ptrdiff_t>(sorted.size() / 2), sorted.end());
  const double med = sorted[sorted.size() / 2];
  GridRotation out;
  out.sharpness = med > 0 ? best_score / med : 0;
  if (!(best_score > 0) || out.sharpness < 1.05)
    throw CalibrationError("images: no die-street grid found near the wafer centre (blank or unpatterned wafer)");
  const Samples fine = collect(img, cx, cy, half, 1);
  out.rotation_deg = search(fine, half, c - 0.06, c + 0.06, 0.01, nullptr, nullptr);
  return out;
}

}  // namespace yf::calib
