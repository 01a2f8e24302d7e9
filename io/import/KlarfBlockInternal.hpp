#pragma once
// What the two translation units of the KLARF DefectList block reader share, and
// nothing else includes (use KlarfDefectBlock.hpp): KlarfDefectBlock.cpp reads the
// rows a row at a time (portable and AVX2 paths) and the die indices of every path;
// KlarfDefectBlockAvx512.cpp reads the AVX-512 path's rows a column at a time. Here:
//   - pass 1 of every path: the byte classes of 64 bytes (Masks, from Sse2 / Avx2 /
//     Avx512 or Scalar: the path type C the readers are templates of) and
//     find_words, which turns them into word offsets and per-64-byte newline masks;
//   - the per-word conversions that give the line reader's values (digits8,
//     number_at, integer_at; number_at_avx2, integer_at_avx2 and a number column's
//     layouts, NumberShape, for the AVX2 paths), chosen per path by number_of /
//     column_number / integer_of - the AVX-512 column code falls back to them for a
//     word its 8-at-a-time conversion does not take;
//   - Block (a reader's buffers and column program) and the AVX-512 entry points.
// Everything is in klarf_block:: and defined inline (the tables inline constexpr):
// one definition however many files include it. Each SIMD function carries its own
// target attribute; no file is compiled with wider flags than the x86-64 baseline.
#include <bit>
#include <cstddef>
#include <cstdint>
#include <cstring>
#include <string_view>
#include <utility>
#include <vector>

#include "io/import/KlarfData.hpp"
#include "io/import/KlarfDefectBlock.hpp"
#include "io/import/KlarfTokenizer.hpp"

#if defined(__x86_64__)  // (the SIMD paths use 64-bit moves)
#include <immintrin.h>
#define YF_KLARF_X86 1
#endif

namespace yf::import::klarf_block {

// Per 64 bytes: newlines, word bytes (digits . + - e E), spaces (' ' \t \r) and the
// letters e/E (a word may not start with one: the line reader takes it for a keyword).
struct Masks {
  std::uint64_t nl, word, space, letter;
};

#if defined(YF_KLARF_X86)
struct Sse2 {
  static constexpr bool kPopcnt = false;
  static constexpr bool kCompress = false;
  [[gnu::always_inline]] static Masks classify(const char* p) {
    Masks m{0, 0, 0, 0};
    for (int k = 0; k < 4; ++k) {
      const __m128i x = _mm_loadu_si128(reinterpret_cast<const __m128i*>(p + 16 * k));
      const __m128i d = _mm_sub_epi8(x, _mm_set1_epi8('0'));
      const __m128i digit = _mm_cmpeq_epi8(_mm_min_epu8(d, _mm_set1_epi8(9)), d);
      const __m128i letter = _mm_cmpeq_epi8(_mm_or_si128(x, _mm_set1_epi8(0x20)), _mm_set1_epi8('e'));
      const __m128i sign = _mm_or_si128(_mm_or_si128(_mm_cmpeq_epi8(x, _mm_set1_epi8('.')), _mm_cmpeq_epi8(x, _mm_set1_epi8('-'))),
                                        _mm_cmpeq_epi8(x, _mm_set1_epi8('+')));
      const __m128i space = _mm_or_si128(_mm_or_si128(_mm_cmpeq_epi8(x, _mm_set1_epi8(' ')), _mm_cmpeq_epi8(x, _mm_set1_epi8('\t'))),
                                         _mm_cmpeq_epi8(x, _mm_set1_epi8('\r')));
      const __m128i nl = _mm_cmpeq_epi8(x, _mm_set1_epi8('\n'));
      const int s = 16 * k;
      m.nl |= static_cast<std::uint64_t>(static_cast<std::uint16_t>(_mm_movemask_epi8(nl))) << s;
      m.word |= static_cast<std::uint64_t>(static_cast<std::uint16_t>(_mm_movemask_epi8(_mm_or_si128(_mm_or_si128(digit, letter), sign)))) << s;
      m.space |= static_cast<std::uint64_t>(static_cast<std::uint16_t>(_mm_movemask_epi8(space))) << s;
      m.letter |= static_cast<std::uint64_t>(static_cast<std::uint16_t>(_mm_movemask_epi8(letter))) << s;
    }
    return m;
  }
};

struct Avx2 {
  static constexpr bool kPopcnt = true;
  static constexpr bool kCompress = false;
  [[gnu::target("avx2,bmi,bmi2,popcnt,lzcnt")]] static Masks classify(const char* p) {
    Masks m{0, 0, 0, 0};
    for (int k = 0; k < 2; ++k) {
      const __m256i x = _mm256_loadu_si256(reinterpret_cast<const __m256i*>(p + 32 * k));
      const __m256i d = _mm256_sub_epi8(x, _mm256_set1_epi8('0'));
      const __m256i digit = _mm256_cmpeq_epi8(_mm256_min_epu8(d, _mm256_set1_epi8(9)), d);
      const __m256i letter = _mm256_cmpeq_epi8(_mm256_or_si256(x, _mm256_set1_epi8(0x20)), _mm256_set1_epi8('e'));
      const __m256i sign =
          _mm256_or_si256(_mm256_or_si256(_mm256_cmpeq_epi8(x, _mm256_set1_epi8('.')), _mm256_cmpeq_epi8(x, _mm256_set1_epi8('-'))),
                          _mm256_cmpeq_epi8(x, _mm256_set1_epi8('+')));
      const __m256i space =
          _mm256_or_si256(_mm256_or_si256(_mm256_cmpeq_epi8(x, _mm256_set1_epi8(' ')), _mm256_cmpeq_epi8(x, _mm256_set1_epi8('\t'))),
                          _mm256_cmpeq_epi8(x, _mm256_set1_epi8('\r')));
      const __m256i nl = _mm256_cmpeq_epi8(x, _mm256_set1_epi8('\n'));
      const int s = 32 * k;
      m.nl |= static_cast<std::uint64_t>(static_cast<std::uint32_t>(_mm256_movemask_epi8(nl))) << s;
      m.word |= static_cast<std::uint64_t>(static_cast<std::uint32_t>(
                    _mm256_movemask_epi8(_mm256_or_si256(_mm256_or_si256(digit, letter), sign))))
                << s;
      m.space |= static_cast<std::uint64_t>(static_cast<std::uint32_t>(_mm256_movemask_epi8(space))) << s;
      m.letter |= static_cast<std::uint64_t>(static_cast<std::uint32_t>(_mm256_movemask_epi8(letter))) << s;
    }
    return m;
  }
};
// AVX-512 (BW for the byte compares into mask registers, VBMI2 for vpcompressb):
// the same masks as Avx2, and the word starts taken out of the start mask 64 at a
// time (the byte offsets compressed, then widened) instead of one bit at a time.
#define YF_KLARF_AVX512 "avx512f,avx512bw,avx512vbmi2,avx2,bmi,bmi2,popcnt,lzcnt"
struct Avx512 {
  static constexpr bool kPopcnt = true;
  static constexpr bool kCompress = true;
  [[gnu::target(YF_KLARF_AVX512)]] static Masks classify(const char* p) {
    const __m512i x = _mm512_loadu_si512(p);
#define YF_EQ(c) _mm512_cmpeq_epi8_mask(x, _mm512_set1_epi8(c))
    const __mmask64 digit = _mm512_cmple_epu8_mask(_mm512_sub_epi8(x, _mm512_set1_epi8('0')), _mm512_set1_epi8(9));
    const __mmask64 letter = _mm512_cmpeq_epi8_mask(_mm512_or_si512(x, _mm512_set1_epi8(0x20)), _mm512_set1_epi8('e'));
    return Masks{YF_EQ('\n'), digit | letter | YF_EQ('.') | YF_EQ('-') | YF_EQ('+'), YF_EQ(' ') | YF_EQ('\t') | YF_EQ('\r'),
                 letter};
#undef YF_EQ
  }
  // The offsets (base + bit index) of the set bits of s, in order, into w; writes
  // up to 32 entries past the count (or up to 64 when there are more than 32).
  [[gnu::target(YF_KLARF_AVX512)]] static void offsets(std::uint64_t s, int cnt, std::uint32_t base, std::uint32_t* w) {
    const __m512i iota = _mm512_set_epi8(63, 62, 61, 60, 59, 58, 57, 56, 55, 54, 53, 52, 51, 50, 49, 48, 47, 46, 45, 44,
                                         43, 42, 41, 40, 39, 38, 37, 36, 35, 34, 33, 32, 31, 30, 29, 28, 27, 26, 25, 24,
                                         23, 22, 21, 20, 19, 18, 17, 16, 15, 14, 13, 12, 11, 10, 9, 8, 7, 6, 5, 4, 3, 2,
                                         1, 0);
    const __m512i at = _mm512_maskz_compress_epi8(s, iota);
    const __m512i b = _mm512_set1_epi32(static_cast<int>(base));
    // The zero-masking forms (all lanes kept) of vpmovzxbd and vextracti32x4: the
    // plain intrinsics' "undefined" source trips GCC 12's -Wmaybe-uninitialized.
#define YF_WIDEN(k) _mm512_add_epi32(_mm512_maskz_cvtepu8_epi32(0xFFFF, _mm512_maskz_extracti32x4_epi32(0xF, at, k)), b)
    _mm512_storeu_si512(w, YF_WIDEN(0));
    _mm512_storeu_si512(w + 16, YF_WIDEN(1));
    if (cnt > 32) {
      _mm512_storeu_si512(w + 32, YF_WIDEN(2));
      _mm512_storeu_si512(w + 48, YF_WIDEN(3));
    }
#undef YF_WIDEN
  }
};
using Portable = Sse2;
#else
struct Scalar {
  static constexpr bool kPopcnt = false;
  static constexpr bool kCompress = false;
  static Masks classify(const char* p) {
    Masks m{0, 0, 0, 0};
    for (int i = 0; i < 64; ++i) {
      const unsigned char c = static_cast<unsigned char>(p[i]);
      const std::uint64_t bit = std::uint64_t{1} << i;
      const bool letter = (c | 0x20) == 'e';
      if (c == '\n') m.nl |= bit;
      if ((c >= '0' && c <= '9') || c == '.' || c == '-' || c == '+' || letter) m.word |= bit;
      if (c == ' ' || c == '\t' || c == '\r') m.space |= bit;
      if (letter) m.letter |= bit;
    }
    return m;
  }
};
using Portable = Scalar;
#endif

// Bits set in x: the popcnt instruction where the CPU has it (the AVX2 path), else
// the usual SWAR sum (without a library call per use).
template <class C>
[[gnu::always_inline]] inline int pop64(std::uint64_t x) {
  if constexpr (C::kPopcnt) return std::popcount(x);
  x = x - ((x >> 1) & 0x5555555555555555ULL);
  x = (x & 0x3333333333333333ULL) + ((x >> 2) & 0x3333333333333333ULL);
  x = (x + (x >> 4)) & 0x0F0F0F0F0F0F0F0FULL;
  return static_cast<int>((x * 0x0101010101010101ULL) >> 56);
}

// A word's end: ' ', '\n', '\t' or '\r' (one table load, not four compares).
struct DelimiterTable {
  bool at[256];
};
constexpr DelimiterTable make_delimiters() {
  DelimiterTable t{};
  t.at[static_cast<unsigned char>(' ')] = t.at[static_cast<unsigned char>('\n')] = true;
  t.at[static_cast<unsigned char>('\t')] = t.at[static_cast<unsigned char>('\r')] = true;
  return t;
}
inline constexpr DelimiterTable kDelimiters = make_delimiters();
[[gnu::always_inline]] inline bool delimiter(char c) { return kDelimiters.at[static_cast<unsigned char>(c)]; }
[[gnu::always_inline]] inline unsigned digit(char c) { return static_cast<unsigned>(static_cast<unsigned char>(c) - '0'); }

// The word at p as klarf_number / klarf_integer read it (the line reader's general
// path for a value its fast conversions do not take: long or odd numbers, "3.0" for
// an integer...): false when they give nothing, or when the word is cut by a byte
// outside the block's subset (the row is then given back anyway).
inline bool word_byte(char c) { return digit(c) < 10 || c == '.' || c == '-' || c == '+' || (c | 0x20) == 'e'; }
inline std::string_view word_at(const char* p) {
  const char* e = p;
  while (word_byte(*e)) ++e;
  return delimiter(*e) ? std::string_view(p, static_cast<std::size_t>(e - p)) : std::string_view();
}
[[gnu::noinline]] inline bool number_slow(const char* p, double& out) {
  const std::string_view w = word_at(p);
  const auto v = w.empty() ? std::nullopt : klarf_number(w);
  if (v) out = *v;
  return v.has_value();
}
[[gnu::noinline]] inline bool integer_slow(const char* p, std::int64_t& out) {
  const std::string_view w = word_at(p);
  const auto v = w.empty() ? std::nullopt : klarf_integer(w);
  if (v) out = *v;
  return v.has_value();
}

// The run of decimal digits at p, up to 8 of them, by one 8-byte load (SWAR): its
// length (8 when all eight are digits: the caller then takes the byte loop) and its
// value. Reads 8 bytes (a block's slack makes that safe).
struct Digits {
  std::uint32_t value;
  int len;
};
[[gnu::always_inline]] inline Digits digits8(const char* p) {
  std::uint64_t x = 0;
  std::memcpy(&x, p, 8);
  const std::uint64_t t = x - 0x3030303030303030ULL;
  // A byte's high bit: below '0' (wrapped) or above '9' (t + 0x76 reaches 0x80).
  // A carry out of a non-digit byte can only disturb the bytes after it.
  const std::uint64_t nd = ((t + 0x7676767676767676ULL) | t) & 0x8080808080808080ULL;
  const int len = nd ? std::countr_zero(nd) >> 3 : 8;
  if (len == 0) return {0, 0};
  // The digits moved to the top bytes (zeros before them are leading zeros), then
  // summed in pairs, quads and the eight.
  std::uint64_t v = (t << (64 - 8 * len)) & 0x0F0F0F0F0F0F0F0FULL;
  v = (v * 10 + (v >> 8)) & 0x00FF00FF00FF00FFULL;
  v = (v * 100 + (v >> 16)) & 0x0000FFFF0000FFFFULL;
  v = (v * 10000 + (v >> 32)) & 0xFFFFFFFFULL;
  return {static_cast<std::uint32_t>(v), len};
}

// klarf_number on the word at p (which ends at a delimiter: a space, tab, CR or
// newline). Its fast path here, with the digit runs read by digits8: for runs under
// 8 digits, the significand (the digits without the point, at most 14: below 2^53),
// scale and power of ten of klarf_fast_number, and its one IEEE operation, so the
// same double; anything else through klarf_number itself (number_slow).
[[gnu::always_inline]] inline bool number_at(const char* p, double& out) {
  static constexpr double kPow10[] = {1e0,  1e1,  1e2,  1e3,  1e4,  1e5,  1e6,  1e7,  1e8,  1e9,  1e10, 1e11,
                                      1e12, 1e13, 1e14, 1e15, 1e16, 1e17, 1e18, 1e19, 1e20, 1e21, 1e22};
  static constexpr std::uint64_t kScale[] = {1, 10, 100, 1000, 10000, 100000, 1000000, 10000000};
  const char* const word = p;
  if (*p == '+') ++p;
  const bool neg = *p == '-';
  p += neg;
  const Digits a = digits8(p);
  if (a.len == 0 || a.len == 8) return number_slow(word, out);
  p += a.len;
  std::uint64_t m = a.value;
  int scale = 0;
  if (*p == '.') {
    const Digits f = digits8(++p);
    if (f.len == 0 || f.len == 8) return number_slow(word, out);
    m = m * kScale[f.len] + f.value;  // at most 14 digits: below 2^53
    scale = f.len;
    p += f.len;
  }
  int exp10 = 0;
  if ((*p | 0x20) == 'e') {
    ++p;
    bool eneg = false;
    if (*p == '+' || *p == '-') eneg = *p++ == '-';
    // The usual two or three exponent digits byte by byte (a shorter dependency
    // chain than digits8's), any other count by digits8.
    const unsigned d0 = digit(p[0]), d1 = digit(p[1]), d2 = digit(p[2]);
    Digits x{0, 0};
    if (d0 < 10 && d1 < 10 && d2 >= 10) x = {d0 * 10 + d1, 2};
    else if (d0 < 10 && d1 < 10 && d2 < 10 && digit(p[3]) >= 10) x = {d0 * 100 + d1 * 10 + d2, 3};
    else x = digits8(p);
    if (x.len == 0 || x.len > 5) return number_slow(word, out);
    exp10 = eneg ? -static_cast<int>(x.value) : static_cast<int>(x.value);
    p += x.len;
  }
  const int pow = exp10 - scale;
  if (!delimiter(*p) || (m != 0 && (pow < -22 || pow > 22))) return number_slow(word, out);
  double v = static_cast<double>(m);
  if (m != 0) v = pow >= 0 ? v * kPow10[pow] : v / kPow10[-pow];
  out = neg ? -v : v;
  return true;
}

#if defined(YF_KLARF_X86)
// The AVX2 path's number_at: the same grammar, significand, scale and power of ten
// (so the same double), with the digits found by one 32-byte mask and converted 16
// at a time (pshufb drops the point and right-aligns the digits, then pmaddubsw /
// pmaddwd sum them in pairs, quads and eights) instead of three dependent 8-byte
// runs. Takes significands of up to 15 digits in the first 16 bytes (below 2^53);
// anything else goes through klarf_number itself, as there.
struct AlignTable {
  // [int digits a][fraction digits f]: the shuffle that takes the a + f digits of
  // "a digits, '.', f digits" to the end of 16 bytes (zeros before them).
  alignas(16) std::uint8_t c[16][16][16];
};
constexpr AlignTable make_align_table() {
  AlignTable t{};
  for (int a = 0; a < 16; ++a)
    for (int f = 0; f < 16; ++f)
      for (int i = 0; i < 16; ++i) {
        const int j = i - (16 - (a + f));  // index among the digits
        t.c[a][f][i] = static_cast<std::uint8_t>(j < 0 ? 0x80 : (j < a ? j : j + 1) & 0x8F);
      }
  return t;
}
inline constexpr AlignTable kAlign = make_align_table();

[[gnu::target("avx2,bmi,bmi2,popcnt,lzcnt")]] inline bool number_at_avx2(const char* p, double& out) {
  static constexpr double kPow10[] = {1e0,  1e1,  1e2,  1e3,  1e4,  1e5,  1e6,  1e7,  1e8,  1e9,  1e10, 1e11,
                                      1e12, 1e13, 1e14, 1e15, 1e16, 1e17, 1e18, 1e19, 1e20, 1e21, 1e22};
  const char* const word = p;
  if (*p == '+') ++p;
  const bool neg = *p == '-';
  p += neg;
  // A word starts inside the block: its 32 bytes lie within the LineReader's slack.
  const __m256i t = _mm256_sub_epi8(_mm256_loadu_si256(reinterpret_cast<const __m256i*>(p)), _mm256_set1_epi8('0'));
  const auto dm = static_cast<std::uint32_t>(_mm256_movemask_epi8(_mm256_cmpeq_epi8(_mm256_min_epu8(t, _mm256_set1_epi8(9)), t)));
  const int a = std::countr_zero(~dm);  // integer digits
  if (a == 0 || a > 15) return number_slow(word, out);
  int f = 0, q = a;  // fraction digits; the byte after the significand
  if (p[a] == '.') {
    f = std::countr_zero(~(dm >> (a + 1)));
    q = a + 1 + f;
    if (f == 0 || a + f > 15) return number_slow(word, out);
  }
  const __m128i digits = _mm_shuffle_epi8(_mm256_castsi256_si128(t),
                                          _mm_load_si128(reinterpret_cast<const __m128i*>(kAlign.c[a][f])));
  __m128i v = _mm_maddubs_epi16(digits, _mm_set1_epi16(0x010A));  // pairs: 10 d0 + d1
  v = _mm_madd_epi16(v, _mm_set1_epi32(0x00010064));              // quads: 100 p0 + p1
  v = _mm_packs_epi32(v, v);
  v = _mm_madd_epi16(v, _mm_set1_epi32(0x00012710));  // eights: 10000 q0 + q1
  const auto lanes = static_cast<std::uint64_t>(_mm_cvtsi128_si64(v));
  const std::uint64_t m = (lanes & 0xFFFFFFFFu) * 100000000u + (lanes >> 32);
  int exp10 = 0;
  if ((p[q] | 0x20) == 'e') {
    ++q;
    bool eneg = false;
    if (p[q] == '+' || p[q] == '-') eneg = p[q++] == '-';
    // The exponent's digits (the mask covers them: q is at most 18), the usual 1 to
    // 3 of them without a multiplication chain.
    const int len = std::countr_zero(~(dm >> q));
    unsigned x = 0;
    if (len == 2) x = digit(p[q]) * 10 + digit(p[q + 1]);
    else if (len == 3) x = digit(p[q]) * 100 + digit(p[q + 1]) * 10 + digit(p[q + 2]);
    else if (len == 1) x = digit(p[q]);
    else if (len == 0 || len > 5) return number_slow(word, out);
    else x = digits8(p + q).value;
    exp10 = eneg ? -static_cast<int>(x) : static_cast<int>(x);
    q += len;
  }
  const int pow = exp10 - f;
  if (!delimiter(p[q]) || (m != 0 && (pow < -22 || pow > 22))) return number_slow(word, out);
  double r = static_cast<double>(m);
  if (m != 0) r = pow >= 0 ? r * kPow10[pow] : r / kPow10[-pow];
  out = neg ? -r : r;
  return true;
}

// The AVX2 path's integer_at: [+][-]digits (up to 15) then a delimiter, the digits
// converted as in number_at_avx2 (16 bytes are enough: a word that does not end
// within them is left to klarf_integer, as in integer_at).
[[gnu::target("avx2,bmi,bmi2,popcnt,lzcnt")]] inline bool integer_at_avx2(const char* p, std::int64_t& out) {
  const char* const word = p;
  if (*p == '+') ++p;
  const bool neg = *p == '-';
  p += neg;
  const __m128i t = _mm_sub_epi8(_mm_loadu_si128(reinterpret_cast<const __m128i*>(p)), _mm_set1_epi8('0'));
  const auto dm = static_cast<std::uint32_t>(_mm_movemask_epi8(_mm_cmpeq_epi8(_mm_min_epu8(t, _mm_set1_epi8(9)), t)));
  const int a = std::countr_zero(~dm);
  if (a == 0 || a > 15 || !delimiter(p[a])) return integer_slow(word, out);
  if (a <= 4) {
    // The usual short ones (die indices, classes, tests): the low 4 bytes, the
    // digits moved to the top (zeros before them), summed in pairs then the four -
    // a shorter chain than the table shuffle and three multiply-adds below.
    std::uint32_t x = static_cast<std::uint32_t>(_mm_cvtsi128_si32(t)) << (32 - 8 * a);
    x = (x * 10 + (x >> 8)) & 0x00FF00FFu;
    x = (x * 100 + (x >> 16)) & 0xFFFFu;
    out = neg ? -static_cast<std::int64_t>(x) : static_cast<std::int64_t>(x);
    return true;
  }
  __m128i v = _mm_shuffle_epi8(t, _mm_load_si128(reinterpret_cast<const __m128i*>(kAlign.c[a][0])));
  v = _mm_maddubs_epi16(v, _mm_set1_epi16(0x010A));
  v = _mm_madd_epi16(v, _mm_set1_epi32(0x00010064));
  v = _mm_packs_epi32(v, v);
  v = _mm_madd_epi16(v, _mm_set1_epi32(0x00012710));
  const auto lanes = static_cast<std::uint64_t>(_mm_cvtsi128_si64(v));
  const auto m = static_cast<std::int64_t>((lanes & 0xFFFFFFFFu) * 100000000u + (lanes >> 32));
  out = neg ? -m : m;
  return true;
}
#endif

// A column's numbers usually all have one layout ("1.234560e+03": the same count of
// integer, fraction and exponent digits, the same exponent sign), so the AVX2 path
// keeps the last two layouts seen in each number column (NumberShape) and tries them
// first: the layout is checked against the word's byte classes (one compare of two
// 16-bit masks, off the value's dependency chain: a branch the CPU predicts) while
// the value is computed with the layout's shuffle - no digit count, table index or
// separate exponent parse on the chain. The shuffle puts the significand's digits
// (at most 8) in bytes 0-7 and the exponent's (at most 3) in bytes 8-15, so the
// multiply-add steps give both at once. Same grammar subset, significand, power of
// ten and IEEE operation as number_at_avx2, so the same double; a word of another
// layout goes through number_at_avx2 and becomes the column's first layout.
// Never matches: every byte both a digit and equal to its (zero) fixed byte.
inline constexpr NumberShape kNoShape = {{}, {}, {}, 0xFFFFFFFFu, 0xFFFFFFFFu, 0, 1, 0};

#if defined(YF_KLARF_X86)  // (the layouts serve the AVX2 paths only)
// The layout of the word at p (after its sign), when the shaped path can take it:
// 1-8 significand digits (a point only with digits after it), an optional exponent
// of 1-3 digits with an optional sign, at most 15 bytes, then a delimiter.
inline bool learn_shape(const char* p, NumberShape& s) {
  auto is_digit = [](char c) { return digit(c) < 10; };
  int a = 0;
  while (a < 16 && is_digit(p[a])) ++a;
  if (a == 0) return false;
  int q = a, f = 0, point = -1, letter = -1, sign = -1, x0 = 0, xd = 0;
  if (p[q] == '.') {
    point = q++;
    while (q < 16 && is_digit(p[q])) ++q, ++f;
    if (f == 0) return false;
  }
  if (a + f > 8) return false;
  if ((p[q] | 0x20) == 'e') {
    letter = q++;
    if (p[q] == '+' || p[q] == '-') sign = q++;
    x0 = q;
    while (q < 16 && is_digit(p[q])) ++q, ++xd;
    if (xd == 0 || xd > 3) return false;
  }
  if (q > 15 || !delimiter(p[q])) return false;
  NumberShape n{};
  std::uint32_t digits = 0, fixed = 0;
  for (int i = 0; i < 16; ++i) {
    n.ctrl[i] = 0x80;
    n.orv[i] = 0;
    n.fixed[i] = 0;
  }
  // Significand digits (positions 0..a-1 and point+1..point+f) right-aligned in 0-7.
  int sig[16], ns = 0;
  for (int i = 0; i < a; ++i) sig[ns++] = i;
  for (int i = 0; i < f; ++i) sig[ns++] = point + 1 + i;
  for (int k = 0; k < ns; ++k) n.ctrl[8 - ns + k] = static_cast<std::uint8_t>(sig[k]), digits |= 1u << sig[k];
  for (int k = 0; k < xd; ++k) n.ctrl[16 - xd + k] = static_cast<std::uint8_t>(x0 + k), digits |= 1u << (x0 + k);
  if (point >= 0) n.fixed[point] = '.', fixed |= 1u << point;
  if (letter >= 0) n.orv[letter] = 0x20, n.fixed[letter] = 'e', fixed |= 1u << letter;
  if (sign >= 0) n.fixed[sign] = static_cast<std::uint8_t>(p[sign]), fixed |= 1u << sign;
  const std::uint32_t care = (1u << q) - 1;
  n.mask = care | (fixed << 16);
  n.want = digits | (fixed << 16);
  n.frac = f;
  n.esign = sign >= 0 && p[sign] == '-' ? -1 : 1;
  n.len = q;
  s = n;
  return true;
}

// The word at p in the layout s, if it has it (p after the word's sign).
[[gnu::target("avx2,bmi,bmi2,popcnt,lzcnt"), gnu::always_inline]] inline bool shaped_number(const char* p, const NumberShape& s, double& out,
                                                                       bool neg) {
  static constexpr double kPow10[] = {1e0,  1e1,  1e2,  1e3,  1e4,  1e5,  1e6,  1e7,  1e8,  1e9,  1e10, 1e11,
                                      1e12, 1e13, 1e14, 1e15, 1e16, 1e17, 1e18, 1e19, 1e20, 1e21, 1e22};
  const __m128i x = _mm_loadu_si128(reinterpret_cast<const __m128i*>(p));
  const __m128i t = _mm_sub_epi8(x, _mm_set1_epi8('0'));
  const auto dm = static_cast<std::uint32_t>(_mm_movemask_epi8(_mm_cmpeq_epi8(_mm_min_epu8(t, _mm_set1_epi8(9)), t)));
  const auto fm = static_cast<std::uint32_t>(_mm_movemask_epi8(
      _mm_cmpeq_epi8(_mm_or_si128(x, _mm_load_si128(reinterpret_cast<const __m128i*>(s.orv))),
                     _mm_load_si128(reinterpret_cast<const __m128i*>(s.fixed)))));
  if (((dm | (fm << 16)) & s.mask) != s.want || !delimiter(p[s.len])) return false;
  __m128i v = _mm_shuffle_epi8(t, _mm_load_si128(reinterpret_cast<const __m128i*>(s.ctrl)));
  v = _mm_maddubs_epi16(v, _mm_set1_epi16(0x010A));
  v = _mm_madd_epi16(v, _mm_set1_epi32(0x00010064));
  v = _mm_packs_epi32(v, v);
  v = _mm_madd_epi16(v, _mm_set1_epi32(0x00012710));
  const auto lanes = static_cast<std::uint64_t>(_mm_cvtsi128_si64(v));
  const std::uint64_t m = lanes & 0xFFFFFFFFu;
  const int pow = s.esign * static_cast<int>(lanes >> 32) - s.frac;
  if (m != 0 && (pow < -22 || pow > 22)) return false;
  double r = static_cast<double>(m);
  if (m != 0) r = pow >= 0 ? r * kPow10[pow] : r / kPow10[-pow];
  out = neg ? -r : r;
  return true;
}

// A word in neither of the column's layouts: its value by number_at_avx2, and its
// layout (if the shaped path takes it) becomes the column's first.
[[gnu::target("avx2,bmi,bmi2,popcnt,lzcnt"), gnu::noinline]] inline bool number_learn(const char* w, const char* p,
                                                                              NumberShape* shapes, double& out) {
  NumberShape learnt;
  if (learn_shape(p, learnt)) shapes[1] = shapes[0], shapes[0] = learnt;
  return number_at_avx2(w, out);
}

// number_at_avx2 with the column's two last layouts tried first.
[[gnu::target("avx2,bmi,bmi2,popcnt,lzcnt"), gnu::always_inline]] inline bool number_in_column(const char* w,
                                                                                             NumberShape* shapes,
                                                                                             double& out) {
  const char* p = w;
  if (*p == '+') ++p;
  const bool neg = *p == '-';
  p += neg;
  if (shaped_number(p, shapes[0], out, neg)) return true;
  if (shaped_number(p, shapes[1], out, neg)) {
    std::swap(shapes[0], shapes[1]);
    return true;
  }
  return number_learn(w, p, shapes, out);
}
#endif

// klarf_fast_integer on the word at p ([+][-]digits) with the digits read by digits8,
// else klarf_integer: the value the line reader gives.
[[gnu::always_inline]] inline bool integer_at(const char* p, std::int64_t& out) {
  const char* const word = p;
  if (*p == '+') ++p;
  const bool neg = *p == '-';
  p += neg;
  const Digits a = digits8(p);
  if (a.len == 0 || a.len == 8 || !delimiter(p[a.len])) return integer_slow(word, out);
  out = neg ? -static_cast<std::int64_t>(a.value) : static_cast<std::int64_t>(a.value);
  return true;
}

// number_at of the path C (the same value either way).
// (Not always_inline: clang would then demand the specialisations' target of
// read_rows itself; the wrappers are inlined all the same.)
template <class C>
inline bool number_of(const char* p, double& out) {
  return number_at(p, out);
}
// A number column's value (the same either way): on the AVX2 paths with the
// column's layouts tried first (number_in_column).
template <class C>
inline bool column_number(const char* p, NumberShape*, double& out) {
  return number_at(p, out);
}
#if defined(YF_KLARF_X86)
template <>
[[gnu::target("avx2,bmi,bmi2,popcnt,lzcnt")]] inline bool column_number<Avx2>(const char* p, NumberShape* s,
                                                                              double& out) {
  return number_in_column(p, s, out);
}
template <>
[[gnu::target(YF_KLARF_AVX512)]] inline bool column_number<Avx512>(const char* p, NumberShape* s, double& out) {
  return number_in_column(p, s, out);
}
#endif
#if defined(YF_KLARF_X86)
template <>
[[gnu::target("avx2,bmi,bmi2,popcnt,lzcnt")]] inline bool number_of<Avx2>(const char* p, double& out) {
  return number_at_avx2(p, out);
}
template <>
[[gnu::target(YF_KLARF_AVX512)]] inline bool number_of<Avx512>(const char* p, double& out) {
  return number_at_avx2(p, out);
}
#endif

template <class C>
inline bool integer_of(const char* p, std::int64_t& out) {
  return integer_at(p, out);
}
#if defined(YF_KLARF_X86)
template <>
[[gnu::target("avx2,bmi,bmi2,popcnt,lzcnt")]] inline bool integer_of<Avx2>(const char* p, std::int64_t& out) {
  return integer_at_avx2(p, out);
}
template <>
[[gnu::target(YF_KLARF_AVX512)]] inline bool integer_of<Avx512>(const char* p, std::int64_t& out) {
  return integer_at_avx2(p, out);
}
#endif

// Pass 1: the word starts of [p, p + n) into `starts`, the newlines into per-64-byte
// masks. Stops at the first byte outside the plain subset (or a word starting with
// e/E): `stop` is its offset (n when there is none). Returns the number of words.
template <class C>
[[gnu::always_inline]] inline std::size_t find_words(const char* p, std::size_t n, std::uint32_t* starts,
                                                     std::uint64_t* newlines, std::uint32_t* lines_before,
                                                     std::size_t& stop, std::uint32_t& lines) {
  std::size_t words = 0;
  std::uint64_t carry = 0;  // the last byte of the previous 64 was a word byte
  lines = 0;
  stop = n;
  for (std::size_t o = 0; o < n; o += 64) {
    const Masks m = C::classify(p + o);
    const std::uint64_t valid = n - o >= 64 ? ~std::uint64_t{0} : (std::uint64_t{1} << (n - o)) - 1;
    std::uint64_t s = m.word & ~((m.word << 1) | carry);
    carry = m.word >> 63;
    const std::uint64_t bad = (~(m.nl | m.word | m.space) | (s & m.letter)) & valid;
    std::uint64_t nl = m.nl & valid;
    s &= valid;
    if (bad) {
      const int at = std::countr_zero(bad);
      const std::uint64_t keep = (std::uint64_t{1} << at) - 1;
      s &= keep, nl &= keep;
      stop = o + static_cast<std::size_t>(at);
    }
    newlines[o / 64] = nl;
    lines_before[o / 64] = lines;
    lines += static_cast<std::uint32_t>(pop64<C>(nl));
    // The offsets of the set bits, 8 at a time without a branch per bit (a few
    // written past the count are overwritten by the next 64 bytes' or unused).
    const auto base = static_cast<std::uint32_t>(o);
    const int cnt = pop64<C>(s);
    std::uint32_t* w = starts + words;
#if defined(YF_KLARF_X86)
    if constexpr (C::kCompress) {
      C::offsets(s, cnt, base, w);
      words += static_cast<std::size_t>(cnt);
      if (bad) break;
      continue;
    }
#endif
    for (int i = 0; i < 8; ++i) {
      w[i] = base + static_cast<std::uint32_t>(std::countr_zero(s));
      s &= s - 1;
    }
    if (cnt > 8) {
      for (int i = 8; i < 16; ++i) {
        w[i] = base + static_cast<std::uint32_t>(std::countr_zero(s));
        s &= s - 1;
      }
      for (int i = 16; s != 0; ++i) {
        w[i] = base + static_cast<std::uint32_t>(std::countr_zero(s));
        s &= s - 1;
      }
    }
    words += static_cast<std::size_t>(cnt);
    if (bad) break;
  }
  return words;
}

struct Block {
  std::size_t count;
  int image_col;  // the IMAGELIST column, -1 when there is none
  const KlarfDefectBlock::Op* ops;
  const KlarfDefectBlock::Op* ops_end;
  std::uint32_t* starts;
  std::uint64_t* newlines;
  std::uint32_t* lines_before;
};

// How many newlines of the block come before byte `pos` (pass 1's newline bits and
// per-64-byte counts): the line of a word, relative to the block's first line.
template <class C>
[[gnu::always_inline]] inline std::uint64_t lines_before_byte(const Block& b, std::size_t pos) {
  const std::uint64_t below = (std::uint64_t{1} << (pos & 63)) - 1;
  return b.lines_before[pos / 64] + static_cast<std::uint64_t>(pop64<C>(b.newlines[pos / 64] & below));
}

// Where a block's reading gives back to the line reader: the first word of the last
// row read that starts a line, and how many defects were read before it.
struct SafeRow {
  std::size_t word;
  std::size_t defects;
};

// The end of read_rows, on every path: how many bytes of the block [p, p + n) the rows
// used and how many lines (lines_used, counted from first_line), once the rows are read.
// `whole`: every word read went into a whole row and the rows took all `words`; `stop`:
// where find_words stopped. All of the block when the scan reached its end; up to the start
// of the line that stopped the scan when the rows before it end on an earlier line; else
// back to the start of the line of `safe`, the last row that starts a line (the defects
// read from it on are dropped: the line reader reads those lines again).
template <class C>
[[gnu::always_inline]] inline std::size_t rows_used(const Block& b, const char* p, std::size_t n, std::size_t stop,
                                                    std::size_t words, bool whole, std::uint32_t total_lines,
                                                    std::uint64_t first_line, SafeRow safe,
                                                    std::vector<KlarfDefect>& out, std::uint64_t& lines_used) {
  const std::uint32_t* const idx = b.starts;
  auto line_at = [&](std::size_t pos) { return first_line + lines_before_byte<C>(b, pos); };
  if (whole && stop == n) {  // the whole block
    lines_used = total_lines;
    return n;
  }
  std::size_t used = 0;
  if (whole && (words == 0 || (stop < n && line_at(stop) > line_at(idx[words - 1])))) {
    // Whole rows up to a line before the one that stopped the scan: up to its start.
    used = stop;
    lines_used = line_at(stop) - first_line;
  } else {
    out.resize(safe.defects);
    used = safe.word < words ? idx[safe.word] : 0;
    lines_used = safe.word < words ? line_at(idx[safe.word]) - first_line : 0;
  }
  while (used > 0 && p[used - 1] != '\n') --used;
  return used;
}

#if defined(YF_KLARF_X86)
// The AVX-512 path (KlarfDefectBlockAvx512.cpp). read_rows (KlarfDefectBlock.cpp)
// for it: the same rows, values, line numbers and given-back rows, the columns
// converted 8 rows at a time.
std::size_t read_rows_avx512(const Block& b, const char* p, const char* e, std::uint64_t first_line,
                             std::int32_t test, std::vector<KlarfDefect>& out, std::uint64_t& lines_used);
// The AVX-512 path's die indices of words [0, words), 8 at a time while all 8 are
// plain: returns how many it took (a multiple of 8).
std::size_t die_indices_avx512(const char* p, const std::uint32_t* idx, std::size_t words, std::int64_t* out);
#endif

}  // namespace yf::import::klarf_block
