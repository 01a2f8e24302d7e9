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
#include <limits>

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
    float q = (v[i] - base) * inv;
    q = q < 0.0f ? 0.0f : q;
    q = q > 255.0f ? 255.0f : q;
    key[i] = static_cast<std::uint8_t>(static_cast<int>(q));
  }
  std::array<std::uint32_t, 256> count{};
  for (std::size_t i = 0; i < n; ++i) ++count[key[i]];
  const std::size_t k = n / 2;
  const bool even = n % 2 == 0;
  std::size_t bucket = 0, below = 0;
  while (below + count[bucket] <= k) below += count[bucket++];
  // The middle value must not lie in an end bucket (those hold the clamped outliers: still
  // exact, but possibly large). For even n the lower middle value is either in the same
  // bucket or, when the bucket starts at the middle, the largest value below it.
  if (bucket == 0 || bucket == 255) return select_all(v, n, scratch.window);
  scratch.window.resize(n);
  float* w = scratch.window.data();
  std::size_t m = 0;
  const auto b = static_cast<std::uint8_t>(bucket);
  for (std::size_t i = 0; i < n; ++i) {
    w[m] = v[i];
    m += key[i] == b;
  }
  const std::size_t j = k - below;
  std::nth_element(w, w + j, w + m);
  const float hi = w[j];
  if (!even) return {hi, hi};
  if (j > 0) return {*std::max_element(w, w + j), hi};
  float below_max = -std::numeric_limits<float>::infinity();  // rare: one more pass
  for (std::size_t i = 0; i < n; ++i)
    if (key[i] < b) below_max = std::max(below_max, v[i]);
  return {below_max, hi};
}

}  // namespace yf
