// middle_values against a plain sort of the same values: the bucketed selection must give
// exactly the sorted vector's middle elements, whatever the data (noise, outliers, ties,
// constant runs, even and odd counts, short vectors).
#include <catch2/catch.hpp>

#include <algorithm>
#include <random>
#include <vector>

#include "core/SimdLevel.hpp"
#include "stages/MiddleValues.hpp"

namespace {

void check_against_sort(const std::vector<float>& v, yf::MiddleScratch& scratch) {
  std::vector<float> sorted = v;
  std::sort(sorted.begin(), sorted.end());
  const std::size_t n = v.size();
  const float hi = sorted[n / 2], lo = n % 2 == 0 ? sorted[n / 2 - 1] : hi;
  const std::vector<float> before = v;
  const auto [got_lo, got_hi] = yf::middle_values(v.data(), n, scratch);
  INFO("n = " << n);
  CHECK(got_lo == lo);
  CHECK(got_hi == hi);
  CHECK(v == before);  // the input is left as it was
}

}  // namespace

TEST_CASE("middle_values: the sorted middle elements, exactly, on varied data", "[detection][median]") {
  // Both paths: SSE2 (the baseline) and AVX2 where the CPU has it (on one without, both
  // rounds run the SSE2 path).
  const bool avx2 = GENERATE(false, true);
  const yf::ScopedSimdLevel level(avx2 ? yf::SimdLevel::avx2 : yf::SimdLevel::sse2);
  INFO("avx2 " << avx2 << " (CPU has it: " << (yf::cpu_simd_level() >= yf::SimdLevel::avx2) << ")");
  std::mt19937 rng(42);
  std::normal_distribution<float> noise(120.0f, 2.0f);
  std::uniform_real_distribution<float> uni(0.0f, 1.0f);
  yf::MiddleScratch scratch;
  for (std::size_t n : {1u, 2u, 3u, 31u, 32u, 33u, 39u, 64u, 71u, 127u, 499u, 500u, 501u, 1000u, 4097u, 8161u, 20000u}) {
    for (int round = 0; round < 40; ++round) {
      std::vector<float> v(n);
      for (auto& x : v) x = noise(rng);
      // Outliers (defects) in a few values, up to the type's extremes.
      for (std::size_t i = 0; i < n / 10; ++i) v[rng() % n] = uni(rng) < 0.5f ? 255.0f : -1e30f;
      // Ties: some rounds quantised to whole grey levels, some with a constant block.
      if (round % 3 == 1)
        for (auto& x : v) x = std::round(x);
      if (round % 5 == 2)
        for (std::size_t i = 0; i < n / 2 + 1 && i < n; ++i) v[i] = 7.0f;
      check_against_sort(v, scratch);
    }
  }
}

TEST_CASE("middle_values: hand-counted cases", "[detection][median]") {
  yf::MiddleScratch scratch;
  const std::vector<float> odd = {5, 1, 4, 2, 3};
  CHECK(yf::middle_values(odd.data(), odd.size(), scratch) == std::pair<float, float>{3, 3});
  const std::vector<float> even = {10, 40, 20, 30};
  CHECK(yf::middle_values(even.data(), even.size(), scratch) == std::pair<float, float>{20, 30});
  // 40 values 0..39 shuffled: the middle pair is 19 and 20.
  std::vector<float> ramp(40);
  for (int i = 0; i < 40; ++i) ramp[static_cast<std::size_t>(i)] = static_cast<float>((i * 17) % 40);
  CHECK(yf::middle_values(ramp.data(), ramp.size(), scratch) == std::pair<float, float>{19, 20});
  // All equal: both middle values are that value.
  const std::vector<float> flat(100, 2.5f);
  CHECK(yf::middle_values(flat.data(), flat.size(), scratch) == std::pair<float, float>{2.5f, 2.5f});
}

TEST_CASE("middle_values: SSE2 and AVX2 give the same pair on stacks like the dies'", "[detection][median]") {
  // Per-pixel stacks as die-to-die makes them (a few hundred dies: noise around a level,
  // a defect in one or two, quantised grey levels giving ties), and per-die vectors of a
  // few thousand differences; each path against std::nth_element's middle pair.
  std::mt19937 rng(3);
  std::normal_distribution<float> noise(0.0f, 2.0f);
  yf::MiddleScratch scratch;
  for (int round = 0; round < 300; ++round) {
    const std::size_t n = round % 3 == 0 ? 5200 + rng() % 64 : 100 + rng() % 600;
    std::vector<float> v(n);
    const float level = static_cast<float>(rng() % 200);
    for (auto& x : v) x = level + noise(rng);
    if (round % 2 == 0)
      for (auto& x : v) x = std::round(x * 4) / 4;  // ties
    v[rng() % n] += 80;
    std::vector<float> sorted = v;
    const std::size_t k = n / 2;
    std::nth_element(sorted.begin(), sorted.begin() + static_cast<std::ptrdiff_t>(k), sorted.end());
    const float hi = sorted[k];
    const float lo = n % 2 == 0 ? *std::max_element(sorted.begin(), sorted.begin() + static_cast<std::ptrdiff_t>(k)) : hi;
    std::pair<float, float> got[2];
    for (int wide = 0; wide < 2; ++wide) {
      const yf::ScopedSimdLevel level_in_force(wide ? yf::SimdLevel::avx2 : yf::SimdLevel::sse2);
      got[wide] = yf::middle_values(v.data(), n, scratch);
    }
    INFO("round " << round << ", n " << n);
    CHECK(got[0] == std::pair<float, float>{lo, hi});
    CHECK(got[1] == got[0]);
  }
}
