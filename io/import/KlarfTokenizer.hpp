#pragma once
// Tokens of a KLARF file, flat (1.1-1.7) or nested (1.8): words (keywords, numbers,
// NA), quoted strings, and the punctuation ; { } , - each with its line number.
// Streams the file through LineReader; a token's text is copied into a reused
// buffer, so reading costs no allocation per token once warmed up.
#include <cstdint>
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
  bool line_rest(std::string_view& rest, std::uint64_t& line);
  void consume_to(const char* p) { rest_.remove_prefix(static_cast<std::size_t>(p - rest_.data())); }

  const std::string& path() const { return lines_.path(); }
  // "PATH: line N: " for the given line.
  std::string where(std::uint64_t line) const;
  [[noreturn]] void fail(std::uint64_t line, const std::string& message) const;
  [[noreturn]] void fail(const KToken& t, const std::string& message) const { fail(t.line, message); }

 private:
  void read(KToken& t);
  // Skips spaces and blank lines; false at the end of the file.
  bool skip_blank();

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
inline bool klarf_fast_number(std::string_view s, double& out) {
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
