#include "io/import/SinfImporter.hpp"

#include "core/SimdLevel.hpp"

#if defined(__x86_64__) && defined(__GNUC__)
#include <immintrin.h>
#include <tmmintrin.h>
#endif

#include <algorithm>
#include <cmath>
#include <cctype>
#include <cstdio>
#include <optional>
#include <cstring>
#include <map>
#include <set>
#include <vector>

#include "io/import/BinCodes.hpp"
#include "io/import/CodeCounter.hpp"
#include "io/import/LineReader.hpp"
#include "io/import/MapGeometry.hpp"

namespace yf::import {
namespace {

struct SinfWafer {
  std::map<std::string, std::string> header;  // upper-case key -> value
  std::map<std::string, std::size_t> header_line;
  std::vector<std::int16_t> codes;    // the RowData lines' dies, one row after the other
  std::vector<std::size_t> row_end;   // where each row ends in codes
  std::size_t first_row_line = 0;
  bool has_rows() const { return !row_end.empty(); }
};

// Two characters of a RowData code -> the die: a hex bin, -1 for "__" (no die), "@@"
// (not inspected) and FF (the reference die), kNotCode for anything else. One
// lookup a die, no branch: the table (128 KiB) is indexed by both characters.
constexpr std::int16_t kNotCode = -2;
struct PairTable {
  std::int16_t v[65536];
  PairTable() {
    auto hex = [](int c) {
      return c >= '0' && c <= '9' ? c - '0' : c >= 'A' && c <= 'F' ? c - 'A' + 10 : c >= 'a' && c <= 'f' ? c - 'a' + 10 : -1;
    };
    for (int a = 0; a < 256; ++a)
      for (int b = 0; b < 256; ++b) {
        const int hi = hex(a), lo = hex(b);
        std::int16_t x = kNotCode;
        if (hi >= 0 && lo >= 0) x = static_cast<std::int16_t>(hi << 4 | lo);
        if (x == 0xFF || (a == '_' && b == '_') || (a == '@' && b == '@')) x = -1;
        v[a << 8 | b] = x;
      }
  }
};
const PairTable& pair_table() {
  static const PairTable t;
  return t;
}

#if defined(__x86_64__) && defined(__GNUC__)
// 16 dies ("XX " each, 48 bytes) at a time with SSSE3's byte shuffle: the first
// characters, the second ones and the separators gathered into one register each,
// then decoded as the pair table does. Returns the dies decoded (a multiple of 16,
// at most `dies`); stops early, leaving the rest to the table, at a block that holds
// anything else. Every x86-64 CPU since 2006 has SSSE3; checked at run time.
struct Gather {
  std::uint8_t m[3][3][16];  // [character of the die][source register][lane]
  Gather() {
    for (int ch = 0; ch < 3; ++ch)
      for (int reg = 0; reg < 3; ++reg)
        for (int j = 0; j < 16; ++j) {
          const int at = 3 * j + ch - 16 * reg;
          m[ch][reg][j] = at >= 0 && at < 16 ? static_cast<std::uint8_t>(at) : 0x80;
        }
  }
};
const Gather kGather;

__attribute__((target("ssse3"))) std::size_t decode_sinf_blocks(const unsigned char* p, std::size_t dies,
                                                                  std::int16_t* out) {
  const auto mask = [](int ch, int reg) { return _mm_loadu_si128(reinterpret_cast<const __m128i*>(kGather.m[ch][reg])); };
  const __m128i h0 = mask(0, 0), h1 = mask(0, 1), h2 = mask(0, 2), l0 = mask(1, 0), l1 = mask(1, 1), l2 = mask(1, 2),
                s0 = mask(2, 0), s1 = mask(2, 1), s2 = mask(2, 2);
  const __m128i nine = _mm_set1_epi8(9), five = _mm_set1_epi8(5), ff = _mm_set1_epi8(-1), zero = _mm_setzero_si128();
  const auto nibble = [&](__m128i c, __m128i& ok) {
    const __m128i d = _mm_sub_epi8(c, _mm_set1_epi8('0'));
    const __m128i l = _mm_sub_epi8(_mm_or_si128(c, _mm_set1_epi8(0x20)), _mm_set1_epi8('a'));
    const __m128i is_digit = _mm_cmpeq_epi8(_mm_min_epu8(d, nine), d), is_letter = _mm_cmpeq_epi8(_mm_min_epu8(l, five), l);
    ok = _mm_or_si128(is_digit, is_letter);
    return _mm_or_si128(_mm_and_si128(is_digit, d), _mm_and_si128(is_letter, _mm_add_epi8(l, _mm_set1_epi8(10))));
  };
  std::size_t i = 0;
  for (; i + 16 <= dies; i += 16, p += 48) {
    const __m128i a = _mm_loadu_si128(reinterpret_cast<const __m128i*>(p));
    const __m128i b = _mm_loadu_si128(reinterpret_cast<const __m128i*>(p + 16));
    const __m128i c = _mm_loadu_si128(reinterpret_cast<const __m128i*>(p + 32));
    const __m128i hi = _mm_or_si128(_mm_or_si128(_mm_shuffle_epi8(a, h0), _mm_shuffle_epi8(b, h1)), _mm_shuffle_epi8(c, h2));
    const __m128i lo = _mm_or_si128(_mm_or_si128(_mm_shuffle_epi8(a, l0), _mm_shuffle_epi8(b, l1)), _mm_shuffle_epi8(c, l2));
    const __m128i sep = _mm_or_si128(_mm_or_si128(_mm_shuffle_epi8(a, s0), _mm_shuffle_epi8(b, s1)), _mm_shuffle_epi8(c, s2));
    __m128i ok_hi, ok_lo;
    const __m128i v = _mm_or_si128(_mm_and_si128(_mm_slli_epi16(nibble(hi, ok_hi), 4), _mm_set1_epi8(static_cast<char>(0xF0))),
                                   nibble(lo, ok_lo));
    // "__" and "@@": no die, like FF.
    const __m128i special =
        _mm_or_si128(_mm_and_si128(_mm_cmpeq_epi8(hi, _mm_set1_epi8('_')), _mm_cmpeq_epi8(lo, _mm_set1_epi8('_'))),
                     _mm_and_si128(_mm_cmpeq_epi8(hi, _mm_set1_epi8('@')), _mm_cmpeq_epi8(lo, _mm_set1_epi8('@'))));
    const __m128i ok = _mm_or_si128(_mm_and_si128(ok_hi, ok_lo), special);
    if ((_mm_movemask_epi8(ok) & _mm_movemask_epi8(_mm_cmpeq_epi8(sep, _mm_set1_epi8(' ')))) != 0xFFFF) break;
    const __m128i r = _mm_or_si128(v, special);  // 0xFF: no die
    const __m128i none = _mm_cmpeq_epi8(r, ff);
    _mm_storeu_si128(reinterpret_cast<__m128i*>(out + i),
                     _mm_or_si128(_mm_unpacklo_epi8(r, zero), _mm_unpacklo_epi8(none, none)));
    _mm_storeu_si128(reinterpret_cast<__m128i*>(out + i + 8),
                     _mm_or_si128(_mm_unpackhi_epi8(r, zero), _mm_unpackhi_epi8(none, none)));
  }
  return i;
}

// The same on 32 dies (96 bytes) at a time with AVX2: AVX2's byte shuffle stays within
// each 128-bit half, so the low half gathers dies 0-15 (bytes 0-47) and the high half
// dies 16-31 (bytes 48-95) with the SSSE3 masks. Returns a multiple of 32.
__attribute__((target("avx2"))) inline __m256i gather_mask256(int ch, int reg) {
  return _mm256_broadcastsi128_si256(_mm_loadu_si128(reinterpret_cast<const __m128i*>(kGather.m[ch][reg])));
}
__attribute__((target("avx2"))) inline __m256i load_halves(const unsigned char* low, const unsigned char* high) {
  return _mm256_inserti128_si256(_mm256_castsi128_si256(_mm_loadu_si128(reinterpret_cast<const __m128i*>(low))),
                                 _mm_loadu_si128(reinterpret_cast<const __m128i*>(high)), 1);
}
// A hex digit's value (0 when not one); `ok` 0xFF where it is one.
__attribute__((target("avx2"))) inline __m256i nibble256(__m256i c, __m256i& ok) {
  const __m256i d = _mm256_sub_epi8(c, _mm256_set1_epi8('0'));
  const __m256i l = _mm256_sub_epi8(_mm256_or_si256(c, _mm256_set1_epi8(0x20)), _mm256_set1_epi8('a'));
  const __m256i is_digit = _mm256_cmpeq_epi8(_mm256_min_epu8(d, _mm256_set1_epi8(9)), d);
  const __m256i is_letter = _mm256_cmpeq_epi8(_mm256_min_epu8(l, _mm256_set1_epi8(5)), l);
  ok = _mm256_or_si256(is_digit, is_letter);
  return _mm256_or_si256(_mm256_and_si256(is_digit, d), _mm256_and_si256(is_letter, _mm256_add_epi8(l, _mm256_set1_epi8(10))));
}
__attribute__((target("avx2"))) std::size_t decode_sinf_blocks_avx2(const unsigned char* p, std::size_t dies,
                                                                     std::int16_t* out) {
  const __m256i h0 = gather_mask256(0, 0), h1 = gather_mask256(0, 1), h2 = gather_mask256(0, 2);
  const __m256i l0 = gather_mask256(1, 0), l1 = gather_mask256(1, 1), l2 = gather_mask256(1, 2);
  const __m256i s0 = gather_mask256(2, 0), s1 = gather_mask256(2, 1), s2 = gather_mask256(2, 2);
  std::size_t i = 0;
  for (; i + 32 <= dies; i += 32, p += 96) {
    const __m256i a = load_halves(p, p + 48), b = load_halves(p + 16, p + 64), c = load_halves(p + 32, p + 80);
    const __m256i hi = _mm256_or_si256(_mm256_or_si256(_mm256_shuffle_epi8(a, h0), _mm256_shuffle_epi8(b, h1)),
                                       _mm256_shuffle_epi8(c, h2));
    const __m256i lo = _mm256_or_si256(_mm256_or_si256(_mm256_shuffle_epi8(a, l0), _mm256_shuffle_epi8(b, l1)),
                                       _mm256_shuffle_epi8(c, l2));
    const __m256i sep = _mm256_or_si256(_mm256_or_si256(_mm256_shuffle_epi8(a, s0), _mm256_shuffle_epi8(b, s1)),
                                        _mm256_shuffle_epi8(c, s2));
    __m256i ok_hi, ok_lo;
    const __m256i v = _mm256_or_si256(
        _mm256_and_si256(_mm256_slli_epi16(nibble256(hi, ok_hi), 4), _mm256_set1_epi8(static_cast<char>(0xF0))),
        nibble256(lo, ok_lo));
    const __m256i special = _mm256_or_si256(
        _mm256_and_si256(_mm256_cmpeq_epi8(hi, _mm256_set1_epi8('_')), _mm256_cmpeq_epi8(lo, _mm256_set1_epi8('_'))),
        _mm256_and_si256(_mm256_cmpeq_epi8(hi, _mm256_set1_epi8('@')), _mm256_cmpeq_epi8(lo, _mm256_set1_epi8('@'))));
    const __m256i ok = _mm256_and_si256(_mm256_or_si256(_mm256_and_si256(ok_hi, ok_lo), special),
                                        _mm256_cmpeq_epi8(sep, _mm256_set1_epi8(' ')));
    if (_mm256_movemask_epi8(ok) != -1) break;
    const __m256i r = _mm256_or_si256(v, special);  // 0xFF: no die
    const __m256i none = _mm256_cmpeq_epi8(r, _mm256_set1_epi8(-1));
    // Bytes to 16-bit cells: zero-extended, or all ones (-1) for no die.
    _mm256_storeu_si256(reinterpret_cast<__m256i*>(out + i),
                        _mm256_or_si256(_mm256_cvtepu8_epi16(_mm256_castsi256_si128(r)),
                                        _mm256_cvtepi8_epi16(_mm256_castsi256_si128(none))));
    _mm256_storeu_si256(reinterpret_cast<__m256i*>(out + i + 16),
                        _mm256_or_si256(_mm256_cvtepu8_epi16(_mm256_extracti128_si256(r, 1)),
                                        _mm256_cvtepi8_epi16(_mm256_extracti128_si256(none, 1))));
  }
  return i;
}

// Whole blocks of dies, each followed by a separator, by the widest SIMD the CPU has
// (SimdLevel.hpp: checked at run time; tests force the narrower paths): AVX2 32 dies
// at a time, then SSSE3 16. Returns the dies decoded; the table does the rest.
std::size_t decode_blocks(const unsigned char* p, std::size_t dies, std::int16_t* out) {
  std::size_t i = 0;
  if (use_avx2()) i = decode_sinf_blocks_avx2(p, dies, out);
  if (use_ssse3() && i + 16 <= dies) i += decode_sinf_blocks(p + 3 * i, dies - i, out + i);
  return i;
}
#else
std::size_t decode_blocks(const unsigned char*, std::size_t, std::int16_t*) { return 0; }
#endif

std::string upper(std::string_view s) {
  std::string u(s);
  for (auto& c : u) c = static_cast<char>(std::toupper(static_cast<unsigned char>(c)));
  return u;
}

class SinfImport {
 public:
  SinfImport(const std::string& path, const ImportOptions& options, ImportSink& sink)
      : lines_(path), path_(path), options_(options), sink_(sink) {}

  void run() {
    SinfWafer w;
    std::string_view line;
    std::vector<std::string_view> codes;
    while (lines_.next(line)) {
      line = trim(line);
      if (line.empty()) continue;
      const auto colon = line.find(':');
      if (colon == std::string_view::npos || colon == 0)
        throw ImportError(lines_.where() + "not a SINF `KEY:value` or `RowData:` line");
      const std::string key = upper(trim(line.substr(0, colon)));
      const std::string_view value = trim(line.substr(colon + 1));
      if (key == "ROWDATA") {
        if (!w.has_rows()) {
          w.first_row_line = static_cast<std::size_t>(lines_.line_number());
          w.codes.reserve(last_cells_);  // one allocation a wafer, when wafers are alike
        }
        decode_row(value, w, codes);
        w.row_end.push_back(w.codes.size());
        continue;
      }
      if (w.has_rows()) {  // a header after the rows: the next wafer begins,
        emit(w);              // keeping the keys it does not restate (DEVICE, LOT, sizes)
        SinfWafer next;
        next.header = std::move(w.header);
        next.header_line = std::move(w.header_line);
        for (const char* own : {"WAFER", "DIECT"}) next.header.erase(own), next.header_line.erase(own);
        w = std::move(next);
      }
      w.header[key] = std::string(value);
      w.header_line[key] = static_cast<std::size_t>(lines_.line_number());
    }
    if (!w.has_rows()) {
      if (emitted_ == 0) throw ImportError(path_ + ": no RowData lines: not a SINF map");
      throw ImportError(lines_.where() + "a header without RowData lines after the last wafer");
    }
    emit(w);
  }

 private:
  // Space-separated 2-character codes (the fast path: a table lookup a die, the
  // separators checked together), anything else through die().
  void decode_row(std::string_view value, SinfWafer& w, std::vector<std::string_view>& codes) {
    std::vector<std::int16_t>& out = w.codes;
    const std::size_t n = value.size(), base = out.size();
    if (n >= 2 && (n + 1) % 3 == 0) {
      const std::size_t k = (n + 1) / 3;
      out.resize(base + k);
      std::int16_t* o = out.data() + base;
      const auto* p = reinterpret_cast<const unsigned char*>(value.data());
      const std::int16_t* t = pair_table().v;
      unsigned bad = 0;
      // Whole blocks of dies followed by a separator first (AVX2, SSSE3), the rest below.
      std::size_t i = k > 16 ? decode_blocks(p, k - 1, o) : 0;
      for (p += 3 * i; i < k; ++i, p += 3) {
        const std::int16_t v = t[p[0] << 8 | p[1]];
        bad |= static_cast<unsigned>(v == kNotCode) | static_cast<unsigned>(i + 1 < k && p[2] != ' ');
        o[i] = v;
      }
      if (!bad) return;
      out.resize(base);
    }
    split_codes(value, BinCodeType::hex, codes);
    for (auto code : codes) out.push_back(die(code));
  }

  // "__" no die, "@@" not inspected, FF the reference die: none is a tested die.
  std::int16_t die(std::string_view code) {
    if (code.find_first_not_of('_') == std::string_view::npos) return -1;
    if (code.find_first_not_of('@') == std::string_view::npos) return -1;
    const auto v = code_value(code, BinCodeType::hex);
    if (!v || code.size() > 4 || *v > 32767)
      throw ImportError(lines_.where() + "RowData: '" + std::string(code) + "' is not a hexadecimal bin code");
    if (*v == 0xFF && code.size() == 2) return -1;
    return static_cast<std::int16_t>(*v);
  }

  std::string where(const SinfWafer& w, const std::string& key) const {
    auto it = w.header_line.find(key);
    return path_ + ": line " + std::to_string(it == w.header_line.end() ? w.first_row_line : it->second);
  }
  const std::string* get(const SinfWafer& w, const std::string& key) const {
    auto it = w.header.find(key);
    return it == w.header.end() || it->second.empty() ? nullptr : &it->second;
  }
  std::optional<double> number(const SinfWafer& w, const std::string& key) const {
    const std::string* s = get(w, key);
    if (!s) return std::nullopt;
    try {
      std::size_t used = 0;
      const double v = std::stod(*s, &used);
      if (used == s->size() && std::isfinite(v) && std::fabs(v) < 1e9) return v;
    } catch (const std::exception&) {
    }
    throw ImportError(where(w, key) + ": " + key + ": '" + *s + "' is not a number (or not a plausible one)");
  }

  static std::size_t row_size(const SinfWafer& w, std::size_t r) { return w.row_end[r] - (r ? w.row_end[r - 1] : 0); }

  void emit(SinfWafer& w) {
    ++emitted_;
    const int rows = static_cast<int>(w.row_end.size());
    std::size_t widest = 0;
    for (std::size_t r = 0; r < w.row_end.size(); ++r) widest = std::max(widest, row_size(w, r));
    const int cols = static_cast<int>(widest);
    if (cols == 0) throw ImportError(path_ + ": line " + std::to_string(w.first_row_line) + ": RowData lines hold no codes");
    if (cols > kMaxMapSide || rows > kMaxMapSide)
      throw ImportError(path_ + ": line " + std::to_string(w.first_row_line) + ": a " + std::to_string(cols) + " x " +
                        std::to_string(rows) + " map is too large");
    // Header counts against the grid: the grid wins.
    if (auto rc = number(w, "ROWCT"); rc && static_cast<int>(*rc) != rows)
      sink_.warning(where(w, "ROWCT"), "ROWCT " + *get(w, "ROWCT") + " but " + std::to_string(rows) + " RowData lines");
    if (auto cc = number(w, "COLCT"); cc && static_cast<int>(*cc) != cols)
      sink_.warning(where(w, "COLCT"), "COLCT " + *get(w, "COLCT") + " but RowData lines of up to " +
                                           std::to_string(cols) + " codes");
    BinMap map;
    map.cols = cols;
    map.rows = rows;
    last_cells_ = w.codes.size();
    int ragged = 0;
    for (std::size_t r = 0; r < w.row_end.size(); ++r) ragged += static_cast<int>(row_size(w, r)) != cols;
    if (ragged == 0) {
      map.bins = std::move(w.codes);  // the rows are the map already
    } else {
      map.bins.assign(static_cast<std::size_t>(cols) * rows, -1);
      for (std::size_t r = 0; r < w.row_end.size(); ++r) {
        const std::size_t begin = r ? w.row_end[r - 1] : 0;
        std::copy(w.codes.begin() + static_cast<std::ptrdiff_t>(begin),
                  w.codes.begin() + static_cast<std::ptrdiff_t>(w.row_end[r]),
                  map.bins.begin() + static_cast<std::ptrdiff_t>(r) * cols);
      }
    }
    if (ragged > 0)
      sink_.warning(path_ + ": line " + std::to_string(w.first_row_line),
                    std::to_string(ragged) + " RowData lines are shorter than " + std::to_string(cols) +
                        " codes: padded with no-die");
    // Dies and the bins present (CodeCounter: SIMD compares, no table increment a die).
    CodeCounter counter;
    counter.add(map.bins.data(), map.bins.size());
    int dies = 0;
    std::set<std::int16_t> seen;
    for (const auto& [code, n] : counter.counts())
      if (code >= 0) dies += static_cast<int>(n), seen.insert(static_cast<std::int16_t>(code));
    if (auto dc = number(w, "DIECT"); dc && static_cast<int>(*dc) != dies)
      sink_.warning(where(w, "DIECT"), "DIECT " + *get(w, "DIECT") + " but " + std::to_string(dies) + " dies in the rows");

    // Passing bins: BCEQU, or 01 when it is missing or blank.
    std::set<int> pass;
    if (const std::string* bc = get(w, "BCEQU")) {
      std::vector<std::string_view> codes;
      split_codes(*bc, BinCodeType::hex, codes);
      for (auto c : codes) {
        auto v = code_value(c, BinCodeType::hex);
        if (!v) throw ImportError(where(w, "BCEQU") + ": BCEQU: '" + std::string(c) + "' is not a hexadecimal bin code");
        pass.insert(*v);
      }
    }
    if (pass.empty()) pass.insert(1);

    MapSizes sizes;
    const std::string* unit = get(w, "DUTMS");
    const double mm = unit ? unit_to_mm(*unit).value_or(0.0) : 1.0;
    if (unit && mm == 0.0) sink_.warning(where(w, "DUTMS"), "DUTMS '" + *unit + "' is not a known unit: die size ignored");
    if (auto x = number(w, "XDIES")) sizes.die_width_mm = *x * mm;
    if (auto y = number(w, "YDIES")) sizes.die_height_mm = *y * mm;

    NotchSide notch = NotchSide::bottom;  // FNLOC: 0 top, 90 right, 180 bottom, 270 left
    if (auto fn = number(w, "FNLOC")) {
      const int deg = ((static_cast<int>(*fn) % 360) + 360) % 360;
      notch = deg == 0 ? NotchSide::top : deg == 90 ? NotchSide::right : deg == 270 ? NotchSide::left : NotchSide::bottom;
      if (deg % 90 != 0) sink_.warning(where(w, "FNLOC"), "FNLOC " + *get(w, "FNLOC") + " is not a multiple of 90: taken as 180");
    }
    if (notch != NotchSide::bottom) map = rotate_notch_down(map, notch, &sizes);

    const std::string* device = get(w, "DEVICE");
    std::string product = device ? *device : !options_.product.empty() ? options_.product : std::string("sinf");
    std::string assumed;
    ProductGeometry geometry = map_product(product, map.cols, map.rows, sizes, &assumed);
    if (auto it = products_.find(product); it != products_.end() &&
                                           (it->second.cols != geometry.cols || it->second.rows != geometry.rows)) {
      product += "-" + std::to_string(geometry.cols) + "x" + std::to_string(geometry.rows);
      geometry.name = product;
      sink_.warning(path_ + ": line " + std::to_string(w.first_row_line),
                    "a second grid size for DEVICE '" + it->first + "': product named '" + product + "'");
    }
    if (!assumed.empty() && !products_.count(product)) {
      char buf[96];
      std::snprintf(buf, sizeof buf, ": assumed a %.4g mm wafer, %.4g x %.4g mm dies", geometry.wafer_diameter_mm,
                    geometry.die_width_mm, geometry.die_height_mm);
      sink_.warning(path_, "no " + assumed + " in the file" + buf);
    }
    if (products_.emplace(product, geometry).second) sink_.add_product(geometry);

    std::vector<BinDef> bins;
    for (auto b : seen)
      if (bins_declared_.insert(b).second) bins.push_back({b, hex_name(b), pass.count(b) > 0});
    for (int b : pass)
      if (b <= 32767 && bins_declared_.insert(static_cast<std::int16_t>(b)).second)
        bins.push_back({static_cast<std::int16_t>(b), hex_name(b), true});
    if (!bins.empty()) sink_.add_bins(bins);

    WaferRecord rec;
    const std::string* wafer = get(w, "WAFER");
    const std::string* lot = get(w, "LOT");
    rec.meta.wafer_id = wafer ? *wafer : "W" + std::to_string(emitted_);
    rec.meta.lot_id = lot ? *lot : "";
    rec.meta.product = product;
    rec.meta.fab = options_.fab;
    rec.meta.tool = options_.tool;
    rec.meta.step = options_.step;
    rec.binmap = std::move(map);
    sink_.add_wafer(std::move(rec));
  }

  static std::string hex_name(int b) {
    char buf[8];
    std::snprintf(buf, sizeof buf, "%02X", b);
    return buf;
  }

  LineReader lines_;
  std::string path_;
  const ImportOptions& options_;
  ImportSink& sink_;
  int emitted_ = 0;
  std::map<std::string, ProductGeometry> products_;
  std::set<std::int16_t> bins_declared_;
  std::size_t last_cells_ = 0;  // the previous wafer's codes
};

}  // namespace

void import_sinf(const std::string& path, const ImportOptions& options, ImportSink& sink) {
  SinfImport(path, options, sink).run();
}

}  // namespace yf::import
