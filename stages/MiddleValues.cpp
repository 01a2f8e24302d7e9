// Exact selection of the middle values (stages/MiddleValues.hpp).
//
// std::nth_element on ~500 values costs ~10 ns a value (its partitions branch
// unpredictably). Instead: guess the median and its spread from 15 (or 63) evenly
// spaced values, cut [guess - 128 w, guess + 128 w) into 256 buckets of width
// w = spread / 32, count the values per bucket (outliers clamp into the end
// buckets), walk the counts to the bucket holding the middle value, and select
// among that bucket's values only - typically a few percent of them. The result
// is the same value as a full selection: only the work differs. When the middle
// falls into an end bucket (a poor guess) or the sample has no spread, it falls
// back to std::nth_element on all values. The keys are computed four at a time and the
// bucket's values found sixteen keys at a time (SSE2, the x86-64 baseline); with AVX2
// (core/SimdLevel.hpp), eight and thirty-two at a time: the same keys (the same float
// operations per value), counts and values.
#include "stages/MiddleValues.hpp"

#include <emmintrin.h>
#if defined(__x86_64__) && defined(__GNUC__)
#include <immintrin.h>
#define YF_MIDDLE_AVX2 1
#endif

#include <algorithm>
#include <array>
#include <cmath>
#include <cstring>
#include <limits>

#include "core/SimdLevel.hpp"

namespace yf {
namespace {

std::pair<float, float> select_all(const float* v, std::size_t n, std::vector<float>& buf) {
  buf.assign(v, v + n);
  const std::size_t k = n / 2;
  std::nth_element(buf.begin(), buf.begin() + static_cast<std::ptrdiff_t>(k), buf.end());
  const float hi = buf[k];
  const float lo = n % 2 == 0 ? *std::max_element(buf.begin(), buf.begin() + static_cast<std::ptrdiff_t>(k)) : hi;
  return {lo, hi};
}

// How many keys are below t (0 < t < 256): SSE2 byte compares (unsigned, by flipping the
// top bit), counted in byte lanes for at most 255 blocks, then summed.
std::size_t count_below(const std::uint8_t* key, std::size_t n, unsigned t) {
  const __m128i flip = _mm_set1_epi8(static_cast<char>(0x80));
  const __m128i thr = _mm_set1_epi8(static_cast<char>(t ^ 0x80u));
  std::size_t total = 0, i = 0;
  const std::size_t blocks_end = n - n % 16;
  while (i < blocks_end) {
    const std::size_t end = std::min(blocks_end, i + 255 * 16);
    __m128i acc = _mm_setzero_si128();
    for (; i < end; i += 16) {
      const __m128i k = _mm_xor_si128(_mm_loadu_si128(reinterpret_cast<const __m128i*>(key + i)), flip);
      acc = _mm_sub_epi8(acc, _mm_cmplt_epi8(k, thr));
    }
    const __m128i sad = _mm_sad_epu8(acc, _mm_setzero_si128());
    total += static_cast<std::size_t>(_mm_cvtsi128_si32(sad)) + static_cast<std::size_t>(_mm_extract_epi16(sad, 4));
  }
  for (; i < n; ++i) total += key[i] < t ? 1 : 0;
  return total;
}

#ifdef YF_MIDDLE_AVX2
// The AVX2 twins of the loops below: the same results, twice the width.
// Keys of v[0 .. n - n % 8), eight at a time: the same operations as the SSE2 lanes.
__attribute__((target("avx2"))) std::size_t keys_avx2(const float* v, std::size_t n, float base, float inv,
                                                      std::uint8_t* key) {
  const __m256 vb = _mm256_set1_ps(base), vi = _mm256_set1_ps(inv), lo = _mm256_setzero_ps(), hi = _mm256_set1_ps(255.0f);
  std::size_t i = 0;
  for (; i + 8 <= n; i += 8) {
    const __m256 q = _mm256_min_ps(_mm256_max_ps(_mm256_mul_ps(_mm256_sub_ps(_mm256_loadu_ps(v + i), vb), vi), lo), hi);
    const __m256i k = _mm256_cvttps_epi32(q);
    const __m128i k16 = _mm_packs_epi32(_mm256_castsi256_si128(k), _mm256_extracti128_si256(k, 1));
    _mm_storel_epi64(reinterpret_cast<__m128i*>(key + i), _mm_packus_epi16(k16, k16));
  }
  return i;
}

// How many keys are below t: thirty-two byte compares at a time.
__attribute__((target("avx2"))) std::size_t count_below_avx2(const std::uint8_t* key, std::size_t n, unsigned t) {
  const __m256i flip = _mm256_set1_epi8(static_cast<char>(0x80));
  const __m256i thr = _mm256_set1_epi8(static_cast<char>(t ^ 0x80u));
  std::size_t total = 0, i = 0;
  const std::size_t blocks_end = n - n % 32;
  while (i < blocks_end) {
    const std::size_t end = std::min(blocks_end, i + 255 * 32);
    __m256i acc = _mm256_setzero_si256();
    for (; i < end; i += 32) {
      const __m256i k = _mm256_xor_si256(_mm256_loadu_si256(reinterpret_cast<const __m256i*>(key + i)), flip);
      acc = _mm256_sub_epi8(acc, _mm256_cmpgt_epi8(thr, k));
    }
    const __m256i sad = _mm256_sad_epu8(acc, _mm256_setzero_si256());
    total += static_cast<std::size_t>(_mm256_extract_epi64(sad, 0)) + static_cast<std::size_t>(_mm256_extract_epi64(sad, 1)) +
             static_cast<std::size_t>(_mm256_extract_epi64(sad, 2)) + static_cast<std::size_t>(_mm256_extract_epi64(sad, 3));
  }
  for (; i < n; ++i) total += key[i] < t ? 1 : 0;
  return total;
}

// The values whose key is b, in order, into w (returns how many): thirty-two keys at a time.
__attribute__((target("avx2"))) std::size_t bucket_values_avx2(const float* v, const std::uint8_t* key, std::size_t n,
                                                               std::uint8_t b, float* w) {
  std::size_t m = 0, i = 0;
  const __m256i vb = _mm256_set1_epi8(static_cast<char>(b));
  for (; i + 32 <= n; i += 32) {
    auto hits = static_cast<unsigned>(
        _mm256_movemask_epi8(_mm256_cmpeq_epi8(_mm256_loadu_si256(reinterpret_cast<const __m256i*>(key + i)), vb)));
    while (hits != 0) {
      w[m++] = v[i + static_cast<std::size_t>(__builtin_ctz(hits))];
      hits &= hits - 1;
    }
  }
  for (; i < n; ++i) {
    w[m] = v[i];
    m += key[i] == b;
  }
  return m;
}
#endif

}  // namespace

std::pair<float, float> middle_values(const float* v, std::size_t n, MiddleScratch& scratch) {
  constexpr std::size_t kMinBucketed = 32;
  if (n < kMinBucketed) return select_all(v, n, scratch.window);
  // The guess: order statistics of an evenly spaced sample.
  std::array<float, 63> sample{};
  const std::size_t s = n >= 1000 ? 63 : 15;
  for (std::size_t i = 0; i < s; ++i) sample[i] = v[i * (n - 1) / (s - 1)];
  std::sort(sample.begin(), sample.begin() + static_cast<std::ptrdiff_t>(s));
  const float guess = sample[s / 2];
  const float width = (sample[3 * s / 4] - sample[s / 4]) * (1.0f / 32);
  if (!(width > 0) || !std::isfinite(width)) return select_all(v, n, scratch.window);
  const float inv = 1.0f / width, base = guess - 128 * width;
  scratch.keys.resize(n);
  std::uint8_t* key = scratch.keys.data();
#ifdef YF_MIDDLE_AVX2
  [[maybe_unused]] const bool wide = use_avx2();
#else
  [[maybe_unused]] const bool wide = false;
#endif
  auto keys_below = [&](unsigned t) {
#ifdef YF_MIDDLE_AVX2
    if (wide) return count_below_avx2(key, n, t);
#endif
    return count_below(key, n, t);
  };
  // Keys four at a time (SSE2, the baseline: the same float operations as the scalar tail;
  // max/min take 0 for NaN as the scalar comparisons do, truncation as static_cast), after
  // eight at a time with AVX2.
  std::size_t i0 = 0;
#ifdef YF_MIDDLE_AVX2
  if (wide) i0 = keys_avx2(v, n, base, inv, key);
#endif
  {
    const __m128 vb = _mm_set1_ps(base), vi = _mm_set1_ps(inv), lo = _mm_setzero_ps(), hi = _mm_set1_ps(255.0f);
    for (; i0 + 4 <= n; i0 += 4) {
      const __m128 q = _mm_min_ps(_mm_max_ps(_mm_mul_ps(_mm_sub_ps(_mm_loadu_ps(v + i0), vb), vi), lo), hi);
      const __m128i k = _mm_cvttps_epi32(q);
      const __m128i k16 = _mm_packs_epi32(k, k);
      const int packed = _mm_cvtsi128_si32(_mm_packus_epi16(k16, k16));
      std::memcpy(key + i0, &packed, 4);
    }
  }
  for (std::size_t i = i0; i < n; ++i) {
    float q = (v[i] - base) * inv;
    q = q < 0.0f ? 0.0f : q;
    q = q > 255.0f ? 255.0f : q;
    key[i] = static_cast<std::uint8_t>(static_cast<int>(q));
  }
  // The bucket holding the k-th value: the largest b with at most k keys below
  // it, by bisection over the 256 buckets, each step counting the keys below b sixteen at a
  // time (8 passes of byte compares cost less than one pass of scalar increments).
  const std::size_t k = n / 2;
  const bool even = n % 2 == 0;
  std::size_t bucket = 0, below = 0;
  {
    std::size_t hi = 256;
    while (hi - bucket > 1) {
      const std::size_t mid = (bucket + hi) / 2;
      const std::size_t c = keys_below(static_cast<unsigned>(mid));
      if (c <= k) {
        bucket = mid;
        below = c;
      } else {
        hi = mid;
      }
    }
  }
  // The middle value must not lie in an end bucket (those hold the clamped outliers: still
  // exact, but possibly large). For even n the lower middle value is either in the same
  // bucket or, when the bucket starts at the middle, the largest value below it.
  if (bucket == 0 || bucket == 255) return select_all(v, n, scratch.window);
  scratch.window.resize(n);
  float* w = scratch.window.data();
  std::size_t m = 0;
  const auto b = static_cast<std::uint8_t>(bucket);
  // The bucket holds a few percent of the values: 16 keys are compared at once and only
  // the blocks holding one of its values are looked into (the same values, in order).
  std::size_t i = 0;
#ifdef YF_MIDDLE_AVX2
  if (wide) {
    m = bucket_values_avx2(v, key, n, b, w);
    i = n;
  }
#endif
  const __m128i vb = _mm_set1_epi8(static_cast<char>(b));
  for (; i + 16 <= n; i += 16) {
    auto hits = static_cast<unsigned>(
        _mm_movemask_epi8(_mm_cmpeq_epi8(_mm_loadu_si128(reinterpret_cast<const __m128i*>(key + i)), vb)));
    while (hits != 0) {
      w[m++] = v[i + static_cast<std::size_t>(__builtin_ctz(hits))];
      hits &= hits - 1;
    }
  }
  for (; i < n; ++i) {
    w[m] = v[i];
    m += key[i] == b;
  }
  const std::size_t j = k - below;
  std::nth_element(w, w + j, w + m);
  const float hi = w[j];
  if (!even) return {hi, hi};
  if (j > 0) return {*std::max_element(w, w + j), hi};
  // The middle value is its bucket's smallest: the lower one is the largest value of the
  // nearest non-empty bucket below (bucket 0 holds at least the clamped low outliers' count).
  std::size_t lower = bucket - 1;
  std::size_t at_or_above = below;  // keys below `bucket`
  for (;;) {
    const std::size_t under = lower == 0 ? 0 : keys_below(static_cast<unsigned>(lower));
    if (at_or_above > under) break;  // bucket `lower` holds at_or_above - under values
    at_or_above = under;
    --lower;
  }
  float below_max = -std::numeric_limits<float>::infinity();
  const __m128i vl = _mm_set1_epi8(static_cast<char>(lower));
  std::size_t t = 0;
  for (; t + 16 <= n; t += 16) {
    auto hits = static_cast<unsigned>(
        _mm_movemask_epi8(_mm_cmpeq_epi8(_mm_loadu_si128(reinterpret_cast<const __m128i*>(key + t)), vl)));
    while (hits != 0) {
      below_max = std::max(below_max, v[t + static_cast<std::size_t>(__builtin_ctz(hits))]);
      hits &= hits - 1;
    }
  }
  for (; t < n; ++t)
    if (key[t] == lower) below_max = std::max(below_max, v[t]);
  return {below_max, hi};
}

}  // namespace yf
