// Affine bicubic resampling, value for value as OpenCV's (stages/CubicWarp.hpp).
#include "stages/CubicWarp.hpp"

#include <emmintrin.h>
#include <xmmintrin.h>
#if defined(__x86_64__) && defined(__GNUC__)
#include <immintrin.h>
#endif

#include <algorithm>
#include <array>

#include "core/SimdLevel.hpp"

namespace yf {
namespace {

constexpr int kTab = 32;  // OpenCV's INTER_TAB_SIZE: positions in 1/32 px

struct Tables {
  std::array<float, kTab * kTab * 16> cubic{};
  std::array<float, kTab * kTab * 4> linear{};
  std::array<float, kTab * 4> cubic1d{};  // the 1-D kernels: cubic[(i, j)][k1 * 4 + k2] = [i][k1] * [j][k2]
  std::array<float, kTab * 2> linear1d{};  // linear[(i, j)][k1 * 2 + k2] = [i][k1] * [j][k2]
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
      for (int k = 0; k < 4; ++k) cubic1d[static_cast<std::size_t>(i * 4 + k)] = c[i][k];
      l[i][0] = 1.f - x;
      l[i][1] = x;
      linear1d[static_cast<std::size_t>(i * 2)] = l[i][0];
      linear1d[static_cast<std::size_t>(i * 2 + 1)] = l[i][1];
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

#if defined(__x86_64__) && defined(__GNUC__)
#define YF_CUBIC_AVX2 1

// The 1-D cubic kernel of eight phases, computed as Tables computes it (the same float
// operations in the same order, no FMA: the same values as the table, without gathers,
// which are slow on some CPUs).
__attribute__((target("avx2"))) inline void cubic_kernel8(__m256i phase32, __m256 k[4]) {
  const __m256 A = _mm256_set1_ps(-0.75f), one = _mm256_set1_ps(1.f);
  const __m256 x = _mm256_mul_ps(_mm256_cvtepi32_ps(phase32), _mm256_set1_ps(1.f / kTab));
  const __m256 x1 = _mm256_add_ps(x, one);
  // ((A (x + 1) - 5 A) (x + 1) + 8 A) (x + 1) - 4 A
  k[0] = _mm256_sub_ps(
      _mm256_mul_ps(_mm256_add_ps(_mm256_mul_ps(_mm256_sub_ps(_mm256_mul_ps(A, x1), _mm256_set1_ps(5 * -0.75f)), x1),
                                  _mm256_set1_ps(8 * -0.75f)),
                    x1),
      _mm256_set1_ps(4 * -0.75f));
  // ((A + 2) x - (A + 3)) x x + 1
  const __m256 a2 = _mm256_set1_ps(-0.75f + 2), a3 = _mm256_set1_ps(-0.75f + 3);
  k[1] = _mm256_add_ps(_mm256_mul_ps(_mm256_mul_ps(_mm256_sub_ps(_mm256_mul_ps(a2, x), a3), x), x), one);
  const __m256 y = _mm256_sub_ps(one, x);
  k[2] = _mm256_add_ps(_mm256_mul_ps(_mm256_mul_ps(_mm256_sub_ps(_mm256_mul_ps(a2, y), a3), y), y), one);
  k[3] = _mm256_sub_ps(_mm256_sub_ps(_mm256_sub_ps(one, k[0]), k[1]), k[2]);
}

// Eight pixels of one source row band on consecutive columns: as the SSE2 path, eight
// lanes wide (AVX2 without FMA: every product and sum rounded as there).
__attribute__((target("avx2"))) void cubic8(const float* s, std::size_t step, const int* ph, float* out) {
  const __m256i p = _mm256_loadu_si256(reinterpret_cast<const __m256i*>(ph));
  __m256 ky[4], kx[4];
  cubic_kernel8(_mm256_srli_epi32(p, 5), ky);
  cubic_kernel8(_mm256_and_si256(p, _mm256_set1_epi32(31)), kx);
  __m256 sum = _mm256_setzero_ps();
  for (int r = 0; r < 4; ++r, s += step) {
    __m256 t = _mm256_mul_ps(_mm256_loadu_ps(s), _mm256_mul_ps(ky[r], kx[0]));
    t = _mm256_add_ps(t, _mm256_mul_ps(_mm256_loadu_ps(s + 1), _mm256_mul_ps(ky[r], kx[1])));
    t = _mm256_add_ps(t, _mm256_mul_ps(_mm256_loadu_ps(s + 2), _mm256_mul_ps(ky[r], kx[2])));
    t = _mm256_add_ps(t, _mm256_mul_ps(_mm256_loadu_ps(s + 3), _mm256_mul_ps(ky[r], kx[3])));
    sum = r == 0 ? t : _mm256_add_ps(sum, t);
  }
  _mm256_storeu_ps(out, sum);
}
#endif

}  // namespace

bool cubic_avx2_active() {
#ifdef YF_CUBIC_AVX2
  return use_avx2();
#else
  return false;
#endif
}

int AffineSampler::round_to_int(double v) { return _mm_cvtsd_si32(_mm_set_sd(v)); }

AffineSampler::AffineSampler(const cv::Matx23d& m, int width)
    : m_(m), ad_(static_cast<std::size_t>(std::max(width, 0))), bd_(ad_.size()) {
  // As warpAffine's adelta and bdelta: M[0] x and M[3] x in 1/1024 px.
  for (int x = 0; x < width; ++x) {
    ad_[static_cast<std::size_t>(x)] = round_to_int(m(0, 0) * x * 1024);
    bd_[static_cast<std::size_t>(x)] = round_to_int(m(1, 0) * x * 1024);
  }
}

void AffineSampler::row(int y) {
  // As warpAffine: (M[1] y + M[2]) in 1/1024 px, plus half a 1/32 step so the >> 5 rounds.
  x0_ = round_to_int((m_(0, 1) * y + m_(0, 2)) * 1024) + 16;
  y0_ = round_to_int((m_(1, 1) * y + m_(1, 2)) * 1024) + 16;
}

void AffineSampler::positions(int lo, int hi) {
  const auto n = static_cast<std::size_t>(std::max(hi - lo, 0));
  ix_.resize(n);
  iy_.resize(n);
  ph_.resize(n);
  lo_ = lo;
  hi_ = hi;
  // As at(), four columns at a time (SSE2 integer adds and arithmetic shifts). The arrays'
  // addresses in locals: the vector stores may alias anything, the vectors' own pointers too.
  std::size_t i = 0;
  const __m128i x0 = _mm_set1_epi32(x0_), y0 = _mm_set1_epi32(y0_), m31 = _mm_set1_epi32(31);
  const int* ad = ad_.data() + lo;
  const int* bd = bd_.data() + lo;
  int* ixp = ix_.data();
  int* iyp = iy_.data();
  int* php = ph_.data();
  for (; i + 4 <= n; i += 4) {
    const __m128i X = _mm_srai_epi32(_mm_add_epi32(x0, _mm_loadu_si128(reinterpret_cast<const __m128i*>(ad + i))), 5);
    const __m128i Y = _mm_srai_epi32(_mm_add_epi32(y0, _mm_loadu_si128(reinterpret_cast<const __m128i*>(bd + i))), 5);
    _mm_storeu_si128(reinterpret_cast<__m128i*>(ixp + i), _mm_srai_epi32(X, 5));
    _mm_storeu_si128(reinterpret_cast<__m128i*>(iyp + i), _mm_srai_epi32(Y, 5));
    const __m128i ph = _mm_add_epi32(_mm_slli_epi32(_mm_and_si128(Y, m31), 5), _mm_and_si128(X, m31));
    _mm_storeu_si128(reinterpret_cast<__m128i*>(php + i), ph);
  }
  for (; i < n; ++i) at(lo + static_cast<int>(i), ix_[i], iy_[i], ph_[i]);
}

void AffineSampler::cubic_row(const cv::Mat& src, int lo, int hi, float* out) {
  CV_Assert(src.type() == CV_32FC1);
  positions(lo, hi);
  const unsigned w1 = static_cast<unsigned>(std::max(src.cols - 3, 0));
  const unsigned h1 = static_cast<unsigned>(std::max(src.rows - 3, 0));
  const std::size_t step = src.step1();
  const float* base = src.ptr<float>();
  const float* k1d = tables().cubic1d.data();
  const int n = std::max(hi - lo, 0);
  const bool wide = cubic_avx2_active();
  // Pixels i .. i + 3 in SSE2 lanes when they share a source row and lie on consecutive
  // source columns inside the source; false (nothing written) otherwise.
  // The arrays' addresses in locals (the vector stores to `out` may alias anything).
  const int* ixs = ix_.data();
  const int* iys = iy_.data();
  const int* phs = ph_.data();
  auto four = [&](int i) {
    const int* ix = ixs + i;
    const int* iy = iys + i;
    const int* ph = phs + i;
    const int sx = ix[0] - 1, sy = iy[0] - 1;
    const bool together = iy[1] == iy[0] && iy[2] == iy[0] && iy[3] == iy[0] && ix[1] == ix[0] + 1 &&
                          ix[2] == ix[0] + 2 && ix[3] == ix[0] + 3;
    if (!together || sx < 0 || static_cast<unsigned>(sx + 3) >= w1 || static_cast<unsigned>(sy) >= h1) return false;
    // Lane p is pixel i + p, each with its own phase: its 16 weights are the products of
    // its y and x kernels (the table's very products), then the same products and sums in
    // the same order as cubic_inside.
    __m128 ky[4], kx[4];
    for (int p = 0; p < 4; ++p) {
      ky[p] = _mm_loadu_ps(k1d + (ph[p] >> 5) * 4);
      kx[p] = _mm_loadu_ps(k1d + (ph[p] & 31) * 4);
    }
    _MM_TRANSPOSE4_PS(ky[0], ky[1], ky[2], ky[3]);  // ky[k]: the lanes' k-th y weight
    _MM_TRANSPOSE4_PS(kx[0], kx[1], kx[2], kx[3]);
    const float* s = base + static_cast<std::size_t>(sy) * step + sx;
    __m128 sum = _mm_setzero_ps();
    for (int r = 0; r < 4; ++r, s += step) {
      __m128 t = _mm_mul_ps(_mm_loadu_ps(s), _mm_mul_ps(ky[r], kx[0]));
      t = _mm_add_ps(t, _mm_mul_ps(_mm_loadu_ps(s + 1), _mm_mul_ps(ky[r], kx[1])));
      t = _mm_add_ps(t, _mm_mul_ps(_mm_loadu_ps(s + 2), _mm_mul_ps(ky[r], kx[2])));
      t = _mm_add_ps(t, _mm_mul_ps(_mm_loadu_ps(s + 3), _mm_mul_ps(ky[r], kx[3])));
      sum = r == 0 ? t : _mm_add_ps(sum, t);
    }
    _mm_storeu_ps(out + i, sum);
    return true;
  };
  auto one = [&](int i) {
    const auto k = static_cast<std::size_t>(i);
    out[i] = cubic_at(src, ix_[k], iy_[k], ph_[k]);
  };
  int i = 0;
  while (i + 4 <= n) {
#ifdef YF_CUBIC_AVX2
    if (wide && i + 8 <= n) {
      const int* ix = ixs + i;
      const int* iy = iys + i;
      const int sx = ix[0] - 1, sy = iy[0] - 1;
      bool together = sx >= 0 && static_cast<unsigned>(sx + 7) < w1 && static_cast<unsigned>(sy) < h1;
      for (int p = 1; p < 8 && together; ++p) together = iy[p] == iy[0] && ix[p] == ix[0] + p;
      if (together) {
        cubic8(base + static_cast<std::size_t>(sy) * step + sx, step, phs + i, out + i);
        i += 8;
        continue;
      }
    }
#else
    (void)wide;
#endif
    if (four(i)) {
      i += 4;
      continue;
    }
    // Not four together: the pixels before the break (a new source row, a column
    // skipped) one at a time, and the groups start again at the break; at the source's
    // border all four one at a time.
    int run = 1;
    while (run < 4 && iys[i + run] == iys[i] && ixs[i + run] == ixs[i] + run) ++run;
    for (const int end = i + run; i < end; ++i) one(i);
  }
  // The last pixels: a group of four ending at the row's end (recomputing a few, the same
  // values), else one at a time.
  if (i < n && n >= 4 && four(n - 4)) return;
  for (; i < n; ++i) one(i);
}

void AffineSampler::linear_row_inside(const cv::Mat& src, int lo, int hi, float* out) const {
  CV_Assert(src.type() == CV_32FC1 && lo == lo_ && hi == hi_);
  const std::size_t n = ix_.size(), step = src.step1();
  const float* base = src.ptr<float>();
  const float* k1d = tables().linear1d.data();
  std::size_t i = 0;
  const int* ixs = ix_.data();  // in locals: the vector stores may alias the vectors' pointers
  const int* iys = iy_.data();
  const int* phs = ph_.data();
  for (; i + 4 <= n; i += 4) {
    const int* ix = ixs + i;
    const int* iy = iys + i;
    const int* ph = phs + i;
    if (iy[1] == iy[0] && iy[2] == iy[0] && iy[3] == iy[0] && ix[1] == ix[0] + 1 && ix[2] == ix[0] + 2 &&
        ix[3] == ix[0] + 3) {
      // Four pixels of one source row pair: each lane's weights are its y and x kernels'
      // products (the table's own), summed in linear_at_inside's order.
      alignas(16) float wy0[4], wy1[4], wx0[4], wx1[4];
      for (int p = 0; p < 4; ++p) {
        const float* ky = k1d + (ph[p] >> 5) * 2;
        const float* kx = k1d + (ph[p] & 31) * 2;
        wy0[p] = ky[0];
        wy1[p] = ky[1];
        wx0[p] = kx[0];
        wx1[p] = kx[1];
      }
      const __m128 y0 = _mm_load_ps(wy0), y1 = _mm_load_ps(wy1), x0 = _mm_load_ps(wx0), x1 = _mm_load_ps(wx1);
      const float* s0 = base + static_cast<std::size_t>(iy[0]) * step + ix[0];
      const float* s1 = s0 + step;
      __m128 t = _mm_mul_ps(_mm_loadu_ps(s0), _mm_mul_ps(y0, x0));
      t = _mm_add_ps(t, _mm_mul_ps(_mm_loadu_ps(s0 + 1), _mm_mul_ps(y0, x1)));
      t = _mm_add_ps(t, _mm_mul_ps(_mm_loadu_ps(s1), _mm_mul_ps(y1, x0)));
      t = _mm_add_ps(t, _mm_mul_ps(_mm_loadu_ps(s1 + 1), _mm_mul_ps(y1, x1)));
      _mm_storeu_ps(out + i, t);
      continue;
    }
    for (std::size_t p = 0; p < 4; ++p) out[i + p] = linear_at_inside(src, ix[p], iy[p], ph[p]);
  }
  for (; i < n; ++i) out[i] = linear_at_inside(src, ixs[i], iys[i], phs[i]);
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
  AffineSampler at(m, size.width);
  for (int y = 0; y < size.height; ++y) {
    at.row(y);
    at.cubic_row(src, 0, size.width, dst.ptr<float>(y));
  }
}

}  // namespace yf
