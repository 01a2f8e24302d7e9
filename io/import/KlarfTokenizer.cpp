#include "io/import/KlarfTokenizer.hpp"

#include <charconv>
#include <cmath>
#include <limits>

#include "io/import/ImportSink.hpp"

namespace yf::import {

const char* ktok_name(KTok k) {
  switch (k) {
    case KTok::word: return "a word";
    case KTok::string: return "a quoted string";
    case KTok::semicolon: return "';'";
    case KTok::lbrace: return "'{'";
    case KTok::rbrace: return "'}'";
    case KTok::comma: return "','";
    case KTok::end: return "the end of the file";
  }
  return "?";
}

KlarfTokenizer::KlarfTokenizer(const std::string& path) : lines_(path) {}

std::string KlarfTokenizer::where(std::uint64_t line) const {
  return lines_.path() + ": line " + std::to_string(line) + ": ";
}

void KlarfTokenizer::fail(std::uint64_t line, const std::string& message) const {
  throw ImportError(where(line) + message);
}

namespace {
// Character classes by table: the tokenizer's inner loops test every byte.
enum : std::uint8_t { kSpace = 1, kPunct = 2 };
struct Classes {
  std::uint8_t of[256] = {};
  constexpr Classes() {
    for (unsigned char c : {' ', '\t', '\r', '\f', '\v'}) of[c] = kSpace;
    for (unsigned char c : {';', '{', '}', ',', '"'}) of[c] = kPunct;
  }
};
constexpr Classes kClasses;
bool is_space(char c) { return kClasses.of[static_cast<unsigned char>(c)] == kSpace; }
bool is_punct(char c) { return kClasses.of[static_cast<unsigned char>(c)] == kPunct; }
bool ends_word(char c) { return kClasses.of[static_cast<unsigned char>(c)] != 0; }
}  // namespace

void KlarfTokenizer::read(KToken& t) {
  for (;;) {
    std::size_t i = 0;
    while (i < rest_.size() && is_space(rest_[i])) ++i;
    rest_.remove_prefix(i);
    if (!rest_.empty()) break;
    std::string_view line;
    if (!lines_.next(line)) {
      t.kind = KTok::end;
      t.text.clear();
      t.line = lines_.line_number();
      return;
    }
    if (!started_) {
      started_ = true;
      if (line.substr(0, 3) == "\xEF\xBB\xBF") line.remove_prefix(3);  // UTF-8 byte-order mark
    }
    rest_ = line;
  }
  t.line = lines_.line_number();
  const char c = rest_[0];
  switch (c) {
    case ';': t.kind = KTok::semicolon; break;
    case '{': t.kind = KTok::lbrace; break;
    case '}': t.kind = KTok::rbrace; break;
    case ',': t.kind = KTok::comma; break;
    case '"': {
      const std::size_t close = rest_.find('"', 1);
      if (close == std::string_view::npos) fail(t.line, "a quoted string is not closed on its line");
      t.kind = KTok::string;
      t.text.assign(rest_.substr(1, close - 1));
      rest_.remove_prefix(close + 1);
      return;
    }
    default: {
      std::size_t n = 0;
      while (n < rest_.size() && !ends_word(rest_[n])) ++n;
      t.kind = KTok::word;
      t.text.assign(rest_.substr(0, n));
      rest_.remove_prefix(n);
      return;
    }
  }
  t.text.clear();
  rest_.remove_prefix(1);
}

const KToken& KlarfTokenizer::next() {
  if (have_peek_) {
    have_peek_ = false;
    cur_ ^= 1;
    return tokens_[cur_];
  }
  read(tokens_[cur_]);
  return tokens_[cur_];
}

bool KlarfTokenizer::next_word_view(std::string_view& word, std::uint64_t& line) {
  if (have_peek_) return false;
  std::size_t i = 0;
  const std::size_t n = rest_.size();
  while (i < n && is_space(rest_[i])) ++i;
  if (i == n || is_punct(rest_[i])) return false;
  std::size_t e = i + 1;
  while (e < n && !ends_word(rest_[e])) ++e;
  word = rest_.substr(i, e - i);
  rest_.remove_prefix(e);
  line = lines_.line_number();
  return true;
}

const KToken& KlarfTokenizer::peek() {
  if (!have_peek_) {
    read(tokens_[cur_ ^ 1]);
    have_peek_ = true;
  }
  return tokens_[cur_ ^ 1];
}

bool kequal(std::string_view a, std::string_view b) {
  if (a.size() != b.size()) return false;
  for (std::size_t i = 0; i < a.size(); ++i) {
    char x = a[i], y = b[i];
    if (x >= 'a' && x <= 'z') x = static_cast<char>(x - 32);
    if (y >= 'a' && y <= 'z') y = static_cast<char>(y - 32);
    if (x != y) return false;
  }
  return true;
}

bool klarf_na(std::string_view s) { return kequal(s, "NA"); }

std::optional<double> klarf_number(std::string_view s) {
  if (!s.empty() && s[0] == '+') s.remove_prefix(1);
  if (s.empty()) return std::nullopt;
  const char c = s[0];
  if (!(c == '-' || c == '.' || (c >= '0' && c <= '9'))) return std::nullopt;  // no "nan", "inf"
  double v = 0;
  const auto [p, ec] = std::from_chars(s.data(), s.data() + s.size(), v);
  if (ec != std::errc() || p != s.data() + s.size() || !std::isfinite(v)) return std::nullopt;
  return v;
}

std::optional<std::int64_t> klarf_integer(std::string_view s) {
  if (!s.empty() && s[0] == '+') s.remove_prefix(1);
  // Fast path: up to 15 digits with an optional '-' (no overflow possible).
  if (!s.empty() && s.size() <= 16) {
    std::size_t i = s[0] == '-' ? 1 : 0;
    if (i < s.size() && s.size() - i <= 15) {
      std::int64_t v = 0;
      for (; i < s.size(); ++i) {
        const unsigned digit = static_cast<unsigned char>(s[i]) - '0';
        if (digit > 9) break;
        v = v * 10 + digit;
      }
      if (i == s.size()) return s[0] == '-' ? -v : v;
    }
  }
  std::int64_t v = 0;
  const auto [p, ec] = std::from_chars(s.data(), s.data() + s.size(), v);
  if (ec == std::errc() && p == s.data() + s.size() && !s.empty()) return v;
  const auto d = klarf_number(s);
  if (!d || std::floor(*d) != *d || std::abs(*d) > 9e15) return std::nullopt;
  return static_cast<std::int64_t>(*d);
}

}  // namespace yf::import
