// Non-parametric tests on small tables worked by hand (the derivations are in the
// comments), and the distributions on values with closed forms.
#include "stages/analytics/Statistics.hpp"

#include <catch2/catch.hpp>
#include <cmath>

using namespace yf::analytics;

TEST_CASE("distributions: normal and chi-square tails", "[Statistics]") {
  CHECK(normal_sf(0) == Approx(0.5));
  CHECK(normal_sf(1.959963984540054) == Approx(0.025).epsilon(1e-9));
  CHECK(normal_sf(-1) == Approx(1 - 0.15865525393145707).epsilon(1e-12));
  // df = 1: the 5 % critical value 3.841458820694124.
  CHECK(chi_square_sf(3.841458820694124, 1) == Approx(0.05).epsilon(1e-9));
  // df = 2: Q(1, x/2) = exp(-x/2) exactly.
  CHECK(chi_square_sf(4.0, 2) == Approx(std::exp(-2.0)).epsilon(1e-12));
  CHECK(chi_square_sf(40.0, 2) == Approx(std::exp(-20.0)).epsilon(1e-10));
  // df = 4: Q(2, x/2) = exp(-x/2) (1 + x/2); x = 5 -> e^-2.5 * 3.5 = 0.2872974951836458.
  CHECK(chi_square_sf(5.0, 4) == Approx(0.2872974951836458).epsilon(1e-12));
  CHECK(gamma_p(1, 2) == Approx(1 - std::exp(-2.0)).epsilon(1e-12));
  CHECK(chi_square_sf(0, 3) == 1);
}

TEST_CASE("midranks and the tie term", "[Statistics]") {
  // 1 2 2 2 3 3 4 5 (shuffled): the three 2s share ranks 2-4 -> 3, the 3s share 5-6 -> 5.5.
  double ties = 0;
  const auto r = midranks({2, 5, 1, 3, 2, 4, 3, 2}, &ties);
  CHECK(r == std::vector<double>{3, 8, 1, 5.5, 3, 7, 5.5, 3});
  CHECK(ties == (27 - 3) + (8 - 2));  // sum t^3 - t over the tie groups (3 and 2)
  CHECK(median({3, 1, 2}) == 2);
  CHECK(median({4, 1, 3, 2}) == 2.5);
  CHECK(std::isnan(median({})));
}

TEST_CASE("Mann-Whitney: exact distribution without ties", "[Statistics]") {
  // x = {1, 2, 4}, y = {3, 5, 6, 7}: ranks of x 1, 2, 4 -> R1 = 7, U = 7 - 3*4/2 = 1.
  // Of the C(7,3) = 35 equally likely rank sets of x, U = 0 only for {1,2,3} and U = 1
  // only for {1,2,4}: P(U <= 1) = 2/35, two-sided p = 4/35.
  const MannWhitney m = mann_whitney({1, 2, 4}, {3, 5, 6, 7});
  CHECK(m.exact);
  CHECK(m.u == 1);
  CHECK(m.p == Approx(4.0 / 35.0).epsilon(1e-12));
  // The other way round U' = n1 n2 - U = 11 and the same p.
  const MannWhitney w = mann_whitney({3, 5, 6, 7}, {1, 2, 4});
  CHECK(w.u == 11);
  CHECK(w.p == Approx(4.0 / 35.0).epsilon(1e-12));
  // Complete separation of 5 and 5: P(U = 0) = 1 / C(10,5) = 1/252, p = 2/252.
  CHECK(mann_whitney({1, 2, 3, 4, 5}, {6, 7, 8, 9, 10}).p == Approx(2.0 / 252.0).epsilon(1e-12));
}

TEST_CASE("Mann-Whitney: normal approximation with tie and continuity corrections", "[Statistics]") {
  // x = {1, 2, 2, 3}, y = {2, 3, 4, 5}; pooled midranks: 1 -> 1, 2s -> 3, 3s -> 5.5, 4 -> 7, 5 -> 8.
  // R1 = 1 + 3 + 3 + 5.5 = 12.5, U = 12.5 - 10 = 2.5; mean n1 n2 / 2 = 8.
  // var = n1 n2 / 12 * ((N + 1) - sum(t^3 - t) / (N (N - 1))) = 16/12 * (9 - 30/56) = 11.285714...
  // z = (|2.5 - 8| - 0.5) / sqrt(11.285714) = 1.4883514, p = 2 (1 - Phi(z)) = 0.1366582.
  const MannWhitney m = mann_whitney({1, 2, 2, 3}, {2, 3, 4, 5});
  CHECK_FALSE(m.exact);
  CHECK(m.u == 2.5);
  CHECK(m.z == Approx(-1.4883513944689681).epsilon(1e-12));
  CHECK(m.p == Approx(0.13665824773814753).epsilon(1e-10));
  // From the pooled rank sum (what commonality uses): the same numbers.
  const MannWhitney r = mann_whitney_from_ranks(12.5, 4, 4, 30);
  CHECK(r.u == 2.5);
  CHECK(r.p == Approx(0.13665824773814753).epsilon(1e-10));
  // Large samples without ties use the normal approximation too (n > 20).
  std::vector<double> a, b;
  for (int i = 0; i < 25; ++i) {
    a.push_back(i);
    b.push_back(i + 0.5);
  }
  const MannWhitney big = mann_whitney(a, b);
  CHECK_FALSE(big.exact);
  // U = sum over a_i of b_j below it = 0 + 1 + ... + 24 = 300; mean 312.5, var 625*51/12 = 2656.25.
  CHECK(big.u == 300);
  CHECK(big.p == Approx(std::erfc((12.5 - 0.5) / std::sqrt(2656.25) / std::sqrt(2.0))).epsilon(1e-12));
  // Every value tied: no evidence.
  CHECK(mann_whitney({1, 1}, {1, 1, 1}).p == 1);
  CHECK(mann_whitney({}, {1}).p == 1);
}

TEST_CASE("Kruskal-Wallis with the tie correction", "[Statistics]") {
  // A = {1, 3, 5}, B = {2, 4, 6}, C = {5, 7, 8}; pooled ranks 1..9 with the two 5s at 5.5.
  // R_A = 1 + 3 + 5.5 = 9.5, R_B = 2 + 4 + 7 = 13, R_C = 5.5 + 8 + 9 = 22.5, N = 9.
  // H = 12/(9*10) * (9.5^2 + 13^2 + 22.5^2)/3 - 3*10 = 4.0222222;
  // correction 1 - (2^3 - 2)/(9^3 - 9) = 1 - 6/720 -> H = 4.0560224; df 2: p = exp(-H/2) = 0.1315970.
  const KruskalWallis k = kruskal_wallis({{1, 3, 5}, {2, 4, 6}, {5, 7, 8}});
  CHECK(k.df == 2);
  CHECK(k.h == Approx(4.056022408963582).epsilon(1e-12));
  CHECK(k.p == Approx(0.13159698055280125).epsilon(1e-10));
  // Empty groups are ignored; one group left: nothing to test.
  const KruskalWallis one = kruskal_wallis({{1, 2}, {}});
  CHECK(one.df == 0);
  CHECK(one.p == 1);
  CHECK(kruskal_wallis({{1, 1}, {1}}).p == 1);  // all tied
}

TEST_CASE("multiple comparisons: Holm and Benjamini-Hochberg", "[Statistics]") {
  // p = {0.01, 0.04, 0.03, 0.005}, m = 4. Holm, ascending: 0.005*4 = 0.02, 0.01*3 = 0.03,
  // 0.03*2 = 0.06, 0.04*1 = 0.04 -> kept non-decreasing: 0.06.
  const auto holm = holm_adjust({0.01, 0.04, 0.03, 0.005});
  CHECK(holm[0] == Approx(0.03));
  CHECK(holm[1] == Approx(0.06));
  CHECK(holm[2] == Approx(0.06));
  CHECK(holm[3] == Approx(0.02));
  // BH: p(i) m / i = 0.02, 0.02, 0.04, 0.04; running minimum from the largest: same.
  const auto bh = benjamini_hochberg_adjust({0.01, 0.04, 0.03, 0.005});
  CHECK(bh[0] == Approx(0.02));
  CHECK(bh[1] == Approx(0.04));
  CHECK(bh[2] == Approx(0.04));
  CHECK(bh[3] == Approx(0.02));
  CHECK(holm_adjust({0.5, 0.6})[1] == 1);  // capped at 1
}
