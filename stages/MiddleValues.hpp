#pragma once
// Exact median of many short float vectors (the per-pixel median over a wafer's dies,
// robust sigmas), several times faster than std::nth_element on each: a 256-bucket
// histogram around a sampled guess finds the bucket holding the middle value, and
// only that bucket's few values are selected among (docs/detection.md "Die-to-die").
#include <cstddef>
#include <cstdint>
#include <utility>
#include <vector>

namespace yf {

// Reusable buffers, so the per-pixel calls allocate nothing.
struct MiddleScratch {
  std::vector<float> window;
  std::vector<std::uint8_t> keys;
};

// The two middle order statistics of v[0..n) (finite values, n >= 1, v unchanged):
// {(n/2 - 1)-th, (n/2)-th} smallest, 0-based; for odd n both are the (n/2)-th.
// Exactly the values std::nth_element would give.
std::pair<float, float> middle_values(const float* v, std::size_t n, MiddleScratch& scratch);

}  // namespace yf
