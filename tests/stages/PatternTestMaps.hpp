#pragma once
// Hand-drawn wafer maps for the pattern tests: a round wafer of n x n square dies
// (a die is on the wafer when its centre is inside the circle), with positions in
// wafer radii (u to the right, v up, from the centre), and a feature read by name.
#include <cmath>
#include <cstdint>
#include <random>
#include <stdexcept>
#include <string>
#include <vector>

#include "stages/PatternFeatures.hpp"

namespace yf::test {

// fail(u, v) decides each die; dies whose centre is outside the unit circle are absent.
template <class Fail>
FailMap round_map(int n, Fail fail) {
  FailMap m{n, n, std::vector<DieState>(static_cast<std::size_t>(n) * n, DieState::none)};
  const double half = n / 2.0;
  for (int r = 0; r < n; ++r)
    for (int c = 0; c < n; ++c) {
      const double u = (c + 0.5 - half) / half, v = (half - (r + 0.5)) / half;
      if (u * u + v * v >= 1.0) continue;
      m.cells[static_cast<std::size_t>(r) * n + c] = fail(u, v) ? DieState::fail : DieState::pass;
    }
  return m;
}

// Independent fails with probability p (a fixed seed: the same map every run).
inline auto scattered(double p, std::uint64_t seed) {
  return [p, rng = std::mt19937_64(seed)](double, double) mutable {
    return static_cast<double>(rng() >> 11) * 0x1.0p-53 < p;
  };
}

inline float feature(const std::vector<float>& f, const std::string& name) {
  const auto& names = pattern_feature_names();
  for (std::size_t i = 0; i < names.size(); ++i)
    if (names[i] == name) return f.at(i);
  throw std::invalid_argument("no feature " + name);
}

// Clear examples of each class on a 40-die wafer with 2% scattered fails, by name as
// pattern_classes() spells them.
inline FailMap clear_example(const std::string& name, std::uint64_t seed = 1) {
  auto noise = scattered(0.02, seed);
  auto dense = scattered(name == "Near-full" ? 0.93 : 0.45, seed + 1);
  return round_map(40, [&](double u, double v) {
    const double rho = std::hypot(u, v);
    bool f = false;
    if (name == "Center") f = rho < 0.3;
    else if (name == "Donut") f = rho > 0.35 && rho < 0.6;
    else if (name == "Edge-Ring") f = rho > 0.9;
    else if (name == "Edge-Loc") f = rho > 0.75 && std::atan2(v, u) > 0.3 && std::atan2(v, u) < 1.4;
    else if (name == "Loc") f = std::hypot(u + 0.35, v - 0.3) < 0.16;
    else if (name == "Scratch") f = std::fabs(u - v) < 0.04 && std::fabs(u + v) < 1.3;
    else if (name == "Near-full" || name == "Random") f = dense(u, v);
    return f || noise(u, v);
  });
}

}  // namespace yf::test
