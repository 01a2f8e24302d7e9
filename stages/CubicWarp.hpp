#pragma once
// Affine resampling of float images as cv::warpAffine(INTER_CUBIC | WARP_INVERSE_MAP,
// BORDER_REPLICATE) computes it - the same 1/32-px quantised positions, the same weight
// tables and the same order of float operations, so the same values to the last bit -
// without its per-call machinery (map blocks, remap dispatch), which dominates on the
// small die-sized images of die-to-die (~15 ns a pixel there against ~4 here), and with
// access to single pixels: die-to-die resamples the reference only at the pixels a die
// owns. Tests compare every function with OpenCV's.
#include <opencv2/core/mat.hpp>
#include <vector>

namespace yf {

// The source positions of destination pixels (x, y), x in [0, width), under `m`
// (destination -> source), quantised as warpAffine does: ix, iy the integer part,
// phase = 32 * (fy in 1/32) + (fx in 1/32).
class AffineSampler {
 public:
  AffineSampler(const cv::Matx23d& m, int width);
  // Starts destination row y: the columns' shares of the positions are computed once.
  void row(int y);
  void at(int x, int& ix, int& iy, int& phase) const {
    const int X = (x0_ + ad_[static_cast<std::size_t>(x)]) >> 5;
    const int Y = (y0_ + bd_[static_cast<std::size_t>(x)]) >> 5;
    ix = X >> 5;
    iy = Y >> 5;
    phase = (Y & 31) * 32 + (X & 31);
  }
  // Bicubic values of `src` (CV_32F, border replicated) at columns [lo, hi) of the row:
  // four pixels at a time where they share a source row and lie on consecutive source
  // columns (most of them when the rotation is small), the same values as one at a time.
  void cubic_row(const cv::Mat& src, int lo, int hi, float* out);
  // Bilinear values of `src` at the positions of the last cubic_row (the same lo, hi);
  // each 2x2 footprint must lie inside `src`.
  void linear_row_inside(const cv::Mat& src, int lo, int hi, float* out) const;
  static int round_to_int(double v);  // cvRound: to nearest, ties to even

 private:
  void positions(int lo, int hi);  // ix_, iy_, ph_ of [lo, hi), four columns at a time

  cv::Matx23d m_;
  std::vector<int> ad_, bd_;
  int x0_ = 0, y0_ = 0;
  std::vector<int> ix_, iy_, ph_;  // of the columns [lo_, hi_), from index 0
  int lo_ = 0, hi_ = 0;
};

// The 16 bicubic and 4 bilinear weights of each of the 32 x 32 phases (float, as OpenCV's).
const float* cubic_weights(int phase);
const float* linear_weights(int phase);

// Bicubic value of CV_32F `src` at a quantised position, replicating the border.
float cubic_at(const cv::Mat& src, int ix, int iy, int phase);
// Bilinear value at a quantised position; the 2x2 footprint must lie inside `src`.
inline float linear_at_inside(const cv::Mat& src, int ix, int iy, int phase) {
  const float* w = linear_weights(phase);
  const float* s0 = src.ptr<float>(iy) + ix;
  const float* s1 = src.ptr<float>(iy + 1) + ix;
  return s0[0] * w[0] + s0[1] * w[1] + s1[0] * w[2] + s1[1] * w[3];
}

// Eight pixels at a time with AVX2 where the CPU has it and core/SimdLevel.hpp allows it
// (the same values as the SSE2 path; tests force the portable path with ScopedSimdLevel).
bool cubic_avx2_active();

// = cv::warpAffine(src, dst, m, size, INTER_CUBIC | WARP_INVERSE_MAP, BORDER_REPLICATE)
// for a single-channel CV_32F `src` (dst is (re)allocated as CV_32F of `size`).
void warp_affine_cubic(const cv::Mat& src, cv::Mat& dst, const cv::Matx23d& m, cv::Size size);

}  // namespace yf
