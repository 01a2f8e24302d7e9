#include "io/import/BinCodes.hpp"

#include <cctype>
#include <cstdint>

#include "core/SimdLevel.hpp"

#if defined(__SSE2__)
#include <emmintrin.h>
#endif
#if (defined(__x86_64__) || defined(__i386__)) && (defined(__GNUC__) || defined(__clang__))
#include <immintrin.h>
#define YF_AVX2_TARGET 1
#endif

namespace yf::import {
namespace {

// Inline ASCII tests: std::isspace is a locale-aware library call per byte.
constexpr bool is_space(char c) { return c == ' ' || c == '\t' || c == '\n' || c == '\r' || c == '\v' || c == '\f'; }
constexpr bool is_separator(char c) { return is_space(c) || c == ','; }

// Hex digit values, -1 for anything else.
struct HexTable {
  signed char v[256];
  constexpr HexTable() : v() {
    for (int i = 0; i < 256; ++i) v[i] = -1;
    for (int i = 0; i < 10; ++i) v['0' + i] = static_cast<signed char>(i);
    for (int i = 0; i < 6; ++i) v['a' + i] = v['A' + i] = static_cast<signed char>(10 + i);
  }
};
constexpr HexTable kHex;

// Hex digit values for the branch-free row decoders, 0x100 for anything else: the
// OR of a row's lookups has bit 8 set when any character was not a hex digit.
struct HexTable16 {
  std::uint16_t v[256];
  constexpr HexTable16() : v() {
    for (int i = 0; i < 256; ++i) v[i] = 0x100;
    for (int i = 0; i < 10; ++i) v['0' + i] = static_cast<std::uint16_t>(i);
    for (int i = 0; i < 6; ++i) v['a' + i] = v['A' + i] = static_cast<std::uint16_t>(10 + i);
  }
};
constexpr HexTable16 kHex16;

#if defined(YF_AVX2_TARGET)
// decode_hex2_cells' loop on 32 characters (16 codes) at a time, for CPUs with AVX2
// (simd_level()): the same steps as the SSE2 loop below, so the same cells. Returns
// the codes done (a multiple of 16); `ok` false when any character was not a hex
// digit (checked once at the end: a bad row is rare and only needs detecting).
__attribute__((target("avx2"))) std::size_t decode_hex2_cells_avx2(const char* p, std::size_t n, int null_code,
                                                                   std::int16_t* out, bool& ok) {
  const __m256i nine = _mm256_set1_epi8(9), five = _mm256_set1_epi8(5), zero_char = _mm256_set1_epi8('0'),
                case_bit = _mm256_set1_epi8(0x20), a_char = _mm256_set1_epi8('a'), ten = _mm256_set1_epi8(10),
                low_byte = _mm256_set1_epi16(0xFF);
  const __m256i null16 = _mm256_set1_epi16(static_cast<std::int16_t>(null_code));  // -1: matches no code
  __m256i good = _mm256_set1_epi8(-1);
  std::size_t i = 0;
  for (; i + 16 <= n; i += 16, p += 32) {
    const __m256i x = _mm256_loadu_si256(reinterpret_cast<const __m256i*>(p));
    const __m256i d = _mm256_sub_epi8(x, zero_char);
    const __m256i l = _mm256_sub_epi8(_mm256_or_si256(x, case_bit), a_char);
    const __m256i is_digit = _mm256_cmpeq_epi8(_mm256_min_epu8(d, nine), d);
    const __m256i is_letter = _mm256_cmpeq_epi8(_mm256_min_epu8(l, five), l);
    good = _mm256_and_si256(good, _mm256_or_si256(is_digit, is_letter));
    const __m256i v = _mm256_or_si256(_mm256_and_si256(is_digit, d), _mm256_and_si256(is_letter, _mm256_add_epi8(l, ten)));
    const __m256i code = _mm256_or_si256(_mm256_slli_epi16(_mm256_and_si256(v, low_byte), 4), _mm256_srli_epi16(v, 8));
    _mm256_storeu_si256(reinterpret_cast<__m256i*>(out + i), _mm256_or_si256(code, _mm256_cmpeq_epi16(code, null16)));
  }
  ok = _mm256_movemask_epi8(good) == -1;
  return i;
}
#endif

}  // namespace

bool decode_hex2(const char* p, std::size_t n, std::size_t stride, int* out) {
  std::size_t i = 0;
#if defined(__SSE2__)
  if (stride == 2) {  // packed codes: 16 characters, 8 codes at a time
    const __m128i zero = _mm_setzero_si128(), nine = _mm_set1_epi8(9), five = _mm_set1_epi8(5);
    for (; i + 8 <= n; i += 8, p += 16) {
      const __m128i x = _mm_loadu_si128(reinterpret_cast<const __m128i*>(p));
      const __m128i d = _mm_sub_epi8(x, _mm_set1_epi8('0'));
      const __m128i l = _mm_sub_epi8(_mm_or_si128(x, _mm_set1_epi8(0x20)), _mm_set1_epi8('a'));
      const __m128i is_digit = _mm_cmpeq_epi8(_mm_min_epu8(d, nine), d);  // d <= 9, unsigned
      const __m128i is_letter = _mm_cmpeq_epi8(_mm_min_epu8(l, five), l);
      if (_mm_movemask_epi8(_mm_or_si128(is_digit, is_letter)) != 0xFFFF) return false;
      const __m128i v = _mm_or_si128(_mm_and_si128(is_digit, d),
                                     _mm_and_si128(is_letter, _mm_add_epi8(l, _mm_set1_epi8(10))));
      // Little-endian 16-bit lanes: the first character of a code is the low byte.
      const __m128i code = _mm_or_si128(_mm_slli_epi16(_mm_and_si128(v, _mm_set1_epi16(0xFF)), 4), _mm_srli_epi16(v, 8));
      _mm_storeu_si128(reinterpret_cast<__m128i*>(out + i), _mm_unpacklo_epi16(code, zero));
      _mm_storeu_si128(reinterpret_cast<__m128i*>(out + i + 4), _mm_unpackhi_epi16(code, zero));
    }
  }
#endif
  unsigned any = 0;
  for (; i < n; ++i, p += stride) {
    const unsigned hi = kHex16.v[static_cast<unsigned char>(p[0])], lo = kHex16.v[static_cast<unsigned char>(p[1])];
    any |= hi | lo;
    out[i] = static_cast<int>(hi << 4 | lo);
  }
  return (any & 0x100u) == 0;
}

bool decode_hex2_cells(const char* p, std::size_t n, int null_code, std::int16_t* out) {
  std::size_t i = 0;
#if defined(YF_AVX2_TARGET)
  if (use_avx2()) {
    bool ok = true;
    i = decode_hex2_cells_avx2(p, n, null_code, out, ok);
    if (!ok) return false;
    p += 2 * i;
  }
#endif
#if defined(__SSE2__)
  const __m128i nine = _mm_set1_epi8(9), five = _mm_set1_epi8(5);
  const __m128i null16 = _mm_set1_epi16(static_cast<std::int16_t>(null_code));  // -1: matches no code
  for (; i + 8 <= n; i += 8, p += 16) {
    const __m128i x = _mm_loadu_si128(reinterpret_cast<const __m128i*>(p));
    const __m128i d = _mm_sub_epi8(x, _mm_set1_epi8('0'));
    const __m128i l = _mm_sub_epi8(_mm_or_si128(x, _mm_set1_epi8(0x20)), _mm_set1_epi8('a'));
    const __m128i is_digit = _mm_cmpeq_epi8(_mm_min_epu8(d, nine), d);
    const __m128i is_letter = _mm_cmpeq_epi8(_mm_min_epu8(l, five), l);
    if (_mm_movemask_epi8(_mm_or_si128(is_digit, is_letter)) != 0xFFFF) return false;
    const __m128i v =
        _mm_or_si128(_mm_and_si128(is_digit, d), _mm_and_si128(is_letter, _mm_add_epi8(l, _mm_set1_epi8(10))));
    const __m128i code = _mm_or_si128(_mm_slli_epi16(_mm_and_si128(v, _mm_set1_epi16(0xFF)), 4), _mm_srli_epi16(v, 8));
    _mm_storeu_si128(reinterpret_cast<__m128i*>(out + i), _mm_or_si128(code, _mm_cmpeq_epi16(code, null16)));
  }
#endif
  unsigned any = 0;
  for (; i < n; ++i, p += 2) {
    const unsigned hi = kHex16.v[static_cast<unsigned char>(p[0])], lo = kHex16.v[static_cast<unsigned char>(p[1])];
    any |= hi | lo;
    const int v = static_cast<int>(hi << 4 | lo);
    out[i] = static_cast<std::int16_t>(v == null_code ? -1 : v);
  }
  return (any & 0x100u) == 0;
}

std::string_view trim(std::string_view s) {
  while (!s.empty() && is_space(s.front())) s.remove_prefix(1);
  while (!s.empty() && is_space(s.back())) s.remove_suffix(1);
  return s;
}

bool iequals(std::string_view a, std::string_view b) {
  if (a.size() != b.size()) return false;
  for (std::size_t i = 0; i < a.size(); ++i)
    if (std::tolower(static_cast<unsigned char>(a[i])) != std::tolower(static_cast<unsigned char>(b[i]))) return false;
  return true;
}

std::optional<BinCodeType> parse_bin_code_type(std::string_view s) {
  s = trim(s);
  if (iequals(s, "HexaDecimal") || iequals(s, "Hex") || iequals(s, "Hexa")) return BinCodeType::hex;
  if (iequals(s, "Decimal")) return BinCodeType::decimal;
  if (iequals(s, "Ascii")) return BinCodeType::ascii;
  if (iequals(s, "Integer2")) return BinCodeType::integer2;
  return std::nullopt;
}

int code_width(BinCodeType type) {
  switch (type) {
    case BinCodeType::hex: return 2;
    case BinCodeType::decimal: return 3;
    case BinCodeType::ascii: return 1;
    case BinCodeType::integer2: return 4;
  }
  return 1;
}

bool split_codes(std::string_view row, BinCodeType type, std::vector<std::string_view>& out) {
  out.clear();
  if (type == BinCodeType::ascii) {
    // Only line breaks and tabs around the row are layout; every other character is a code.
    while (!row.empty() && (row.front() == '\n' || row.front() == '\r' || row.front() == '\t')) row.remove_prefix(1);
    while (!row.empty() && (row.back() == '\n' || row.back() == '\r' || row.back() == '\t')) row.remove_suffix(1);
    for (std::size_t i = 0; i < row.size(); ++i) out.push_back(row.substr(i, 1));
    return true;
  }
  row = trim(row);
  bool separated = false;
  for (char c : row)
    if (is_separator(c)) {
      separated = true;
      break;
    }
  if (separated) {
    std::size_t i = 0;
    while (i < row.size()) {
      while (i < row.size() && is_separator(row[i])) ++i;
      const std::size_t b = i;
      while (i < row.size() && !is_separator(row[i])) ++i;
      if (i > b) out.push_back(row.substr(b, i - b));
    }
    return true;
  }
  const auto w = static_cast<std::size_t>(code_width(type));
  if (row.size() % w != 0) return false;
  for (std::size_t i = 0; i < row.size(); i += w) out.push_back(row.substr(i, w));
  return true;
}

std::optional<int> code_value(std::string_view code, BinCodeType type) {
  if (code.empty()) return std::nullopt;
  if (type == BinCodeType::ascii) {
    if (code.size() != 1) return std::nullopt;
    return static_cast<unsigned char>(code[0]);
  }
  if (code.size() > 7) return std::nullopt;  // fits an int
  int v = 0;
  if (type == BinCodeType::decimal) {
    for (char c : code) {
      if (c < '0' || c > '9') return std::nullopt;
      v = v * 10 + (c - '0');
    }
    return v;
  }
  for (char c : code) {
    const int d = kHex.v[static_cast<unsigned char>(c)];
    if (d < 0) return std::nullopt;
    v = v * 16 + d;
  }
  return v;
}

bool decode_codes(std::string_view row, BinCodeType type, std::vector<int>& out, std::string_view& bad) {
  bad = {};
  const std::size_t base = out.size();
  if (type == BinCodeType::hex) {  // fixed 2-character codes without separators: the common case
    const std::string_view t = trim(row);
    if (t.size() % 2 == 0) {
      const std::size_t n = t.size() / 2;
      out.resize(base + n);
      if (decode_hex2(t.data(), n, 2, out.data() + base)) return true;
      out.resize(base);
    }
  }
  std::vector<std::string_view> codes;
  if (!split_codes(row, type, codes)) return false;
  for (auto c : codes) {
    const auto v = code_value(c, type);
    if (!v) {
      bad = c;
      return false;
    }
    out.push_back(*v);
  }
  return true;
}

}  // namespace yf::import
