#include "io/import/KlarfTokenizer.hpp"

#include <charconv>
#include <initializer_list>
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
bool is_space(char c) { return klarf_space(c); }
bool is_punct(char c) { return klarf_punct(c); }
bool ends_word(char c) { return klarf_ends_word(c); }
}  // namespace

void KlarfTokenizer::read(KToken& t) {
  if (!skip_blank()) {
    t.kind = KTok::end;
    t.text.clear();
    t.line = lines_.line_number();
    return;
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

std::optional<KlarfMirror> klarf_mirror(const std::vector<std::string>& v) {
  auto is_any = [](const std::string& s, std::initializer_list<const char*> words) {
    for (const char* w : words)
      if (kequal(s, w)) return true;
    return false;
  };
  auto flag = [&](const std::string& s) -> std::optional<bool> {
    if (is_any(s, {"YES", "TRUE", "1"})) return true;
    if (is_any(s, {"NO", "FALSE", "0"})) return false;
    return std::nullopt;
  };
  if (v.empty() || (v.size() == 1 && v[0].empty())) return KlarfMirror{};
  if (v.size() == 1) {
    const std::string& s = v[0];
    if (is_any(s, {"NO", "NONE", "FALSE", "0"})) return KlarfMirror{};
    if (is_any(s, {"YES", "TRUE", "1", "X"})) return KlarfMirror{true, false};
    if (is_any(s, {"Y"})) return KlarfMirror{false, true};
    if (is_any(s, {"XY", "YX", "BOTH"})) return KlarfMirror{true, true};
    return std::nullopt;
  }
  if (v.size() == 2) {
    const auto x = flag(v[0]), y = flag(v[1]);
    if (x && y) return KlarfMirror{*x, *y};
  }
  return std::nullopt;
}

std::optional<double> klarf_number(std::string_view s) {
  if (double fast = 0; klarf_fast_number(s, fast)) return fast;
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
  if (std::int64_t fast = 0; klarf_fast_integer(s, fast)) return fast;
  if (!s.empty() && s[0] == '+') s.remove_prefix(1);
  std::int64_t v = 0;
  const auto [p, ec] = std::from_chars(s.data(), s.data() + s.size(), v);
  if (ec == std::errc() && p == s.data() + s.size() && !s.empty()) return v;
  const auto d = klarf_number(s);
  if (!d || std::floor(*d) != *d || std::abs(*d) > 9e15) return std::nullopt;
  return static_cast<std::int64_t>(*d);
}

}  // namespace yf::import
