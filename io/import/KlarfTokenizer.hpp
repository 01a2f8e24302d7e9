#pragma once
// Tokens of a KLARF file, flat (1.1-1.7) or nested (1.8): words (keywords, numbers,
// NA), quoted strings, and the punctuation ; { } , - each with its line number.
// Streams the file through LineReader; a token's text is copied into a reused
// buffer, so reading costs no allocation per token once warmed up.
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

#include "io/import/LineReader.hpp"

namespace yf::import {

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

  const std::string& path() const { return lines_.path(); }
  // "PATH: line N: " for the given line.
  std::string where(std::uint64_t line) const;
  [[noreturn]] void fail(std::uint64_t line, const std::string& message) const;
  [[noreturn]] void fail(const KToken& t, const std::string& message) const { fail(t.line, message); }

 private:
  void read(KToken& t);

  LineReader lines_;
  std::string_view rest_;  // unread part of the current line
  bool started_ = false;
  KToken tokens_[2];
  int cur_ = 0;
  bool have_peek_ = false;
};

// Number parsing of KLARF values: decimal or exponent notation, a leading '+'
// allowed. Empty for anything else and for "NA", "nan", "inf" (not finite).
std::optional<double> klarf_number(std::string_view s);
// An integer value; "3.0" counts as 3. Empty for non-integers and out-of-range values.
std::optional<std::int64_t> klarf_integer(std::string_view s);
// "NA" (any case): a value the tool did not give.
bool klarf_na(std::string_view s);
// Case-insensitive equality of ASCII words.
bool kequal(std::string_view a, std::string_view b);

}  // namespace yf::import
