#pragma once
// Which SIMD instructions the hot loops may use (the importers' scanners and decoders,
// the image resampler). x86-64 guarantees SSE2 only (the CI machine's CPU is unknown),
// so newer code is compiled with a target attribute and chosen at run time when the CPU
// has it; every such loop has an SSE2/portable twin giving identical results. Tests
// force the portable path with ScopedSimdLevel; YF_SIMD=sse2 (or ssse3) in the
// environment does the same for a whole process (avx2 keeps AVX-512 off) (fuzzers, the CLI).
// Header-only so that every library can ask without a link dependency; the inline
// functions' statics are one object per program.
#include <cstdlib>
#include <cstring>

namespace yf {

// Ordered: each level has the instructions of those below it.
// avx512 means AVX-512 F + BW + VBMI2 (the KLARF block reader's word scan).
enum class SimdLevel { sse2, ssse3, avx2, avx512 };

// What the CPU can do, whatever is forced.
inline SimdLevel cpu_simd_level() {
  static const SimdLevel cpu = [] {
#if (defined(__x86_64__) || defined(__i386__)) && (defined(__GNUC__) || defined(__clang__))
    if (__builtin_cpu_supports("avx2") && __builtin_cpu_supports("avx512f") && __builtin_cpu_supports("avx512bw") &&
        __builtin_cpu_supports("avx512vbmi2"))
      return SimdLevel::avx512;
    if (__builtin_cpu_supports("avx2")) return SimdLevel::avx2;
    if (__builtin_cpu_supports("ssse3")) return SimdLevel::ssse3;
#endif
    return SimdLevel::sse2;
  }();
  return cpu;
}

namespace detail {
// The level in force: the CPU's, lowered by YF_SIMD. A function-local static, so it is
// safe to ask from any static initialiser.
inline SimdLevel& simd_level_in_force() {
  static SimdLevel level = [] {
    const SimdLevel cpu = cpu_simd_level();
    const char* v = std::getenv("YF_SIMD");
    if (v && std::strcmp(v, "sse2") == 0) return SimdLevel::sse2;
    if (v && std::strcmp(v, "ssse3") == 0 && cpu >= SimdLevel::ssse3) return SimdLevel::ssse3;
    if (v && std::strcmp(v, "avx2") == 0 && cpu >= SimdLevel::avx2) return SimdLevel::avx2;
    return cpu;
  }();
  return level;
}
}  // namespace detail

inline SimdLevel simd_level() { return detail::simd_level_in_force(); }
inline bool use_avx2() { return simd_level() >= SimdLevel::avx2; }
inline bool use_ssse3() { return simd_level() >= SimdLevel::ssse3; }

// For tests: forces a level (at most the CPU's) while it lives. Not thread-safe: set it
// before the work, on one thread.
class ScopedSimdLevel {
 public:
  explicit ScopedSimdLevel(SimdLevel level) : before_(simd_level()) {
    detail::simd_level_in_force() = level > cpu_simd_level() ? cpu_simd_level() : level;
  }
  ~ScopedSimdLevel() { detail::simd_level_in_force() = before_; }
  ScopedSimdLevel(const ScopedSimdLevel&) = delete;
  ScopedSimdLevel& operator=(const ScopedSimdLevel&) = delete;

 private:
  SimdLevel before_;
};

}  // namespace yf
