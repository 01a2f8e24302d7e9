#pragma once
// Portable random numbers for the sample generator. std::mt19937_64 is specified
// exactly by the standard, but std::uniform_*_distribution and friends are not (their
// output differs between libstdc++, libc++ and MSVC), so the distributions are ours.
// Seeds of independent streams are derived with splitmix64, so that what is drawn for
// one wafer does not depend on how many numbers another wafer consumed.
#include <cmath>
#include <cstdint>
#include <random>
#include <utility>
#include <vector>

namespace yf::samples {

inline std::uint64_t splitmix64(std::uint64_t x) {
  x += 0x9E3779B97F4A7C15ull;
  x = (x ^ (x >> 30)) * 0xBF58476D1CE4E5B9ull;
  x = (x ^ (x >> 27)) * 0x94D049BB133111EBull;
  return x ^ (x >> 31);
}

// Seed of stream (`kind`, `index`) under the run's seed.
inline std::uint64_t stream_seed(std::uint64_t seed, std::uint64_t kind, std::uint64_t index) {
  return splitmix64(splitmix64(splitmix64(seed) ^ kind) ^ index);
}

class Rng {
 public:
  explicit Rng(std::uint64_t seed) : eng_(seed) {}

  // Uniform in [0, 1), 53 random bits.
  double uniform() { return static_cast<double>(eng_() >> 11) * 0x1.0p-53; }
  double uniform(double lo, double hi) { return lo + (hi - lo) * uniform(); }
  // Uniform integer in [0, n), n > 0.
  std::size_t below(std::size_t n) {
    auto i = static_cast<std::size_t>(uniform() * static_cast<double>(n));
    return i < n ? i : n - 1;
  }
  // Uniform integer in [lo, hi].
  int between(int lo, int hi) { return lo + static_cast<int>(below(static_cast<std::size_t>(hi - lo + 1))); }
  bool chance(double p) { return uniform() < p; }
  // Standard normal (Box-Muller, one value per call).
  double normal() {
    const double u1 = 1.0 - uniform();  // (0, 1]
    const double u2 = uniform();
    return std::sqrt(-2.0 * std::log(u1)) * std::cos(2.0 * 3.14159265358979323846 * u2);
  }
  double normal(double mean, double sd) { return mean + sd * normal(); }
  // Poisson: Knuth's product method for small means, a rounded normal above 30.
  int poisson(double mean) {
    if (mean <= 0) return 0;
    if (mean > 30) {
      const double v = std::round(normal(mean, std::sqrt(mean)));
      return v < 0 ? 0 : static_cast<int>(v);
    }
    const double limit = std::exp(-mean);
    int k = 0;
    double p = uniform();
    while (p > limit) {
      ++k;
      p *= uniform();
    }
    return k;
  }
  // Index drawn with probability proportional to weights[i].
  std::size_t weighted(const std::vector<double>& weights) {
    double total = 0;
    for (double w : weights) total += w;
    double x = uniform() * total;
    for (std::size_t i = 0; i < weights.size(); ++i) {
      if (x < weights[i]) return i;
      x -= weights[i];
    }
    return weights.size() - 1;
  }
  // Fisher-Yates (std::shuffle's algorithm is unspecified).
  template <class T>
  void shuffle(std::vector<T>& v) {
    for (std::size_t i = v.size(); i > 1; --i) std::swap(v[i - 1], v[below(i)]);
  }

 private:
  std::mt19937_64 eng_;
};

}  // namespace yf::samples
