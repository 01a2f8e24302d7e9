#include "io/import/SimdLevel.hpp"

#include <cstdlib>
#include <cstring>

namespace yf::import {
namespace {

SimdLevel detect() {
#if (defined(__x86_64__) || defined(__i386__)) && (defined(__GNUC__) || defined(__clang__))
  if (__builtin_cpu_supports("avx2")) return SimdLevel::avx2;
  if (__builtin_cpu_supports("ssse3")) return SimdLevel::ssse3;
#endif
  return SimdLevel::sse2;
}

SimdLevel from_environment(SimdLevel cpu) {
  const char* v = std::getenv("YF_IMPORT_SIMD");
  if (v && std::strcmp(v, "sse2") == 0) return SimdLevel::sse2;
  if (v && std::strcmp(v, "ssse3") == 0 && cpu >= SimdLevel::ssse3) return SimdLevel::ssse3;
  return cpu;
}

// Function-local statics: safe to ask from any static initialiser.
SimdLevel& level_in_force() {
  static SimdLevel level = from_environment(cpu_simd_level());
  return level;
}

}  // namespace

SimdLevel cpu_simd_level() {
  static const SimdLevel cpu = detect();
  return cpu;
}
SimdLevel simd_level() { return level_in_force(); }

ScopedSimdLevel::ScopedSimdLevel(SimdLevel level) : before_(level_in_force()) {
  level_in_force() = level > cpu_simd_level() ? cpu_simd_level() : level;
}
ScopedSimdLevel::~ScopedSimdLevel() { level_in_force() = before_; }

}  // namespace yf::import
