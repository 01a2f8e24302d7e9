#include "io/import/CodeCounter.hpp"

#include "core/SimdLevel.hpp"

#if defined(__SSE2__)
#include <emmintrin.h>
#endif
#if (defined(__x86_64__) || defined(__i386__)) && (defined(__GNUC__) || defined(__clang__))
#include <immintrin.h>
#define YF_AVX2_TARGET 1
#endif

namespace yf::import {

void CodeCounter::add_one(std::int16_t v) {
  for (int k = 0; k < n_known_; ++k)
    if (known_[k] == v) {
      ++count_[k];
      return;
    }
  if (n_known_ < kKnown) {
    known_[n_known_] = v;
    count_[n_known_++] = 1;
    return;
  }
  ++others_[v];
}

#if defined(YF_AVX2_TARGET)
// add()'s SSE2 loops below on 16 codes at a time (AVX2, chosen at run time): the same
// counts. Leaves the last n % 16 codes; returns where it stopped.
__attribute__((target("avx2"))) std::size_t CodeCounter::add_avx2(const std::int16_t* v, std::size_t n) {
  std::size_t i = 0;
  while (i + 16 <= n) {
    __m256i acc[kKnown];
    for (auto& a : acc) a = _mm256_setzero_si256();
    const int had = n_known_;
    std::size_t blocks = 0;
    if (had >= 1 && had <= 4) {
      const __m256i k0 = _mm256_set1_epi16(known_[0]), k1 = _mm256_set1_epi16(known_[had > 1 ? 1 : 0]),
                    k2 = _mm256_set1_epi16(known_[had > 2 ? 2 : 0]), k3 = _mm256_set1_epi16(known_[had > 3 ? 3 : 0]);
      __m256i a0 = acc[0], a1 = acc[1], a2 = acc[2], a3 = acc[3];
      for (; i + 16 <= n && blocks < 4096 && n_known_ == had; i += 16, ++blocks) {
        const __m256i x = _mm256_loadu_si256(reinterpret_cast<const __m256i*>(v + i));
        const __m256i m0 = _mm256_cmpeq_epi16(x, k0), m1 = _mm256_cmpeq_epi16(x, k1), m2 = _mm256_cmpeq_epi16(x, k2),
                      m3 = _mm256_cmpeq_epi16(x, k3);
        a0 = _mm256_sub_epi16(a0, m0), a1 = _mm256_sub_epi16(a1, m1), a2 = _mm256_sub_epi16(a2, m2),
        a3 = _mm256_sub_epi16(a3, m3);
        const __m256i matched = _mm256_or_si256(_mm256_or_si256(m0, m1), _mm256_or_si256(m2, m3));
        if (_mm256_movemask_epi8(matched) != -1) {  // a code not known yet: lanes one by one
          alignas(32) std::int16_t m[16];
          _mm256_store_si256(reinterpret_cast<__m256i*>(m), matched);
          for (int lane = 0; lane < 16; ++lane)
            if (m[lane] == 0) add_one(v[i + static_cast<std::size_t>(lane)]);
        }
      }
      acc[0] = a0, acc[1] = a1, acc[2] = a2, acc[3] = a3;
    }
    for (; i + 16 <= n && blocks < 4096 && n_known_ == had; i += 16, ++blocks) {
      const __m256i x = _mm256_loadu_si256(reinterpret_cast<const __m256i*>(v + i));
      __m256i matched = _mm256_setzero_si256();
      for (int k = 0; k < had; ++k) {
        const __m256i m = _mm256_cmpeq_epi16(x, _mm256_set1_epi16(known_[k]));
        acc[k] = _mm256_sub_epi16(acc[k], m);
        matched = _mm256_or_si256(matched, m);
      }
      if (_mm256_movemask_epi8(matched) != -1) {  // a code not known yet: lanes one by one
          alignas(32) std::int16_t m[16];
          _mm256_store_si256(reinterpret_cast<__m256i*>(m), matched);
          for (int lane = 0; lane < 16; ++lane)
            if (m[lane] == 0) add_one(v[i + static_cast<std::size_t>(lane)]);
        }
    }
    for (int k = 0; k < had; ++k) {
      alignas(32) std::uint16_t lanes[16];
      _mm256_store_si256(reinterpret_cast<__m256i*>(lanes), acc[k]);
      for (auto l : lanes) count_[k] += l;
    }
  }
  return i;
}
#endif

void CodeCounter::add(const std::int16_t* v, std::size_t n) {
  std::size_t i = 0;
#if defined(YF_AVX2_TARGET)
  if (use_avx2()) i = add_avx2(v, n);
#endif
#if defined(__SSE2__)
  // Per known code, 8 lane counters (a compare gives -1 a match: subtracted), added
  // up every 4,096 blocks at most, before a 16-bit lane could overflow.
  while (i + 8 <= n) {
    __m128i acc[kKnown];
    for (auto& a : acc) a = _mm_setzero_si128();
    const int had = n_known_;
    std::size_t blocks = 0;
    if (had >= 1 && had <= 4) {
      // Up to four codes (most maps): their counters stay in registers; spare slots
      // repeat the first code and are not added up.
      const __m128i k0 = _mm_set1_epi16(known_[0]), k1 = _mm_set1_epi16(known_[had > 1 ? 1 : 0]),
                    k2 = _mm_set1_epi16(known_[had > 2 ? 2 : 0]), k3 = _mm_set1_epi16(known_[had > 3 ? 3 : 0]);
      __m128i a0 = acc[0], a1 = acc[1], a2 = acc[2], a3 = acc[3];
      for (; i + 8 <= n && blocks < 4096 && n_known_ == had; i += 8, ++blocks) {
        const __m128i x = _mm_loadu_si128(reinterpret_cast<const __m128i*>(v + i));
        const __m128i m0 = _mm_cmpeq_epi16(x, k0), m1 = _mm_cmpeq_epi16(x, k1), m2 = _mm_cmpeq_epi16(x, k2),
                      m3 = _mm_cmpeq_epi16(x, k3);
        a0 = _mm_sub_epi16(a0, m0), a1 = _mm_sub_epi16(a1, m1), a2 = _mm_sub_epi16(a2, m2), a3 = _mm_sub_epi16(a3, m3);
        const __m128i matched = _mm_or_si128(_mm_or_si128(m0, m1), _mm_or_si128(m2, m3));
        if (_mm_movemask_epi8(matched) != 0xFFFF) {
          alignas(16) std::int16_t m[8];
          _mm_store_si128(reinterpret_cast<__m128i*>(m), matched);
          for (int lane = 0; lane < 8; ++lane)
            if (m[lane] == 0) add_one(v[i + static_cast<std::size_t>(lane)]);
        }
      }
      acc[0] = a0, acc[1] = a1, acc[2] = a2, acc[3] = a3;
    }
    for (; i + 8 <= n && blocks < 4096 && n_known_ == had; i += 8, ++blocks) {
      const __m128i x = _mm_loadu_si128(reinterpret_cast<const __m128i*>(v + i));
      __m128i matched = _mm_setzero_si128();
      for (int k = 0; k < had; ++k) {
        const __m128i m = _mm_cmpeq_epi16(x, _mm_set1_epi16(known_[k]));
        acc[k] = _mm_sub_epi16(acc[k], m);
        matched = _mm_or_si128(matched, m);
      }
      if (_mm_movemask_epi8(matched) != 0xFFFF)  // a code not known yet: lanes one by one
        for (int lane = 0; lane < 8; ++lane) {
          alignas(16) std::int16_t m[8];
          _mm_store_si128(reinterpret_cast<__m128i*>(m), matched);
          if (m[lane] == 0) add_one(v[i + static_cast<std::size_t>(lane)]);
        }
    }
    for (int k = 0; k < had; ++k) {
      alignas(16) std::uint16_t lanes[8];
      _mm_store_si128(reinterpret_cast<__m128i*>(lanes), acc[k]);
      for (auto l : lanes) count_[k] += l;
    }
  }
#endif
  for (; i < n; ++i) add_one(v[i]);
}

std::map<int, std::int64_t> CodeCounter::counts() const {
  std::map<int, std::int64_t> out = others_;
  for (int k = 0; k < n_known_; ++k) out[known_[k]] += count_[k];
  return out;
}

}  // namespace yf::import
