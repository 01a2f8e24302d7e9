#include "io/import/KlarfDefectBlock.hpp"

#include "core/SimdLevel.hpp"
#include "io/import/KlarfTokenizer.hpp"

#if defined(__x86_64__)  // (the SIMD paths use 64-bit moves)
#include <immintrin.h>
#define YF_KLARF_X86 1
#endif

#include <algorithm>
#include <atomic>
#include <bit>
#include <cstring>
#include <limits>
#include <utility>

namespace yf::import {

namespace {

std::atomic<KlarfBlockMode> g_mode{KlarfBlockMode::automatic};
std::atomic<std::uint64_t> g_rows{0};

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
constexpr DelimiterTable kDelimiters = make_delimiters();
[[gnu::always_inline]] inline bool delimiter(char c) { return kDelimiters.at[static_cast<unsigned char>(c)]; }
[[gnu::always_inline]] inline unsigned digit(char c) { return static_cast<unsigned>(static_cast<unsigned char>(c) - '0'); }

// The word at p as klarf_number / klarf_integer read it (the line reader's general
// path for a value its fast conversions do not take: long or odd numbers, "3.0" for
// an integer...): false when they give nothing, or when the word is cut by a byte
// outside the block's subset (the row is then given back anyway).
bool word_byte(char c) { return digit(c) < 10 || c == '.' || c == '-' || c == '+' || (c | 0x20) == 'e'; }
std::string_view word_at(const char* p) {
  const char* e = p;
  while (word_byte(*e)) ++e;
  return delimiter(*e) ? std::string_view(p, static_cast<std::size_t>(e - p)) : std::string_view();
}
[[gnu::noinline]] bool number_slow(const char* p, double& out) {
  const std::string_view w = word_at(p);
  const auto v = w.empty() ? std::nullopt : klarf_number(w);
  if (v) out = *v;
  return v.has_value();
}
[[gnu::noinline]] bool integer_slow(const char* p, std::int64_t& out) {
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
constexpr AlignTable kAlign = make_align_table();

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
constexpr NumberShape kNoShape = {{}, {}, {}, 0xFFFFFFFFu, 0xFFFFFFFFu, 0, 1, 0};

#if defined(YF_KLARF_X86)  // (the layouts serve the AVX2 paths only)
// The layout of the word at p (after its sign), when the shaped path can take it:
// 1-8 significand digits (a point only with digits after it), an optional exponent
// of 1-3 digits with an optional sign, at most 15 bytes, then a delimiter.
bool learn_shape(const char* p, NumberShape& s) {
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
[[gnu::target("avx2,bmi,bmi2,popcnt,lzcnt"), gnu::noinline]] bool number_learn(const char* w, const char* p,
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

template <class C>
[[gnu::always_inline]] inline std::size_t read_rows(const Block& b, const char* p, const char* e, std::uint64_t first_line,
                                                    std::int32_t test, std::vector<KlarfDefect>& out,
                                                    std::uint64_t& lines_used) {
  const std::size_t n = static_cast<std::size_t>(e - p);
  std::size_t stop = 0;
  std::uint32_t total_lines = 0;
  const std::size_t words = find_words<C>(p, n, b.starts, b.newlines, b.lines_before, stop, total_lines);
  const std::uint32_t* const idx = b.starts;
  auto line_at = [&](std::size_t pos) {
    const std::uint64_t below = (std::uint64_t{1} << (pos & 63)) - 1;
    return first_line + b.lines_before[pos / 64] + static_cast<std::uint64_t>(pop64<C>(b.newlines[pos / 64] & below));
  };
  // The last row seen that starts a line: where to give back to.
  struct Safe {
    std::size_t word;
    std::size_t defects;
  } safe{0, out.size()};
  const std::size_t count = b.count;
  std::size_t row = 0;  // first word of the row being read
  bool whole = true;    // every word read went into a whole row
  std::uint64_t prev_line = 0;
  while (row + count <= words) {
    const std::uint64_t line = line_at(idx[row]);
    if (row == 0 || line != prev_line) safe = {row, out.size()};
    KlarfDefect& d = out.emplace_back();
    d.line = line;
    d.test = test;
    std::size_t shift = 0;  // image list entries before the current column
    // Every op runs (a failed one only makes the row given back: one test per row,
    // not one per op); the image count moves the later columns only when the row's
    // words are in the block, so every word read is one of the block's.
    bool ok = true;
    for (const KlarfDefectBlock::Op* op = b.ops; op != b.ops_end; ++op) {
      const char* w = p + idx[row + op->col + shift];
      std::int64_t i = 0;
      double x = 0;
      switch (op->role) {
        case DefectColumns::xrel_: ok &= column_number<C>(w, op->shapes, d.xrel); break;
        case DefectColumns::yrel_: ok &= column_number<C>(w, op->shapes, d.yrel); break;
        case DefectColumns::xindex_:
          ok &= integer_of<C>(w, i) && i >= -1000000 && i <= 1000000;
          d.xindex = i;
          break;
        case DefectColumns::yindex_:
          ok &= integer_of<C>(w, i) && i >= -1000000 && i <= 1000000;
          d.yindex = i;
          break;
        case DefectColumns::dsize_:
          ok &= column_number<C>(w, op->shapes, x);
          d.size = x;
          break;
        case DefectColumns::area_:
          ok &= column_number<C>(w, op->shapes, x);
          d.area = x;
          break;
        case DefectColumns::xsize_:
          ok &= column_number<C>(w, op->shapes, x);
          d.xsize = x;
          break;
        case DefectColumns::ysize_:
          ok &= column_number<C>(w, op->shapes, x);
          d.ysize = x;
          break;
        case DefectColumns::class_:
          ok &= integer_of<C>(w, i) && i >= std::numeric_limits<std::int32_t>::min() &&
                i <= std::numeric_limits<std::int32_t>::max();
          d.class_number = static_cast<std::int32_t>(i);
          break;
        case DefectColumns::test_:
          ok &= integer_of<C>(w, i) && i >= std::numeric_limits<std::int32_t>::min() &&
                i <= std::numeric_limits<std::int32_t>::max();
          d.test = static_cast<std::int32_t>(i);
          break;
        case DefectColumns::image_: {
          // The image count decides where the next row starts: no images (the
          // usual case) tested first by itself, a branch the CPU predicts, so the
          // next row does not wait for this word's bytes; else the usual one digit
          // read straight, off the conversion's longer dependency chain.
          if (w[0] == '0' && delimiter(w[1])) [[likely]] break;
          bool image_ok = true;
          if (digit(w[0]) < 10 && delimiter(w[1])) i = digit(w[0]);
          else image_ok = integer_of<C>(w, i) && i >= 0 && i <= 100000;
          if (image_ok && i > 0) {
            if (row + count + 2 * static_cast<std::size_t>(i) <= words) shift = 2 * static_cast<std::size_t>(i);
            else image_ok = false;  // the row goes on past the block
          }
          ok &= image_ok;
          break;
        }
        default: break;
      }
    }
    if (!ok) {
      out.pop_back();
      whole = false;
      break;
    }
    row += count + shift;
    prev_line = line_at(idx[row - 1]);
  }
  if (row != words) whole = false;
  std::size_t used = 0;
  if (whole && stop == n) {  // the whole block
    lines_used = total_lines;
    return n;
  }
  if (whole && words > 0 && stop < n && line_at(stop) > prev_line) {
    // Whole rows up to a line before the one that stopped the scan: up to its start.
    used = stop;
    lines_used = line_at(stop) - first_line;
  } else if (whole && words == 0) {
    used = stop;
    lines_used = line_at(stop) - first_line;
  } else {
    // Back to the start of the line of the last row that starts a line.
    out.resize(safe.defects);
    used = safe.word < words ? idx[safe.word] : 0;
    lines_used = safe.word < words ? line_at(idx[safe.word]) - first_line : 0;
  }
  while (used > 0 && p[used - 1] != '\n') --used;
  return used;
}

#if defined(YF_KLARF_X86)
// The AVX-512 path's die indices of words [0, words), 8 at a time while all 8 are
// plain (below): returns how many it took (a multiple of 8).
std::size_t die_indices_avx512(const char* p, const std::uint32_t* idx, std::size_t words, std::int64_t* out);
#endif

// A flat list of die indices (SampleTestPlan): every word one value.
template <class C>
[[gnu::always_inline]] inline std::size_t read_ints(const Block& b, const char* p, const char* e,
                                                    std::vector<std::int64_t>& out, std::uint64_t& lines_used) {
  const std::size_t n = static_cast<std::size_t>(e - p);
  std::size_t stop = 0;
  std::uint32_t total_lines = 0;
  const std::size_t words = find_words<C>(p, n, b.starts, b.newlines, b.lines_before, stop, total_lines);
  const std::uint32_t* const idx = b.starts;
  auto line_at = [&](std::size_t pos) {
    const std::uint64_t below = (std::uint64_t{1} << (pos & 63)) - 1;
    return b.lines_before[pos / 64] + static_cast<std::uint64_t>(pop64<C>(b.newlines[pos / 64] & below));
  };
  const std::size_t before = out.size();
  out.resize(before + words);
  std::int64_t* const o = out.data() + before;
  std::size_t k = 0;
#if defined(YF_KLARF_X86)
  if constexpr (C::kCompress) k = die_indices_avx512(p, idx, words, o);
#endif
  for (; k < words; ++k) {
    std::int64_t v = 0;
    if (!integer_of<C>(p + idx[k], v) || v < -1000000 || v > 1000000) break;
    o[k] = v;
  }
  if (k == words && stop == n) {
    lines_used = total_lines;
    return n;
  }
  // Up to the start of the line that stopped the scan or holds the value not taken;
  // the values before it on that line are left to the line reader too.
  const std::size_t at = k < words ? idx[k] : stop;
  const std::uint64_t line = line_at(at);
  while (k > 0 && line_at(idx[k - 1]) == line) --k;
  out.resize(before + k);
  std::size_t used = at;
  while (used > 0 && p[used - 1] != '\n') --used;
  lines_used = line;
  return used;
}

#if defined(YF_KLARF_X86)
[[gnu::target("avx2,bmi,bmi2,popcnt,lzcnt")]] std::size_t read_ints_avx2(const Block& b, const char* p, const char* e,
                                                                         std::vector<std::int64_t>& out,
                                                                         std::uint64_t& lines) {
  return read_ints<Avx2>(b, p, e, out, lines);
}
[[gnu::target(YF_KLARF_AVX512)]] std::size_t read_ints_avx512(const Block& b, const char* p, const char* e,
                                                         std::vector<std::int64_t>& out, std::uint64_t& lines) {
  return read_ints<Avx512>(b, p, e, out, lines);
}
#endif
std::size_t read_ints_portable(const Block& b, const char* p, const char* e, std::vector<std::int64_t>& out,
                               std::uint64_t& lines) {
  return read_ints<Portable>(b, p, e, out, lines);
}

#if defined(YF_KLARF_X86)
// The AVX-512 path converts a column at a time for 8 rows at once instead of a row
// at a time: the rows of up to kGroup at a time are first cut (their first word,
// image-list shift and line), then each converted column takes 8 rows' words in
// vector registers (gathered by their offsets), checks them and converts them
// together - the sign, digit-run and delimiter tests, the layout check, the shuffle
// and multiply-adds, the power of ten and the one IEEE operation shared by 8
// values - and stores them into the group's KlarfDefects (in L1: kGroup rows). The
// arithmetic is that of integer_at_avx2 and shaped_number, so the same values; a
// lane it does not take (another layout, a longer integer, an odd word) goes through
// the per-word conversion of the AVX2 path (integer_of / column_number), and a row
// whose word that declines too ends the rows read, as in read_rows.
constexpr int kGroup = 64;

// GCC 12 takes the "undefined" source operand of the unmasked AVX-512 intrinsics
// (every lane is written) for an uninitialised read once they are inlined here.
#if defined(__GNUC__) && !defined(__clang__)
#pragma GCC diagnostic push
#pragma GCC diagnostic ignored "-Wmaybe-uninitialized"
#endif

// 8 words' signs ('+', then '-', as integer_at skips them) from their first 8
// bytes q: the bytes after the signs (zeros shifted in), the lanes with '-', the
// bytes skipped (0, 1 or 2) per lane.
struct Signed8 {
  __m512i bytes;
  __mmask8 neg;
  __m512i skip;
};
[[gnu::target(YF_KLARF_AVX512), gnu::always_inline]] inline Signed8 signs8(__m512i q) {
  const __m512i ff = _mm512_set1_epi64(0xFF);
  const __m512i b0 = _mm512_and_si512(q, ff);
  const __m512i b1 = _mm512_and_si512(_mm512_srli_epi64(q, 8), ff);
  const __mmask8 plus = _mm512_cmpeq_epi64_mask(b0, _mm512_set1_epi64('+'));
  const __mmask8 neg = _mm512_cmpeq_epi64_mask(_mm512_mask_mov_epi64(b0, plus, b1), _mm512_set1_epi64('-'));
  __m512i skip = _mm512_maskz_mov_epi64(plus, _mm512_set1_epi64(1));
  skip = _mm512_mask_add_epi64(skip, neg, skip, _mm512_set1_epi64(1));
  return {_mm512_srlv_epi64(q, _mm512_slli_epi64(skip, 3)), neg, skip};
}

// The digit runs of 8 words (their bytes after the sign): up to 6 digits then a
// delimiter, as integer_at_avx2 takes them (a word longer than the 8 bytes ends in a
// shifted-in zero, not a delimiter, and goes the per-word way). Returns the lanes
// taken; their magnitudes in `mag`.
[[gnu::target(YF_KLARF_AVX512), gnu::always_inline]] inline __mmask8 digit_runs8(__m512i bytes, __m512i& mag) {
  const __m512i t = _mm512_sub_epi8(bytes, _mm512_set1_epi8('0'));
  const __mmask64 digits = _mm512_cmple_epu8_mask(t, _mm512_set1_epi8(9));
  // The digit run of each lane: the bytes below its first non-digit byte.
  const __m512i nd = _mm512_movm_epi8(~digits);
  const __m512i low = _mm512_and_si512(nd, _mm512_sub_epi64(_mm512_setzero_si512(), nd));
  const __m512i keep = _mm512_sub_epi64(low, _mm512_set1_epi64(1));  // all ones when 8 digits
  const __m512i len = _mm512_sad_epu8(_mm512_and_si512(keep, _mm512_set1_epi8(1)), _mm512_setzero_si512());
  const __m512i bits = _mm512_slli_epi64(len, 3);
  const __m512i after = _mm512_and_si512(_mm512_srlv_epi64(bytes, bits), _mm512_set1_epi64(0xFF));
  const __mmask8 delim = _mm512_cmpeq_epi64_mask(after, _mm512_set1_epi64(' ')) |
                         _mm512_cmpeq_epi64_mask(after, _mm512_set1_epi64('\n')) |
                         _mm512_cmpeq_epi64_mask(after, _mm512_set1_epi64('\t')) |
                         _mm512_cmpeq_epi64_mask(after, _mm512_set1_epi64('\r'));
  const __mmask8 ok = delim & _mm512_cmpge_epu64_mask(len, _mm512_set1_epi64(1)) &
                      _mm512_cmple_epu64_mask(len, _mm512_set1_epi64(6));
  // The digits right-aligned in the 8 bytes (zeros before them), then summed in
  // pairs, quads and the eight.
  const __m512i aligned = _mm512_sllv_epi64(_mm512_and_si512(t, keep), _mm512_sub_epi64(_mm512_set1_epi64(64), bits));
  __m512i v = _mm512_maddubs_epi16(aligned, _mm512_set1_epi16(0x010A));
  v = _mm512_madd_epi16(v, _mm512_set1_epi32(0x00010064));
  mag = _mm512_add_epi64(_mm512_mul_epu32(v, _mm512_set1_epi64(10000)), _mm512_srli_epi64(v, 32));
  return ok;
}

// 8 integers (die indices, classes, tests) of up to 6 digits, as integer_at_avx2
// reads them. Returns the lanes taken; their values in `out`.
[[gnu::target(YF_KLARF_AVX512), gnu::always_inline]] inline __mmask8 integers8(const char* p, __m256i off,
                                                                             std::int64_t* out) {
  const Signed8 w = signs8(_mm512_i32gather_epi64(off, p, 1));
  __m512i v;
  const __mmask8 ok = digit_runs8(w.bytes, v);
  _mm512_storeu_si512(out, _mm512_mask_sub_epi64(v, w.neg, _mm512_setzero_si512(), v));
  return ok;
}

// (Declared above.) 8 words at a time by integers8 - up to 6 digits, so within the
// die index range - until a group of 8 has a word it does not take: the line
// reader's values, the rest left to integer_of one by one.
[[gnu::target(YF_KLARF_AVX512)]] std::size_t die_indices_avx512(const char* p, const std::uint32_t* idx, std::size_t words,
                                                               std::int64_t* out) {
  std::size_t k = 0;
  for (; k + 8 <= words; k += 8) {
    // (a group it stops at is written over by the per-word reading)
    if (integers8(p, _mm256_loadu_si256(reinterpret_cast<const __m256i*>(idx + k)), out + k) != 0xFF) break;
  }
  return k;
}

// 16 integers of up to 3 digits, from each word's first 4 bytes ([+][-]digits then
// a delimiter within them, as integer_at_avx2 reads it): die indices, classes and
// tests usually are, and one gather of 4 bytes serves 16 rows. Returns the lanes
// taken; their values in `out`.
[[gnu::target(YF_KLARF_AVX512), gnu::always_inline]] inline __mmask16 short_integers16(const char* p, __m512i off,
                                                                                     std::int32_t* out) {
  const __m512i x = _mm512_i32gather_epi32(off, p, 1);
  const __m512i ff = _mm512_set1_epi32(0xFF);
  const __m512i b0 = _mm512_and_si512(x, ff);
  const __m512i b1 = _mm512_and_si512(_mm512_srli_epi32(x, 8), ff);
  const __mmask16 plus = _mm512_cmpeq_epi32_mask(b0, _mm512_set1_epi32('+'));
  const __mmask16 neg = _mm512_cmpeq_epi32_mask(_mm512_mask_mov_epi32(b0, plus, b1), _mm512_set1_epi32('-'));
  __m512i skip = _mm512_maskz_mov_epi32(plus, _mm512_set1_epi32(8));
  skip = _mm512_mask_add_epi32(skip, neg, skip, _mm512_set1_epi32(8));
  const __m512i bytes = _mm512_srlv_epi32(x, skip);
  const __m512i t = _mm512_sub_epi8(bytes, _mm512_set1_epi8('0'));
  const __m512i nd = _mm512_movm_epi8(~_mm512_cmple_epu8_mask(t, _mm512_set1_epi8(9)));
  const __m512i keep = _mm512_sub_epi32(_mm512_and_si512(nd, _mm512_sub_epi32(_mm512_setzero_si512(), nd)),
                                        _mm512_set1_epi32(1));  // the digit run's bytes
  // 8 x the run's length: the count of its bytes, summed by one multiplication.
  const __m512i bits = _mm512_srli_epi32(
      _mm512_mullo_epi32(_mm512_and_si512(keep, _mm512_set1_epi32(0x01010101)), _mm512_set1_epi32(0x08080808)), 24);
  const __m512i after = _mm512_and_si512(_mm512_srlv_epi32(bytes, bits), ff);
  const __mmask16 ok = (_mm512_cmpeq_epi32_mask(after, _mm512_set1_epi32(' ')) |
                        _mm512_cmpeq_epi32_mask(after, _mm512_set1_epi32('\n')) |
                        _mm512_cmpeq_epi32_mask(after, _mm512_set1_epi32('\t')) |
                        _mm512_cmpeq_epi32_mask(after, _mm512_set1_epi32('\r'))) &
                       _mm512_cmpneq_epi32_mask(bits, _mm512_setzero_si512());
  const __m512i aligned =
      _mm512_sllv_epi32(_mm512_and_si512(t, keep), _mm512_sub_epi32(_mm512_set1_epi32(32), bits));
  __m512i v = _mm512_maddubs_epi16(aligned, _mm512_set1_epi16(0x010A));
  v = _mm512_madd_epi16(v, _mm512_set1_epi32(0x00010064));
  _mm512_storeu_si512(out, _mm512_mask_sub_epi32(v, neg, _mm512_setzero_si512(), v));
  return ok;
}

// A NumberShape as the 4 lanes of a register hold it.
struct Shape4 {
  __m512i ctrl, orv, fixed;
  std::uint64_t care, digits, fixed_bits, end;
  int frac, esign;
};
[[gnu::target(YF_KLARF_AVX512), gnu::always_inline]] inline Shape4 shape4(const NumberShape& s) {
  constexpr std::uint64_t kRep = 0x0001000100010001ULL;  // a 16-bit lane mask in each of 4 lanes
  Shape4 r;
  r.ctrl = _mm512_broadcast_i32x4(_mm_load_si128(reinterpret_cast<const __m128i*>(s.ctrl)));
  r.orv = _mm512_broadcast_i32x4(_mm_load_si128(reinterpret_cast<const __m128i*>(s.orv)));
  r.fixed = _mm512_broadcast_i32x4(_mm_load_si128(reinterpret_cast<const __m128i*>(s.fixed)));
  r.care = (s.mask & 0xFFFFu) * kRep;
  r.digits = (s.want & 0xFFFFu) * kRep;
  r.fixed_bits = (s.mask >> 16) * kRep;  // (want's fixed bits are the mask's)
  r.end = (std::uint64_t{1} << (s.len & 15)) * kRep;
  r.frac = s.frac;
  r.esign = s.esign;
  return r;
}

// 4 words (16 bytes each, one per 128-bit lane) in layout s: the lanes that have it
// (4 bits) and, per lane, the significand in dword 0 and the exponent in dword 1.
[[gnu::target(YF_KLARF_AVX512), gnu::always_inline]] inline unsigned shaped4(__m512i x, const Shape4& s, __m512i& v) {
  const __m512i t = _mm512_sub_epi8(x, _mm512_set1_epi8('0'));
  const std::uint64_t dm = _mm512_cmple_epu8_mask(t, _mm512_set1_epi8(9));
  const std::uint64_t fm = _mm512_cmpeq_epi8_mask(_mm512_or_si512(x, s.orv), s.fixed);
  const std::uint64_t dl = _mm512_cmpeq_epi8_mask(x, _mm512_set1_epi8(' ')) | _mm512_cmpeq_epi8_mask(x, _mm512_set1_epi8('\n')) |
                           _mm512_cmpeq_epi8_mask(x, _mm512_set1_epi8('\t')) | _mm512_cmpeq_epi8_mask(x, _mm512_set1_epi8('\r'));
  std::uint64_t bad = ((dm ^ s.digits) & s.care) | ((fm ^ s.fixed_bits) & s.fixed_bits) | (~dl & s.end);
  // Bit 16k: any bad bit in lane k.
  bad |= bad >> 8, bad |= bad >> 4, bad |= bad >> 2, bad |= bad >> 1;
  v = _mm512_shuffle_epi8(t, s.ctrl);
  v = _mm512_maddubs_epi16(v, _mm512_set1_epi16(0x010A));
  v = _mm512_madd_epi16(v, _mm512_set1_epi32(0x00010064));
  v = _mm512_packs_epi32(v, v);
  v = _mm512_madd_epi16(v, _mm512_set1_epi32(0x00012710));
  return static_cast<unsigned>(~_pext_u64(bad, 0x0001000100010001ULL)) & 0xFu;
}

// 8 numbers in layout s (the words' 16 bytes after their signs in x0: lanes 0, 2,
// 4, 6 and x1: lanes 1, 3, 5, 7): the lanes taken, their doubles in `out` - the
// significand, power of ten and single multiplication or division of shaped_number.
[[gnu::target(YF_KLARF_AVX512), gnu::always_inline]] inline __mmask8 shaped8(__m512i x0, __m512i x1, __mmask8 neg,
                                                                           const Shape4& s, double* out) {
  static constexpr double kPow10[24] = {1e0,  1e1,  1e2,  1e3,  1e4,  1e5,  1e6,  1e7,  1e8,  1e9,  1e10, 1e11,
                                        1e12, 1e13, 1e14, 1e15, 1e16, 1e17, 1e18, 1e19, 1e20, 1e21, 1e22, 1e22};
  __m512i v0, v1;
  const unsigned ok0 = shaped4(x0, s, v0), ok1 = shaped4(x1, s, v1);
  const __mmask8 shaped = static_cast<__mmask8>(_pdep_u32(ok0, 0x55) | _pdep_u32(ok1, 0xAA));
  // Dwords 0-7: the significands of lanes 0-7; 8-15: their exponents.
  const __m512i order = _mm512_setr_epi32(0, 16, 4, 20, 8, 24, 12, 28, 1, 17, 5, 21, 9, 25, 13, 29);
  const __m512i me = _mm512_permutex2var_epi32(v0, order, v1);
  const __m256i m = _mm512_castsi512_si256(me);
  __m256i e = _mm512_extracti64x4_epi64(me, 1);
  if (s.esign < 0) e = _mm256_sub_epi32(_mm256_setzero_si256(), e);
  const __m256i pow = _mm256_sub_epi32(e, _mm256_set1_epi32(s.frac));
  // A significand other than 0 with a power of ten beyond 22 is not exact.
  const __m256i out_of_range = _mm256_andnot_si256(
      _mm256_cmpeq_epi32(m, _mm256_setzero_si256()),
      _mm256_or_si256(_mm256_cmpgt_epi32(pow, _mm256_set1_epi32(22)), _mm256_cmpgt_epi32(_mm256_set1_epi32(-22), pow)));
  const auto bad = static_cast<__mmask8>(_mm256_movemask_ps(_mm256_castsi256_ps(out_of_range)));
  const __m512i at = _mm512_cvtepu32_epi64(_mm256_min_epu32(_mm256_abs_epi32(pow), _mm256_set1_epi32(22)));
  const __m512d lo = _mm512_permutex2var_pd(_mm512_loadu_pd(kPow10), at, _mm512_loadu_pd(kPow10 + 8));
  const __m512d hi = _mm512_permutexvar_pd(at, _mm512_loadu_pd(kPow10 + 16));
  const __m512d ten = _mm512_mask_mov_pd(lo, _mm512_cmpge_epu64_mask(at, _mm512_set1_epi64(16)), hi);
  const __m512d r = _mm512_cvtepi32_pd(m);
  const auto up = static_cast<__mmask8>(
      ~_mm256_movemask_ps(_mm256_castsi256_ps(_mm256_cmpgt_epi32(_mm256_setzero_si256(), pow))));
  // (a column's powers usually all have one sign: one of the two operations then)
  __m512d value = up == 0xFF ? _mm512_mul_pd(r, ten)
                  : up == 0  ? _mm512_div_pd(r, ten)
                             : _mm512_mask_mul_pd(_mm512_div_pd(r, ten), up, r, ten);
  value = _mm512_castsi512_pd(
      _mm512_mask_xor_epi64(_mm512_castpd_si512(value), neg, _mm512_castpd_si512(value), _mm512_set1_epi64(INT64_MIN)));
  _mm512_storeu_pd(out, value);
  return static_cast<__mmask8>(shaped & ~bad);
}

// 16-byte lanes moved down by `skip` bytes (the low byte of each lane's qwords),
// zeros shifted in.
[[gnu::target(YF_KLARF_AVX512), gnu::always_inline]] inline __m512i past_sign(__m512i x, __m512i skip) {
  const __m512i iota = _mm512_broadcast_i32x4(_mm_setr_epi8(0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15));
  const __m512i at = _mm512_add_epi8(iota, _mm512_shuffle_epi8(skip, _mm512_setzero_si512()));
  return _mm512_shuffle_epi8(
      x, _mm512_mask_mov_epi8(at, _mm512_cmpgt_epu8_mask(at, _mm512_set1_epi8(15)), _mm512_set1_epi8(static_cast<char>(0x80))));
}

// 8 words of a number column: their doubles in `out`, by the column's first
// layout, then (for the lanes left) as plain integers - a column written "%u" has
// words of 1 and 2 digits - then by its second layout (which becomes the first when
// it took more of the 8). Returns the lanes taken.
[[gnu::target(YF_KLARF_AVX512), gnu::always_inline]] inline __mmask8 numbers8(const char* p, __m256i off,
                                                                            NumberShape* shapes, double* out) {
  const __m512i lo = _mm512_i32gather_epi64(off, p, 1);
  const __m512i hi = _mm512_i32gather_epi64(off, p + 8, 1);
  const Signed8 w = signs8(lo);
  __m512i x0 = _mm512_unpacklo_epi64(lo, hi), x1 = _mm512_unpackhi_epi64(lo, hi);
  if (_mm512_test_epi64_mask(w.skip, w.skip)) {
    // Each 16-byte lane moved down past its word's signs (zeros shifted in).
    x0 = past_sign(x0, _mm512_unpacklo_epi64(w.skip, w.skip));
    x1 = past_sign(x1, _mm512_unpackhi_epi64(w.skip, w.skip));
  }
  const __mmask8 first = shaped8(x0, x1, w.neg, shape4(shapes[0]), out);
  if (first == 0xFF) return first;
  __m512i mag;
  const auto plain = static_cast<__mmask8>(digit_runs8(w.bytes, mag) & ~first);
  if (plain) {
    // m digits, no point, no exponent: m * 10^0, the sign flipped (so "-0" is -0.0).
    __m512d v = _mm512_cvtepi32_pd(_mm512_cvtepi64_epi32(mag));  // below 10^6
    v = _mm512_castsi512_pd(
        _mm512_mask_xor_epi64(_mm512_castpd_si512(v), w.neg, _mm512_castpd_si512(v), _mm512_set1_epi64(INT64_MIN)));
    _mm512_mask_storeu_pd(out, plain, v);
  }
  const auto done = static_cast<__mmask8>(first | plain);
  if (done == 0xFF) return done;
  alignas(64) double second[8];
  const __mmask8 other = static_cast<__mmask8>(shaped8(x0, x1, w.neg, shape4(shapes[1]), second) & ~done);
  if (other == 0) return done;
  for (unsigned k = other; k; k &= k - 1) out[std::countr_zero(k)] = second[std::countr_zero(k)];
  if (std::popcount(static_cast<unsigned>(other)) > std::popcount(static_cast<unsigned>(first)))
    std::swap(shapes[0], shapes[1]);
  return static_cast<__mmask8>(done | other);
}

// Rows c..c+7 of the offset rows (16 per row: the converted columns' word offsets)
// into the columns' offset lists at c: an 8 x 16 transpose (unpacks within 128-bit
// lanes, then one two-source permutation per two columns).
[[gnu::target(YF_KLARF_AVX512), gnu::always_inline]] inline void transpose_offsets(const std::uint32_t* m,
                                                                                  std::uint32_t (*offs)[kGroup + 8],
                                                                                  int nops, int c) {
  __m512i r[8], t[8], u[8];
  for (int k = 0; k < 8; ++k) r[k] = _mm512_load_si512(m + 16 * k);
  for (int k = 0; k < 8; k += 2) t[k] = _mm512_unpacklo_epi32(r[k], r[k + 1]), t[k + 1] = _mm512_unpackhi_epi32(r[k], r[k + 1]);
  // u[m] (m < 4): columns m, m + 4, m + 8, m + 12 of rows 0-3 (one per 128-bit lane); u[m + 4]: rows 4-7.
  for (int h = 0; h < 8; h += 4) {
    u[h] = _mm512_unpacklo_epi64(t[h], t[h + 2]);
    u[h + 1] = _mm512_unpackhi_epi64(t[h], t[h + 2]);
    u[h + 2] = _mm512_unpacklo_epi64(t[h + 1], t[h + 3]);
    u[h + 3] = _mm512_unpackhi_epi64(t[h + 1], t[h + 3]);
  }
  const __m512i first = _mm512_setr_epi64(0, 1, 8, 9, 2, 3, 10, 11), second = _mm512_setr_epi64(4, 5, 12, 13, 6, 7, 14, 15);
  alignas(64) std::uint32_t cols[16][16];  // [q]: columns q, q + 4 (a); [q + 4]: q + 8, q + 12 (b)
  for (int q = 0; q < 4 && q < nops; ++q) {
    _mm512_store_si512(cols[q], _mm512_permutex2var_epi64(u[q], first, u[q + 4]));
    if (q + 8 < nops) _mm512_store_si512(cols[q + 4], _mm512_permutex2var_epi64(u[q], second, u[q + 4]));
  }
  for (int j = 0; j < nops; ++j)
    _mm256_store_si256(reinterpret_cast<__m256i*>(offs[j] + c),
                       _mm256_load_si256(reinterpret_cast<const __m256i*>(cols[(j & 3) + 4 * (j >> 3)] + 8 * ((j >> 2) & 1))));
}

// The values of one converted column (op) for the group's n rows (its words' byte
// offsets `offs`, 8 more than n readable) into defects d[0..n). Returns the first
// row whose value the per-word conversion declines too (n when none).
[[gnu::target(YF_KLARF_AVX512)]] int convert_column(const KlarfDefectBlock::Op& op, const char* p,
                                                    const std::uint32_t* offs, int n, KlarfDefect* d) {
  const DefectColumns::Role role = op.role;
  const bool number = role == DefectColumns::xrel_ || role == DefectColumns::yrel_ || role == DefectColumns::dsize_ ||
                      role == DefectColumns::area_ || role == DefectColumns::xsize_ || role == DefectColumns::ysize_;
  for (int c = 0; c < n; c += 8) {
    KlarfDefect* const row = d + c;
    if (!number && n - c >= 16) {
      // 16 short integers at once when all 16 are; else 8 at a time below.
      alignas(64) std::int32_t v[16];
      if (short_integers16(p, _mm512_loadu_si512(offs + c), v) == 0xFFFF) {
        switch (role) {
          case DefectColumns::xindex_: for (int k = 0; k < 16; ++k) row[k].xindex = v[k]; break;
          case DefectColumns::yindex_: for (int k = 0; k < 16; ++k) row[k].yindex = v[k]; break;
          case DefectColumns::class_: for (int k = 0; k < 16; ++k) row[k].class_number = v[k]; break;
          default: for (int k = 0; k < 16; ++k) row[k].test = v[k]; break;
        }
        c += 8;
        continue;
      }
    }
    const __m256i off = _mm256_load_si256(reinterpret_cast<const __m256i*>(offs + c));
    int live = std::min(8, n - c);
    if (number) {
      alignas(64) double v[8];
      unsigned miss = static_cast<unsigned>(~numbers8(p, off, op.shapes, v)) & ((1u << live) - 1);
      for (; miss; miss &= miss - 1) {
        const int k = std::countr_zero(miss);
        if (!column_number<Avx512>(p + offs[c + k], op.shapes, v[k])) {
          live = k;  // the rows before it keep their values
          break;
        }
      }
      switch (role) {
        case DefectColumns::xrel_: for (int k = 0; k < live; ++k) row[k].xrel = v[k]; break;
        case DefectColumns::yrel_: for (int k = 0; k < live; ++k) row[k].yrel = v[k]; break;
        case DefectColumns::dsize_: for (int k = 0; k < live; ++k) row[k].size = v[k]; break;
        case DefectColumns::area_: for (int k = 0; k < live; ++k) row[k].area = v[k]; break;
        case DefectColumns::xsize_: for (int k = 0; k < live; ++k) row[k].xsize = v[k]; break;
        default: for (int k = 0; k < live; ++k) row[k].ysize = v[k]; break;
      }
    } else {
      alignas(64) std::int64_t v[8];
      unsigned miss = static_cast<unsigned>(~integers8(p, off, v)) & ((1u << live) - 1);
      const bool die = role == DefectColumns::xindex_ || role == DefectColumns::yindex_;
      for (; miss; miss &= miss - 1) {
        const int k = std::countr_zero(miss);
        std::int64_t i = 0;
        const bool ok = integer_of<Avx512>(p + offs[c + k], i) &&
                        (die ? i >= -1000000 && i <= 1000000
                             : i >= std::numeric_limits<std::int32_t>::min() && i <= std::numeric_limits<std::int32_t>::max());
        if (!ok) {
          live = k;
          break;
        }
        v[k] = i;
      }
      switch (role) {
        case DefectColumns::xindex_: for (int k = 0; k < live; ++k) row[k].xindex = v[k]; break;
        case DefectColumns::yindex_: for (int k = 0; k < live; ++k) row[k].yindex = v[k]; break;
        case DefectColumns::class_:
          for (int k = 0; k < live; ++k) row[k].class_number = static_cast<std::int32_t>(v[k]);
          break;
        default: for (int k = 0; k < live; ++k) row[k].test = static_cast<std::int32_t>(v[k]); break;
      }
    }
    if (live < std::min(8, n - c)) return c + live;
  }
  return n;
}

// read_rows for the AVX-512 path: the same rows, values, line numbers and given-back
// rows, the columns converted 8 rows at a time (above).
[[gnu::target(YF_KLARF_AVX512)]] std::size_t read_rows_avx512(const Block& b, const char* p, const char* e,
                                                         std::uint64_t first_line, std::int32_t test,
                                                         std::vector<KlarfDefect>& out, std::uint64_t& lines_used) {
  using C = Avx512;
  const std::size_t n = static_cast<std::size_t>(e - p);
  std::size_t stop = 0;
  std::uint32_t total_lines = 0;
  const std::size_t words = find_words<C>(p, n, b.starts, b.newlines, b.lines_before, stop, total_lines);
  const std::uint32_t* const idx = b.starts;
  auto line_at = [&](std::size_t pos) {
    const std::uint64_t below = (std::uint64_t{1} << (pos & 63)) - 1;
    return first_line + b.lines_before[pos / 64] + static_cast<std::uint64_t>(pop64<C>(b.newlines[pos / 64] & below));
  };
  // Where to give back to (read_rows' Safe): the last row read that starts a line -
  // found when needed, looking back from the row that ended the reading, not kept
  // up to date row by row. `safe` holds it as of the end of the previous groups.
  struct Safe {
    std::size_t word;
    std::size_t defects;
  } safe{0, out.size()};
  alignas(32) std::uint32_t rs[kGroup + 8], sh[kGroup + 8];
  auto starts_line = [&](std::size_t w) { return w == 0 || line_at(idx[w]) != line_at(idx[w - 1]); };
  // The Safe in force when row f of the group (first word rw; rs[] before it) is read.
  auto safe_at = [&](int f, std::size_t rw, std::size_t first) -> Safe {
    for (int j = f; j >= 0; --j) {
      const std::size_t w = j == f ? rw : rs[j];
      if (starts_line(w)) return {w, first + static_cast<std::size_t>(j)};
    }
    return safe;
  };
  const std::size_t count = b.count;
  const int image_col = b.image_col;
  // The converted columns (all but the image list), their column numbers in one
  // register and which of them come after the image list (the image entries move
  // them). With all of them among a row's first 16 words (small), each row's
  // offsets come from one permutation of its word offsets (mat), transposed.
  const KlarfDefectBlock::Op* conv[16];
  int nops = 0;
  alignas(64) std::uint32_t colv[16] = {};
  __mmask16 after_mask = 0;
  bool small = true;
  for (const KlarfDefectBlock::Op* op = b.ops; op != b.ops_end; ++op) {
    if (op->role == DefectColumns::image_) continue;
    if (image_col >= 0 && static_cast<int>(op->col) > image_col) after_mask = static_cast<__mmask16>(after_mask | (1u << nops));
    small = small && op->col < 16;
    colv[nops] = op->col;
    conv[nops++] = op;
  }
  const __m512i cols = _mm512_load_si512(colv);
  alignas(64) std::uint32_t mat[16 * (kGroup + 8)];
  alignas(64) std::uint32_t offs[16][kGroup + 8];
  std::size_t row = 0;
  bool whole = true;
  while (whole && row + count <= words) {
    // The group's rows cut: first word, image-list shift, line (read_rows' order of
    // tests; a bad image count ends the rows there).
    const std::size_t first = out.size();
    out.resize(first + kGroup);
    KlarfDefect* const d = out.data() + first;
    int g = 0;
    std::size_t r = row;
    while (g < kGroup && r + count <= words) {
      std::size_t shift = 0;
      if (image_col >= 0) {
        // No images (the usual case) is tested first by itself, with a branch the
        // CPU predicts: the next row's start then does not wait for this word's
        // bytes (a chain of two loads per row otherwise).
        const char* w = p + idx[r + static_cast<std::size_t>(image_col)];
        if (!(w[0] == '0' && delimiter(w[1]))) [[unlikely]] {
          std::int64_t i = 0;
          bool image_ok = true;
          if (digit(w[0]) < 10 && delimiter(w[1])) i = digit(w[0]);
          else image_ok = integer_of<C>(w, i) && i >= 0 && i <= 100000;
          if (image_ok && i > 0) {
            if (r + count + 2 * static_cast<std::size_t>(i) <= words) shift = 2 * static_cast<std::size_t>(i);
            else image_ok = false;  // the row goes on past the block
          }
          if (!image_ok) {
            safe = safe_at(g, r, first);
            whole = false;
            break;
          }
        }
      }
      if (small) {
        __m512i o = _mm512_permutexvar_epi32(cols, _mm512_loadu_si512(idx + r));
        if (shift) o = _mm512_mask_permutexvar_epi32(o, after_mask, cols, _mm512_loadu_si512(idx + r + shift));
        _mm512_store_si512(mat + 16 * g, o);
      }
      rs[g] = static_cast<std::uint32_t>(r);
      sh[g] = static_cast<std::uint32_t>(shift);
      d[g].line = line_at(idx[r]);
      d[g].test = test;
      ++g;
      r += count + shift;
    }
    // Each converted column's word offsets for the group's rows (and 8 more, valid):
    // the rows' offset rows transposed 8 at a time, or (a column past the 16th)
    // gathered.
    const int chunks = (g + 7) / 8;
    for (int k = g; k < 8 * chunks; ++k) rs[k] = rs[0], sh[k] = 0;
    if (small) {
      for (int k = g; k < 8 * chunks; ++k) _mm512_store_si512(mat + 16 * k, _mm512_load_si512(mat));
      for (int c = 0; c < 8 * chunks; c += 8) transpose_offsets(mat + 16 * c, offs, nops, c);
    } else {
      for (int j = 0; j < nops; ++j)
        for (int c = 0; c < 8 * chunks; c += 8) {
          __m256i at = _mm256_add_epi32(_mm256_load_si256(reinterpret_cast<const __m256i*>(rs + c)),
                                        _mm256_set1_epi32(static_cast<int>(conv[j]->col)));
          if ((after_mask >> j) & 1) at = _mm256_add_epi32(at, _mm256_load_si256(reinterpret_cast<const __m256i*>(sh + c)));
          _mm256_store_si256(reinterpret_cast<__m256i*>(offs[j] + c),
                             _mm256_i32gather_epi32(reinterpret_cast<const int*>(idx), at, 4));
        }
    }
    int bad = g;
    for (int j = 0; j < nops && bad > 0; ++j) bad = std::min(bad, convert_column(*conv[j], p, offs[j], bad, d));
    if (bad < g) {
      safe = safe_at(bad, rs[bad], first);
      whole = false;
      g = bad;
    } else if (whole && g > 0) {
      safe = safe_at(g - 1, rs[g - 1], first);
    }
    out.resize(first + static_cast<std::size_t>(g));
    row = r;
  }
  if (row != words) whole = false;
  std::size_t used = 0;
  if (whole && stop == n) {  // the whole block
    lines_used = total_lines;
    return n;
  }
  if (whole && words > 0 && stop < n && line_at(stop) > line_at(idx[row - 1])) {
    used = stop;
    lines_used = line_at(stop) - first_line;
  } else if (whole && words == 0) {
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
#if defined(__GNUC__) && !defined(__clang__)
#pragma GCC diagnostic pop
#endif
#endif

#if defined(YF_KLARF_X86)
[[gnu::target("avx2,bmi,bmi2,popcnt,lzcnt")]] std::size_t read_rows_avx2(const Block& b, const char* p, const char* e,
                                                                         std::uint64_t first_line, std::int32_t test,
                                                                         std::vector<KlarfDefect>& out,
                                                                         std::uint64_t& lines) {
  return read_rows<Avx2>(b, p, e, first_line, test, out, lines);
}
#endif
std::size_t read_rows_portable(const Block& b, const char* p, const char* e, std::uint64_t first_line, std::int32_t test,
                               std::vector<KlarfDefect>& out, std::uint64_t& lines) {
  return read_rows<Portable>(b, p, e, first_line, test, out, lines);
}

}  // namespace

void set_klarf_block_mode(KlarfBlockMode mode) { g_mode.store(mode); }
KlarfBlockMode klarf_block_mode() { return g_mode.load(); }
std::uint64_t klarf_block_rows() { return g_rows.load(std::memory_order_relaxed); }

KlarfDefectBlock::KlarfDefectBlock()
    : starts_(new std::uint32_t[kMaxBlock / 2 + 128]),
      newlines_(new std::uint64_t[kMaxBlock / 64 + 2]),
      lines_before_(new std::uint32_t[kMaxBlock / 64 + 2]) {
#if defined(YF_KLARF_X86)
  const KlarfBlockMode mode = klarf_block_mode();
  // The process-wide switch (core/SimdLevel.hpp, YF_SIMD) decides the SIMD level; the
  // AVX2 path also needs the scalar bit instructions it is compiled with.
  const bool avx2 = (mode == KlarfBlockMode::automatic || mode == KlarfBlockMode::avx2) && use_avx2() &&
                    __builtin_cpu_supports("bmi") && __builtin_cpu_supports("bmi2") && __builtin_cpu_supports("popcnt");
  const bool avx512 = avx2 && mode == KlarfBlockMode::automatic && yf::simd_level() >= SimdLevel::avx512;
  simd_ = avx512 ? 2 : avx2 ? 1 : 0;
#endif
}

void KlarfDefectBlock::set_columns(const DefectColumns& c) {
  count_ = c.count;
  image_col_ = c.imagelist;
  ops_.clear();
  for (std::size_t col = 0; col < c.count; ++col) {
    const DefectColumns::Role r = c.roles[col];
    if (r == DefectColumns::other) continue;
    // With a DSIZE column, DEFECTAREA, XSIZE and YSIZE are not needed unless DSIZE
    // is NA (which the block does not read): the line reader does not parse them
    // then either, so neither does this.
    if (c.dsize >= 0 && (r == DefectColumns::area_ || r == DefectColumns::xsize_ || r == DefectColumns::ysize_)) continue;
    ops_.push_back({static_cast<std::uint32_t>(col), r, nullptr});
  }
  shapes_.assign(2 * ops_.size(), kNoShape);
  for (std::size_t k = 0; k < ops_.size(); ++k) ops_[k].shapes = &shapes_[2 * k];
}

std::size_t KlarfDefectBlock::read(const char* p, const char* e, std::uint64_t first_line, std::int32_t test,
                                   std::vector<KlarfDefect>& out, std::uint64_t& lines) {
  lines = 0;
  if (e <= p || static_cast<std::size_t>(e - p) > kMaxBlock || count_ == 0) return 0;
  const Block b{count_,          image_col_,          ops_.data(),         ops_.data() + ops_.size(), starts_.get(),
                newlines_.get(), lines_before_.get()};
  const std::size_t before = out.size();
  std::size_t used = 0;
#if defined(YF_KLARF_X86)
  if (simd_ == 2) used = read_rows_avx512(b, p, e, first_line, test, out, lines);
  else if (simd_ == 1) used = read_rows_avx2(b, p, e, first_line, test, out, lines);
  else
#endif
    used = read_rows_portable(b, p, e, first_line, test, out, lines);
  g_rows.fetch_add(out.size() - before, std::memory_order_relaxed);
  return used;
}

std::size_t KlarfDefectBlock::read_die_indices(const char* p, const char* e, std::vector<std::int64_t>& out,
                                               std::uint64_t& lines) {
  lines = 0;
  if (e <= p || static_cast<std::size_t>(e - p) > kMaxBlock) return 0;
  const Block b{count_,          image_col_,          ops_.data(),         ops_.data() + ops_.size(), starts_.get(),
                newlines_.get(), lines_before_.get()};
#if defined(YF_KLARF_X86)
  if (simd_ == 2) return read_ints_avx512(b, p, e, out, lines);
  if (simd_ == 1) return read_ints_avx2(b, p, e, out, lines);
#endif
  return read_ints_portable(b, p, e, out, lines);
}

}  // namespace yf::import
