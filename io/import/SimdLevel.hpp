#pragma once
// Which SIMD instructions the importers' hot loops may use. x86-64 guarantees SSE2
// only (the CI machine's CPU is unknown), so AVX2 code is compiled with a target
// attribute and chosen at run time when the CPU has it; every AVX2 loop has an
// SSE2/portable twin giving identical results. Tests force the portable path with
// ScopedSimdLevel; YF_IMPORT_SIMD=sse2 in the environment does the same for a whole
// process (fuzzers, the CLI).
namespace yf::import {

// Ordered: each level has the instructions of those below it.
enum class SimdLevel { sse2, ssse3, avx2 };

// The level in force: the CPU's best (as __builtin_cpu_supports says), lowered by
// YF_IMPORT_SIMD=sse2 or by a ScopedSimdLevel.
SimdLevel simd_level();
inline bool use_avx2() { return simd_level() >= SimdLevel::avx2; }
inline bool use_ssse3() { return simd_level() >= SimdLevel::ssse3; }

// What the CPU can do, whatever is forced.
SimdLevel cpu_simd_level();

// For tests: forces a level (at most the CPU's) while it lives. Not thread-safe:
// set it before importing, on one thread.
class ScopedSimdLevel {
 public:
  explicit ScopedSimdLevel(SimdLevel level);
  ~ScopedSimdLevel();
  ScopedSimdLevel(const ScopedSimdLevel&) = delete;
  ScopedSimdLevel& operator=(const ScopedSimdLevel&) = delete;

 private:
  SimdLevel before_;
};

}  // namespace yf::import
