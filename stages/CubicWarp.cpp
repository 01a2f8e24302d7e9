// Affine bicubic resampling, value for value as OpenCV's (stages/CubicWarp.hpp).
#include "stages/CubicWarp.hpp"

#include <emmintrin.h>

#include <algorithm>
#include <array>

namespace yf {
namespace {

constexpr int kTab = 32;  // OpenCV's INTER_TAB_SIZE: positions in 1/32 px

struct Tables {
  std::array<float, kTab * kTab * 16> cubic{};
  std::array<float, kTab * kTab * 4> linear{};
  Tables() {
    // The 1-D kernels at x = i / 32, as OpenCV's interpolateCubic (A = -0.75) and
    // interpolateLinear compute them in float; the 2-D weight of (k1, k2) is the
    // product of the y kernel's k1 and the x kernel's k2.
    float c[kTab][4], l[kTab][2];
    const float scale = 1.f / kTab;
    for (int i = 0; i < kTab; ++i) {
      const float x = static_cast<float>(i) * scale;
      const float A = -0.75f;
      c[i][0] = ((A * (x + 1) - 5 * A) * (x + 1) + 8 * A) * (x + 1) - 4 * A;
      c[i][1] = ((A + 2) * x - (A + 3)) * x * x + 1;
      c[i][2] = ((A + 2) * (1 - x) - (A + 3)) * (1 - x) * (1 - x) + 1;
      c[i][3] = 1.f - c[i][0] - c[i][1] - c[i][2];
      l[i][0] = 1.f - x;
      l[i][1] = x;
    }
    for (int i = 0; i < kTab; ++i)
      for (int j = 0; j < kTab; ++j) {
        float* cw = &cubic[static_cast<std::size_t>((i * kTab + j) * 16)];
        for (int k1 = 0; k1 < 4; ++k1)
          for (int k2 = 0; k2 < 4; ++k2) cw[k1 * 4 + k2] = c[i][k1] * c[j][k2];
        float* lw = &linear[static_cast<std::size_t>((i * kTab + j) * 4)];
        for (int k1 = 0; k1 < 2; ++k1)
          for (int k2 = 0; k2 < 2; ++k2) lw[k1 * 2 + k2] = l[i][k1] * l[j][k2];
      }
  }
};

const Tables& tables() {
  static const Tables t;
  return t;
}

// The interior sum, in OpenCV's order: each row's four products left to right, the rows added in turn.
inline float cubic_inside(const float* s, std::size_t step, const float* w) {
  float sum = s[0] * w[0] + s[1] * w[1] + s[2] * w[2] + s[3] * w[3];
  s += step;
  sum += s[0] * w[4] + s[1] * w[5] + s[2] * w[6] + s[3] * w[7];
  s += step;
  sum += s[0] * w[8] + s[1] * w[9] + s[2] * w[10] + s[3] * w[11];
  s += step;
  sum += s[0] * w[12] + s[1] * w[13] + s[2] * w[14] + s[3] * w[15];
  return sum;
}

// Near the border: replicated coordinates, and the sum built term by term (OpenCV's border path).
float cubic_border(const cv::Mat& src, int sx, int sy, const float* w) {
  int xs[4], ys[4];
  for (int i = 0; i < 4; ++i) {
    xs[i] = std::clamp(sx + i, 0, src.cols - 1);
    ys[i] = std::clamp(sy + i, 0, src.rows - 1);
  }
  float sum = 0.f;
  for (int i = 0; i < 4; ++i, w += 4) {
    const float* s = src.ptr<float>(ys[i]);
    sum += (s[xs[0]] - 0.f) * w[0];
    sum += (s[xs[1]] - 0.f) * w[1];
    sum += (s[xs[2]] - 0.f) * w[2];
    sum += (s[xs[3]] - 0.f) * w[3];
  }
  return sum;
}

}  // namespace

int AffineSampler::round_to_int(double v) { return _mm_cvtsd_si32(_mm_set_sd(v)); }

AffineSampler::AffineSampler(const cv::Matx23d& m) : m_(m) {}

void AffineSampler::row(int y) {
  // As warpAffine: (M[1] y + M[2]) in 1/1024 px, plus half a 1/32 step so the >> 5 rounds.
  x0_ = round_to_int((m_(0, 1) * y + m_(0, 2)) * 1024) + 16;
  y0_ = round_to_int((m_(1, 1) * y + m_(1, 2)) * 1024) + 16;
}

const float* cubic_weights(int phase) { return tables().cubic.data() + static_cast<std::size_t>(phase) * 16; }
const float* linear_weights(int phase) { return tables().linear.data() + static_cast<std::size_t>(phase) * 4; }

float cubic_at(const cv::Mat& src, int ix, int iy, int phase) {
  const int sx = ix - 1, sy = iy - 1;
  const float* w = cubic_weights(phase);
  if (static_cast<unsigned>(sx) < static_cast<unsigned>(std::max(src.cols - 3, 0)) &&
      static_cast<unsigned>(sy) < static_cast<unsigned>(std::max(src.rows - 3, 0)))
    return cubic_inside(src.ptr<float>(sy) + sx, src.step1(), w);
  return cubic_border(src, sx, sy, w);
}

void warp_affine_cubic(const cv::Mat& src, cv::Mat& dst, const cv::Matx23d& m, cv::Size size) {
  CV_Assert(src.type() == CV_32FC1 && src.data != dst.data);
  dst.create(size, CV_32F);
  // The columns' share of the position, once for all rows (warpAffine's adelta, bdelta).
  std::vector<int> ad(static_cast<std::size_t>(size.width)), bd(ad.size());
  for (int x = 0; x < size.width; ++x) {
    ad[static_cast<std::size_t>(x)] = AffineSampler::round_to_int(m(0, 0) * x * 1024);
    bd[static_cast<std::size_t>(x)] = AffineSampler::round_to_int(m(1, 0) * x * 1024);
  }
  const unsigned w1 = static_cast<unsigned>(std::max(src.cols - 3, 0));
  const unsigned h1 = static_cast<unsigned>(std::max(src.rows - 3, 0));
  const std::size_t step = src.step1();
  const float* base = src.ptr<float>();
  const float* tab = tables().cubic.data();
  for (int y = 0; y < size.height; ++y) {
    const int x0 = AffineSampler::round_to_int((m(0, 1) * y + m(0, 2)) * 1024) + 16;
    const int y0 = AffineSampler::round_to_int((m(1, 1) * y + m(1, 2)) * 1024) + 16;
    float* d = dst.ptr<float>(y);
    for (int x = 0; x < size.width; ++x) {
      const int X = (x0 + ad[static_cast<std::size_t>(x)]) >> 5;
      const int Y = (y0 + bd[static_cast<std::size_t>(x)]) >> 5;
      const int sx = (X >> 5) - 1, sy = (Y >> 5) - 1;
      const float* w = tab + static_cast<std::size_t>((Y & 31) * 32 + (X & 31)) * 16;
      d[x] = static_cast<unsigned>(sx) < w1 && static_cast<unsigned>(sy) < h1
                 ? cubic_inside(base + static_cast<std::size_t>(sy) * step + sx, step, w)
                 : cubic_border(src, sx, sy, w);
    }
  }
}

}  // namespace yf
