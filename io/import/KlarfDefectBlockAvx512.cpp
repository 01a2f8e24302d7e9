// The AVX-512 path of the KLARF DefectList block reader (KlarfDefectBlock.hpp has
// the overview; KlarfDefectBlock.cpp picks the path): its rows cut kGroup (64) at a
// time, then read a column at a time, 8 rows at once (short integers 16), and its
// SampleTestPlan die indices 8 at a time. Apart from the row-at-a-time paths so
// that each reads in one file; what both use - pass 1, the per-word conversions this
// path falls back to, Block - is in KlarfBlockInternal.hpp. Every function carries
// its own target attribute (YF_KLARF_AVX512): the file is compiled for the x86-64
// baseline like the others and runs only on a CPU with AVX-512 BW and VBMI2.
#include "io/import/KlarfBlockInternal.hpp"

#include <algorithm>
#include <bit>
#include <limits>

#if defined(YF_KLARF_X86)
namespace yf::import::klarf_block {

namespace {

// The AVX-512 path converts a column at a time for 8 rows at once instead of a row
// at a time: the rows of up to kGroup at a time are first cut (their first word,
// image-list shift and line), then each converted column takes 8 rows' words in
// vector registers (gathered by their offsets), checks them and converts them
// together - the sign, digit-run and delimiter tests, the layout check, the shuffle
// and multiply-adds, the power of ten and the one IEEE operation shared by 8
// values - and stores them into the group's KlarfDefects (in L1: kGroup rows). The
// arithmetic is that of integer_at_avx2 and shaped_number, so the same values; a
// lane it does not take (another layout, a longer integer, an odd word) goes through
// the per-word conversion of the AVX2 path (integer_of / column_number), and a row
// whose word that declines too ends the rows read, as in read_rows.
constexpr int kGroup = 64;

// GCC 12 takes the "undefined" source operand of the unmasked AVX-512 intrinsics
// (every lane is written) for an uninitialised read once they are inlined here.
#if defined(__GNUC__) && !defined(__clang__)
#pragma GCC diagnostic push
#pragma GCC diagnostic ignored "-Wmaybe-uninitialized"
#endif

// 8 words' signs ('+', then '-', as integer_at skips them) from their first 8
// bytes q: the bytes after the signs (zeros shifted in), the lanes with '-', the
// bytes skipped (0, 1 or 2) per lane.
struct Signed8 {
  __m512i bytes;
  __mmask8 neg;
  __m512i skip;
};
[[gnu::target(YF_KLARF_AVX512), gnu::always_inline]] inline Signed8 signs8(__m512i q) {
  const __m512i ff = _mm512_set1_epi64(0xFF);
  const __m512i b0 = _mm512_and_si512(q, ff);
  const __m512i b1 = _mm512_and_si512(_mm512_srli_epi64(q, 8), ff);
  const __mmask8 plus = _mm512_cmpeq_epi64_mask(b0, _mm512_set1_epi64('+'));
  const __mmask8 neg = _mm512_cmpeq_epi64_mask(_mm512_mask_mov_epi64(b0, plus, b1), _mm512_set1_epi64('-'));
  __m512i skip = _mm512_maskz_mov_epi64(plus, _mm512_set1_epi64(1));
  skip = _mm512_mask_add_epi64(skip, neg, skip, _mm512_set1_epi64(1));
  return {_mm512_srlv_epi64(q, _mm512_slli_epi64(skip, 3)), neg, skip};
}

// The digit runs of 8 words (their bytes after the sign): up to 6 digits then a
// delimiter, as integer_at_avx2 takes them (a word longer than the 8 bytes ends in a
// shifted-in zero, not a delimiter, and goes the per-word way). Returns the lanes
// taken; their magnitudes in `mag`.
[[gnu::target(YF_KLARF_AVX512), gnu::always_inline]] inline __mmask8 digit_runs8(__m512i bytes, __m512i& mag) {
  const __m512i t = _mm512_sub_epi8(bytes, _mm512_set1_epi8('0'));
  const __mmask64 digits = _mm512_cmple_epu8_mask(t, _mm512_set1_epi8(9));
  // The digit run of each lane: the bytes below its first non-digit byte.
  const __m512i nd = _mm512_movm_epi8(~digits);
  const __m512i low = _mm512_and_si512(nd, _mm512_sub_epi64(_mm512_setzero_si512(), nd));
  const __m512i keep = _mm512_sub_epi64(low, _mm512_set1_epi64(1));  // all ones when 8 digits
  const __m512i len = _mm512_sad_epu8(_mm512_and_si512(keep, _mm512_set1_epi8(1)), _mm512_setzero_si512());
  const __m512i bits = _mm512_slli_epi64(len, 3);
  const __m512i after = _mm512_and_si512(_mm512_srlv_epi64(bytes, bits), _mm512_set1_epi64(0xFF));
  const __mmask8 delim = _mm512_cmpeq_epi64_mask(after, _mm512_set1_epi64(' ')) |
                         _mm512_cmpeq_epi64_mask(after, _mm512_set1_epi64('\n')) |
                         _mm512_cmpeq_epi64_mask(after, _mm512_set1_epi64('\t')) |
                         _mm512_cmpeq_epi64_mask(after, _mm512_set1_epi64('\r'));
  const __mmask8 ok = delim & _mm512_cmpge_epu64_mask(len, _mm512_set1_epi64(1)) &
                      _mm512_cmple_epu64_mask(len, _mm512_set1_epi64(6));
  // The digits right-aligned in the 8 bytes (zeros before them), then summed in
  // pairs, quads and the eight.
  const __m512i aligned = _mm512_sllv_epi64(_mm512_and_si512(t, keep), _mm512_sub_epi64(_mm512_set1_epi64(64), bits));
  __m512i v = _mm512_maddubs_epi16(aligned, _mm512_set1_epi16(0x010A));
  v = _mm512_madd_epi16(v, _mm512_set1_epi32(0x00010064));
  mag = _mm512_add_epi64(_mm512_mul_epu32(v, _mm512_set1_epi64(10000)), _mm512_srli_epi64(v, 32));
  return ok;
}

// 8 integers (die indices, classes, tests) of up to 6 digits, as integer_at_avx2
// reads them. Returns the lanes taken; their values in `out`.
[[gnu::target(YF_KLARF_AVX512), gnu::always_inline]] inline __mmask8 integers8(const char* p, __m256i off,
                                                                             std::int64_t* out) {
  const Signed8 w = signs8(_mm512_i32gather_epi64(off, p, 1));
  __m512i v;
  const __mmask8 ok = digit_runs8(w.bytes, v);
  _mm512_storeu_si512(out, _mm512_mask_sub_epi64(v, w.neg, _mm512_setzero_si512(), v));
  return ok;
}

// 16 integers of up to 3 digits, from each word's first 4 bytes ([+][-]digits then
// a delimiter within them, as integer_at_avx2 reads it): die indices, classes and
// tests usually are, and one gather of 4 bytes serves 16 rows. Returns the lanes
// taken; their values in `out`.
[[gnu::target(YF_KLARF_AVX512), gnu::always_inline]] inline __mmask16 short_integers16(const char* p, __m512i off,
                                                                                     std::int32_t* out) {
  const __m512i x = _mm512_i32gather_epi32(off, p, 1);
  const __m512i ff = _mm512_set1_epi32(0xFF);
  const __m512i b0 = _mm512_and_si512(x, ff);
  const __m512i b1 = _mm512_and_si512(_mm512_srli_epi32(x, 8), ff);
  const __mmask16 plus = _mm512_cmpeq_epi32_mask(b0, _mm512_set1_epi32('+'));
  const __mmask16 neg = _mm512_cmpeq_epi32_mask(_mm512_mask_mov_epi32(b0, plus, b1), _mm512_set1_epi32('-'));
  __m512i skip = _mm512_maskz_mov_epi32(plus, _mm512_set1_epi32(8));
  skip = _mm512_mask_add_epi32(skip, neg, skip, _mm512_set1_epi32(8));
  const __m512i bytes = _mm512_srlv_epi32(x, skip);
  const __m512i t = _mm512_sub_epi8(bytes, _mm512_set1_epi8('0'));
  const __m512i nd = _mm512_movm_epi8(~_mm512_cmple_epu8_mask(t, _mm512_set1_epi8(9)));
  const __m512i keep = _mm512_sub_epi32(_mm512_and_si512(nd, _mm512_sub_epi32(_mm512_setzero_si512(), nd)),
                                        _mm512_set1_epi32(1));  // the digit run's bytes
  // 8 x the run's length: the count of its bytes, summed by one multiplication.
  const __m512i bits = _mm512_srli_epi32(
      _mm512_mullo_epi32(_mm512_and_si512(keep, _mm512_set1_epi32(0x01010101)), _mm512_set1_epi32(0x08080808)), 24);
  const __m512i after = _mm512_and_si512(_mm512_srlv_epi32(bytes, bits), ff);
  const __mmask16 ok = (_mm512_cmpeq_epi32_mask(after, _mm512_set1_epi32(' ')) |
                        _mm512_cmpeq_epi32_mask(after, _mm512_set1_epi32('\n')) |
                        _mm512_cmpeq_epi32_mask(after, _mm512_set1_epi32('\t')) |
                        _mm512_cmpeq_epi32_mask(after, _mm512_set1_epi32('\r'))) &
                       _mm512_cmpneq_epi32_mask(bits, _mm512_setzero_si512());
  const __m512i aligned =
      _mm512_sllv_epi32(_mm512_and_si512(t, keep), _mm512_sub_epi32(_mm512_set1_epi32(32), bits));
  __m512i v = _mm512_maddubs_epi16(aligned, _mm512_set1_epi16(0x010A));
  v = _mm512_madd_epi16(v, _mm512_set1_epi32(0x00010064));
  _mm512_storeu_si512(out, _mm512_mask_sub_epi32(v, neg, _mm512_setzero_si512(), v));
  return ok;
}

// A NumberShape as the 4 lanes of a register hold it.
struct Shape4 {
  __m512i ctrl, orv, fixed;
  std::uint64_t care, digits, fixed_bits, end;
  int frac, esign;
};
[[gnu::target(YF_KLARF_AVX512), gnu::always_inline]] inline Shape4 shape4(const NumberShape& s) {
  constexpr std::uint64_t kRep = 0x0001000100010001ULL;  // a 16-bit lane mask in each of 4 lanes
  Shape4 r;
  r.ctrl = _mm512_broadcast_i32x4(_mm_load_si128(reinterpret_cast<const __m128i*>(s.ctrl)));
  r.orv = _mm512_broadcast_i32x4(_mm_load_si128(reinterpret_cast<const __m128i*>(s.orv)));
  r.fixed = _mm512_broadcast_i32x4(_mm_load_si128(reinterpret_cast<const __m128i*>(s.fixed)));
  r.care = (s.mask & 0xFFFFu) * kRep;
  r.digits = (s.want & 0xFFFFu) * kRep;
  r.fixed_bits = (s.mask >> 16) * kRep;  // (want's fixed bits are the mask's)
  r.end = (std::uint64_t{1} << (s.len & 15)) * kRep;
  r.frac = s.frac;
  r.esign = s.esign;
  return r;
}

// 4 words (16 bytes each, one per 128-bit lane) in layout s: the lanes that have it
// (4 bits) and, per lane, the significand in dword 0 and the exponent in dword 1.
[[gnu::target(YF_KLARF_AVX512), gnu::always_inline]] inline unsigned shaped4(__m512i x, const Shape4& s, __m512i& v) {
  const __m512i t = _mm512_sub_epi8(x, _mm512_set1_epi8('0'));
  const std::uint64_t dm = _mm512_cmple_epu8_mask(t, _mm512_set1_epi8(9));
  const std::uint64_t fm = _mm512_cmpeq_epi8_mask(_mm512_or_si512(x, s.orv), s.fixed);
  const std::uint64_t dl = _mm512_cmpeq_epi8_mask(x, _mm512_set1_epi8(' ')) | _mm512_cmpeq_epi8_mask(x, _mm512_set1_epi8('\n')) |
                           _mm512_cmpeq_epi8_mask(x, _mm512_set1_epi8('\t')) | _mm512_cmpeq_epi8_mask(x, _mm512_set1_epi8('\r'));
  std::uint64_t bad = ((dm ^ s.digits) & s.care) | ((fm ^ s.fixed_bits) & s.fixed_bits) | (~dl & s.end);
  // Bit 16k: any bad bit in lane k.
  bad |= bad >> 8, bad |= bad >> 4, bad |= bad >> 2, bad |= bad >> 1;
  v = _mm512_shuffle_epi8(t, s.ctrl);
  v = _mm512_maddubs_epi16(v, _mm512_set1_epi16(0x010A));
  v = _mm512_madd_epi16(v, _mm512_set1_epi32(0x00010064));
  v = _mm512_packs_epi32(v, v);
  v = _mm512_madd_epi16(v, _mm512_set1_epi32(0x00012710));
  return static_cast<unsigned>(~_pext_u64(bad, 0x0001000100010001ULL)) & 0xFu;
}

// 8 numbers in layout s (the words' 16 bytes after their signs in x0: lanes 0, 2,
// 4, 6 and x1: lanes 1, 3, 5, 7): the lanes taken, their doubles in `out` - the
// significand, power of ten and single multiplication or division of shaped_number.
[[gnu::target(YF_KLARF_AVX512), gnu::always_inline]] inline __mmask8 shaped8(__m512i x0, __m512i x1, __mmask8 neg,
                                                                           const Shape4& s, double* out) {
  static constexpr double kPow10[24] = {1e0,  1e1,  1e2,  1e3,  1e4,  1e5,  1e6,  1e7,  1e8,  1e9,  1e10, 1e11,
                                        1e12, 1e13, 1e14, 1e15, 1e16, 1e17, 1e18, 1e19, 1e20, 1e21, 1e22, 1e22};
  __m512i v0, v1;
  const unsigned ok0 = shaped4(x0, s, v0), ok1 = shaped4(x1, s, v1);
  const __mmask8 shaped = static_cast<__mmask8>(_pdep_u32(ok0, 0x55) | _pdep_u32(ok1, 0xAA));
  // Dwords 0-7: the significands of lanes 0-7; 8-15: their exponents.
  const __m512i order = _mm512_setr_epi32(0, 16, 4, 20, 8, 24, 12, 28, 1, 17, 5, 21, 9, 25, 13, 29);
  const __m512i me = _mm512_permutex2var_epi32(v0, order, v1);
  const __m256i m = _mm512_castsi512_si256(me);
  __m256i e = _mm512_extracti64x4_epi64(me, 1);
  if (s.esign < 0) e = _mm256_sub_epi32(_mm256_setzero_si256(), e);
  const __m256i pow = _mm256_sub_epi32(e, _mm256_set1_epi32(s.frac));
  // A significand other than 0 with a power of ten beyond 22 is not exact.
  const __m256i out_of_range = _mm256_andnot_si256(
      _mm256_cmpeq_epi32(m, _mm256_setzero_si256()),
      _mm256_or_si256(_mm256_cmpgt_epi32(pow, _mm256_set1_epi32(22)), _mm256_cmpgt_epi32(_mm256_set1_epi32(-22), pow)));
  const auto bad = static_cast<__mmask8>(_mm256_movemask_ps(_mm256_castsi256_ps(out_of_range)));
  const __m512i at = _mm512_cvtepu32_epi64(_mm256_min_epu32(_mm256_abs_epi32(pow), _mm256_set1_epi32(22)));
  const __m512d lo = _mm512_permutex2var_pd(_mm512_loadu_pd(kPow10), at, _mm512_loadu_pd(kPow10 + 8));
  const __m512d hi = _mm512_permutexvar_pd(at, _mm512_loadu_pd(kPow10 + 16));
  const __m512d ten = _mm512_mask_mov_pd(lo, _mm512_cmpge_epu64_mask(at, _mm512_set1_epi64(16)), hi);
  const __m512d r = _mm512_cvtepi32_pd(m);
  const auto up = static_cast<__mmask8>(
      ~_mm256_movemask_ps(_mm256_castsi256_ps(_mm256_cmpgt_epi32(_mm256_setzero_si256(), pow))));
  // (a column's powers usually all have one sign: one of the two operations then)
  __m512d value = up == 0xFF ? _mm512_mul_pd(r, ten)
                  : up == 0  ? _mm512_div_pd(r, ten)
                             : _mm512_mask_mul_pd(_mm512_div_pd(r, ten), up, r, ten);
  value = _mm512_castsi512_pd(
      _mm512_mask_xor_epi64(_mm512_castpd_si512(value), neg, _mm512_castpd_si512(value), _mm512_set1_epi64(INT64_MIN)));
  _mm512_storeu_pd(out, value);
  return static_cast<__mmask8>(shaped & ~bad);
}

// 16-byte lanes moved down by `skip` bytes (the low byte of each lane's qwords),
// zeros shifted in.
[[gnu::target(YF_KLARF_AVX512), gnu::always_inline]] inline __m512i past_sign(__m512i x, __m512i skip) {
  const __m512i iota = _mm512_broadcast_i32x4(_mm_setr_epi8(0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15));
  const __m512i at = _mm512_add_epi8(iota, _mm512_shuffle_epi8(skip, _mm512_setzero_si512()));
  return _mm512_shuffle_epi8(
      x, _mm512_mask_mov_epi8(at, _mm512_cmpgt_epu8_mask(at, _mm512_set1_epi8(15)), _mm512_set1_epi8(static_cast<char>(0x80))));
}

// 8 words of a number column: their doubles in `out`, by the column's first
// layout, then (for the lanes left) as plain integers - a column written "%u" has
// words of 1 and 2 digits - then by its second layout (which becomes the first when
// it took more of the 8). Returns the lanes taken.
[[gnu::target(YF_KLARF_AVX512), gnu::always_inline]] inline __mmask8 numbers8(const char* p, __m256i off,
                                                                            NumberShape* shapes, double* out) {
  const __m512i lo = _mm512_i32gather_epi64(off, p, 1);
  const __m512i hi = _mm512_i32gather_epi64(off, p + 8, 1);
  const Signed8 w = signs8(lo);
  __m512i x0 = _mm512_unpacklo_epi64(lo, hi), x1 = _mm512_unpackhi_epi64(lo, hi);
  if (_mm512_test_epi64_mask(w.skip, w.skip)) {
    // Each 16-byte lane moved down past its word's signs (zeros shifted in).
    x0 = past_sign(x0, _mm512_unpacklo_epi64(w.skip, w.skip));
    x1 = past_sign(x1, _mm512_unpackhi_epi64(w.skip, w.skip));
  }
  const __mmask8 first = shaped8(x0, x1, w.neg, shape4(shapes[0]), out);
  if (first == 0xFF) return first;
  __m512i mag;
  const auto plain = static_cast<__mmask8>(digit_runs8(w.bytes, mag) & ~first);
  if (plain) {
    // m digits, no point, no exponent: m * 10^0, the sign flipped (so "-0" is -0.0).
    __m512d v = _mm512_cvtepi32_pd(_mm512_cvtepi64_epi32(mag));  // below 10^6
    v = _mm512_castsi512_pd(
        _mm512_mask_xor_epi64(_mm512_castpd_si512(v), w.neg, _mm512_castpd_si512(v), _mm512_set1_epi64(INT64_MIN)));
    _mm512_mask_storeu_pd(out, plain, v);
  }
  const auto done = static_cast<__mmask8>(first | plain);
  if (done == 0xFF) return done;
  alignas(64) double second[8];
  const __mmask8 other = static_cast<__mmask8>(shaped8(x0, x1, w.neg, shape4(shapes[1]), second) & ~done);
  if (other == 0) return done;
  for (unsigned k = other; k; k &= k - 1) out[std::countr_zero(k)] = second[std::countr_zero(k)];
  if (std::popcount(static_cast<unsigned>(other)) > std::popcount(static_cast<unsigned>(first)))
    std::swap(shapes[0], shapes[1]);
  return static_cast<__mmask8>(done | other);
}

// Rows c..c+7 of the offset rows (16 per row: the converted columns' word offsets)
// into the columns' offset lists at c: an 8 x 16 transpose (unpacks within 128-bit
// lanes, then one two-source permutation per two columns).
[[gnu::target(YF_KLARF_AVX512), gnu::always_inline]] inline void transpose_offsets(const std::uint32_t* m,
                                                                                  std::uint32_t (*offs)[kGroup + 8],
                                                                                  int nops, int c) {
  __m512i r[8], t[8], u[8];
  for (int k = 0; k < 8; ++k) r[k] = _mm512_load_si512(m + 16 * k);
  for (int k = 0; k < 8; k += 2) t[k] = _mm512_unpacklo_epi32(r[k], r[k + 1]), t[k + 1] = _mm512_unpackhi_epi32(r[k], r[k + 1]);
  // u[m] (m < 4): columns m, m + 4, m + 8, m + 12 of rows 0-3 (one per 128-bit lane); u[m + 4]: rows 4-7.
  for (int h = 0; h < 8; h += 4) {
    u[h] = _mm512_unpacklo_epi64(t[h], t[h + 2]);
    u[h + 1] = _mm512_unpackhi_epi64(t[h], t[h + 2]);
    u[h + 2] = _mm512_unpacklo_epi64(t[h + 1], t[h + 3]);
    u[h + 3] = _mm512_unpackhi_epi64(t[h + 1], t[h + 3]);
  }
  const __m512i first = _mm512_setr_epi64(0, 1, 8, 9, 2, 3, 10, 11), second = _mm512_setr_epi64(4, 5, 12, 13, 6, 7, 14, 15);
  alignas(64) std::uint32_t cols[16][16];  // [q]: columns q, q + 4 (a); [q + 4]: q + 8, q + 12 (b)
  for (int q = 0; q < 4 && q < nops; ++q) {
    _mm512_store_si512(cols[q], _mm512_permutex2var_epi64(u[q], first, u[q + 4]));
    if (q + 8 < nops) _mm512_store_si512(cols[q + 4], _mm512_permutex2var_epi64(u[q], second, u[q + 4]));
  }
  for (int j = 0; j < nops; ++j)
    _mm256_store_si256(reinterpret_cast<__m256i*>(offs[j] + c),
                       _mm256_load_si256(reinterpret_cast<const __m256i*>(cols[(j & 3) + 4 * (j >> 3)] + 8 * ((j >> 2) & 1))));
}

// The values of one converted column (op) for the group's n rows (its words' byte
// offsets `offs`, 8 more than n readable) into defects d[0..n). Returns the first
// row whose value the per-word conversion declines too (n when none).
[[gnu::target(YF_KLARF_AVX512)]] int convert_column(const KlarfDefectBlock::Op& op, const char* p,
                                                    const std::uint32_t* offs, int n, KlarfDefect* d) {
  const DefectColumns::Role role = op.role;
  const bool number = role == DefectColumns::xrel_ || role == DefectColumns::yrel_ || role == DefectColumns::dsize_ ||
                      role == DefectColumns::area_ || role == DefectColumns::xsize_ || role == DefectColumns::ysize_;
  for (int c = 0; c < n; c += 8) {
    KlarfDefect* const row = d + c;
    if (!number && n - c >= 16) {
      // 16 short integers at once when all 16 are; else 8 at a time below.
      alignas(64) std::int32_t v[16];
      if (short_integers16(p, _mm512_loadu_si512(offs + c), v) == 0xFFFF) {
        switch (role) {
          case DefectColumns::xindex_: for (int k = 0; k < 16; ++k) row[k].xindex = v[k]; break;
          case DefectColumns::yindex_: for (int k = 0; k < 16; ++k) row[k].yindex = v[k]; break;
          case DefectColumns::class_: for (int k = 0; k < 16; ++k) row[k].class_number = v[k]; break;
          default: for (int k = 0; k < 16; ++k) row[k].test = v[k]; break;
        }
        c += 8;
        continue;
      }
    }
    const __m256i off = _mm256_load_si256(reinterpret_cast<const __m256i*>(offs + c));
    int live = std::min(8, n - c);
    if (number) {
      alignas(64) double v[8];
      unsigned miss = static_cast<unsigned>(~numbers8(p, off, op.shapes, v)) & ((1u << live) - 1);
      for (; miss; miss &= miss - 1) {
        const int k = std::countr_zero(miss);
        if (!column_number<Avx512>(p + offs[c + k], op.shapes, v[k])) {
          live = k;  // the rows before it keep their values
          break;
        }
      }
      switch (role) {
        case DefectColumns::xrel_: for (int k = 0; k < live; ++k) row[k].xrel = v[k]; break;
        case DefectColumns::yrel_: for (int k = 0; k < live; ++k) row[k].yrel = v[k]; break;
        case DefectColumns::dsize_: for (int k = 0; k < live; ++k) row[k].size = v[k]; break;
        case DefectColumns::area_: for (int k = 0; k < live; ++k) row[k].area = v[k]; break;
        case DefectColumns::xsize_: for (int k = 0; k < live; ++k) row[k].xsize = v[k]; break;
        default: for (int k = 0; k < live; ++k) row[k].ysize = v[k]; break;
      }
    } else {
      alignas(64) std::int64_t v[8];
      unsigned miss = static_cast<unsigned>(~integers8(p, off, v)) & ((1u << live) - 1);
      const bool die = role == DefectColumns::xindex_ || role == DefectColumns::yindex_;
      for (; miss; miss &= miss - 1) {
        const int k = std::countr_zero(miss);
        std::int64_t i = 0;
        const bool ok = integer_of<Avx512>(p + offs[c + k], i) &&
                        (die ? i >= -1000000 && i <= 1000000
                             : i >= std::numeric_limits<std::int32_t>::min() && i <= std::numeric_limits<std::int32_t>::max());
        if (!ok) {
          live = k;
          break;
        }
        v[k] = i;
      }
      switch (role) {
        case DefectColumns::xindex_: for (int k = 0; k < live; ++k) row[k].xindex = v[k]; break;
        case DefectColumns::yindex_: for (int k = 0; k < live; ++k) row[k].yindex = v[k]; break;
        case DefectColumns::class_:
          for (int k = 0; k < live; ++k) row[k].class_number = static_cast<std::int32_t>(v[k]);
          break;
        default: for (int k = 0; k < live; ++k) row[k].test = static_cast<std::int32_t>(v[k]); break;
      }
    }
    if (live < std::min(8, n - c)) return c + live;
  }
  return n;
}

}  // namespace

// (Declared in KlarfBlockInternal.hpp.) 8 words at a time by integers8 - up to 6 digits, so within the
// die index range - until a group of 8 has a word it does not take: the line
// reader's values, the rest left to integer_of one by one.
[[gnu::target(YF_KLARF_AVX512)]] std::size_t die_indices_avx512(const char* p, const std::uint32_t* idx, std::size_t words,
                                                               std::int64_t* out) {
  std::size_t k = 0;
  for (; k + 8 <= words; k += 8) {
    // (a group it stops at is written over by the per-word reading)
    if (integers8(p, _mm256_loadu_si256(reinterpret_cast<const __m256i*>(idx + k)), out + k) != 0xFF) break;
  }
  return k;
}

// read_rows for the AVX-512 path: the same rows, values, line numbers and given-back
// rows, the columns converted 8 rows at a time (above).
[[gnu::target(YF_KLARF_AVX512)]] std::size_t read_rows_avx512(const Block& b, const char* p, const char* e,
                                                         std::uint64_t first_line, std::int32_t test,
                                                         std::vector<KlarfDefect>& out, std::uint64_t& lines_used) {
  using C = Avx512;
  const std::size_t n = static_cast<std::size_t>(e - p);
  std::size_t stop = 0;
  std::uint32_t total_lines = 0;
  const std::size_t words = find_words<C>(p, n, b.starts, b.newlines, b.lines_before, stop, total_lines);
  const std::uint32_t* const idx = b.starts;
  auto line_at = [&](std::size_t pos) { return first_line + lines_before_byte<C>(b, pos); };
  // Where to give back to (SafeRow): the last row read that starts a line -
  // found when needed, looking back from the row that ended the reading, not kept
  // up to date row by row. `safe` holds it as of the end of the previous groups.
  SafeRow safe{0, out.size()};
  alignas(32) std::uint32_t rs[kGroup + 8], sh[kGroup + 8];
  auto starts_line = [&](std::size_t w) { return w == 0 || line_at(idx[w]) != line_at(idx[w - 1]); };
  // The SafeRow in force when row f of the group (first word rw; rs[] before it) is read.
  auto safe_at = [&](int f, std::size_t rw, std::size_t first) -> SafeRow {
    for (int j = f; j >= 0; --j) {
      const std::size_t w = j == f ? rw : rs[j];
      if (starts_line(w)) return {w, first + static_cast<std::size_t>(j)};
    }
    return safe;
  };
  const std::size_t count = b.count;
  const int image_col = b.image_col;
  // The converted columns (all but the image list), their column numbers in one
  // register and which of them come after the image list (the image entries move
  // them). With all of them among a row's first 16 words (small), each row's
  // offsets come from one permutation of its word offsets (mat), transposed.
  const KlarfDefectBlock::Op* conv[16];
  int nops = 0;
  alignas(64) std::uint32_t colv[16] = {};
  __mmask16 after_mask = 0;
  bool small = true;
  for (const KlarfDefectBlock::Op* op = b.ops; op != b.ops_end; ++op) {
    if (op->role == DefectColumns::image_) continue;
    if (image_col >= 0 && static_cast<int>(op->col) > image_col) after_mask = static_cast<__mmask16>(after_mask | (1u << nops));
    small = small && op->col < 16;
    colv[nops] = op->col;
    conv[nops++] = op;
  }
  const __m512i cols = _mm512_load_si512(colv);
  alignas(64) std::uint32_t mat[16 * (kGroup + 8)];
  alignas(64) std::uint32_t offs[16][kGroup + 8];
  std::size_t row = 0;
  bool whole = true;
  while (whole && row + count <= words) {
    // The group's rows cut: first word, image-list shift, line (read_rows' order of
    // tests; a bad image count ends the rows there).
    const std::size_t first = out.size();
    out.resize(first + kGroup);
    KlarfDefect* const d = out.data() + first;
    int g = 0;
    std::size_t r = row;
    while (g < kGroup && r + count <= words) {
      std::size_t shift = 0;
      if (image_col >= 0) {
        // No images (the usual case) is tested first by itself, with a branch the
        // CPU predicts: the next row's start then does not wait for this word's
        // bytes (a chain of two loads per row otherwise).
        const char* w = p + idx[r + static_cast<std::size_t>(image_col)];
        if (!(w[0] == '0' && delimiter(w[1]))) [[unlikely]] {
          std::int64_t i = 0;
          bool image_ok = true;
          if (digit(w[0]) < 10 && delimiter(w[1])) i = digit(w[0]);
          else image_ok = integer_of<C>(w, i) && i >= 0 && i <= 100000;
          if (image_ok && i > 0) {
            if (r + count + 2 * static_cast<std::size_t>(i) <= words) shift = 2 * static_cast<std::size_t>(i);
            else image_ok = false;  // the row goes on past the block
          }
          if (!image_ok) {
            safe = safe_at(g, r, first);
            whole = false;
            break;
          }
        }
      }
      if (small) {
        __m512i o = _mm512_permutexvar_epi32(cols, _mm512_loadu_si512(idx + r));
        if (shift) o = _mm512_mask_permutexvar_epi32(o, after_mask, cols, _mm512_loadu_si512(idx + r + shift));
        _mm512_store_si512(mat + 16 * g, o);
      }
      rs[g] = static_cast<std::uint32_t>(r);
      sh[g] = static_cast<std::uint32_t>(shift);
      d[g].line = line_at(idx[r]);
      d[g].test = test;
      ++g;
      r += count + shift;
    }
    // Each converted column's word offsets for the group's rows (and 8 more, valid):
    // the rows' offset rows transposed 8 at a time, or (a column past the 16th)
    // gathered.
    const int chunks = (g + 7) / 8;
    for (int k = g; k < 8 * chunks; ++k) rs[k] = rs[0], sh[k] = 0;
    if (small) {
      for (int k = g; k < 8 * chunks; ++k) _mm512_store_si512(mat + 16 * k, _mm512_load_si512(mat));
      for (int c = 0; c < 8 * chunks; c += 8) transpose_offsets(mat + 16 * c, offs, nops, c);
    } else {
      for (int j = 0; j < nops; ++j)
        for (int c = 0; c < 8 * chunks; c += 8) {
          __m256i at = _mm256_add_epi32(_mm256_load_si256(reinterpret_cast<const __m256i*>(rs + c)),
                                        _mm256_set1_epi32(static_cast<int>(conv[j]->col)));
          if ((after_mask >> j) & 1) at = _mm256_add_epi32(at, _mm256_load_si256(reinterpret_cast<const __m256i*>(sh + c)));
          _mm256_store_si256(reinterpret_cast<__m256i*>(offs[j] + c),
                             _mm256_i32gather_epi32(reinterpret_cast<const int*>(idx), at, 4));
        }
    }
    int bad = g;
    for (int j = 0; j < nops && bad > 0; ++j) bad = std::min(bad, convert_column(*conv[j], p, offs[j], bad, d));
    if (bad < g) {
      safe = safe_at(bad, rs[bad], first);
      whole = false;
      g = bad;
    } else if (whole && g > 0) {
      safe = safe_at(g - 1, rs[g - 1], first);
    }
    out.resize(first + static_cast<std::size_t>(g));
    row = r;
  }
  if (row != words) whole = false;
  return rows_used<C>(b, p, n, stop, words, whole, total_lines, first_line, safe, out, lines_used);
}
#if defined(__GNUC__) && !defined(__clang__)
#pragma GCC diagnostic pop
#endif

}  // namespace yf::import::klarf_block
#endif
