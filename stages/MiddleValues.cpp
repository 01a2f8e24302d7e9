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
// back to std::nth_element on all values.
#include "stages/MiddleValues.hpp"

#include <algorithm>
#include <array>
#include <cmath>

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
  for (std::size_t i = 0; i < n; ++i) {
    const float q = std::clamp((v[i] - base) * inv, 0.0f, 255.0f);
    key[i] = static_cast<std::uint8_t>(q);
  }
  std::array<std::uint32_t, 256> count{};
  for (std::size_t i = 0; i < n; ++i) ++count[key[i]];
  const std::size_t k = n / 2;
  const bool even = n % 2 == 0;
  std::size_t bucket = 0, below = 0;
  while (below + count[bucket] <= k) below += count[bucket++];
  // Both middle values must lie in this bucket (for even n the lower one too), and it
  // must not be an end bucket (those hold clamped outliers: still exact, but large).
  if (bucket == 0 || bucket == 255 || (even && below == k)) return select_all(v, n, scratch.window);
  scratch.window.resize(n);
  float* w = scratch.window.data();
  std::size_t m = 0;
  for (std::size_t i = 0; i < n; ++i) {
    w[m] = v[i];
    m += key[i] == bucket;
  }
  const std::size_t j = k - below;
  std::nth_element(w, w + j, w + m);
  const float hi = w[j];
  const float lo = even ? *std::max_element(w, w + j) : hi;
  return {lo, hi};
}

}  // namespace yf
