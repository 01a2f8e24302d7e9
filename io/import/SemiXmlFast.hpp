#pragma once
// A hand-written streaming XML scanner with SemiXml's interface, for the common,
// well-formed subset that SEMI map writers produce: UTF-8 or ASCII, no DOCTYPE, no
// CDATA, no processing instructions after the XML declaration, the five predefined
// entities and character references only, comments anywhere but inside a text that
// is read. It hands out element starts and ends, attributes and texts straight from
// its read buffer (no per-node allocation, no copy of a row of codes), which is what
// makes the E142 importer ~10x faster than xmlTextReader.
//
// Whenever the input leaves that subset - or is not well-formed, or anything looks
// doubtful - it throws SemiXmlFast::Declined and the caller reads the file again with
// libxml2 (SemiXml): correctness never rests on this scanner's handling of the rare
// constructs, only on its handling of the subset, which tests compare with libxml2's
// on every real file and on hand-made edge cases (tests/import/SemiXmlFast_test.cpp),
// and a differential fuzzer checks (fuzz/fuzz_e142_diff.cpp).
//
// Line numbers follow libxml2's: an element's line is that of the '>' ending its
// start tag (libxml2 caps them at 65,535 without XML_PARSE_BIG_LINES; these do not).
#include <cstdint>
#include <deque>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "io/import/InputFile.hpp"

namespace yf::import {

class SemiXmlFast {
 public:
  struct Declined {
    std::string why;  // for tests and debugging: which construct was met
  };

  explicit SemiXmlFast(const std::string& path);  // throws ImportError "PATH: cannot open"

  bool next();
  bool is_start() const { return start_; }
  bool is_empty() const { return empty_; }
  std::string_view name() const { return name_; }  // local name (after any prefix)
  int line() const { return line_; }

  std::optional<std::string> attr(const char* name) const;
  bool has_attr(const char* name) const;
  // The text inside the current start element, entities decoded and line ends
  // normalised; valid until the next call. Declines when the element holds child
  // elements, comments, CDATA or processing instructions.
  std::string_view text();
  // The same text for a caller that checks every byte itself: `take(raw)` gets the
  // bytes up to the next '<' before any XML check, and must return true only if each
  // of them stands for itself in a text and is allowed there (a row of hexadecimal
  // digits: the decoder checks them anyway, so text()'s scan of them is saved). Then
  // the text and its end tag are consumed as by text(), and text_if returns true;
  // otherwise nothing is consumed (call text()).
  template <class Take>
  bool text_if(Take&& take) {
    std::size_t i = 0, j = 0;
    if (!raw_text(i, j) || !take(std::string_view(buf_.data() + pos_, i - pos_))) return false;
    consume_text(i, j, 0);
    return true;
  }

  const std::string& path() const { return in_.path(); }
  std::string where() const { return path() + ": line " + std::to_string(line_); }

 private:
  struct Open {
    std::size_t qname_off;  // into names_
    std::uint16_t qname_len, prefix_len;
    int line;
    std::size_t ns_declared;  // prefixes_.size() before this element's declarations
  };
  struct Attr {
    std::string_view qname, value;  // into buf_, or value into decoded_
  };

  [[noreturn]] void decline(const char* why) const;
  void more_at_start();
  bool more(std::size_t& i);  // reads more bytes after end_ (i follows the move); false at the end
  void advance(std::size_t to);  // consumes up to `to`, counting lines
  void prolog();
  void start_tag();
  void end_tag();
  void skip_comment();
  void decode(std::string_view raw, bool attribute, std::string& out) const;
  const char* end_tag_follows(std::size_t& i, std::size_t& j);
  void consume_text(std::size_t i, std::size_t j, int lines);
  bool raw_text(std::size_t& i, std::size_t& j);  // text_if's search: false when not a text
  bool prefix_declared(std::string_view prefix) const;

  InputFile in_;
  std::vector<char> buf_;
  std::size_t pos_ = 0, end_ = 0;
  bool eof_ = false;
  int cur_line_ = 1;  // line at pos_

  std::string_view name_;
  bool start_ = false, empty_ = false, root_seen_ = false, root_done_ = false;
  int line_ = 0;
  std::vector<Open> stack_;
  std::string names_;                 // qnames of the open elements
  std::vector<std::string> prefixes_;  // declared namespace prefixes, innermost last
  std::vector<Attr> attrs_;
  std::deque<std::string> decoded_;  // attribute values with entities (a deque: no moves)
  std::string text_;                 // a text with entities or CRs, decoded
  std::string cur_name_;  // the current element's local name (stable across refills)
  std::string bare_tag_;  // "NAME>" of the last start tag without attributes or prefix read in full
};

}  // namespace yf::import
