#include "io/import/SemiXmlFast.hpp"

#include <algorithm>
#include <cstdint>
#include <cstring>

#include "io/import/BinCodes.hpp"
#include "io/import/ImportSink.hpp"
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

constexpr std::size_t kChunk = 1u << 20;        // read size
constexpr std::size_t kMaxToken = 256u << 20;  // a tag or text longer than this: let libxml2 judge

bool is_blank(char c) { return c == ' ' || c == '\t' || c == '\n' || c == '\r'; }
bool name_start(char c) { return (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || c == '_'; }
bool name_char(char c) { return name_start(c) || (c >= '0' && c <= '9') || c == '-' || c == '.' || c == ':'; }

// The next `name = "value"` pair of a tag's attributes or of the XML declaration, read from
// text[k] on (k just past the name before them). Returns nullptr with the pair, or nullptr
// with `end` set when only blanks are left, or why the text is outside the subset.
const char* next_name_value(std::string_view text, std::size_t& k, std::string_view& name, std::string_view& value,
                            bool& end) {
  const std::size_t b = k;
  while (k < text.size() && is_blank(text[k])) ++k;
  end = k == text.size();
  if (end) return nullptr;
  if (k == b) return "name = value pairs without a blank between them";
  if (!name_start(text[k])) return "a name outside the subset in a tag";
  const std::size_t n0 = k;
  while (k < text.size() && name_char(text[k])) ++k;
  name = text.substr(n0, k - n0);
  while (k < text.size() && is_blank(text[k])) ++k;
  if (k == text.size() || text[k] != '=') return "a name without '=' in a tag";
  ++k;
  while (k < text.size() && is_blank(text[k])) ++k;
  if (k == text.size() || (text[k] != '"' && text[k] != '\'')) return "a value without quotes in a tag";
  const char q = text[k++];
  const std::size_t v0 = k;
  while (k < text.size() && text[k] != q) ++k;
  if (k == text.size()) return "an unterminated value in a tag";
  value = text.substr(v0, k - v0);
  ++k;
  return nullptr;
}

#if defined(YF_AVX2_TARGET)
// 0xFF in each byte of p[0, 32) that find_special stops at.
__attribute__((target("avx2"))) inline __m256i special32(const char* p) {
  const __m256i v = _mm256_loadu_si256(reinterpret_cast<const __m256i*>(p));
  const __m256i lt = _mm256_cmpeq_epi8(v, _mm256_set1_epi8('<')), amp = _mm256_cmpeq_epi8(v, _mm256_set1_epi8('&'));
  const __m256i br = _mm256_cmpeq_epi8(v, _mm256_set1_epi8(']'));
  const __m256i low = _mm256_cmpgt_epi8(_mm256_set1_epi8(0x20), v);  // signed: bytes >= 0x80 too
  return _mm256_or_si256(_mm256_or_si256(lt, amp), _mm256_or_si256(br, low));
}

// find_special's loop on 32 bytes at a time (AVX2, chosen at run time); returns the
// position found (`found` set), or where it stopped (the last n % 32 bytes are left).
__attribute__((target("avx2"))) std::size_t find_special_avx2(const char* p, std::size_t n, bool& found) {
  found = true;
  std::size_t i = 0;
  // 64 bytes a round, one test for both halves: a row of codes is hundreds of bytes.
  for (; i + 64 <= n; i += 64) {
    const __m256i a = special32(p + i), b = special32(p + i + 32);
    if (!_mm256_testz_si256(_mm256_or_si256(a, b), _mm256_or_si256(a, b))) {
      const std::uint64_t mask = static_cast<std::uint32_t>(_mm256_movemask_epi8(a)) |
                                 static_cast<std::uint64_t>(static_cast<std::uint32_t>(_mm256_movemask_epi8(b))) << 32;
      return i + static_cast<std::size_t>(__builtin_ctzll(mask));
    }
  }
  for (; i + 32 <= n; i += 32)
    if (const auto mask = static_cast<std::uint32_t>(_mm256_movemask_epi8(special32(p + i))))
      return i + static_cast<std::size_t>(__builtin_ctz(mask));
  found = false;
  return i;
}
#endif

// First position in p[0, n) of a byte that a text cannot simply pass over: '<' (its
// end), '&', ']', a control byte (line feeds and tabs included: the caller counts and
// skips them) or a non-ASCII byte. SSE2 compares 16 bytes at a time (signed: bytes
// >= 0x80 are below 0x20).
std::size_t find_special(const char* p, std::size_t n) {
  std::size_t i = 0;
#if defined(YF_AVX2_TARGET)
  if (use_avx2()) {
    bool found = false;
    i = find_special_avx2(p, n, found);
    if (found) return i;
  }
#endif
#if defined(__SSE2__)
  const __m128i lt = _mm_set1_epi8('<'), amp = _mm_set1_epi8('&'), br = _mm_set1_epi8(']'), sp = _mm_set1_epi8(0x20);
  for (; i + 16 <= n; i += 16) {
    const __m128i v = _mm_loadu_si128(reinterpret_cast<const __m128i*>(p + i));
    const __m128i m = _mm_or_si128(_mm_or_si128(_mm_cmpeq_epi8(v, lt), _mm_cmpeq_epi8(v, amp)),
                                   _mm_or_si128(_mm_cmpeq_epi8(v, br), _mm_cmplt_epi8(v, sp)));
    if (const int mask = _mm_movemask_epi8(m)) return i + static_cast<std::size_t>(__builtin_ctz(static_cast<unsigned>(mask)));
  }
#endif
  for (; i < n; ++i) {
    const auto c = static_cast<unsigned char>(p[i]);
    if (c == '<' || c == '&' || c == ']' || c < 0x20 || c >= 0x80) return i;
  }
  return n;
}

// Length of the valid UTF-8 sequence at s[i] encoding an XML Char, 0 when invalid.
std::size_t utf8_char(std::string_view s, std::size_t i) {
  const auto b = [&](std::size_t k) { return i + k < s.size() ? static_cast<unsigned char>(s[i + k]) : 0u; };
  const unsigned c0 = b(0);
  auto cont = [&](std::size_t k) { return (b(k) & 0xC0u) == 0x80u; };
  std::uint32_t cp = 0;
  std::size_t len = 0;
  if (c0 >= 0xC2 && c0 <= 0xDF) len = 2, cp = c0 & 0x1Fu;
  else if (c0 >= 0xE0 && c0 <= 0xEF) len = 3, cp = c0 & 0x0Fu;
  else if (c0 >= 0xF0 && c0 <= 0xF4) len = 4, cp = c0 & 0x07u;
  else return 0;
  for (std::size_t k = 1; k < len; ++k) {
    if (!cont(k)) return 0;
    cp = cp << 6 | (b(k) & 0x3Fu);
  }
  if ((len == 3 && cp < 0x800) || (len == 4 && (cp < 0x10000 || cp > 0x10FFFF))) return 0;  // overlong, too big
  if ((cp >= 0xD800 && cp <= 0xDFFF) || cp == 0xFFFE || cp == 0xFFFF) return 0;            // not XML Chars
  return len;
}

bool xml_char(std::uint32_t cp) {
  return cp == 0x9 || cp == 0xA || cp == 0xD || (cp >= 0x20 && cp <= 0xD7FF) || (cp >= 0xE000 && cp <= 0xFFFD) ||
         (cp >= 0x10000 && cp <= 0x10FFFF);
}

void put_utf8(std::uint32_t cp, std::string& out) {
  if (cp < 0x80) {
    out += static_cast<char>(cp);
  } else if (cp < 0x800) {
    out += static_cast<char>(0xC0 | (cp >> 6));
    out += static_cast<char>(0x80 | (cp & 0x3F));
  } else if (cp < 0x10000) {
    out += static_cast<char>(0xE0 | (cp >> 12));
    out += static_cast<char>(0x80 | ((cp >> 6) & 0x3F));
    out += static_cast<char>(0x80 | (cp & 0x3F));
  } else {
    out += static_cast<char>(0xF0 | (cp >> 18));
    out += static_cast<char>(0x80 | ((cp >> 12) & 0x3F));
    out += static_cast<char>(0x80 | ((cp >> 6) & 0x3F));
    out += static_cast<char>(0x80 | (cp & 0x3F));
  }
}

// The reference at s[i] == '&': its length through ';' and the code point it stands
// for; 0 when it is not a predefined entity or a valid character reference.
std::size_t reference(std::string_view s, std::size_t i, std::uint32_t& cp) {
  const std::size_t semi = s.find(';', i);
  if (semi == std::string_view::npos || semi - i > 12) return 0;
  const std::string_view r = s.substr(i + 1, semi - i - 1);
  if (r == "lt") cp = '<';
  else if (r == "gt") cp = '>';
  else if (r == "amp") cp = '&';
  else if (r == "quot") cp = '"';
  else if (r == "apos") cp = '\'';
  else if (r.size() >= 2 && r[0] == '#') {
    const bool hex = r[1] == 'x';
    const std::string_view digits = r.substr(hex ? 2 : 1);
    if (digits.empty()) return 0;
    std::uint32_t v = 0;
    for (char c : digits) {
      int d = -1;
      if (c >= '0' && c <= '9') d = c - '0';
      else if (hex && c >= 'a' && c <= 'f') d = c - 'a' + 10;
      else if (hex && c >= 'A' && c <= 'F') d = c - 'A' + 10;
      if (d < 0) return 0;
      v = v * (hex ? 16u : 10u) + static_cast<std::uint32_t>(d);
      if (v > 0x10FFFF) return 0;
    }
    if (!xml_char(v)) return 0;
    cp = v;
  } else {
    return 0;
  }
  return semi - i + 1;
}

// Checks a text or attribute value as libxml2 would (XML Chars in UTF-8, references
// that resolve, no "]]>" in a text); returns false when it is outside the subset.
// `decode` is set when the value differs from its raw bytes once read.
bool valid_chars(std::string_view s, bool attribute, bool& decode) {
  for (std::size_t i = 0; i < s.size();) {
    const auto c = static_cast<unsigned char>(s[i]);
    if (c >= 0x80) {
      const std::size_t n = utf8_char(s, i);
      if (n == 0) return false;
      i += n;
      continue;
    }
    if (c < 0x20) {
      if (c != '\t' && c != '\n' && c != '\r') return false;
      // A lone CR is a line end to libxml2; the lines counted here are LFs: leave it.
      if (c == '\r' && (i + 1 >= s.size() || s[i + 1] != '\n')) return false;
      if (c == '\r' || attribute) decode = true;
    } else if (c == '&') {
      std::uint32_t cp = 0;
      const std::size_t n = reference(s, i, cp);
      if (n == 0) return false;
      decode = true;
      i += n;
      continue;
    } else if (c == ']' && !attribute && s.compare(i, 3, "]]>") == 0) {
      return false;
    } else if (c == '<') {
      return false;
    }
    ++i;
  }
  return true;
}

// A namespace name libxml2 takes without a warning: "scheme:..." (an absolute URI).
bool absolute_uri(std::string_view v) {
  const std::size_t colon = v.find(':');
  if (colon == 0 || colon == std::string_view::npos) return false;
  if (!((v[0] >= 'A' && v[0] <= 'Z') || (v[0] >= 'a' && v[0] <= 'z'))) return false;
  for (std::size_t i = 1; i < colon; ++i) {
    const char c = v[i];
    if (!(name_char(c) || c == '+') || c == ':' || c == '_') return false;
  }
  // A conservative alphabet: whatever libxml2's URI parser might frown at (percent
  // escapes, brackets, spaces, ...) is left to libxml2.
  for (char c : v)
    if (!((c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == ':' || c == '/' ||
          c == '.' || c == '-' || c == '_' || c == '~' || c == '+'))
      return false;
  return true;
}

}  // namespace

SemiXmlFast::SemiXmlFast(const std::string& path) : in_(path), buf_(kChunk) {
  more_at_start();
  prolog();
}

void SemiXmlFast::decline(const char* why) const { throw Declined{why}; }

void SemiXmlFast::more_at_start() {
  end_ = in_.read(buf_.data(), buf_.size());
  eof_ = end_ == 0;
}

// Keeps [pos_, end_), moved to the front, and reads more after it; `i` (an offset at
// or after pos_) follows the move. False at the end of the file.
bool SemiXmlFast::more(std::size_t& i) {
  if (eof_) return false;
  const std::size_t keep = end_ - pos_;
  if (keep > kMaxToken) decline("a tag or text longer than 256 MiB");
  if (pos_ > 0) {
    if (keep > 0) std::memmove(buf_.data(), buf_.data() + pos_, keep);
    i -= pos_;
    pos_ = 0;
    end_ = keep;
  }
  if (buf_.size() - end_ < kChunk / 2) buf_.resize(buf_.size() + kChunk);
  const std::size_t got = in_.read(buf_.data() + end_, buf_.size() - end_);
  if (got == 0) {
    eof_ = true;
    return false;
  }
  if (std::memchr(buf_.data() + end_, '\0', got)) decline("a NUL byte");
  end_ += got;
  return true;
}

void SemiXmlFast::advance(std::size_t to) {
  cur_line_ += static_cast<int>(std::count(buf_.data() + pos_, buf_.data() + to, '\n'));
  pos_ = to;
}

void SemiXmlFast::prolog() {
  if (std::memchr(buf_.data(), '\0', end_)) decline("a NUL byte");
  if (end_ >= 3 && std::memcmp(buf_.data(), "\xEF\xBB\xBF", 3) == 0) pos_ = 3;
  if (end_ - pos_ < 6 || std::memcmp(buf_.data() + pos_, "<?xml", 5) != 0 || !is_blank(buf_[pos_ + 5])) return;
  std::size_t i = pos_ + 5;
  for (;;) {
    if (i + 1 >= end_ && !more(i)) decline("a truncated XML declaration");
    if (buf_[i] == '?' && buf_[i + 1] == '>') break;
    if (buf_[i] == '<') decline("'<' in the XML declaration");
    ++i;
  }
  const std::string_view decl(buf_.data() + pos_ + 5, i - pos_ - 5);
  if (decl.find('\r') != std::string_view::npos) decline("a CR in the XML declaration");
  // version="1.0" [encoding="UTF-8"|"US-ASCII"] [standalone="yes"|"no"], in that order.
  std::size_t k = 0;
  int field = 0;
  for (;;) {
    std::string_view key, value;
    bool end = false;
    if (const char* why = next_name_value(decl, k, key, value, end)) decline(why);
    if (end) break;
    if (key == "version" && field == 0 && value == "1.0") field = 1;
    else if (key == "encoding" && field == 1 && (iequals(value, "UTF-8") || iequals(value, "US-ASCII"))) field = 2;
    else if (key == "standalone" && field >= 1 && field < 3 && (value == "yes" || value == "no")) field = 3;
    else decline("XML declaration: a field outside the subset");
  }
  if (field == 0) decline("XML declaration without version 1.0");
  advance(i + 2);
}

bool SemiXmlFast::prefix_declared(std::string_view prefix) const {
  if (prefix == "xml") return true;
  for (const auto& p : prefixes_)
    if (p == prefix) return true;
  return false;
}

bool SemiXmlFast::next() {
  for (;;) {
    // The text before the next '<': outside the root only blanks; inside, anything
    // well-formed (it is not what the importers read).
    std::size_t i = pos_;
    bool plain = true;
    int lines = 0;
    for (;;) {
      i += find_special(buf_.data() + i, end_ - i);
      if (i == end_) {
        if (!more(i)) break;
        continue;
      }
      const char c = buf_[i];
      if (c == '<') break;
      lines += c == '\n';
      if (c != '\n' && c != '\t') plain = false;
      ++i;
    }
    const std::string_view run(buf_.data() + pos_, i - pos_);
    if (stack_.empty()) {
      for (char c : run)
        if (!is_blank(c)) decline("text outside the root element");
    } else if (!plain) {
      bool decode = false;
      if (!valid_chars(run, false, decode)) decline("a text outside the subset");
    }
    cur_line_ += lines;
    pos_ = i;
    if (pos_ == end_) {  // the end of the file
      if (!root_done_) decline("the file ends before the root element does");
      return false;
    }
    // pos_ is at '<'.
    std::size_t j = pos_ + 1;
    if (j + 3 >= end_) more(j);
    if (j >= end_) decline("a truncated tag");
    const char c = buf_[j];
    if (c == '/') {
      end_tag();
      return true;
    }
    if (c == '!') {
      if (end_ - j >= 3 && buf_[j + 1] == '-' && buf_[j + 2] == '-') {
        skip_comment();
        continue;
      }
      decline("a DOCTYPE or CDATA section");
    }
    if (c == '?') decline("a processing instruction");
    start_tag();
    return true;
  }
}

void SemiXmlFast::skip_comment() {
  std::size_t i = pos_ + 4;  // after "<!--"
  for (;;) {
    if (i + 1 >= end_) {
      if (!more(i)) decline("a truncated comment");
      continue;
    }
    if (buf_[i] == '-' && buf_[i + 1] == '-') break;
    ++i;
  }
  if (i + 2 >= end_) more(i);
  if (i + 2 >= end_ || buf_[i + 2] != '>') decline("'--' inside a comment");
  bool decode = false;
  if (!valid_chars(std::string_view(buf_.data() + pos_ + 4, i - pos_ - 4), true, decode))
    decline("a comment outside the subset");
  advance(i + 3);
}

void SemiXmlFast::end_tag() {
  std::size_t i = pos_ + 2;
  for (;;) {
    if (i == end_ && !more(i)) decline("a truncated end tag");
    if (buf_[i] == '>') break;
    if (buf_[i] == '<') decline("'<' inside an end tag");
    ++i;
  }
  if (stack_.empty()) decline("an end tag without a start");
  std::string_view q(buf_.data() + pos_ + 2, i - pos_ - 2);
  while (!q.empty() && is_blank(q.back())) q.remove_suffix(1);
  if (q.size() + 2 < i - pos_ && std::memchr(q.data() + q.size(), '\r', i - pos_ - 2 - q.size()))
    decline("a CR in an end tag");
  const Open& top = stack_.back();
  if (q != std::string_view(names_).substr(top.qname_off, top.qname_len)) decline("an end tag that does not match");
  line_ = top.line;
  cur_name_.assign(q.substr(top.prefix_len ? top.prefix_len + 1u : 0u));
  name_ = cur_name_;
  start_ = false;
  empty_ = false;
  prefixes_.resize(top.ns_declared);
  names_.resize(top.qname_off);
  stack_.pop_back();
  if (stack_.empty()) root_done_ = true;
  advance(i + 1);
}

void SemiXmlFast::start_tag() {
  if (root_done_) decline("a second root element");
  // The same bare tag as the last one read in full (<BinCode> on every row of a map):
  // no attributes, no prefix, no blank or line end, so nothing to check again.
  const std::size_t bare = bare_tag_.size();
  if (bare > 0 && end_ - pos_ > bare && std::memcmp(buf_.data() + pos_ + 1, bare_tag_.data(), bare) == 0) {
    attrs_.clear();
    decoded_.clear();
    pos_ += 1 + bare;
    line_ = cur_line_;
    cur_name_.assign(bare_tag_, 0, bare - 1);
    name_ = cur_name_;
    start_ = true;
    empty_ = false;
    stack_.push_back({names_.size(), static_cast<std::uint16_t>(bare - 1), 0, line_, prefixes_.size()});
    names_.append(cur_name_);
    return;
  }
  // The whole tag first (a '>' outside quotes), so that views into it stay valid.
  // Line ends are counted on the way (most tags have none).
  std::size_t i = pos_ + 1;
  char quote = 0;
  int lines = 0;
  bool cr = false;
  for (;;) {
    if (i == end_ && !more(i)) decline("a truncated start tag");
    const char c = buf_[i];
    if (quote) {
      if (c == quote) quote = 0;
      else if (c == '<') decline("'<' in an attribute value");
    } else if (c == '>') {
      break;
    } else if (c == '"' || c == '\'') {
      quote = c;
    } else if (c == '<') {
      decline("'<' inside a tag");
    }
    lines += c == '\n';
    cr |= c == '\r';
    ++i;
  }
  std::string_view tag(buf_.data() + pos_ + 1, i - pos_ - 1);
  if (cr)
    for (std::size_t r = tag.find('\r'); r != std::string_view::npos; r = tag.find('\r', r + 1))
      if (r + 1 >= tag.size() || tag[r + 1] != '\n') decline("a lone CR in a tag");
  const bool empty = !tag.empty() && tag.back() == '/';
  if (empty) tag.remove_suffix(1);
  // The qualified name.
  std::size_t k = 0;
  if (tag.empty() || !name_start(tag[0])) decline("an element name outside the subset");
  while (k < tag.size() && name_char(tag[k])) ++k;
  const std::string_view qname = tag.substr(0, k);
  if (k < tag.size() && !is_blank(tag[k])) decline("an element name outside the subset");
  // Attributes: name = "value", blanks between.
  attrs_.clear();
  decoded_.clear();
  const std::size_t ns_before = prefixes_.size();
  for (;;) {
    std::string_view an, value;
    bool end = false;
    if (const char* why = next_name_value(tag, k, an, value, end)) decline(why);
    if (end) break;
    bool decode = false;
    if (!valid_chars(value, true, decode)) decline("an attribute value outside the subset");
    if (decode) {
      decoded_.emplace_back();
      this->decode(value, true, decoded_.back());
      value = decoded_.back();
    }
    for (const auto& a : attrs_)
      if (a.qname == an) decline("an attribute given twice");
    attrs_.push_back({an, value});
    if (an == "xmlns") {
      if (!value.empty() && !absolute_uri(value)) decline("a namespace name that is not an absolute URI");
    } else if (an.size() > 6 && an.compare(0, 6, "xmlns:") == 0) {
      if (value.empty() || !absolute_uri(value)) decline("a namespace name that is not an absolute URI");
      prefixes_.emplace_back(an.substr(6));
    }
  }
  // Namespace prefixes must be declared; one colon at most in a name.
  auto prefix_of = [&](std::string_view n, bool attribute) -> std::size_t {
    const std::size_t colon = n.find(':');
    if (colon == std::string_view::npos) return 0;
    if (colon == 0 || colon + 1 == n.size() || n.find(':', colon + 1) != std::string_view::npos)
      decline("a name with misplaced colons");
    const std::string_view p = n.substr(0, colon);
    if (attribute && p == "xmlns") return colon;
    if (!prefix_declared(p)) decline("an undeclared namespace prefix");
    return colon;
  };
  const std::size_t prefix_len = prefix_of(qname, false);
  for (std::size_t a = 0; a < attrs_.size(); ++a) {
    if (prefix_of(attrs_[a].qname, true) == 0) continue;
    // Two prefixed attributes of one local name could be one expanded name: rare, let libxml2 judge.
    const std::string_view local = attrs_[a].qname.substr(attrs_[a].qname.find(':') + 1);
    for (std::size_t b = 0; b < a; ++b)
      if (attrs_[b].qname.find(':') != std::string_view::npos &&
          attrs_[b].qname.substr(attrs_[b].qname.find(':') + 1) == local)
        decline("two prefixed attributes of one local name");
  }
  // libxml2 gives an element the line of the '>' ending its start tag.
  cur_line_ += lines;
  pos_ = i + 1;
  line_ = cur_line_;
  cur_name_.assign(qname.substr(prefix_len ? prefix_len + 1 : 0));
  name_ = cur_name_;
  start_ = true;
  empty_ = empty;
  root_seen_ = true;
  if (empty) {
    prefixes_.resize(ns_before);  // declarations of an empty element end with it
    if (stack_.empty()) root_done_ = true;
  } else {
    if (qname.size() > 0xFFFF) decline("an element name longer than 64 KiB");
    stack_.push_back({names_.size(), static_cast<std::uint16_t>(qname.size()), static_cast<std::uint16_t>(prefix_len),
                      line_, ns_before});
    names_.append(qname);
    if (attrs_.empty() && prefix_len == 0 && tag.size() == qname.size()) bare_tag_.assign(qname).push_back('>');
  }
}

void SemiXmlFast::decode(std::string_view raw, bool attribute, std::string& out) const {
  out.clear();
  for (std::size_t i = 0; i < raw.size(); ++i) {
    char c = raw[i];
    if (c == '\r') {  // line ends: "\r\n" and a lone "\r" read as "\n"
      if (i + 1 < raw.size() && raw[i + 1] == '\n') ++i;
      c = '\n';
    }
    if (c == '&') {
      std::uint32_t cp = 0;
      const std::size_t n = reference(raw, i, cp);  // validated before
      put_utf8(cp, out);
      i += n - 1;
      continue;
    }
    if (attribute && (c == '\n' || c == '\t')) c = ' ';  // attribute value normalisation
    out += c;
  }
}

std::optional<std::string> SemiXmlFast::attr(const char* name) const {
  for (const auto& a : attrs_)
    if (a.qname == name) return std::string(a.value);
  return std::nullopt;
}

bool SemiXmlFast::has_attr(const char* name) const {
  for (const auto& a : attrs_)
    if (a.qname == name) return true;
  return false;
}

// With i at the '<' ending the current element's text: checks that the element's end
// tag is there and sets j to its '>' (reading more as needed; i and j follow a move of
// the buffer). Returns why not, or nullptr.
const char* SemiXmlFast::end_tag_follows(std::size_t& i, std::size_t& j) {
  const Open& top = stack_.back();
  const std::size_t qlen = top.qname_len;
  j = i + 2 + qlen;
  while (j >= end_) {
    if (!more(i)) return "the file ends inside an element";
    j = i + 2 + qlen;
  }
  if (buf_[i + 1] != '/' || std::memcmp(buf_.data() + i + 2, names_.data() + top.qname_off, qlen) != 0)
    return "an element holding more than a text";
  for (;;) {
    if (j == end_) {
      const std::size_t before = i;
      if (!more(i)) return "a truncated end tag";
      j -= before - i;
      continue;
    }
    if (buf_[j] == '>') return nullptr;
    if (!is_blank(buf_[j]) || buf_[j] == '\r') return "an end tag that does not match, or a CR in it";
    ++j;
  }
}

// Consumes the text [pos_, i) holding `lines` line ends and the end tag [i, j]; the
// cursor stays on this element (as SemiXml's).
void SemiXmlFast::consume_text(std::size_t i, std::size_t j, int lines) {
  const Open& top = stack_.back();
  cur_line_ += lines + static_cast<int>(std::count(buf_.data() + i, buf_.data() + j, '\n'));
  pos_ = j + 1;
  start_ = false;
  prefixes_.resize(top.ns_declared);
  names_.resize(top.qname_off);
  stack_.pop_back();
  if (stack_.empty()) root_done_ = true;
}

std::string_view SemiXmlFast::text() {
  if (!start_ || empty_) return {};
  std::size_t i = pos_;
  bool plain = true;
  int lines = 0;
  for (;;) {
    i += find_special(buf_.data() + i, end_ - i);
    if (i == end_) {
      if (!more(i)) decline("the file ends inside a text");
      continue;
    }
    const char c = buf_[i];
    if (c == '<') break;
    lines += c == '\n';
    if (c != '\n' && c != '\t') plain = false;
    ++i;
  }
  // The end tag of this element must follow: children, comments, CDATA: libxml2.
  std::size_t j = 0;
  if (const char* why = end_tag_follows(i, j)) decline(why);
  std::string_view out(buf_.data() + pos_, i - pos_);
  if (!plain) {
    bool decode = false;
    if (!valid_chars(out, false, decode)) decline("a text outside the subset");
    if (decode) {
      this->decode(out, false, text_);
      out = text_;
    }
  }
  consume_text(i, j, lines);
  return out;
}

bool SemiXmlFast::raw_text(std::size_t& i, std::size_t& j) {
  if (!start_ || empty_) return false;
  i = pos_;
  for (;;) {
    if (const void* lt = std::memchr(buf_.data() + i, '<', end_ - i)) {
      i = static_cast<std::size_t>(static_cast<const char*>(lt) - buf_.data());
      break;
    }
    i = end_;
    if (!more(i)) return false;
  }
  return end_tag_follows(i, j) == nullptr;
}

}  // namespace yf::import
