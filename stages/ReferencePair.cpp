// Reference-pair detection for review/SEM images (stages/ImageDetection.hpp;
// docs/detection.md "Reference pair").
#include <opencv2/imgproc.hpp>

#include <algorithm>
#include <cmath>
#include <string>

#include "stages/ImageDetection.hpp"

namespace yf {
namespace {

constexpr int kMinSide = 32;
// A pixel value at the type's maximum counts as saturated; more than this
// fraction of them and the image carries no usable pattern.
constexpr double kMaxSaturatedFraction = 0.5;

// Checks one input image and returns it as CV_32F.
cv::Mat checked_float(const cv::Mat& image, const char* what) {
  const std::string name = std::string("detect_reference_pair: ") + what + " image";
  if (image.empty()) throw ImageDetectionError(name + " is empty");
  if (image.channels() != 1)
    throw ImageDetectionError(name + " has " + std::to_string(image.channels()) +
                              " channels; expected a single-channel (grey) image");
  const int depth = image.depth();
  if (depth != CV_8U && depth != CV_16U && depth != CV_32F)
    throw ImageDetectionError(name + " has an unsupported pixel type (depth " + std::to_string(depth) +
                              "); expected 8-bit, 16-bit or 32-bit float");
  if (image.cols < kMinSide || image.rows < kMinSide)
    throw ImageDetectionError(name + " is " + std::to_string(image.cols) + "x" + std::to_string(image.rows) +
                              " px; at least " + std::to_string(kMinSide) + "x" + std::to_string(kMinSide) +
                              " needed");
  cv::Mat f;
  image.convertTo(f, CV_32F);
  if (depth == CV_32F && !cv::checkRange(f)) throw ImageDetectionError(name + " holds NaN or infinite values");
  double lo = 0, hi = 0;
  cv::minMaxLoc(f, &lo, &hi);
  if (lo == hi) throw ImageDetectionError(name + " is constant (every pixel " + std::to_string(lo) + ")");
  if (depth != CV_32F) {
    const double top = depth == CV_8U ? 255.0 : 65535.0;
    const double saturated = cv::countNonZero(f >= static_cast<float>(top));
    if (saturated > kMaxSaturatedFraction * static_cast<double>(f.total()))
      throw ImageDetectionError(name + " is saturated (" +
                                std::to_string(static_cast<int>(100.0 * saturated / static_cast<double>(f.total()))) +
                                "% of the pixels at " + std::to_string(static_cast<int>(top)) + ")");
  }
  return f;
}

// Least-squares gain and offset of b ~ g * a + o over mask, refitted once
// without the points beyond 3 sigma (a defect must not pull the fit).
void fit_gain_offset(const cv::Mat& a, const cv::Mat& b, const cv::Mat& mask, double& gain, double& offset) {
  gain = 1;
  offset = 0;
  double cut = HUGE_VAL;
  for (int pass = 0; pass < 2; ++pass) {
    double n = 0, sa = 0, sb = 0, saa = 0, sab = 0, srr = 0;
    for (int r = 0; r < a.rows; ++r) {
      const float* pa = a.ptr<float>(r);
      const float* pb = b.ptr<float>(r);
      const std::uint8_t* pm = mask.ptr<std::uint8_t>(r);
      for (int c = 0; c < a.cols; ++c) {
        if (pm[c] == 0) continue;
        const double res = pb[c] - (gain * pa[c] + offset);
        if (std::abs(res) > cut) continue;
        n += 1;
        sa += pa[c];
        sb += pb[c];
        saa += static_cast<double>(pa[c]) * pa[c];
        sab += static_cast<double>(pa[c]) * pb[c];
        srr += res * res;
      }
    }
    const double var_a = saa - sa * sa / n;
    if (n < 16 || var_a <= 0) return;
    const double g = (sab - sa * sb / n) / var_a;
    // A gain far from 1 means the images are not of the same pattern; keep 1.
    if (!(g > 0.2 && g < 5)) return;
    cut = pass == 0 ? 3.0 * std::sqrt(srr / n) : cut;
    gain = g;
    offset = (sb - g * sa) / n;
  }
}

}  // namespace

PairResult detect_reference_pair(const cv::Mat& inspected, const cv::Mat& reference,
                                 const DetectionOptions& options) {
  options.validate();
  const cv::Mat insp = checked_float(inspected, "inspected");
  const cv::Mat ref = checked_float(reference, "reference");
  if (insp.size() != ref.size())
    throw ImageDetectionError("detect_reference_pair: the inspected image is " + std::to_string(insp.cols) + "x" +
                              std::to_string(insp.rows) + " px but the reference " + std::to_string(ref.cols) +
                              "x" + std::to_string(ref.rows) + "; they must be the same size");

  PairResult out;
  out.shift_px = register_shift(ref, insp, &out.response);

  // The overlap: pixels whose shifted reference comes from inside the
  // reference, less the tolerance window and one pixel of interpolation.
  const int margin = options.edge_tolerance_px + 1;
  const int x0 = std::max(0, static_cast<int>(std::ceil(out.shift_px.x))) + margin;
  const int y0 = std::max(0, static_cast<int>(std::ceil(out.shift_px.y))) + margin;
  const int x1 = std::min(insp.cols, insp.cols + static_cast<int>(std::floor(out.shift_px.x))) - margin;
  const int y1 = std::min(insp.rows, insp.rows + static_cast<int>(std::floor(out.shift_px.y))) - margin;
  if (x1 - x0 < kMinSide / 2 || y1 - y0 < kMinSide / 2)
    throw ImageDetectionError("detect_reference_pair: the images overlap by too little after the shift (" +
                              std::to_string(out.shift_px.x) + ", " + std::to_string(out.shift_px.y) + ") px");
  out.overlap = cv::Rect(x0, y0, x1 - x0, y1 - y0);
  cv::Mat valid = cv::Mat::zeros(insp.size(), CV_8U);
  valid(out.overlap).setTo(255);

  cv::Mat ref_on_insp = shift_image(ref, out.shift_px);
  fit_gain_offset(ref_on_insp, insp, valid, out.gain, out.offset);
  ref_on_insp.convertTo(ref_on_insp, CV_32F, out.gain, out.offset);

  // Noise from the plain difference (the tolerant one is mostly exact zeros).
  cv::Mat plain;
  cv::subtract(insp, ref_on_insp, plain);
  out.noise_sigma = robust_sigma(plain, valid);
  const cv::Mat diff = tolerant_difference(insp, ref_on_insp, options.edge_tolerance_px);
  out.defects = extract_blobs(diff, out.noise_sigma, cv::Mat(), valid, options);
  return out;
}

}  // namespace yf
