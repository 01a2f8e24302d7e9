// The KLARF DefectList block reader (KlarfDefectBlock.hpp has the overview):
// KlarfDefectBlock itself (the path taken, chosen per reader from the mode and the
// CPU), the rows of the portable and AVX2 paths (read_rows: a row at a time, each
// converted column of the row in turn) and the SampleTestPlan die indices of every
// path (read_ints). The AVX-512 path's rows are read a column at a time, in
// KlarfDefectBlockAvx512.cpp; what both files use (pass 1, the per-word
// conversions, Block) is in KlarfBlockInternal.hpp.
#include "io/import/KlarfDefectBlock.hpp"

#include "core/SimdLevel.hpp"
#include "io/import/KlarfBlockInternal.hpp"

#include <atomic>
#include <limits>

namespace yf::import {

using namespace klarf_block;

namespace {

std::atomic<KlarfBlockMode> g_mode{KlarfBlockMode::automatic};
std::atomic<std::uint64_t> g_rows{0};

template <class C>
[[gnu::always_inline]] inline std::size_t read_rows(const Block& b, const char* p, const char* e, std::uint64_t first_line,
                                                    std::int32_t test, std::vector<KlarfDefect>& out,
                                                    std::uint64_t& lines_used) {
  const std::size_t n = static_cast<std::size_t>(e - p);
  std::size_t stop = 0;
  std::uint32_t total_lines = 0;
  const std::size_t words = find_words<C>(p, n, b.starts, b.newlines, b.lines_before, stop, total_lines);
  const std::uint32_t* const idx = b.starts;
  auto line_at = [&](std::size_t pos) { return first_line + lines_before_byte<C>(b, pos); };
  // The last row seen that starts a line: where to give back to.
  SafeRow safe{0, out.size()};
  const std::size_t count = b.count;
  std::size_t row = 0;  // first word of the row being read
  bool whole = true;    // every word read went into a whole row
  std::uint64_t prev_line = 0;
  while (row + count <= words) {
    const std::uint64_t line = line_at(idx[row]);
    if (row == 0 || line != prev_line) safe = {row, out.size()};
    KlarfDefect& d = out.emplace_back();
    d.line = line;
    d.test = test;
    std::size_t shift = 0;  // image list entries before the current column
    // Every op runs (a failed one only makes the row given back: one test per row,
    // not one per op); the image count moves the later columns only when the row's
    // words are in the block, so every word read is one of the block's.
    bool ok = true;
    for (const KlarfDefectBlock::Op* op = b.ops; op != b.ops_end; ++op) {
      const char* w = p + idx[row + op->col + shift];
      std::int64_t i = 0;
      double x = 0;
      switch (op->role) {
        case DefectColumns::xrel_: ok &= column_number<C>(w, op->shapes, d.xrel); break;
        case DefectColumns::yrel_: ok &= column_number<C>(w, op->shapes, d.yrel); break;
        case DefectColumns::xindex_:
          ok &= integer_of<C>(w, i) && i >= -1000000 && i <= 1000000;
          d.xindex = i;
          break;
        case DefectColumns::yindex_:
          ok &= integer_of<C>(w, i) && i >= -1000000 && i <= 1000000;
          d.yindex = i;
          break;
        case DefectColumns::dsize_:
          ok &= column_number<C>(w, op->shapes, x);
          d.size = x;
          break;
        case DefectColumns::area_:
          ok &= column_number<C>(w, op->shapes, x);
          d.area = x;
          break;
        case DefectColumns::xsize_:
          ok &= column_number<C>(w, op->shapes, x);
          d.xsize = x;
          break;
        case DefectColumns::ysize_:
          ok &= column_number<C>(w, op->shapes, x);
          d.ysize = x;
          break;
        case DefectColumns::class_:
          ok &= integer_of<C>(w, i) && i >= std::numeric_limits<std::int32_t>::min() &&
                i <= std::numeric_limits<std::int32_t>::max();
          d.class_number = static_cast<std::int32_t>(i);
          break;
        case DefectColumns::test_:
          ok &= integer_of<C>(w, i) && i >= std::numeric_limits<std::int32_t>::min() &&
                i <= std::numeric_limits<std::int32_t>::max();
          d.test = static_cast<std::int32_t>(i);
          break;
        case DefectColumns::image_: {
          // The image count decides where the next row starts: no images (the
          // usual case) tested first by itself, a branch the CPU predicts, so the
          // next row does not wait for this word's bytes; else the usual one digit
          // read straight, off the conversion's longer dependency chain.
          if (w[0] == '0' && delimiter(w[1])) [[likely]] break;
          bool image_ok = true;
          if (digit(w[0]) < 10 && delimiter(w[1])) i = digit(w[0]);
          else image_ok = integer_of<C>(w, i) && i >= 0 && i <= 100000;
          if (image_ok && i > 0) {
            if (row + count + 2 * static_cast<std::size_t>(i) <= words) shift = 2 * static_cast<std::size_t>(i);
            else image_ok = false;  // the row goes on past the block
          }
          ok &= image_ok;
          break;
        }
        default: break;
      }
    }
    if (!ok) {
      out.pop_back();
      whole = false;
      break;
    }
    row += count + shift;
    prev_line = line_at(idx[row - 1]);
  }
  if (row != words) whole = false;
  return rows_used<C>(b, p, n, stop, words, whole, total_lines, first_line, safe, out, lines_used);
}

// A flat list of die indices (SampleTestPlan): every word one value.
template <class C>
[[gnu::always_inline]] inline std::size_t read_ints(const Block& b, const char* p, const char* e,
                                                    std::vector<std::int64_t>& out, std::uint64_t& lines_used) {
  const std::size_t n = static_cast<std::size_t>(e - p);
  std::size_t stop = 0;
  std::uint32_t total_lines = 0;
  const std::size_t words = find_words<C>(p, n, b.starts, b.newlines, b.lines_before, stop, total_lines);
  const std::uint32_t* const idx = b.starts;
  auto line_at = [&](std::size_t pos) { return lines_before_byte<C>(b, pos); };
  const std::size_t before = out.size();
  out.resize(before + words);
  std::int64_t* const o = out.data() + before;
  std::size_t k = 0;
#if defined(YF_KLARF_X86)
  if constexpr (C::kCompress) k = die_indices_avx512(p, idx, words, o);
#endif
  for (; k < words; ++k) {
    std::int64_t v = 0;
    if (!integer_of<C>(p + idx[k], v) || v < -1000000 || v > 1000000) break;
    o[k] = v;
  }
  if (k == words && stop == n) {
    lines_used = total_lines;
    return n;
  }
  // Up to the start of the line that stopped the scan or holds the value not taken;
  // the values before it on that line are left to the line reader too.
  const std::size_t at = k < words ? idx[k] : stop;
  const std::uint64_t line = line_at(at);
  while (k > 0 && line_at(idx[k - 1]) == line) --k;
  out.resize(before + k);
  std::size_t used = at;
  while (used > 0 && p[used - 1] != '\n') --used;
  lines_used = line;
  return used;
}

#if defined(YF_KLARF_X86)
[[gnu::target("avx2,bmi,bmi2,popcnt,lzcnt")]] std::size_t read_ints_avx2(const Block& b, const char* p, const char* e,
                                                                         std::vector<std::int64_t>& out,
                                                                         std::uint64_t& lines) {
  return read_ints<Avx2>(b, p, e, out, lines);
}
[[gnu::target(YF_KLARF_AVX512)]] std::size_t read_ints_avx512(const Block& b, const char* p, const char* e,
                                                         std::vector<std::int64_t>& out, std::uint64_t& lines) {
  return read_ints<Avx512>(b, p, e, out, lines);
}
#endif
std::size_t read_ints_portable(const Block& b, const char* p, const char* e, std::vector<std::int64_t>& out,
                               std::uint64_t& lines) {
  return read_ints<Portable>(b, p, e, out, lines);
}

#if defined(YF_KLARF_X86)
[[gnu::target("avx2,bmi,bmi2,popcnt,lzcnt")]] std::size_t read_rows_avx2(const Block& b, const char* p, const char* e,
                                                                         std::uint64_t first_line, std::int32_t test,
                                                                         std::vector<KlarfDefect>& out,
                                                                         std::uint64_t& lines) {
  return read_rows<Avx2>(b, p, e, first_line, test, out, lines);
}
#endif
std::size_t read_rows_portable(const Block& b, const char* p, const char* e, std::uint64_t first_line, std::int32_t test,
                               std::vector<KlarfDefect>& out, std::uint64_t& lines) {
  return read_rows<Portable>(b, p, e, first_line, test, out, lines);
}

}  // namespace

void set_klarf_block_mode(KlarfBlockMode mode) { g_mode.store(mode); }
KlarfBlockMode klarf_block_mode() { return g_mode.load(); }
std::uint64_t klarf_block_rows() { return g_rows.load(std::memory_order_relaxed); }

KlarfDefectBlock::KlarfDefectBlock()
    : starts_(new std::uint32_t[kMaxBlock / 2 + 128]),
      newlines_(new std::uint64_t[kMaxBlock / 64 + 2]),
      lines_before_(new std::uint32_t[kMaxBlock / 64 + 2]) {
#if defined(YF_KLARF_X86)
  const KlarfBlockMode mode = klarf_block_mode();
  // The process-wide switch (core/SimdLevel.hpp, YF_SIMD) decides the SIMD level; the
  // AVX2 path also needs the scalar bit instructions it is compiled with.
  const bool avx2 = (mode == KlarfBlockMode::automatic || mode == KlarfBlockMode::avx2) && use_avx2() &&
                    __builtin_cpu_supports("bmi") && __builtin_cpu_supports("bmi2") && __builtin_cpu_supports("popcnt");
  const bool avx512 = avx2 && mode == KlarfBlockMode::automatic && yf::simd_level() >= SimdLevel::avx512;
  simd_ = avx512 ? 2 : avx2 ? 1 : 0;
#endif
}

void KlarfDefectBlock::set_columns(const DefectColumns& c) {
  count_ = c.count;
  image_col_ = c.imagelist;
  ops_.clear();
  for (std::size_t col = 0; col < c.count; ++col) {
    const DefectColumns::Role r = c.roles[col];
    if (r == DefectColumns::other) continue;
    // With a DSIZE column, DEFECTAREA, XSIZE and YSIZE are not needed unless DSIZE
    // is NA (which the block does not read): the line reader does not parse them
    // then either, so neither does this.
    if (c.dsize >= 0 && (r == DefectColumns::area_ || r == DefectColumns::xsize_ || r == DefectColumns::ysize_)) continue;
    ops_.push_back({static_cast<std::uint32_t>(col), r, nullptr});
  }
  shapes_.assign(2 * ops_.size(), kNoShape);
  for (std::size_t k = 0; k < ops_.size(); ++k) ops_[k].shapes = &shapes_[2 * k];
}

std::size_t KlarfDefectBlock::read(const char* p, const char* e, std::uint64_t first_line, std::int32_t test,
                                   std::vector<KlarfDefect>& out, std::uint64_t& lines) {
  lines = 0;
  if (e <= p || static_cast<std::size_t>(e - p) > kMaxBlock || count_ == 0) return 0;
  const Block b{count_,          image_col_,          ops_.data(),         ops_.data() + ops_.size(), starts_.get(),
                newlines_.get(), lines_before_.get()};
  const std::size_t before = out.size();
  std::size_t used = 0;
#if defined(YF_KLARF_X86)
  if (simd_ == 2) used = read_rows_avx512(b, p, e, first_line, test, out, lines);
  else if (simd_ == 1) used = read_rows_avx2(b, p, e, first_line, test, out, lines);
  else
#endif
    used = read_rows_portable(b, p, e, first_line, test, out, lines);
  g_rows.fetch_add(out.size() - before, std::memory_order_relaxed);
  return used;
}

std::size_t KlarfDefectBlock::read_die_indices(const char* p, const char* e, std::vector<std::int64_t>& out,
                                               std::uint64_t& lines) {
  lines = 0;
  if (e <= p || static_cast<std::size_t>(e - p) > kMaxBlock) return 0;
  const Block b{count_,          image_col_,          ops_.data(),         ops_.data() + ops_.size(), starts_.get(),
                newlines_.get(), lines_before_.get()};
#if defined(YF_KLARF_X86)
  if (simd_ == 2) return read_ints_avx512(b, p, e, out, lines);
  if (simd_ == 1) return read_ints_avx2(b, p, e, out, lines);
#endif
  return read_ints_portable(b, p, e, out, lines);
}

}  // namespace yf::import
