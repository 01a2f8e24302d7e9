// KLARF number parsing: the fast path (klarf_fast_number, exact decimal arithmetic
// for short significands) must give bit for bit the double std::from_chars gives -
// the reference here - on random numbers of every shape KLARF writers use and on
// every word of the real files in ../shared/data/klarf.
#include <catch2/catch.hpp>

#include <charconv>
#include <cmath>
#include <cstdint>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <random>
#include <sstream>
#include <string>

#include "TestPaths.hpp"
#include "io/import/KlarfTokenizer.hpp"

using yf::import::klarf_fast_number;
using yf::import::klarf_number;

namespace {

// std::from_chars on the text (a leading '+' dropped, as klarf_number does).
bool reference(std::string_view s, double& out) {
  if (!s.empty() && s[0] == '+') s.remove_prefix(1);
  const auto [p, ec] = std::from_chars(s.data(), s.data() + s.size(), out);
  return ec == std::errc() && p == s.data() + s.size();
}

bool same_bits(double a, double b) { return std::memcmp(&a, &b, sizeof a) == 0; }

// Checks one text; returns true when the fast path took it.
bool check(const std::string& s) {
  double fast = 0, ref = 0;
  const bool took = klarf_fast_number(s, fast);
  const bool ok = reference(s, ref);
  if (took) {
    INFO(s);
    REQUIRE(ok);
    REQUIRE(same_bits(fast, ref));
  }
  const auto k = klarf_number(s);
  if (ok && std::isfinite(ref) && !s.empty() && (std::isdigit(static_cast<unsigned char>(s[0])) || s[0] == '-' ||
                                                 s[0] == '.' || s[0] == '+')) {
    INFO(s);
    REQUIRE(k);
    REQUIRE(same_bits(*k, ref));
  }
  return took;
}

}  // namespace

TEST_CASE("KLARF numbers: the fast path takes the usual shapes", "[klarf][number]") {
  double v = 0;
  for (const char* s : {"0", "-12", "1.234560e+03", "-4.500000E-01", "552.64", "+7", "0.000000e+000", "1e5",
                        "9007199254740992", "123456.789012"}) {
    INFO(s);
    CHECK(klarf_fast_number(s, v));
    check(s);
  }
  CHECK(klarf_fast_number("-0", v));
  CHECK(std::signbit(v));
  // Left to from_chars: no digit before the point, a point without digits, too many
  // significant digits, a significand beyond 2^53, powers of ten beyond 1e22.
  for (const char* s : {".5", "5.", "1.e5", "12345678901234567890", "9007199254740993", "123456789.123456789", "1e23", "1e-23",
                        "NA", "", "-", "1e", "1e+", "0x10", "1,5", "inf", "nan", "1e123456"}) {
    INFO(s);
    CHECK_FALSE(klarf_fast_number(s, v));
    check(s);
  }
}

TEST_CASE("KLARF numbers: fast path equals from_chars on random numbers", "[klarf][number]") {
  std::mt19937_64 rng(20240517);
  auto pick = [&](int n) { return static_cast<int>(rng() % static_cast<std::uint64_t>(n)); };
  int took = 0;
  const int n = 200000;
  for (int k = 0; k < n; ++k) {
    std::string s;
    if (pick(4) == 0) s += '-';
    else if (pick(20) == 0) s += '+';
    const int int_digits = 1 + pick(pick(3) == 0 ? 20 : 8);
    for (int i = 0; i < int_digits; ++i) s += static_cast<char>('0' + pick(10));
    if (pick(3) != 0) {
      s += '.';
      const int frac = 1 + pick(pick(3) == 0 ? 20 : 9);
      for (int i = 0; i < frac; ++i) s += static_cast<char>('0' + pick(10));
    }
    if (pick(2) == 0) {
      s += pick(2) ? 'e' : 'E';
      const int r = pick(3);
      if (r == 1) s += '-';
      else if (r == 2) s += '+';
      const int e = pick(4) == 0 ? pick(400) : pick(30);
      char buf[8];
      std::snprintf(buf, sizeof buf, pick(2) ? "%d" : "%03d", e);
      s += buf;
    }
    took += check(s);
  }
  // The shapes KLARF writers use mostly take the fast path.
  CHECK(took > n / 2);
  // printf's own shapes of random doubles (%.6e as the tools write, %g, %.17g).
  std::uniform_real_distribution<double> uni(-1e6, 1e6);
  for (int k = 0; k < 50000; ++k) {
    const double x = uni(rng);
    char buf[64];
    for (const char* f : {"%.6e", "%g", "%.3f", "%.17g"}) {
      std::snprintf(buf, sizeof buf, f, x);
      check(buf);
    }
  }
}

TEST_CASE("KLARF numbers: fast path equals from_chars on every word of the real files", "[klarf][number][real]") {
  int words = 0, took = 0;
  for (const auto& entry :
       std::filesystem::recursive_directory_iterator(std::string(yf::test::kSharedDataDir) + "/klarf")) {
    if (!entry.is_regular_file()) continue;
    std::ifstream in(entry.path(), std::ios::binary);
    std::string word;
    while (in >> word) {
      // Split at the punctuation the tokenizer splits at.
      std::size_t start = 0;
      for (std::size_t i = 0; i <= word.size(); ++i) {
        if (i == word.size() || std::strchr(";{},\"", word[i])) {
          if (i > start) {
            ++words;
            took += check(word.substr(start, i - start));
          }
          start = i + 1;
        }
      }
    }
  }
  CHECK(words > 10000);
  CHECK(took > words / 2);
}
