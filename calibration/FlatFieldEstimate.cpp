#include "calibration/FlatFieldEstimate.hpp"

#include <Eigen/Dense>
#include <algorithm>
#include <cmath>
#include <opencv2/imgproc.hpp>

namespace yf::calib {
namespace {

int terms(int degree) { return (degree + 1) * (degree + 2) / 2; }

// Monomials x^i y^j, i + j <= degree, of coordinates scaled to [-1, 1].
void monomials(double x, double y, int degree, double* out) {
  int k = 0;
  double xi = 1;
  for (int i = 0; i <= degree; ++i) {
    double yj = 1;
    for (int j = 0; i + j <= degree; ++j) {
      out[k++] = xi * yj;
      yj *= y;
    }
    xi *= x;
  }
}

}  // namespace

FlatFieldModel fit_flat_field(const std::vector<cv::Mat>& images, const std::vector<WaferCalibration>& wafers,
                              const FlatFieldOptions& o) {
  if (o.degree < 0 || o.degree > 8) throw CalibrationError("images: flat field: degree must be 0..8");
  if (images.empty() || images.size() != wafers.size())
    throw CalibrationError("images: flat field needs at least one calibrated image");
  const cv::Size size = images.front().size();
  for (const cv::Mat& m : images)
    if (m.size() != size || m.type() != CV_8UC1)
      throw CalibrationError("images: flat field: images differ in size or are not 8-bit grey");
  const int win = o.window_px > 0 ? o.window_px : std::max(15, std::max(size.width, size.height) / 10) | 1;
  const int step = std::max(1, o.sample_step);

  // Per image: normalised local mean on the sample grid (NaN outside the wafer).
  const int gw = (size.width + step - 1) / step, gh = (size.height + step - 1) / step;
  std::vector<std::vector<float>> ratios(static_cast<std::size_t>(gw * gh));
  for (std::size_t k = 0; k < images.size(); ++k) {
    const WaferCalibration& c = wafers[k];
    cv::Mat mask(size, CV_32F, cv::Scalar(0));
    cv::circle(mask, cv::Point(static_cast<int>(std::lround(c.center_x_px)), static_cast<int>(std::lround(c.center_y_px))),
               static_cast<int>(0.95 * c.radius_px), cv::Scalar(1), cv::FILLED);
    cv::Mat f;
    images[k].convertTo(f, CV_32F);
    cv::Mat num, den;
    cv::boxFilter(f.mul(mask), num, CV_32F, {win, win}, {-1, -1}, false, cv::BORDER_CONSTANT);
    cv::boxFilter(mask, den, CV_32F, {win, win}, {-1, -1}, false, cv::BORDER_CONSTANT);
    const double level = cv::mean(f, mask > 0)[0];
    if (!(level > 0)) continue;
    for (int gy = 0; gy < gh; ++gy)
      for (int gx = 0; gx < gw; ++gx) {
        const int x = gx * step, y = gy * step;
        // Only where the window is mostly on the wafer and the point itself is on it.
        if (mask.at<float>(y, x) <= 0 || den.at<float>(y, x) < 0.6 * win * win) continue;
        ratios[static_cast<std::size_t>(gy * gw + gx)].push_back(
            static_cast<float>(num.at<float>(y, x) / den.at<float>(y, x) / level));
      }
  }
  // Median per sample point, then least squares on the polynomial.
  const int nt = terms(o.degree);
  std::vector<double> rows;
  std::vector<double> rhs;
  std::vector<double> mono(static_cast<std::size_t>(nt));
  const double sx = 2.0 / std::max(1, size.width - 1), sy = 2.0 / std::max(1, size.height - 1);
  for (int gy = 0; gy < gh; ++gy)
    for (int gx = 0; gx < gw; ++gx) {
      auto& v = ratios[static_cast<std::size_t>(gy * gw + gx)];
      if (v.empty()) continue;
      auto mid = v.begin() + static_cast<std::ptrdiff_t>(v.size() / 2);
      std::nth_element(v.begin(), mid, v.end());
      monomials(gx * step * sx - 1, gy * step * sy - 1, o.degree, mono.data());
      rows.insert(rows.end(), mono.begin(), mono.end());
      rhs.push_back(*mid);
    }
  const auto n = static_cast<Eigen::Index>(rhs.size());
  if (n < 4 * nt) throw CalibrationError("images: flat field: too little wafer area in the images");
  Eigen::Map<Eigen::Matrix<double, Eigen::Dynamic, Eigen::Dynamic, Eigen::RowMajor>> A(rows.data(), n, nt);
  Eigen::Map<Eigen::VectorXd> b(rhs.data(), n);
  const Eigen::VectorXd coef = A.colPivHouseholderQr().solve(b);

  // Mean 1 over the fitted samples (the ratios are ~1 already; this removes what is left).
  const double mean = b.mean();
  FlatFieldModel model;
  model.width = size.width;
  model.height = size.height;
  model.degree = o.degree;
  for (int t = 0; t < nt; ++t) model.coefficients.push_back(coef(t) / mean);
  return model;
}

cv::Mat render_flat_field(const FlatFieldModel& m) {
  const int nt = terms(m.degree);
  if (m.width <= 0 || m.height <= 0 || static_cast<int>(m.coefficients.size()) != nt)
    throw CalibrationError("images: flat field model: size or number of coefficients is wrong");
  const double sx = 2.0 / std::max(1, m.width - 1), sy = 2.0 / std::max(1, m.height - 1);
  cv::Mat flat(m.height, m.width, CV_32F);
  std::vector<double> mono(static_cast<std::size_t>(nt));
  for (int y = 0; y < m.height; ++y) {
    float* p = flat.ptr<float>(y);
    for (int x = 0; x < m.width; ++x) {
      monomials(x * sx - 1, y * sy - 1, m.degree, mono.data());
      double v = 0;
      for (int t = 0; t < nt; ++t) v += m.coefficients[static_cast<std::size_t>(t)] * mono[static_cast<std::size_t>(t)];
      p[x] = static_cast<float>(std::max(v, 0.1));
    }
  }
  return flat;
}

cv::Mat estimate_flat_field(const std::vector<cv::Mat>& images, const std::vector<WaferCalibration>& wafers,
                            const FlatFieldOptions& o) {
  return render_flat_field(fit_flat_field(images, wafers, o));
}

}  // namespace yf::calib
