#include "io/import/SemiMapBuilder.hpp"

#include "io/import/CodeCounter.hpp"

#if defined(__SSE2__)
#include <emmintrin.h>
#endif

#include <algorithm>
#include <cerrno>
#include <cmath>
#include <cstdio>
#include <ctime>
#include <limits>

namespace yf::import {

void SemiMapBuilder::begin_wafer(BinCodeType type, std::optional<std::string> null_code, int line) {
  type_ = type;
  begin_line_ = line;
  null_.reset();
  if (null_code && !trim(*null_code).empty()) {
    null_ = code_value(trim(*null_code), type);
    if (!null_)
      throw ImportError(at(line) + ": NullBin '" + *null_code + "' is not a bin code of its BinType");
  }
  defs_.clear();
  codes_.clear();
  row_end_.clear();
  repeated_ = 0;
  ncells_ = 0;
  cells_mode_ = type == BinCodeType::hex;
  // A 2-character code is 0..255: a NullBin outside that range never matches one.
  null16_ = null_ && *null_ >= 0 && *null_ < 256 ? *null_ : -1;
}

void SemiMapBuilder::define_bin(const std::string& code, const std::string& description, const std::string& quality,
                                std::optional<std::int64_t> count, int line) {
  const auto v = code_value(trim(code), type_);
  if (!v) throw ImportError(at(line) + ": BinCode '" + code + "' is not a bin code of its BinType");
  const std::string_view q = trim(quality);
  const bool pass = iequals(q, "Pass") || iequals(q, "Good");
  auto [it, fresh] = defs_.try_emplace(*v);
  Def& d = it->second;
  if (fresh) {
    d.name = description.empty() ? std::string(trim(code)) : description;
    d.pass = pass;
    d.line = line;
  } else if (d.pass != pass) {
    sink_.warning(at(line), "bin code " + std::string(trim(code)) + " is defined again with another BinQuality: the "
                                "first definition (line " + std::to_string(d.line) + ") wins");
  }
  if (count) d.declared = std::max<std::int64_t>(d.declared, 0) + *count;
}

// The rows read so far as code values, leaving the fused path.
void SemiMapBuilder::leave_cells() {
  const int null_code = null_.value_or(-1);
  codes_.resize(ncells_);
  for (std::size_t i = 0; i < ncells_; ++i) codes_[i] = cells_[i] == -1 ? null_code : cells_[i];
  ncells_ = 0;
  cells_mode_ = false;
}

bool SemiMapBuilder::add_packed_row(std::string_view text) {
  const std::size_t n = text.size() / 2, start = ncells_;
  if (!cells_mode_ || text.empty() || text.size() % 2 != 0 || row_end_.size() >= static_cast<std::size_t>(kMaxMapSide) ||
      n > static_cast<std::size_t>(kMaxMapSide))
    return false;  // add_row decides (and words any error)
  if (cells_.capacity() == 0) cells_.reserve(std::max(cells_hint_, start + n));
  if (cells_.size() < start + n) cells_.resize(start + n);
  if (!decode_hex2_cells(text.data(), n, null16_, cells_.data() + start)) return false;
  ncells_ = start + n;
  row_end_.push_back(ncells_);
  return true;
}

void SemiMapBuilder::add_row(std::string_view text, int line) {
  if (cells_mode_) {  // packed 2-character hexadecimal codes: straight to 16-bit cells, counted
    const std::string_view t = trim(text);
    if (t.size() % 2 == 0) {
      const std::size_t n = t.size() / 2, start = ncells_;
      if (row_end_.size() >= static_cast<std::size_t>(kMaxMapSide) || n > static_cast<std::size_t>(kMaxMapSide))
        throw ImportError(at(line) + ": the map is larger than " + std::to_string(kMaxMapSide) + " dies a side");
      // A new buffer (the last one became a map) is made the last wafer's size at once.
      if (cells_.capacity() == 0) cells_.reserve(std::max(cells_hint_, start + n));
      if (cells_.size() < start + n) cells_.resize(start + n);
      if (decode_hex2_cells(t.data(), n, null16_, cells_.data() + start)) {
        ncells_ = start + n;
        row_end_.push_back(ncells_);
        return;
      }
    }
    leave_cells();
  }
  std::string_view bad;
  const std::size_t start = codes_.size();
  if (!decode_codes(text, type_, codes_, bad)) {
    if (bad.empty())
      throw ImportError(at(line) + ": a row of " + std::to_string(trim(text).size()) +
                        " characters is not a whole number of " + std::to_string(code_width(type_)) +
                        "-character codes");
    throw ImportError(at(line) + ": '" + std::string(bad) + "' is not a bin code of the map's BinType");
  }
  if (row_end_.size() >= static_cast<std::size_t>(kMaxMapSide) ||
      codes_.size() - start > static_cast<std::size_t>(kMaxMapSide))
    throw ImportError(at(line) + ": the map is larger than " + std::to_string(kMaxMapSide) + " dies a side");
  row_end_.push_back(codes_.size());
}

void SemiMapBuilder::begin_grid(int cols, int rows) {
  if (cells_mode_) leave_cells();
  codes_.assign(static_cast<std::size_t>(cols) * static_cast<std::size_t>(rows), kNoDie);
  row_end_.clear();
  for (int r = 1; r <= rows; ++r) row_end_.push_back(static_cast<std::size_t>(r) * static_cast<std::size_t>(cols));
  repeated_ = 0;
}

void SemiMapBuilder::set_die(int col, int row, int code) {
  const std::size_t cols = row_end_.empty() ? 0 : row_end_.front();
  int& cell = codes_[static_cast<std::size_t>(row) * cols + static_cast<std::size_t>(col)];
  repeated_ += cell != kNoDie;
  cell = code;
}

void SemiMapBuilder::finish_wafer(WaferMeta meta, MapSizes sizes, NotchSide notch, const SemiMapHeader& header) {
  ++wafers_;
  const std::string where = at(begin_line_);
  if (row_end_.empty()) throw ImportError(where + ": wafer '" + meta.wafer_id + "' has no rows of bin codes");
  std::size_t widest = 0;
  for (std::size_t r = 0; r < row_end_.size(); ++r) widest = std::max(widest, row_end_[r] - (r ? row_end_[r - 1] : 0));
  const int rows = static_cast<int>(row_end_.size()), cols = static_cast<int>(widest);
  if (cols == 0) throw ImportError(where + ": wafer '" + meta.wafer_id + "' has only empty rows");
  const std::string hw = header.counts_where.empty() ? where : header.counts_where;
  const std::string wafer = "wafer '" + meta.wafer_id + "': ";
  if (header.rows && *header.rows != rows)
    sink_.warning(hw, wafer + "the header says " + std::to_string(*header.rows) + " rows, the map has " +
                          std::to_string(rows));
  if (header.cols && *header.cols != cols)
    sink_.warning(hw, wafer + "the header says " + std::to_string(*header.cols) + " columns, the map has " +
                          std::to_string(cols));

  BinMap map;
  map.cols = cols;
  map.rows = rows;
  std::map<int, std::int64_t> counted;
  int ragged = 0;
  if (cells_mode_) {  // the rows are 16-bit cells already
    // Counted in one go (the wafer's cells are still in cache): per row, the counter's
    // set-up and tail cost as much as its loop.
    CodeCounter cell_counts;
    cell_counts.add(cells_.data(), ncells_);
    for (const auto& [code, n] : cell_counts.counts()) counted[code == -1 ? null_.value_or(-1) : code] += n;
    for (std::size_t r = 0; r < row_end_.size(); ++r) ragged += row_end_[r] - (r ? row_end_[r - 1] : 0) != widest;
    if (ragged == 0) {  // the cells are the map: handed over, not copied; the next wafer starts a new buffer
      cells_.resize(ncells_);
      cells_hint_ = ncells_;
      map.bins = std::move(cells_);
      cells_ = {};
    } else {
      map.bins.assign(static_cast<std::size_t>(cols) * rows, -1);
      for (std::size_t r = 0; r < row_end_.size(); ++r) {
        const std::size_t begin = r ? row_end_[r - 1] : 0;
        std::copy(cells_.begin() + static_cast<std::ptrdiff_t>(begin), cells_.begin() + static_cast<std::ptrdiff_t>(row_end_[r]),
                  map.bins.begin() + static_cast<std::ptrdiff_t>(r * widest));
      }
    }
  } else {
    map.bins.assign(static_cast<std::size_t>(cols) * rows, -1);
    // Each row to 16-bit values (the NullBin -1, a position without a die -32768), then
    // counted (BinCount counts positions, the NullBin's too) and the -32768s made -1.
    // Branch-free, so that the compiler vectorises the conversion.
    CodeCounter counter;
    const int null_code = null_.value_or(std::numeric_limits<int>::min());  // none: matches no code
    bool too_big = false, holes = false;
    for (int r = 0; r < rows; ++r) {
      const std::size_t begin = r ? row_end_[static_cast<std::size_t>(r) - 1] : 0;
      const std::size_t size = row_end_[static_cast<std::size_t>(r)] - begin;
      const int* row = codes_.data() + begin;
      ragged += static_cast<int>(size) != cols;
      std::int16_t* out = map.bins.data() + static_cast<std::size_t>(r) * cols;
      int big = 0, hole = 0;
      std::size_t c = 0;
#if defined(__SSE2__)
      {
        const __m128i nul = _mm_set1_epi32(null_code), nodie = _mm_set1_epi32(kNoDie);
        const __m128i lim = _mm_set1_epi32(32767), low = _mm_set1_epi32(-32768);
        __m128i bigs = _mm_setzero_si128(), holes4 = _mm_setzero_si128();
        auto to16 = [&](__m128i x) {
          const __m128i n = _mm_cmpeq_epi32(x, nul), d = _mm_cmpeq_epi32(x, nodie);
          x = _mm_or_si128(_mm_andnot_si128(_mm_or_si128(n, d), x), _mm_or_si128(n, _mm_and_si128(d, low)));
          bigs = _mm_or_si128(bigs, _mm_cmpgt_epi32(x, lim));
          holes4 = _mm_or_si128(holes4, d);
          return x;
        };
        for (; c + 8 <= size; c += 8) {
          const __m128i a = to16(_mm_loadu_si128(reinterpret_cast<const __m128i*>(row + c)));
          const __m128i b = to16(_mm_loadu_si128(reinterpret_cast<const __m128i*>(row + c + 4)));
          _mm_storeu_si128(reinterpret_cast<__m128i*>(out + c), _mm_packs_epi32(a, b));
        }
        big = _mm_movemask_epi8(bigs);
        hole = _mm_movemask_epi8(holes4);
      }
#endif
      for (; c < size; ++c) {
        const int v = row[c];
        const int t = v == null_code ? -1 : v == kNoDie ? -32768 : v;
        big |= t > 32767;
        hole |= t == -32768;
        out[c] = static_cast<std::int16_t>(t);
      }
      too_big |= big != 0;
      holes |= hole != 0;
      counter.add(out, size);
    }
    if (holes)
      for (auto& b : map.bins) b = b == -32768 ? std::int16_t{-1} : b;
    for (const auto& [code, n] : counter.counts())
      if (code == -1) counted[null_code] += n;
      else if (code != -32768) counted[code] += n;
    if (too_big)  // the first such code, in reading order
      for (std::size_t i = 0; i < codes_.size(); ++i)
        if (const int v = codes_[i]; v > 32767 && v != null_code)
          throw ImportError(where + ": " + wafer + "bin code value " + std::to_string(v) + " does not fit a 16-bit bin");
  }
  if (repeated_ > 0)
    sink_.warning(where, wafer + std::to_string(repeated_) + " BinCode positions are given more than once: the last wins");
  if (ragged > 0)
    sink_.warning(where, wafer + std::to_string(ragged) + " rows are shorter than " + std::to_string(cols) +
                             " codes: padded with no-die");
  for (const auto& [code, def] : defs_) {
    const std::int64_t n = counted.count(code) ? counted[code] : 0;
    if (def.declared >= 0 && def.declared != n)
      sink_.warning(at(def.line), wafer + "BinCount " + std::to_string(def.declared) + " for bin '" + def.name +
                                      "' (code value " + std::to_string(code) + ") but the map holds " +
                                      std::to_string(n));
  }
  std::vector<BinDef> new_bins;
  std::int64_t good = 0;
  for (const auto& [code, n] : counted) {
    if (null_ && code == *null_) continue;
    auto it = defs_.find(code);
    if (it == defs_.end())
      sink_.warning(where, wafer + std::to_string(n) + " dies of bin code value " + std::to_string(code) +
                               " that no bin definition names: counted as failing");
    const bool pass = it != defs_.end() && it->second.pass;
    if (pass) good += n;
    const auto bin = static_cast<std::int16_t>(code);
    if (bins_declared_.insert(bin).second)
      new_bins.push_back({bin, it != defs_.end() ? it->second.name : std::to_string(code), pass});
  }
  for (const auto& [code, def] : defs_)  // defined but absent bins are declared too
    if (!(null_ && code == *null_) && code <= 32767 && bins_declared_.insert(static_cast<std::int16_t>(code)).second)
      new_bins.push_back({static_cast<std::int16_t>(code), def.name, def.pass});
  if (header.good_devices && *header.good_devices != good)
    sink_.warning(hw, wafer + "GoodDevices " + std::to_string(*header.good_devices) + " but " + std::to_string(good) +
                          " dies in passing bins");

  if (notch != NotchSide::bottom) map = rotate_notch_down(map, notch, &sizes);
  std::string assumed;
  ProductGeometry geometry = map_product(meta.product, map.cols, map.rows, sizes, &assumed);
  if (auto it = products_.find(meta.product);
      it != products_.end() && (it->second.cols != geometry.cols || it->second.rows != geometry.rows)) {
    const std::string renamed = meta.product + "-" + std::to_string(geometry.cols) + "x" + std::to_string(geometry.rows);
    sink_.warning(where, wafer + "a second grid size for product '" + meta.product + "': named '" + renamed + "'");
    meta.product = renamed;
    geometry.name = renamed;
  }
  if (!products_.count(meta.product)) {
    if (!assumed.empty()) {
      char buf[96];
      std::snprintf(buf, sizeof buf, ": assumed a %.4g mm wafer, %.4g x %.4g mm dies", geometry.wafer_diameter_mm,
                    geometry.die_width_mm, geometry.die_height_mm);
      sink_.warning(where, "no " + assumed + " for product '" + meta.product + "' in the file" + buf);
    }
    products_.emplace(meta.product, geometry);
    sink_.add_product(geometry);
  }
  if (!new_bins.empty()) sink_.add_bins(new_bins);
  WaferRecord rec;
  rec.meta = std::move(meta);
  rec.binmap = std::move(map);
  sink_.add_wafer(std::move(rec));
  codes_.clear();
  ncells_ = 0;
  row_end_.clear();
  repeated_ = 0;
}

NotchSide semi_orientation(const std::string& degrees, ImportSink& sink, const std::string& where) {
  const std::string_view d = trim(degrees);
  if (d.empty()) return NotchSide::bottom;
  char* end = nullptr;
  const std::string s(d);
  const double v = std::strtod(s.c_str(), &end);
  if (end == s.c_str() || *end != '\0' || !std::isfinite(v)) {
    sink.warning(where, "Orientation '" + s + "' is not an angle: notch taken at the bottom");
    return NotchSide::bottom;
  }
  const long deg = ((std::lround(v) % 360) + 360) % 360;
  switch (deg) {
    case 0: return NotchSide::bottom;
    case 90: return NotchSide::left;
    case 180: return NotchSide::top;
    case 270: return NotchSide::right;
    default:
      sink.warning(where, "Orientation " + s + " is not a multiple of 90 degrees: notch taken at the bottom");
      return NotchSide::bottom;
  }
}

std::int64_t semi_timestamp(const std::string& s) {
  if (s.size() < 14) return 0;
  for (int i = 0; i < 14; ++i)
    if (s[static_cast<std::size_t>(i)] < '0' || s[static_cast<std::size_t>(i)] > '9') return 0;
  auto num = [&](int at, int n) { return std::stoi(s.substr(static_cast<std::size_t>(at), static_cast<std::size_t>(n))); };
  std::tm tm{};
  tm.tm_year = num(0, 4) - 1900;
  tm.tm_mon = num(4, 2) - 1;
  tm.tm_mday = num(6, 2);
  tm.tm_hour = num(8, 2);
  tm.tm_min = num(10, 2);
  tm.tm_sec = num(12, 2);
  if (tm.tm_mon < 0 || tm.tm_mon > 11 || tm.tm_mday < 1 || tm.tm_mday > 31 || tm.tm_hour > 23 || tm.tm_min > 59 ||
      tm.tm_sec > 60)
    return 0;
  return static_cast<std::int64_t>(timegm(&tm));
}

std::optional<std::int64_t> semi_int(const std::optional<std::string>& v, const char* name, const std::string& where) {
  if (!v || trim(*v).empty()) return std::nullopt;
  const std::string s(trim(*v));
  char* end = nullptr;
  errno = 0;
  const long long x = std::strtoll(s.c_str(), &end, 10);
  if (end == s.c_str() || *end != '\0' || errno != 0)
    throw ImportError(where + ": " + name + ": '" + s + "' is not a whole number");
  return x;
}

std::optional<double> semi_double(const std::optional<std::string>& v, const char* name, const std::string& where) {
  if (!v || trim(*v).empty()) return std::nullopt;
  const std::string s(trim(*v));
  char* end = nullptr;
  const double x = std::strtod(s.c_str(), &end);
  if (end == s.c_str() || *end != '\0' || !std::isfinite(x))
    throw ImportError(where + ": " + name + ": '" + s + "' is not a number");
  return x;
}

}  // namespace yf::import
