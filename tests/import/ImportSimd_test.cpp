// The importers' AVX2 loops (chosen at run time, SimdLevel.hpp) against their portable
// twins and against plain references written here: hex row decoding to map cells and
// code counting. Each case runs at every level the CPU has; on a CPU without AVX2 the
// AVX2 runs are the portable ones again (ScopedSimdLevel never goes above the CPU).
#include <catch2/catch.hpp>
#include <cstdint>
#include <map>
#include <random>
#include <string>
#include <vector>

#include "io/import/BinCodes.hpp"
#include "io/import/CodeCounter.hpp"
#include "core/SimdLevel.hpp"

using yf::import::CodeCounter;
using yf::ScopedSimdLevel;
using yf::SimdLevel;

namespace {

const SimdLevel kLevels[] = {SimdLevel::sse2, SimdLevel::avx2};

int hex_digit(char c) {
  if (c >= '0' && c <= '9') return c - '0';
  if (c >= 'a' && c <= 'f') return c - 'a' + 10;
  if (c >= 'A' && c <= 'F') return c - 'A' + 10;
  return -1;
}

// What decode_hex2_cells promises, one code at a time: false on a non-hex character,
// else each code's value, the null code as -1.
bool reference_cells(const std::string& row, int null_code, std::vector<std::int16_t>& out) {
  out.clear();
  for (std::size_t i = 0; i + 1 < row.size(); i += 2) {
    const int hi = hex_digit(row[i]), lo = hex_digit(row[i + 1]);
    if (hi < 0 || lo < 0) return false;
    const int v = hi * 16 + lo;
    out.push_back(static_cast<std::int16_t>(v == null_code ? -1 : v));
  }
  return true;
}

}  // namespace

TEST_CASE("SIMD level: forcing the portable path, and never above the CPU", "[ImportSimd]") {
  const SimdLevel before = yf::simd_level();
  {
    ScopedSimdLevel portable(SimdLevel::sse2);
    CHECK(yf::simd_level() == SimdLevel::sse2);
    CHECK_FALSE(yf::use_avx2());
    {
      ScopedSimdLevel best(SimdLevel::avx512);
      CHECK(yf::simd_level() == yf::cpu_simd_level());
    }
    CHECK(yf::simd_level() == SimdLevel::sse2);
  }
  CHECK(yf::simd_level() == before);
  if (yf::cpu_simd_level() < SimdLevel::avx2) WARN("this CPU has no AVX2: only the portable paths run");
}

TEST_CASE("decode_hex2_cells: AVX2 and portable paths equal a one-code-at-a-time decoding", "[ImportSimd]") {
  std::mt19937 rng(142);
  const std::string digits = "0123456789abcdefABCDEF";
  const std::string others = "gG/:@`xX \t\n<&\x80\xff";
  // Row lengths around every block size (16 codes AVX2, 8 SSE2) and long rows.
  std::vector<std::size_t> lengths;
  for (std::size_t n = 0; n <= 70; ++n) lengths.push_back(n);
  for (std::size_t n : {127u, 128u, 129u, 300u, 1001u}) lengths.push_back(n);
  for (const std::size_t n : lengths) {
    for (int variant = 0; variant < 6; ++variant) {
      std::string row(2 * n, '0');
      for (auto& c : row) c = digits[rng() % digits.size()];
      if (variant == 1 && n > 0) row[rng() % row.size()] = others[rng() % others.size()];  // one bad character
      if (variant == 2 && n > 0) row[row.size() - 1] = 'g';                               // bad in the tail
      if (variant == 3 && n > 0) row[0] = 'z';                                            // bad first
      if (variant == 4)  // runs of the null code and of codes >= 0x80
        for (std::size_t i = 0; i < n; ++i) row.replace(2 * i, 2, (i / 5) % 2 ? "FF" : "8c");
      const int null_code = variant == 5 ? -1 : 0xFF;
      std::vector<std::int16_t> want;
      const bool ok = reference_cells(row, null_code, want);
      for (const SimdLevel level : kLevels) {
        ScopedSimdLevel force(level);
        INFO("codes " << n << ", variant " << variant << ", level " << static_cast<int>(level));
        std::vector<std::int16_t> got(n + 1, 7);
        REQUIRE(yf::import::decode_hex2_cells(row.data(), n, null_code, got.data()) == ok);
        if (ok) {
          got.resize(n);
          CHECK(got == want);
        }
      }
    }
  }
}

TEST_CASE("CodeCounter: AVX2 and portable paths count like a map", "[ImportSimd]") {
  std::mt19937 rng(7);
  struct Case {
    const char* name;
    std::vector<std::int16_t> codes;
  };
  std::vector<Case> cases;
  auto make = [&](const char* name, std::size_t n, std::vector<std::int16_t> alphabet, int run) {
    std::vector<std::int16_t> v;
    while (v.size() < n) {
      const std::int16_t c = alphabet[rng() % alphabet.size()];
      for (int k = 0; k < run && v.size() < n; ++k) v.push_back(c);
    }
    cases.push_back({name, v});
  };
  make("empty", 0, {1}, 1);
  make("one code, odd length", 37, {1}, 1);
  make("three codes in runs (a wafer map)", 90000, {1, 3, -1}, 40);
  make("four codes", 1000, {0, 1, 2, -1}, 3);
  make("five codes", 1003, {5, 6, 7, 8, 9}, 1);
  make("eight codes", 517, {1, 2, 3, 4, 5, 6, 7, 8}, 2);
  make("twenty codes (past the known ones)", 4099, {1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15, 16, 17, 18, 19, -32768}, 1);
  // One code past 4,096 blocks of 16: the lane counters are added up before they overflow.
  make("one code, 200,000 times", 200000, {42}, 1);
  std::vector<std::int16_t> late(70000, 1);
  late[65000] = 9;  // a new code deep into a long run of a known one
  cases.push_back({"a new code late", late});
  for (const auto& c : cases) {
    std::map<int, std::int64_t> want;
    for (auto v : c.codes) ++want[v];
    for (const SimdLevel level : kLevels) {
      ScopedSimdLevel force(level);
      INFO(c.name << ", level " << static_cast<int>(level));
      CodeCounter counter;
      // In two calls, the second starting mid-block: counts carry across calls.
      const std::size_t half = c.codes.size() / 2 + (c.codes.size() > 2 ? 1 : 0);
      counter.add(c.codes.data(), std::min(half, c.codes.size()));
      if (half < c.codes.size()) counter.add(c.codes.data() + half, c.codes.size() - half);
      CHECK(counter.counts() == want);
    }
  }
}
