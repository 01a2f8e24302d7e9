// Sub-pixel registration: band-limited phase correlation for the shift, then
// a Gauss-Newton (Lucas-Kanade) refinement on the overlap
// (stages/ImageDetection.hpp register_shift; docs/detection.md "Reference pair").
//
// Why not cv::phaseCorrelate: it whitens the whole spectrum, so every
// frequency votes equally. When two images share pixel-level noise at zero
// displacement (a sensor's fixed pattern: the real SEM pair case 1 has it), the
// high frequencies vote for shift 0 and out-vote the pattern. Weighting the
// normalised cross-power spectrum by a Gaussian low-pass keeps the pattern's
// vote, and it also turns the peak into a sampled Gaussian, whose sub-pixel
// position a parabola through the logs of three samples gives exactly.
#include <opencv2/imgproc.hpp>

#include <algorithm>
#include <cmath>
#include <numbers>
#include <vector>

#include "stages/CubicWarp.hpp"
#include "stages/ImageDetection.hpp"

namespace yf {
namespace {

// Standard deviation of the Gaussian spectral weight, in cycles per pixel:
// passes the pattern (periods of a few pixels and more) and damps the
// pixel-to-pixel noise; the correlation peak is then ~1/(2 pi 0.1) = 1.6 px wide.
constexpr double kLowPassCycles = 0.1;

// Windowed, zero-mean, zero-padded spectrum of an image.
cv::Mat spectrum(const cv::Mat& image, const cv::Mat& window, cv::Size padded) {
  cv::Mat w;
  cv::subtract(image, cv::Scalar(cv::mean(image)[0]), w);
  w = w.mul(window);
  cv::Mat p = cv::Mat::zeros(padded, CV_32F);
  w.copyTo(p(cv::Rect(0, 0, w.cols, w.rows)));
  cv::Mat f;
  cv::dft(p, f, cv::DFT_COMPLEX_OUTPUT);
  return f;
}

// Sub-pixel offset of a peak from three samples (left, centre, right): a
// parabola through their logs (exact for a Gaussian peak), or through the
// values themselves when one is not positive.
double peak_offset(double l, double c, double r) {
  if (l > 0 && c > 0 && r > 0) {
    const double ll = std::log(l), lc = std::log(c), lr = std::log(r);
    const double den = ll - 2 * lc + lr;
    if (den < 0) return std::clamp(0.5 * (ll - lr) / den, -0.5, 0.5);
  }
  const double den = l - 2 * c + r;
  return den < 0 ? std::clamp(0.5 * (l - r) / den, -0.5, 0.5) : 0.0;
}

struct Peak {
  cv::Point2d shift;
  double response = 0;
};

Peak correlate(const cv::Mat& fixed, const cv::Mat& moved, const cv::Mat& window) {
  const cv::Size padded(cv::getOptimalDFTSize(fixed.cols), cv::getOptimalDFTSize(fixed.rows));
  const cv::Mat a = spectrum(fixed, window, padded), b = spectrum(moved, window, padded);
  cv::Mat cross;
  cv::mulSpectrums(b, a, cross, 0, /*conjB=*/true);  // peak at +shift when moved(x) = fixed(x - shift)
  // The Gaussian weight is separable: one exp per row and per column.
  const double inv2s2 = 1.0 / (2 * kLowPassCycles * kLowPassCycles);
  auto weights = [&](int n) {
    std::vector<double> w(static_cast<std::size_t>(n));
    for (int i = 0; i < n; ++i) {
      const double f = (i <= n / 2 ? i : i - n) / static_cast<double>(n);
      w[static_cast<std::size_t>(i)] = std::exp(-f * f * inv2s2);
    }
    return w;
  };
  const std::vector<double> wx = weights(cross.cols), wy = weights(cross.rows);
  double weight_sum = 0;
  for (int y = 0; y < cross.rows; ++y) {
    auto* row = cross.ptr<cv::Vec2f>(y);
    for (int x = 0; x < cross.cols; ++x) {
      const double w = wy[static_cast<std::size_t>(y)] * wx[static_cast<std::size_t>(x)];
      const double re = row[x][0], im = row[x][1];
      const double mag = std::sqrt(re * re + im * im);
      weight_sum += w;
      const double s = mag > 1e-12 ? w / mag : 0.0;
      row[x][0] = static_cast<float>(re * s);
      row[x][1] = static_cast<float>(im * s);
    }
  }
  cv::Mat corr;
  cv::idft(cross, corr, cv::DFT_REAL_OUTPUT | cv::DFT_SCALE);
  double peak_value = 0;
  cv::Point p;
  cv::minMaxLoc(corr, nullptr, &peak_value, nullptr, &p);
  auto at = [&](int x, int y) {
    return static_cast<double>(corr.at<float>((y + corr.rows) % corr.rows, (x + corr.cols) % corr.cols));
  };
  const double dx = peak_offset(at(p.x - 1, p.y), peak_value, at(p.x + 1, p.y));
  const double dy = peak_offset(at(p.x, p.y - 1), peak_value, at(p.x, p.y + 1));
  Peak out;
  out.shift.x = (p.x > corr.cols / 2 ? p.x - corr.cols : p.x) + dx;
  out.shift.y = (p.y > corr.rows / 2 ? p.y - corr.rows : p.y) + dy;
  // A perfect match puts mean(weight) at the peak (idft scales by 1/N).
  out.response = weight_sum > 0 ? peak_value / (weight_sum / static_cast<double>(corr.total())) : 0;
  return out;
}

// Least squares on the overlap: moved ~ a * fixed(x - s) + b. Linearised in
// the shift: moved - (a f_s + b) ~ -a ds . grad f_s, solved for (a, b, a dx,
// a dy) and iterated. Phase correlation's estimate is biased by the window and
// the non-periodic borders by up to ~0.15 px; this is not (to ~0.02 px on the
// tests' patterns). Pixels beyond 4 residual sigmas (a defect) are left out
// after the first pass. Returns `start` when the fit is degenerate.
}  // namespace

cv::Point2d refine_shift(const cv::Mat& fixed, const cv::Mat& moved, cv::Point2d start, int iterations) {
  if (fixed.empty() || fixed.type() != CV_32FC1 || moved.type() != CV_32FC1 || fixed.size() != moved.size())
    throw ImageDetectionError("refine_shift: expected two non-empty CV_32F images of the same size");
  const int kIterations = iterations;
  cv::Point2d s = start;
  double cut = HUGE_VAL, gain = 1, offset = 0;
  for (int it = 0; it < kIterations; ++it) {
    const cv::Mat f = shift_image(fixed, s);
    cv::Mat gx, gy;
    cv::Sobel(f, gx, CV_32F, 1, 0, 3, 1.0 / 8);
    cv::Sobel(f, gy, CV_32F, 0, 1, 3, 1.0 / 8);
    // The overlap, less 3 px (interpolation and Sobel support).
    const int x0 = std::max(0, static_cast<int>(std::ceil(s.x))) + 3;
    const int y0 = std::max(0, static_cast<int>(std::ceil(s.y))) + 3;
    const int x1 = std::min(f.cols, f.cols + static_cast<int>(std::floor(s.x))) - 3;
    const int y1 = std::min(f.rows, f.rows + static_cast<int>(std::floor(s.y))) - 3;
    if (x1 - x0 < 8 || y1 - y0 < 8) return start;
    // The normal equations of j = (f, 1, gx, gy): each sum in a local, its upper triangle
    // only (n(b, a) receives exactly the terms of n(a, b): j[a] j[b] and j[b] j[a] are the
    // same double; a product with j[1] = 1 is the other factor itself), added pixel by pixel
    // in the same order as a full 4x4 accumulation.
    double n00 = 0, n01 = 0, n02 = 0, n03 = 0, n11 = 0, n12 = 0, n13 = 0, n22 = 0, n23 = 0, n33 = 0;
    double r0 = 0, r1 = 0, r2 = 0, r3 = 0;
    double rr = 0, count = 0;
    for (int r = y0; r < y1; ++r) {
      const float* pf = f.ptr<float>(r);
      const float* pm = moved.ptr<float>(r);
      const float* px = gx.ptr<float>(r);
      const float* py = gy.ptr<float>(r);
      for (int c = x0; c < x1; ++c) {
        const double res = pm[c] - (gain * pf[c] + offset);
        if (std::abs(res) > cut) continue;
        const double j0 = pf[c], j2 = px[c], j3 = py[c], m = pm[c];
        r0 += j0 * m;
        r1 += m;
        r2 += j2 * m;
        r3 += j3 * m;
        n00 += j0 * j0;
        n01 += j0;
        n02 += j0 * j2;
        n03 += j0 * j3;
        n11 += 1.0;
        n12 += j2;
        n13 += j3;
        n22 += j2 * j2;
        n23 += j2 * j3;
        n33 += j3 * j3;
        rr += res * res;
        count += 1;
      }
    }
    const cv::Matx44d n(n00, n01, n02, n03, n01, n11, n12, n13, n02, n12, n22, n23, n03, n13, n23, n33);
    const cv::Vec4d rhs(r0, r1, r2, r3);
    cv::Vec4d x;
    if (count < 16 || !cv::solve(n, rhs, x, cv::DECOMP_CHOLESKY) || !(x[0] > 0.1)) return start;
    // moved ~ a f_s + b + cx gx + cy gy, and f(x - s - ds) ~ f_s - ds . grad: ds = -(cx, cy) / a.
    const cv::Point2d ds(-x[2] / x[0], -x[3] / x[0]);
    if (std::abs(ds.x) > 2 || std::abs(ds.y) > 2) return start;  // diverging: keep the correlation's
    s += ds;
    gain = x[0];
    offset = x[1];
    cut = 4.0 * std::sqrt(rr / count);
    if (std::abs(ds.x) < 5e-3 && std::abs(ds.y) < 5e-3) break;  // well below what the tests ask (0.05)
  }
  return s;
}

cv::Mat shift_image(const cv::Mat& image, cv::Point2d shift) {
  cv::Mat out;
  if (image.type() == CV_32FC1) {
    // The inverse map, as warpAffine would invert (1, 0, sx; 0, 1, sy): the same values
    // (stages/CubicWarp.hpp), a good deal faster on die-sized images.
    warp_affine_cubic(image, out, cv::Matx23d(1, -0.0, -shift.x, -0.0, 1, -shift.y), image.size());
    return out;
  }
  const cv::Matx23d m(1, 0, shift.x, 0, 1, shift.y);
  cv::warpAffine(image, out, m, image.size(), cv::INTER_CUBIC, cv::BORDER_REPLICATE);
  return out;
}

cv::Point2d register_shift(const cv::Mat& fixed, const cv::Mat& moved, double* response) {
  if (fixed.empty() || fixed.type() != CV_32FC1 || moved.type() != CV_32FC1 || fixed.size() != moved.size())
    throw ImageDetectionError("register_shift: expected two non-empty CV_32F images of the same size");
  if (fixed.cols < 8 || fixed.rows < 8) throw ImageDetectionError("register_shift: images smaller than 8x8");
  cv::Mat window;
  cv::createHanningWindow(window, fixed.size(), CV_32F);
  const Peak first = correlate(fixed, moved, window);
  if (response != nullptr) *response = std::clamp(first.response, 0.0, 1.0);
  // The refinement on the central ~1200^2 of both images (the same rectangle,
  // so the shift between them is unchanged): a million pixels pin a shift far
  // better than 0.01 px, and each step resamples the whole region it is given.
  constexpr int kRefineSide = 1200;
  const int w = std::min(fixed.cols, kRefineSide), h = std::min(fixed.rows, kRefineSide);
  const cv::Rect centre((fixed.cols - w) / 2, (fixed.rows - h) / 2, w, h);
  return refine_shift(fixed(centre).clone(), moved(centre).clone(), first.shift, 5);
}

}  // namespace yf
