#pragma once
// The DefectList of a KLARF 1.x file read a block of whole lines at a time (up to
// 64 KiB), in two passes over the block instead of a line and a word at a time:
//   1. classify every byte with SIMD, 64 at a time (AVX2 when the CPU has it, else
//      SSE2; both give the same masks), and write the offsets of all word starts
//      into one array, and the newlines into per-64-byte masks (line numbers come
//      from them by a popcount when a row needs one);
//   2. cut the word offsets into rows by the DefectRecordSpec's column count (plus
//      twice an IMAGELIST's count) and convert only the columns the importer uses,
//      by a column program compiled once from the DefectRecordSpec: the unused
//      columns cost nothing but their offset. On the AVX2 paths each number column
//      keeps the last two layouts its values had (NumberShape) and converts a word of
//      one of them without counting its digits first. The AVX-512 path cuts 64 rows
//      first, then converts a column for 8 (short integers: 16) rows at once.
// It is a fast path that declines: it reads only the plain subset - words made of
// digits, '.', '+', '-', 'e', 'E' (not starting with a letter), spaces, tabs, CR
// and newlines - and only values its inline conversions take (the same grammar and
// arithmetic as klarf_fast_number / klarf_fast_integer, so the same doubles). On
// any other byte, value or a row it cannot finish in the block, it gives back the
// rows from the last row that starts a line (they are taken off the output) and
// the line-at-a-time reader (KlarfFlatParser) carries on from that line, with its
// own errors, warnings and values: every layout reads exactly as without it.
// Files: KlarfDefectBlock.cpp (this class, the portable and AVX2 rows, the die
// indices), KlarfDefectBlockAvx512.cpp (the AVX-512 column path) and what both
// share, KlarfBlockInternal.hpp (pass 1, the per-word conversions).
#include <cstddef>
#include <cstdint>
#include <memory>
#include <vector>

#include "io/import/KlarfColumns.hpp"
#include "io/import/KlarfData.hpp"

namespace yf::import {

// A number column's usual layout ("1.234560e+03": so many integer, fraction and
// exponent digits, this exponent sign), as the AVX2 path checks and converts it
// (KlarfBlockInternal.hpp, learn_shape / shaped_number).
struct NumberShape {
  alignas(16) std::uint8_t ctrl[16];  // pshufb: significand digits to bytes 0-7, exponent digits to 8-15
  alignas(16) std::uint8_t orv[16];   // 0x20 at the exponent letter ('e' and 'E' alike)
  alignas(16) std::uint8_t fixed[16]; // the bytes that are not digits: '.', 'e', the exponent's sign
  std::uint32_t mask, want;  // over (digit mask | fixed-byte mask << 16): positions 0..len-1
  std::int32_t frac;         // fraction digits
  std::int32_t esign;        // -1: "e-"; +1 otherwise
  std::int32_t len;          // bytes of the word after its sign
};


// Which path the block reader takes (tests compare them): automatic - AVX-512
// (BW + VBMI2) when the CPU has it, else AVX2 when it has that, else the portable
// path (SSE2, the x86-64 baseline, or plain C++); avx2 - AVX2 at most; portable -
// never AVX2; off - no block reader at all (every row through the line-at-a-time
// reader). A SimdLevel below AVX2 (core/SimdLevel.hpp: YF_SIMD=sse2, or a
// ScopedSimdLevel) also keeps automatic and avx2 on the portable path.
enum class KlarfBlockMode { automatic, avx2, portable, off };
void set_klarf_block_mode(KlarfBlockMode mode);
KlarfBlockMode klarf_block_mode();
// Rows the block reader has delivered since the program started (all threads): lets
// tests check that it did read what they give it.
std::uint64_t klarf_block_rows();

class KlarfDefectBlock {
 public:
  KlarfDefectBlock();
  // The DefectRecordSpec the rows follow (a file may declare one per wafer; the
  // buffers are kept).
  void set_columns(const DefectColumns& columns);

  // Reads the rows of [p, e) - whole lines (e just past a '\n'; LineReader::kSlack
  // readable bytes after e), the first being line `first_line`, at a row's start -
  // into `out` (each with `test` unless a TEST column says otherwise). Returns how
  // many bytes it used - whole lines, `lines` of them - ending where the next row
  // starts a line; 0 when not even the first row is in the plain subset.
  std::size_t read(const char* p, const char* e, std::uint64_t first_line, std::int32_t test,
                   std::vector<KlarfDefect>& out, std::uint64_t& lines);

  // SampleTestPlan values of whole lines [p, e) (as for read()), as the line reader
  // takes them when they are plain: die indices (klarf_fast_integer, within
  // +-1,000,000), appended to `out`. Returns the bytes used - whole lines, `lines` of
  // them - stopping at the start of the first line with anything else (a value it
  // does not take, ';', a keyword...); 0 when that is the first line.
  std::size_t read_die_indices(const char* p, const char* e, std::vector<std::int64_t>& out, std::uint64_t& lines);

  // The path read() takes: 0 portable, 1 AVX2, 2 AVX-512 (set from the mode and the
  // CPU when the reader is made).
  int simd_level() const { return simd_; }

  // Largest block read() takes (bytes).
  static constexpr std::size_t kMaxBlock = 64u << 10;

  struct Op {
    std::uint32_t col;
    DefectColumns::Role role;
    NumberShape* shapes;  // a number column's two layouts (in shapes_)
  };

 private:
  std::size_t count_ = 0;  // columns of a row (without the image list's entries)
  int image_col_ = -1;     // the IMAGELIST column (-1: none)
  std::vector<Op> ops_;    // the columns that are converted, in column order
  int simd_ = 0;  // 0 portable, 1 AVX2, 2 AVX-512
  // Not zeroed (written before they are read): word start offsets; per 64 bytes,
  // the newline mask and the newlines before it.
  std::unique_ptr<std::uint32_t[]> starts_;
  std::unique_ptr<std::uint64_t[]> newlines_;
  std::unique_ptr<std::uint32_t[]> lines_before_;
  // Per op, the last two layouts of its numbers (kept across blocks).
  std::vector<NumberShape> shapes_;
};

}  // namespace yf::import
