#pragma once
// Tokens of a KLARF file, flat (1.1-1.7) or nested (1.8): words (keywords, numbers,
// NA), quoted strings, and the punctuation ; { } , - each with its line number.
// Streams the file through LineReader; a token's text is copied into a reused
// buffer, so reading costs no allocation per token once warmed up.
#if defined(__SSE2__)
#include <emmintrin.h>
#endif

#include <algorithm>
#include <bit>
#include <cstdint>
#include <cstring>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "io/import/KlarfData.hpp"
#include "io/import/LineReader.hpp"

namespace yf::import {

// Character classes by table (the tokenizer's inner loops test every byte): spaces
// separate words; the punctuation ; { } , " ends a word and is a token of its own.
struct KlarfCharClasses {
  enum : std::uint8_t { space = 1, punct = 2 };
  std::uint8_t of[256] = {};
  constexpr KlarfCharClasses() {
    for (unsigned char c : {' ', '\t', '\r', '\f', '\v'}) of[c] = space;
    for (unsigned char c : {';', '{', '}', ',', '"'}) of[c] = punct;
  }
};
inline constexpr KlarfCharClasses kKlarfChars;
inline bool klarf_space(char c) { return kKlarfChars.of[static_cast<unsigned char>(c)] == KlarfCharClasses::space; }
inline bool klarf_punct(char c) { return kKlarfChars.of[static_cast<unsigned char>(c)] == KlarfCharClasses::punct; }
inline bool klarf_ends_word(char c) { return kKlarfChars.of[static_cast<unsigned char>(c)] != 0; }

// The end of the word that starts at p: the first byte in [p, e) that ends a word,
// or e. p..e must lie in a line of a LineReader, which keeps LineReader::kSlack
// bytes readable past it: the bytes are tested 8 at a time (SWAR), which spares
// the mispredicted branch a byte loop takes at every word's end.
inline const char* klarf_word_end(const char* p, const char* e) {
  if constexpr (std::endian::native != std::endian::little) {
    while (p < e && !klarf_ends_word(*p)) ++p;
    return p;
  }
  constexpr std::uint64_t kOnes = 0x0101010101010101ULL, kHighs = 0x8080808080808080ULL;
  auto zero_bytes = [](std::uint64_t v) { return (v - kOnes) & ~v & kHighs; };
  while (p < e) {
    std::uint64_t x = 0;
    std::memcpy(&x, p, 8);
    // Bytes below 0x21 (spaces, controls), and the punctuation. A flag can be false
    // only above a true one (borrows run upwards), so the lowest flag is a true one.
    const std::uint64_t m = ((x - kOnes * 0x21) & ~x & kHighs) | zero_bytes(x ^ (kOnes * ';')) |
                            zero_bytes(x ^ (kOnes * '{')) | zero_bytes(x ^ (kOnes * '}')) |
                            zero_bytes(x ^ (kOnes * ',')) | zero_bytes(x ^ (kOnes * '"'));
    if (m == 0) {
      p += 8;
      continue;
    }
    const char* q = p + (std::countr_zero(m) >> 3);
    if (q >= e) return e;
    if (klarf_ends_word(*q)) return q;
    p = q + 1;  // a control byte that does not end words (as the table says)
  }
  return e;
}

// The words of a line, found with bit masks of 64 bytes at a time (SSE2 where there
// is SSE2): the spaces, the punctuation, and from them the words' first bytes. The
// next word's start is the lowest bit left in that last mask, independent of where
// the previous word ended, so the words of a line do not wait for each other (a
// byte loop, or even a mask scan from the previous word's end, makes every word
// wait for the one before it). The line must come from a LineReader
// (LineReader::kSlack bytes readable past its end).
class KlarfLineScanner {
 public:
  // [p, e): the rest of a line, p at a byte that is not a space.
  KlarfLineScanner(const char* p, const char* e) : p_(p), e_(e) { load(p); }
  bool done() const { return p_ >= e_; }
  const char* pos() const { return p_; }
  char peek() const { return *p_; }  // when !done()
  // The word at pos() (a byte that does not end a word); moves past it and the
  // spaces after it, to the next word, a punctuation byte or the line's end.
  std::string_view take_word() {
    std::size_t cur = starts_ ? static_cast<std::size_t>(std::countr_zero(starts_)) : 64;
    std::uint64_t rest = cur < 64 ? ends_ >> cur : 0;
    if (rest == 0) {  // the word runs past the block: a block from its start
      load(p_);
      cur = 0;
      rest = ends_;
      if (rest == 0) return long_word();
    }
    const char* const start = base_ + cur;
    const std::size_t end = cur + static_cast<std::size_t>(std::countr_zero(rest));  // < 64
    starts_ &= starts_ - 1;
    const std::uint64_t later_punct = puncts_ & (~std::uint64_t{0} << end);
    std::uint64_t next = starts_ | later_punct;
    while (next == 0) {  // only spaces to the block's end
      if (base_ + 64 >= e_) {
        p_ = e_;
        return {start, end - cur};
      }
      load(base_ + 64);
      next = starts_ | puncts_;
    }
    p_ = std::min(base_ + std::countr_zero(next), e_);
    return {start, end - cur};
  }

 private:
  // A block of 64 bytes from `at`, which is a word's first byte, a punctuation byte
  // or a byte after a space.
  void load(const char* at) {
    base_ = at;
    const std::size_t n = static_cast<std::size_t>(e_ - at);
    std::uint64_t sp = 0, pu = 0;
#if defined(__SSE2__)
    const __m128i nine = _mm_set1_epi8(9), four = _mm_set1_epi8(4);
    for (int k = 0; k < 4; ++k) {
      const __m128i x = _mm_loadu_si128(reinterpret_cast<const __m128i*>(at + 16 * k));
      // ' ' and \t \v \f \r (0x09 - 0x0d; \n never stands inside a line)
      const __m128i t = _mm_sub_epi8(x, nine);
      const __m128i s = _mm_or_si128(_mm_cmpeq_epi8(x, _mm_set1_epi8(' ')), _mm_cmpeq_epi8(_mm_min_epu8(t, four), t));
      const __m128i q = _mm_or_si128(
          _mm_or_si128(_mm_cmpeq_epi8(x, _mm_set1_epi8(';')), _mm_cmpeq_epi8(x, _mm_set1_epi8(','))),
          _mm_or_si128(_mm_or_si128(_mm_cmpeq_epi8(x, _mm_set1_epi8('{')), _mm_cmpeq_epi8(x, _mm_set1_epi8('}'))),
                       _mm_cmpeq_epi8(x, _mm_set1_epi8('"'))));
      sp |= static_cast<std::uint64_t>(static_cast<std::uint16_t>(_mm_movemask_epi8(s))) << (16 * k);
      pu |= static_cast<std::uint64_t>(static_cast<std::uint16_t>(_mm_movemask_epi8(q))) << (16 * k);
    }
#else
    for (std::size_t i = 0; i < 64 && i < n; ++i) {
      sp |= static_cast<std::uint64_t>(klarf_space(at[i]) || at[i] == '\n') << i;
      pu |= static_cast<std::uint64_t>(klarf_punct(at[i])) << i;
    }
#endif
    if (n < 64) {  // past the line: as if spaces
      sp |= ~std::uint64_t{0} << n;
      pu &= ~(~std::uint64_t{0} << n);
    }
    ends_ = sp | pu;
    starts_ = ~ends_ & ((sp << 1) | 1);  // a word byte after a space (or first)
    puncts_ = pu;
  }

  // A word of 64 bytes or more at p_ (base_ == p_): the byte loop.
  std::string_view long_word() {
    const char* const start = p_;
    const char* end = klarf_word_end(p_ + 64, e_);
    const char* q = end;
    while (q < e_ && klarf_space(*q)) ++q;
    p_ = q;
    if (q < e_) load(q);
    return {start, static_cast<std::size_t>(end - start)};
  }

  const char* p_;
  const char* const e_;
  const char* base_ = nullptr;  // the block the masks describe
  std::uint64_t ends_ = 0, starts_ = 0, puncts_ = 0;
};

enum class KTok { word, string, semicolon, lbrace, rbrace, comma, end };

struct KToken {
  KTok kind = KTok::end;
  std::string text;        // word or string content (without quotes)
  std::uint64_t line = 0;  // 1-based line of the token (of the last line at the end)
};

const char* ktok_name(KTok k);

class KlarfTokenizer {
 public:
  explicit KlarfTokenizer(const std::string& path);

  // The next token (kind end at the end of the file, repeatedly).
  const KToken& next();
  // The token next() will return, without consuming it.
  const KToken& peek();
  // Fast path of hot lists: when the next token is a word on the current line (and
  // nothing is peeked), consumes it and returns it as a view into the line, valid
  // until the next call to any reading function; false otherwise (then use next()).
  bool next_word_view(std::string_view& word, std::uint64_t& line);
  // Fastest path of the DefectList: the unread rest of the current line from its
  // first non-space byte (the next non-blank line when this one is used up), for the
  // caller to scan itself; false at the end of the file or when a token is peeked.
  // The caller then says where it stopped with consume_to (a pointer into `rest`).
  bool line_rest(std::string_view& rest, std::uint64_t& line) {
    if (have_peek_ || !skip_blank()) return false;
    rest = rest_;
    line = lines_.line_number();
    return true;
  }
  void consume_to(const char* p) { rest_.remove_prefix(static_cast<std::size_t>(p - rest_.data())); }
  // The DefectList's block reader (KlarfDefectBlock): when the current line is used
  // up (only spaces left) and nothing is peeked, the line reader, positioned at the
  // start of the next line, for the caller to read whole lines from in bulk; null
  // otherwise.
  LineReader* at_line_start() {
    if (have_peek_ || !started_) return nullptr;
    for (char c : rest_)
      if (!klarf_space(c)) return nullptr;
    rest_ = {};
    return &lines_;
  }

  const std::string& path() const { return lines_.path(); }
  // "PATH: line N: " for the given line.
  std::string where(std::uint64_t line) const;
  [[noreturn]] void fail(std::uint64_t line, const std::string& message) const;
  [[noreturn]] void fail(const KToken& t, const std::string& message) const { fail(t.line, message); }

 private:
  void read(KToken& t);
  // Skips spaces and blank lines; false at the end of the file.
  bool skip_blank() {
    for (;;) {
      std::size_t i = 0;
      while (i < rest_.size() && klarf_space(rest_[i])) ++i;
      rest_.remove_prefix(i);
      if (!rest_.empty()) return true;
      std::string_view line;
      if (!lines_.next(line)) return false;
      if (!started_) [[unlikely]] {
        started_ = true;
        if (line.substr(0, 3) == "\xEF\xBB\xBF") line.remove_prefix(3);  // UTF-8 byte-order mark
      }
      rest_ = line;
    }
  }

  LineReader lines_;
  std::string_view rest_;  // unread part of the current line
  bool started_ = false;
  KToken tokens_[2];
  int cur_ = 0;
  bool have_peek_ = false;
};

// Number parsing of KLARF values: decimal or exponent notation, a leading '+'
// allowed. Empty for anything else and for "NA", "nan", "inf" (not finite). The
// same double as std::from_chars, which it falls back to when klarf_fast_number
// cannot give the value exactly.
std::optional<double> klarf_number(std::string_view s);
// The fast path of klarf_number: [-]digits[.digits][(e|E)[+|-]digits] with at most
// 19 significant digits whose integer significand m is at most 2^53 and whose
// power of ten p is within +-22 is m * 10^p or m / 10^-p - one IEEE operation on two
// exactly represented doubles, so correctly rounded: the double from_chars gives
// (Clinger's fast path). False (and `out` untouched) for anything else.
inline bool klarf_fast_number(std::string_view s, double& out);
// The fast path of klarf_integer: [+|-]digits, at most 15 digits. False otherwise.
inline bool klarf_fast_integer(std::string_view s, std::int64_t& out);
// An integer value; "3.0" counts as 3. Empty for non-integers and out-of-range values.
std::optional<std::int64_t> klarf_integer(std::string_view s);
// "NA" (any case): a value the tool did not give.
bool klarf_na(std::string_view s);
// The values of CoordinatesMirrored, case-insensitive: NO / NONE / FALSE / 0 (or
// nothing): not mirrored; YES / TRUE / 1 / X: X mirrored (the KLARF spec's YES/NO
// flag; a wafer turned over about its notch axis, e.g. for backside inspection, has
// its X reversed); Y: Y mirrored; XY / BOTH: both; or two flags "X Y", each one of
// YES/NO/1/0. Empty for anything else.
std::optional<KlarfMirror> klarf_mirror(const std::vector<std::string>& values);
// Case-insensitive equality of ASCII words.
bool kequal(std::string_view a, std::string_view b);

// Inline: the DefectList reader calls these for every value.
[[gnu::always_inline]] inline bool klarf_fast_number(std::string_view s, double& out) {
  static constexpr double kPow10[] = {1e0,  1e1,  1e2,  1e3,  1e4,  1e5,  1e6,  1e7,  1e8,  1e9,  1e10, 1e11,
                                      1e12, 1e13, 1e14, 1e15, 1e16, 1e17, 1e18, 1e19, 1e20, 1e21, 1e22};
  const char* p = s.data();
  const char* const e = p + s.size();
  if (p < e && *p == '+') ++p;
  const bool neg = p < e && *p == '-';
  p += neg;
  std::uint64_t m = 0;
  int significant = 0, scale = 0;  // digits of m; digits after the point
  auto digit = [](char c) { return static_cast<unsigned>(static_cast<unsigned char>(c) - '0'); };
  const char* const int_start = p;
  for (; p < e && digit(*p) < 10; ++p) {
    if (m == 0 && *p == '0') continue;  // leading zeros add nothing to m
    m = m * 10 + digit(*p);
    ++significant;
  }
  if (p == int_start) return false;  // no digit before the point: left to from_chars
  if (p < e && *p == '.') {
    const char* const frac_start = ++p;
    for (; p < e && digit(*p) < 10; ++p) {
      ++scale;
      if (m == 0 && *p == '0') continue;
      m = m * 10 + digit(*p);
      ++significant;
    }
    if (p == frac_start) return false;  // "1." / "1.e5"
  }
  if (significant > 19) return false;
  int exp10 = 0;
  if (p < e && (*p == 'e' || *p == 'E')) {
    ++p;
    bool eneg = false;
    if (p < e && (*p == '+' || *p == '-')) eneg = *p++ == '-';
    const char* const exp_start = p;
    for (; p < e && digit(*p) < 10 && p - exp_start < 5; ++p) exp10 = exp10 * 10 + static_cast<int>(digit(*p));
    if (p == exp_start) return false;
    if (eneg) exp10 = -exp10;
  }
  if (p != e || m > (std::uint64_t{1} << 53)) return false;
  const int pow = exp10 - scale;
  double v = static_cast<double>(m);
  if (m != 0) {
    if (pow < -22 || pow > 22) return false;
    v = pow >= 0 ? v * kPow10[pow] : v / kPow10[-pow];
  }
  out = neg ? -v : v;
  return true;
}

inline bool klarf_fast_integer(std::string_view s, std::int64_t& out) {
  const char* p = s.data();
  const char* const e = p + s.size();
  if (p < e && *p == '+') ++p;
  const bool neg = p < e && *p == '-';
  p += neg;
  if (p == e || e - p > 15) return false;
  std::int64_t v = 0;
  for (; p < e; ++p) {
    const unsigned d = static_cast<unsigned>(static_cast<unsigned char>(*p) - '0');
    if (d > 9) return false;
    v = v * 10 + d;
  }
  out = neg ? -v : v;
  return true;
}

}  // namespace yf::import
