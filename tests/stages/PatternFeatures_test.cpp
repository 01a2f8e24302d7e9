// pattern_features() on hand-drawn maps whose values can be worked out by hand
// (PatternTestMaps.hpp draws them), degenerate maps, and the FailMap conversions.
#include "stages/PatternFeatures.hpp"

#include <catch2/catch.hpp>
#include <cmath>
#include <set>
#include <stdexcept>

#include "PatternTestMaps.hpp"
#include "stages/PatternTraining.hpp"

using yf::DieState;
using yf::FailMap;
using yf::pattern_features;
using yf::test::feature;
using yf::test::round_map;

namespace {

bool all_finite(const std::vector<float>& f) {
  for (float x : f)
    if (!std::isfinite(x)) return false;
  return true;
}

bool all_zero(const std::vector<float>& f) {
  for (float x : f)
    if (x != 0.0f) return false;
  return true;
}

}  // namespace

TEST_CASE("pattern feature names: one per feature, unique", "[PatternFeatures]") {
  const auto& names = yf::pattern_feature_names();
  const auto f = pattern_features(round_map(20, [](double, double) { return false; }));
  CHECK(names.size() == f.size());
  CHECK(std::set<std::string>(names.begin(), names.end()).size() == names.size());
  for (const auto& n : names) CHECK(!n.empty());
}

TEST_CASE("degenerate maps: no die, no fail, one die, all fail give finite values", "[PatternFeatures]") {
  const std::size_t n = yf::pattern_feature_names().size();
  SECTION("no cells and no dies: all zeros") {
    CHECK(all_zero(pattern_features(FailMap{})));
    CHECK(pattern_features(FailMap{}).size() == n);
    CHECK(all_zero(pattern_features(FailMap{3, 4, std::vector<DieState>(12, DieState::none)})));
  }
  SECTION("no fail: every feature is 0 (all are fail densities or shapes of fails)") {
    CHECK(all_zero(pattern_features(round_map(30, [](double, double) { return false; }))));
  }
  SECTION("a single die, failing or not") {
    const auto f = pattern_features(FailMap{1, 1, {DieState::fail}});
    CHECK(all_finite(f));
    CHECK(feature(f, "density") == 1.0f);
    CHECK(all_zero(pattern_features(FailMap{1, 1, {DieState::pass}})));
  }
  SECTION("every die fails") {
    const auto f = pattern_features(round_map(30, [](double, double) { return true; }));
    REQUIRE(all_finite(f));
    CHECK(feature(f, "density") == 1.0f);
    for (int k = 0; k < 8; ++k) CHECK(feature(f, "ring" + std::to_string(k)) == 1.0f);
    for (const char* name : {"centre_density", "middle_density", "edge_density", "layer1_density", "layer2_density",
                             "inner_density", "comp1_area", "comp1_share", "neighbour_fail", "comp1_angular_cover"})
      CHECK(feature(f, name) == Approx(1.0));
    CHECK(feature(f, "comp1_solidity") > 0.9f);
    CHECK(feature(f, "comp1_rho") < 0.02f);
    CHECK(feature(f, "clustering") == Approx(0.0).margin(1e-6));
    CHECK(feature(f, "isolated_excess") == Approx(0.0).margin(1e-6));
    CHECK(feature(f, "rim_hot") == 0.0f);  // a rim no worse than the interior is no ring
  }
  SECTION("cells that disagree with rows x cols are refused") {
    CHECK_THROWS_AS(pattern_features(FailMap{3, 3, std::vector<DieState>(8, DieState::pass)}), std::invalid_argument);
  }
}

TEST_CASE("centre blob: its fails are in the centre disc and the first ring", "[PatternFeatures]") {
  // rho < 0.3: 9% of the wafer's area, (0.3 / 0.35)^2 = 73% of the centre disc (rho < 0.35)
  // and of the first equal-area ring (rho^2 < 1/8).
  const auto f = pattern_features(round_map(40, [](double u, double v) { return std::hypot(u, v) < 0.3; }));
  CHECK(feature(f, "density") == Approx(0.09).margin(0.01));
  CHECK(feature(f, "centre_density") == Approx(0.73).margin(0.05));
  CHECK(feature(f, "ring0") == Approx(0.72).margin(0.05));
  CHECK(feature(f, "ring_shape0") == Approx(1.0));
  CHECK(feature(f, "middle_density") == 0.0f);
  CHECK(feature(f, "edge_density") == 0.0f);
  CHECK(feature(f, "comp1_area") == Approx(0.09).margin(0.01));
  CHECK(feature(f, "comp1_share") == Approx(1.0));
  CHECK(feature(f, "comp1_rho") < 0.03f);
  CHECK(feature(f, "comp1_solidity") > 0.9f);
  CHECK(feature(f, "comp1_eccentricity") < 0.3f);
  CHECK(feature(f, "comp1_angular_cover") == 1.0f);
  CHECK(feature(f, "comp1_edge_share") == 0.0f);
  CHECK(feature(f, "fail_rho_mean") == Approx(0.2).margin(0.02));  // 2/3 of the disc's radius
}

TEST_CASE("a blob symmetric about its centroid: exactly round, exactly where it is (integer moments)", "[PatternFeatures]") {
  // The moments are integer sums, so symmetry cancels exactly: a disc at the wafer's
  // centre has its centroid at distance 0 and equal variances along u and v (no
  // covariance), hence eccentricity 0; so does a 5 x 5 square off the centre. Double
  // sums in scan order left ~1e-17 there, and a tree could split on that noise.
  const auto disc = pattern_features(round_map(40, [](double u, double v) { return std::hypot(u, v) < 0.3; }));
  CHECK(feature(disc, "comp1_rho") == 0.0f);
  CHECK(feature(disc, "comp1_eccentricity") == 0.0f);
  // Columns and rows 22..26 of 40 (u, v in dies from the centre: 2.5 .. 6.5 and -2.5 .. -6.5).
  FailMap square = round_map(40, [](double, double) { return false; });
  for (int r = 22; r <= 26; ++r)
    for (int c = 22; c <= 26; ++c) square.cells[static_cast<std::size_t>(r) * 40 + c] = DieState::fail;
  const auto f = pattern_features(square);
  CHECK(feature(f, "comp1_eccentricity") == 0.0f);
  // Centroid (4.5, -4.5) dies from the centre, the radius 20 dies: 4.5 sqrt(2) / 20.
  CHECK(feature(f, "comp1_rho") == Approx(4.5 * std::sqrt(2.0) / 20).epsilon(1e-6));
  CHECK(feature(f, "comp1_width") == Approx(5.0).epsilon(1e-6));  // a 5 x 5 square: 5 dies wide
}

TEST_CASE("edge ring: the outer rings and the rim fail all round, the inside is clean", "[PatternFeatures]") {
  // rho > 0.9 on a 40-die wafer: the two outermost dies of every row and column.
  const auto f = pattern_features(round_map(40, [](double u, double v) { return std::hypot(u, v) > 0.9; }));
  CHECK(feature(f, "ring7") == 1.0f);  // rho^2 > 7/8: rho > 0.935
  for (int k = 0; k < 6; ++k) CHECK(feature(f, "ring" + std::to_string(k)) == 0.0f);
  CHECK(feature(f, "layer1_density") == 1.0f);
  CHECK(feature(f, "inner_density") == 0.0f);
  CHECK(feature(f, "centre_density") == 0.0f);
  CHECK(feature(f, "rim_hot") == 1.0f);
  CHECK(feature(f, "rim_run") == 1.0f);
  CHECK(feature(f, "outer_coverage") == 1.0f);
  CHECK(feature(f, "comp1_angular_cover") == 1.0f);
  CHECK(feature(f, "comp1_rho") < 0.05f);        // a ring's centroid is the wafer's centre
  CHECK(feature(f, "comp1_solidity") < 0.4f);    // and it is hollow
  CHECK(feature(f, "line_length") == 0.0f);      // the two outer layers are left out of lines
}

TEST_CASE("edge spot: one part of the rim fails, the rest is clean", "[PatternFeatures]") {
  const auto f = pattern_features(yf::test::round_map(40, [](double u, double v) {
    return std::hypot(u, v) > 0.75 && std::atan2(v, u) > 0.3 && std::atan2(v, u) < 1.4;
  }));
  CHECK(feature(f, "rim_hot") == Approx(3.0 / 16).margin(1.5 / 16));  // 63 degrees of 360
  CHECK(feature(f, "rim_run") == feature(f, "rim_hot"));              // in one piece
  CHECK(feature(f, "comp1_rho") > 0.75f);
  CHECK(feature(f, "comp1_edge_share") > 0.3f);
  CHECK(feature(f, "comp1_radial_align") < 0.5f);  // an arc lies across its radius
}

TEST_CASE("straight diagonal scratch: strong line evidence, a long thin region", "[PatternFeatures]") {
  // One die wide along u = v, from (-0.65, -0.65) to (0.65, 0.65): 1.84 wafer radii.
  const auto f = pattern_features(
      round_map(40, [](double u, double v) { return std::fabs(u - v) < 0.04 && std::fabs(u + v) < 1.3; }));
  CHECK(feature(f, "comp1_eccentricity") > 0.98f);
  CHECK(feature(f, "comp1_length") == Approx(1.84).margin(0.1));
  CHECK(feature(f, "comp1_width") < 1.5f);
  // Convex, but diagonal squares touch only at their corners: 26 dies in a hull of
  // 25 sqrt(2) x 1 grown by half a die, 0.71.
  CHECK(feature(f, "comp1_solidity") == Approx(0.71).margin(0.03));
  CHECK(feature(f, "line_length") > 0.5f);     // >= 0.5 of the diameter in one two-die band
  CHECK(feature(f, "line_share") > 0.8f);
  CHECK(feature(f, "line_z") > 5.0f);
  // A blob of about the same number of dies has no such line.
  const auto blob = pattern_features(round_map(40, [](double u, double v) { return std::hypot(u, v - 0.2) < 0.12; }));
  CHECK(feature(blob, "line_z") < feature(f, "line_z") / 2);
  CHECK(feature(blob, "comp1_eccentricity") < 0.5f);
}

TEST_CASE("randomness: a checkerboard is dispersed, independent fails are not clustered", "[PatternFeatures]") {
  SECTION("checkerboard: no failing 4-neighbour at all") {
    const auto f = pattern_features(round_map(30, [](double u, double v) {
      const int c = static_cast<int>(std::lround((u + 1) * 15 - 0.5)), r = static_cast<int>(std::lround((1 - v) * 15 - 0.5));
      return (c + r) % 2 == 0;
    }));
    CHECK(feature(f, "density") == Approx(0.5).margin(0.02));
    CHECK(feature(f, "neighbour_fail") == 0.0f);
    CHECK(feature(f, "clustering") == Approx(-0.5).margin(0.02));
  }
  SECTION("independent fails at 30%: neighbours fail at the base rate") {
    const auto f = pattern_features(round_map(80, yf::test::scattered(0.3, 7)));
    CHECK(feature(f, "density") == Approx(0.3).margin(0.02));
    CHECK(feature(f, "clustering") == Approx(0.0).margin(0.03));
    CHECK(feature(f, "isolated_excess") == Approx(0.0).margin(0.03));
  }
  SECTION("a clustered map: neighbours fail far above the base rate") {
    const auto f = pattern_features(round_map(40, [](double u, double v) { return std::hypot(u - 0.3, v) < 0.25; }));
    CHECK(feature(f, "clustering") > 0.7f);
  }
}

TEST_CASE("grid size: the same pattern on 30 and 90 dies across gives about the same features", "[PatternFeatures]") {
  auto centre = [](double u, double v) { return std::hypot(u, v) < 0.4; };
  const auto small = pattern_features(round_map(30, centre)), large = pattern_features(round_map(90, centre));
  for (const char* name : {"density", "ring0", "ring1", "ring2", "centre_density", "middle_density", "comp1_area",
                           "comp1_rho", "fail_rho_mean", "comp1_length", "comp1_solidity"})
    CHECK(feature(small, name) == Approx(feature(large, name)).margin(0.06));
}

// Every cell of `m` drawn as a 2 x 2 block of the same state.
static FailMap upscale2(const FailMap& m) {
  FailMap big{2 * m.rows, 2 * m.cols, std::vector<DieState>(static_cast<std::size_t>(4 * m.rows * m.cols))};
  for (int r = 0; r < big.rows; ++r)
    for (int c = 0; c < big.cols; ++c) big.cells[static_cast<std::size_t>(r * big.cols + c)] = m.at(c / 2, r / 2);
  return big;
}

// Dies and fails of a map.
static std::pair<int, int> count_dies(const FailMap& m) {
  int dies = 0, fails = 0;
  for (const DieState s : m.cells) dies += s != DieState::none, fails += s == DieState::fail;
  return {dies, fails};
}

TEST_CASE("maps of more than 3000 cells are pooled 2 x 2 before their features are taken", "[PatternFeatures]") {
  // 28 x 28 dies: an edge spot, a diagonal scratch and scattered fails.
  const FailMap small = round_map(28, [noise = yf::test::scattered(0.05, 3)](double u, double v) mutable {
    return (std::hypot(u, v) > 0.8 && u > 0.5) || (std::fabs(u + v) < 0.05 && std::fabs(u - v) < 1.0) || noise(u, v);
  });
  const auto f_small = pattern_features(small);
  const auto [dies, fails] = count_dies(small);
  SECTION("a map drawn at twice the resolution (56 x 56 = 3136 cells) gives the small map's features exactly") {
    // Every block is 4 dies of one state: the same cells, and every count times 4.
    CHECK(pattern_features(upscale2(small)) == f_small);
  }
  SECTION("densities count every die; a block fails when half its dies fail; a die when half of it is on the wafer") {
    int pc = -1, pr = -1;  // a passing die of the small map, well inside
    for (int r = 10; r < 18 && pc < 0; ++r)
      for (int c = 10; c < 18 && pc < 0; ++c)
        if (small.at(c, r) == DieState::pass) pc = c, pr = r;
    REQUIRE(pc >= 0);
    FailMap big = upscale2(small);
    auto set = [&](int c, int r, DieState s) { big.cells[static_cast<std::size_t>(r * big.cols + c)] = s; };
    const char* shape[] = {"comp1_area", "comp1_length", "big_components", "clustered_share", "line_z",
                           "neighbour_fail", "clustering", "isolated_excess"};
    // 1 fail of 4: the block still passes, but its fail counts in the density.
    set(2 * pc, 2 * pr, DieState::fail);
    auto f = pattern_features(big);
    CHECK(feature(f, "density") == Approx((4.0 * fails + 1) / (4.0 * dies)));
    for (const char* name : shape) CHECK(feature(f, name) == feature(f_small, name));
    // 2 of 4: it fails, as that die of the small map would.
    set(2 * pc + 1, 2 * pr + 1, DieState::fail);
    FailMap expect = small;
    expect.cells[static_cast<std::size_t>(pr * small.cols + pc)] = DieState::fail;
    f = pattern_features(big);
    const auto f_expect = pattern_features(expect);
    CHECK(feature(f, "density") == Approx((4.0 * fails + 2) / (4.0 * dies)));
    for (const char* name : shape) CHECK(feature(f, name) == feature(f_expect, name));
    // 3 of the block's 4 cells off the wafer: no die, and its failing die is left out.
    set(2 * pc, 2 * pr, DieState::none), set(2 * pc + 1, 2 * pr, DieState::none), set(2 * pc, 2 * pr + 1, DieState::none);
    expect.cells[static_cast<std::size_t>(pr * small.cols + pc)] = DieState::none;
    CHECK(pattern_features(big) == pattern_features(expect));
  }
}

TEST_CASE("pooling odd-sized, non-square maps: every row width and block column agree with the half-size map",
          "[PatternFeatures]") {
  // The pooling and the neighbour counts work eight or sixteen cells at a time (SSE2)
  // with the rest of a row one at a time: widths of 25-46 pooled cells exercise every
  // split, odd sizes a last 1-row / 1-column block (no die here, so it adds nothing).
  for (const auto& [rows, cols] : {std::pair{29, 37}, std::pair{33, 24}, std::pair{24, 45}, std::pair{35, 31}}) {
    FailMap small{rows, cols, std::vector<DieState>(static_cast<std::size_t>(rows * cols), DieState::none)};
    auto noise = yf::test::scattered(0.08, static_cast<std::uint64_t>(rows * 100 + cols));
    for (int r = 0; r < rows; ++r)
      for (int c = 0; c < cols; ++c) {
        const double u = (c + 0.5) / cols * 2 - 1, v = 1 - (r + 0.5) / rows * 2;
        if (u * u + v * v >= 1) continue;
        const bool fail = (u > 0.55 && v > 0) || std::fabs(u - 0.5 * v) < 0.06 || noise(u, v);
        small.cells[static_cast<std::size_t>(r * cols + c)] = fail ? DieState::fail : DieState::pass;
      }
    const FailMap doubled = upscale2(small);
    FailMap big{doubled.rows + 1, doubled.cols + 1,
                std::vector<DieState>(static_cast<std::size_t>((doubled.rows + 1) * (doubled.cols + 1)), DieState::none)};
    for (int r = 0; r < doubled.rows; ++r)
      for (int c = 0; c < doubled.cols; ++c)
        big.cells[static_cast<std::size_t>(r * big.cols + c)] = doubled.at(c, r);
    REQUIRE(big.cells.size() > 3000);
    REQUIRE((big.rows + 1) / 2 * ((big.cols + 1) / 2) <= 3000);  // pooled 2 x 2
    INFO(rows << " x " << cols);
    CHECK(pattern_features(big) == pattern_features(small));
  }
}

TEST_CASE("3000 cells or fewer are read die by die", "[PatternFeatures]") {
  // Two failing neighbours in columns 27 and 28 (two different 2 x 2 blocks) at the centre.
  for (const int n : {54, 56}) {
    FailMap m = round_map(n, [](double, double) { return false; });
    m.cells[static_cast<std::size_t>(n / 2 * n + 27)] = DieState::fail;
    m.cells[static_cast<std::size_t>(n / 2 * n + 28)] = DieState::fail;
    const auto [dies, fails] = count_dies(m);
    // Pooled, the dies of a 2 x 2 block count when at least two of its cells are dies.
    int pooled_dies = 0;
    for (int r = 0; r < n; r += 2)
      for (int c = 0; c < n; c += 2) {
        const int d = (m.at(c, r) != DieState::none) + (m.at(c + 1, r) != DieState::none) +
                      (m.at(c, r + 1) != DieState::none) + (m.at(c + 1, r + 1) != DieState::none);
        pooled_dies += d >= 2 ? d : 0;
      }
    const auto f = pattern_features(m);
    INFO(n << " x " << n);
    // Every die counts in the densities, pooled or not (but a block mostly off the wafer).
    CHECK(feature(f, "density") == Approx(2.0 / (n * n <= 3000 ? dies : pooled_dies)));
    if (n * n <= 3000) {
      CHECK(feature(f, "comp1_area") == Approx(2.0 / dies));  // a region of two dies
    } else {
      CHECK(feature(f, "comp1_area") == 0.0f);  // two blocks with one fail of four: no failing block
    }
  }
}

TEST_CASE("rotations and reflections leave the features unchanged", "[PatternFeatures]") {
  const FailMap m = round_map(40, [](double u, double v) { return std::hypot(u - 0.4, v + 0.2) < 0.2 || u > 0.95; });
  const auto f0 = pattern_features(m);
  for (int k = 1; k < 8; ++k) {
    const auto fk = pattern_features(yf::dihedral(m, k));
    for (const char* name : {"density", "ring0", "ring3", "ring7", "layer1_density", "inner_density", "comp1_area",
                             "comp1_rho", "comp1_length", "comp1_eccentricity", "comp1_solidity", "clustering",
                             "rim_hot", "line_length"}) {
      INFO(name << " after transform " << k);
      CHECK(feature(fk, name) == Approx(feature(f0, name)).margin(1e-5));
    }
    // Octants and sectors: a die on their border belongs to one side, which a
    // reflection swaps, so these agree to within a die or two (and the polar grid's
    // turn can differ when two octants tie).
    for (const char* name : {"sector_max", "sector_std", "outer_sector_max", "polar_r2_s0"}) {
      INFO(name << " after transform " << k);
      CHECK(feature(fk, name) == Approx(feature(f0, name)).margin(0.02));
    }
  }
}

TEST_CASE("a thread's cached die layout never leaks into another layout's features", "[PatternFeatures]") {
  // Same grid, different dies (a sort map and a kill map of one wafer), then other grids.
  const FailMap a = round_map(40, [](double u, double v) { return std::hypot(u, v) > 0.8; });
  FailMap b = a;
  for (int c = 0; c < 40; ++c) b.cells[static_cast<std::size_t>(20 * 40 + c)] = DieState::none;  // a row removed
  const auto fa = pattern_features(a), fb = pattern_features(b);
  CHECK(fa != fb);
  for (int n : {30, 41, 50, 60, 40}) (void)pattern_features(round_map(n, [](double, double) { return true; }));
  CHECK(pattern_features(b) == fb);
  CHECK(pattern_features(a) == fa);
}

TEST_CASE("a caller's workspace gives the features of a fresh one, whatever maps it saw before", "[PatternFeatures]") {
  // Layouts that alternate (a sort map and a kill map), other grids, a pooled map (> 3000
  // cells), an empty map: every map's features through two long-lived workspaces, used
  // in turn, equal those of a workspace that sees that map alone.
  const FailMap ring = round_map(40, [](double u, double v) { return std::hypot(u, v) > 0.8; });
  FailMap cut = ring;
  for (int c = 0; c < 40; ++c) cut.cells[static_cast<std::size_t>(20 * 40 + c)] = DieState::none;
  const std::vector<FailMap> maps = {ring,
                                     cut,
                                     round_map(70, yf::test::scattered(0.3, 5)),
                                     round_map(33, [](double u, double) { return std::fabs(u) < 0.05; }),
                                     FailMap{},
                                     round_map(70, [](double u, double v) { return u * u + v * v < 0.2; }),
                                     cut,
                                     ring};
  const std::size_t n = yf::pattern_feature_names().size();
  yf::PatternWorkspace first, second;
  for (int pass = 0; pass < 2; ++pass)
    for (std::size_t i = 0; i < maps.size(); ++i) {
      yf::PatternWorkspace fresh;
      std::vector<float> want(n, -1.0f), got(n, -1.0f);
      yf::pattern_features(maps[i], fresh, want.data());
      yf::pattern_features(maps[i], (i + pass) % 2 ? first : second, got.data());
      INFO("map " << i << ", pass " << pass);
      CHECK(got == want);
      CHECK(pattern_features(maps[i]) == want);
    }
}

TEST_CASE("fail maps from per-die masks and from bin maps", "[PatternFeatures]") {
  SECTION("masks") {
    const FailMap m = yf::fail_map_from_masks(2, 2, {1, 1, 0, 1}, {0, 1, 1, 0});
    CHECK(m.cells == std::vector<DieState>{DieState::pass, DieState::fail, DieState::none, DieState::pass});
    CHECK_THROWS_AS(yf::fail_map_from_masks(2, 2, {1, 1, 1}, {0, 0, 0, 0}), std::invalid_argument);
  }
  SECTION("bins: -1 no die, pass bins pass, every other bin fails") {
    yf::BinMap bins{1, 6, {-1, 1, 2, 3, 300, 0}};
    yf::DatasetTables tables;
    tables.has_bins_table = true;
    tables.bins[1] = {1, "PASS", true};
    tables.bins[2] = {2, "PASS_SLOW", true};
    tables.bins[3] = {3, "OPEN", false};
    tables.bins[300] = {300, "PASS_300", true};
    CHECK(yf::fail_map_from_bins(bins, tables).cells ==
          std::vector<DieState>{DieState::none, DieState::pass, DieState::pass, DieState::fail, DieState::pass,
                                DieState::fail});
    tables.has_bins_table = false;  // then bin 1 alone passes
    CHECK(yf::fail_map_from_bins(bins, tables).cells ==
          std::vector<DieState>{DieState::none, DieState::pass, DieState::fail, DieState::fail, DieState::fail,
                                DieState::fail});
    bins.bins.pop_back();
    CHECK_THROWS_AS(yf::fail_map_from_bins(bins, tables), std::invalid_argument);
  }
}
