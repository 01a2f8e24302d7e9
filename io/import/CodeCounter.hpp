#pragma once
// How many times each code occurs in a map, for the header checks (BinCount, dies,
// bins present) of the sort-map importers. Maps use a handful of distinct codes, so
// each block of 8 codes is compared (SSE2) with the codes met so far and the matches
// counted; only a block holding a code not met yet is counted one code at a time.
// That avoids a table increment a die, whose runs of one code make every increment
// wait for the previous one. CPUs with AVX2 (SimdLevel.hpp) compare 16 codes at a time.
#include <cstddef>
#include <cstdint>
#include <map>

namespace yf::import {

class CodeCounter {
 public:
  // Counts n 16-bit codes.
  void add(const std::int16_t* v, std::size_t n);
  // Each code met and its count.
  std::map<int, std::int64_t> counts() const;

 private:
  void add_one(std::int16_t v);
  std::size_t add_avx2(const std::int16_t* v, std::size_t n);  // CodeCounter.cpp: AVX2 CPUs only
  static constexpr int kKnown = 8;
  std::int16_t known_[kKnown] = {};
  std::int64_t count_[kKnown] = {};
  int n_known_ = 0;
  std::map<int, std::int64_t> others_;
};

}  // namespace yf::import
