// warp_affine_cubic and the single-pixel samplers against OpenCV's own warpAffine: the
// die-to-die comparison relies on them giving the same values to the last bit (the
// quality figures of docs/detection.md were measured with OpenCV's).
#include <catch2/catch.hpp>

#include <cmath>
#include <cstring>
#include <opencv2/imgproc.hpp>
#include <random>
#include <vector>

#include "core/SimdLevel.hpp"
#include "stages/CubicWarp.hpp"
#include "stages/ImageDetection.hpp"

namespace {

cv::Mat random_image(int w, int h, std::mt19937& rng) {
  cv::Mat m(h, w, CV_32F);
  std::uniform_real_distribution<float> u(0.f, 255.f);
  for (int r = 0; r < h; ++r)
    for (int c = 0; c < w; ++c) m.at<float>(r, c) = u(rng);
  return m;
}

// A rotation by `deg` and an offset, destination -> source.
cv::Matx23d rotation(double deg, double ox, double oy) {
  const double t = deg * CV_PI / 180, c = std::cos(t), s = std::sin(t);
  return {c, s, ox, -s, c, oy};
}

int differing(const cv::Mat& a, const cv::Mat& b) {
  REQUIRE(a.size() == b.size());
  int n = 0;
  for (int r = 0; r < a.rows; ++r)
    for (int c = 0; c < a.cols; ++c)
      if (std::memcmp(&a.at<float>(r, c), &b.at<float>(r, c), sizeof(float)) != 0) ++n;
  return n;
}

}  // namespace

TEST_CASE("warp_affine_cubic: OpenCV's warpAffine values bit for bit, inside and at the border",
          "[detection][warp]") {
  // Both paths: eight pixels at a time (AVX2, when this CPU has it) and the portable one.
  const bool avx2 = GENERATE(true, false);
  const yf::ScopedSimdLevel level(avx2 ? yf::SimdLevel::avx2 : yf::SimdLevel::sse2);
  INFO("AVX2 " << (yf::cubic_avx2_active() ? "on" : "off"));
  std::mt19937 rng(7);
  const cv::Mat src = random_image(90, 70, rng);
  std::uniform_real_distribution<double> angle(-1.5, 1.5), off(-6, 30);
  for (int k = 0; k < 40; ++k) {
    // Offsets reach beyond the source on both sides (replicated border) and fall on
    // every 1/32-px phase; one case per kind is plain.
    // Small rotations (most pixels four at a time) as well as larger ones.
    const cv::Matx23d m = k == 0   ? rotation(0, 0, 0)
                          : k == 1 ? rotation(0, 3.5, -2.25)
                          : k < 8  ? rotation(0.1 * k - 0.4, off(rng), off(rng))
                                   : rotation(angle(rng), off(rng), off(rng));
    const cv::Size size(66, 79);
    cv::Mat want, got;
    cv::warpAffine(src, want, m, size, cv::INTER_CUBIC | cv::WARP_INVERSE_MAP, cv::BORDER_REPLICATE);
    yf::warp_affine_cubic(src, got, m, size);
    INFO("case " << k);
    CHECK(differing(want, got) == 0);
    // The single-pixel path gives the same values.
    yf::AffineSampler at(m, size.width);
    int bad = 0, bad_runs = 0;
    for (int y = 0; y < size.height; ++y) {
      at.row(y);
      for (int x = 0; x < size.width; ++x) {
        int ix = 0, iy = 0, phase = 0;
        at.at(x, ix, iy, phase);
        const float v = yf::cubic_at(src, ix, iy, phase);
        if (std::memcmp(&v, &want.at<float>(y, x), sizeof v) != 0) ++bad;
      }
      // A part of the row (as die-to-die asks for a die's own pixels).
      const int lo = (y * 7) % 13, hi = size.width - (y * 5) % 11;
      std::vector<float> part(static_cast<std::size_t>(hi - lo));
      at.cubic_row(src, lo, hi, part.data());
      for (int x = lo; x < hi; ++x)
        if (std::memcmp(&part[static_cast<std::size_t>(x - lo)], &want.at<float>(y, x), sizeof(float)) != 0) ++bad_runs;
    }
    CHECK(bad == 0);
    CHECK(bad_runs == 0);
  }
}

TEST_CASE("linear_at_inside: OpenCV's bilinear warpAffine values inside the source", "[detection][warp]") {
  std::mt19937 rng(11);
  const cv::Mat src = random_image(40, 40, rng);
  const cv::Matx23d m = rotation(0.7, 3.3, 4.1);  // stays 2+ px inside: no border involved
  const cv::Size size(30, 30);
  cv::Mat want;
  cv::warpAffine(src, want, m, size, cv::INTER_LINEAR | cv::WARP_INVERSE_MAP, cv::BORDER_REPLICATE);
  yf::AffineSampler at(m, size.width);
  int bad = 0;
  double worst = 0;
  for (int y = 0; y < size.height; ++y) {
    at.row(y);
    for (int x = 0; x < size.width; ++x) {
      int ix = 0, iy = 0, phase = 0;
      at.at(x, ix, iy, phase);
      const float v = yf::linear_at_inside(src, ix, iy, phase);
      worst = std::max(worst, static_cast<double>(std::abs(v - want.at<float>(y, x))));
      if (std::memcmp(&v, &want.at<float>(y, x), sizeof v) != 0) ++bad;
    }
  }
  INFO("largest difference " << worst);
  CHECK(bad == 0);
  // The row form, at the positions of a cubic_row over the same columns.
  int bad_rows = 0;
  std::vector<float> cubic(24), linear(24);
  for (int y = 0; y < size.height; ++y) {
    at.row(y);
    at.cubic_row(src, 3, 27, cubic.data());
    at.linear_row_inside(src, 3, 27, linear.data());
    for (int x = 3; x < 27; ++x)
      if (std::memcmp(&linear[static_cast<std::size_t>(x - 3)], &want.at<float>(y, x), sizeof(float)) != 0) ++bad_rows;
  }
  CHECK(bad_rows == 0);
}

TEST_CASE("shift_image: OpenCV's warpAffine of the forward shift, bit for bit", "[detection][warp]") {
  std::mt19937 rng(5);
  const cv::Mat src = random_image(70, 66, rng);
  for (const cv::Point2d s : {cv::Point2d(0, 0), cv::Point2d(0.37, -1.21), cv::Point2d(-2.5, 0.03125), cv::Point2d(1.49, 1.51)}) {
    cv::Mat want;
    cv::warpAffine(src, want, cv::Matx23d(1, 0, s.x, 0, 1, s.y), src.size(), cv::INTER_CUBIC, cv::BORDER_REPLICATE);
    INFO("shift " << s);
    CHECK(differing(want, yf::shift_image(src, s)) == 0);
  }
}
