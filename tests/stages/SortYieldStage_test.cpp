#include "stages/SortYieldStage.hpp"

#include <catch2/catch.hpp>

#include "StagesTestData.hpp"

TEST_CASE("compute_sort_yield: without /bins, bin 1 alone is good", "[SortYieldStage]") {
  const auto s = yf::compute_sort_yield(yf::test::tiny_binmap(), yf::test::tiny_tables(false));
  // 10 tested, 6 of them bin 1; the tested dies outside the product circle
  // ((1,0), (2,0), (0,1), (0,2), (2,3), (3,3)) count: sort data ignores the product rule.
  CHECK(s.tested_dies == 10);
  CHECK(s.good_dies == 6);
  const std::vector<std::uint8_t> tested = {0, 1, 1, 0,  //
                                            1, 1, 1, 0,  //
                                            1, 1, 1, 0,  //
                                            0, 0, 1, 1};
  const std::vector<std::uint8_t> passed = {0, 1, 0, 0,  //
                                            1, 1, 0, 0,  //
                                            0, 1, 1, 0,  //
                                            0, 0, 0, 1};
  CHECK(s.tested == tested);
  CHECK(s.passed == passed);
}

TEST_CASE("compute_sort_yield: /bins lists several pass bins", "[SortYieldStage]") {
  // Bins 1 and 2 pass; 3 fails; 0 and 5 are not in the table and fail.
  const auto s = yf::compute_sort_yield(yf::test::tiny_binmap(), yf::test::tiny_tables(true));
  CHECK(s.tested_dies == 10);
  CHECK(s.good_dies == 7);
  CHECK(s.passed[2] == 1);   // die (2,0), bin 2
  CHECK(s.passed[6] == 0);   // die (2,1), bin 3
  CHECK(s.passed[8] == 0);   // die (0,2), bin 0
  CHECK(s.passed[14] == 0);  // die (2,3), bin 5
}

TEST_CASE("compute_sort_yield: a /bins table with no pass bin, and an untested map", "[SortYieldStage]") {
  yf::DatasetTables t;
  t.has_bins_table = true;  // present but passes nothing: bin 1 is no longer special
  const auto s = yf::compute_sort_yield(yf::test::tiny_binmap(), t);
  CHECK(s.tested_dies == 10);
  CHECK(s.good_dies == 0);

  yf::BinMap none{2, 3, std::vector<std::int16_t>(6, -1)};
  const auto u = yf::compute_sort_yield(none, yf::DatasetTables{});
  CHECK(u.tested_dies == 0);
  CHECK(u.good_dies == 0);
  CHECK(u.tested == std::vector<std::uint8_t>(6, 0));
}
