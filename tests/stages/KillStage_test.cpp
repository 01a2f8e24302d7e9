#include "stages/KillStage.hpp"

#include <catch2/catch.hpp>
#include <stdexcept>

#include "StagesTestData.hpp"

using yf::Defect;
using yf::DieGrid;

namespace {

// Defects on the tiny product (die (col,row); P = product die):
//   0: (-1,    1)  die (1,1) P, class 1 (killer),        5.0 um
//   1: (-1.5,  1.5) die (1,1) P, class 9 (absent: killer), 1.0 um
//   2: ( 1,    1)  die (2,1) P, class 2 (not a killer),  9.0 um
//   3: ( 0,    0)  die (2,2) P (closed left+top edges), class 1, 2.0 um
//   4: (-1,    3)  die (1,0) not product, class 1,      5.0 um
//   5: ( 4,    1)  off the grid (open right edge),      class 1
//   6: ( 1,   -2)  die (2,3) not product (y = -2 is row 2's open bottom), class 1
//   7: (-2,   -1)  die (1,2) P (closed left edge), class 1, 0.5 um
std::vector<Defect> tiny_defects() {
  return {{-1, 1, 5.0, 1}, {-1.5, 1.5, 1.0, 9}, {1, 1, 9.0, 2}, {0, 0, 2.0, 1},
          {-1, 3, 5.0, 1}, {4, 1, 5.0, 1},      {1, -2, 5.0, 1}, {-2, -1, 0.5, 1}};
}

std::int64_t lin(int c, int r) { return static_cast<std::int64_t>(r) * 4 + c; }

}  // namespace

TEST_CASE("map_defects_to_dies: die index per defect, -1 off the grid", "[KillStage]") {
  const DieGrid g(yf::test::tiny_product());
  const auto dies = yf::map_defects_to_dies(g, tiny_defects());
  const std::vector<std::int64_t> want = {lin(1, 1), lin(1, 1), lin(2, 1), lin(2, 2),
                                          lin(1, 0), -1,        lin(2, 3), lin(1, 2)};
  CHECK(dies == want);
  CHECK(yf::map_defects_to_dies(g, {}).empty());
}

TEST_CASE("decide_kills: killer classes in product dies", "[KillStage]") {
  const DieGrid g(yf::test::tiny_product());
  const auto defects = tiny_defects();
  const auto dies = yf::map_defects_to_dies(g, defects);
  const auto tables = yf::test::tiny_tables(false);

  SECTION("no minimum size: defects 0, 1, 3, 7 kill dies (1,1), (2,2), (1,2)") {
    const auto k = yf::decide_kills(g, defects, dies, tables, {});
    CHECK(k.killer_defects == 4);
    CHECK(k.killed_dies == 3);
    std::vector<std::uint16_t> want(16, 0);
    want[lin(1, 1)] = 2;
    want[lin(2, 2)] = 1;
    want[lin(1, 2)] = 1;
    CHECK(k.killers_per_die == want);
  }
  SECTION("min size 1.0 um: defect 7 (0.5 um) drops out, defect 1 (exactly 1.0) stays") {
    const auto k = yf::decide_kills(g, defects, dies, tables, {1.0});
    CHECK(k.killer_defects == 3);
    CHECK(k.killed_dies == 2);
    CHECK(k.killers_per_die[lin(1, 1)] == 2);
    CHECK(k.killers_per_die[lin(1, 2)] == 0);
  }
  SECTION("min size 5.0 um: only defect 0 (5.0 um) remains") {
    const auto k = yf::decide_kills(g, defects, dies, tables, {5.0});
    CHECK(k.killer_defects == 1);
    CHECK(k.killed_dies == 1);
    CHECK(k.killers_per_die[lin(1, 1)] == 1);
  }
  SECTION("no /defect_classes: every class kills, defect 2 too") {
    yf::DatasetTables none;
    const auto k = yf::decide_kills(g, defects, dies, none, {});
    CHECK(k.killer_defects == 5);
    CHECK(k.killed_dies == 4);
    CHECK(k.killers_per_die[lin(2, 1)] == 1);
  }
}

TEST_CASE("decide_kills: per-die count saturates, totals do not", "[KillStage]") {
  const DieGrid g(yf::test::tiny_product());
  const std::vector<Defect> defects(70000, Defect{1, -1, 3.0, 1});  // all in die (2,2)
  const auto dies = yf::map_defects_to_dies(g, defects);
  const auto k = yf::decide_kills(g, defects, dies, yf::DatasetTables{}, {});
  CHECK(k.killer_defects == 70000);
  CHECK(k.killed_dies == 1);
  CHECK(k.killers_per_die[lin(2, 2)] == 65535);
}

TEST_CASE("decide_kills: mismatched inputs are a caller bug and throw", "[KillStage]") {
  const DieGrid g(yf::test::tiny_product());
  const auto defects = tiny_defects();
  CHECK_THROWS_AS(yf::decide_kills(g, defects, {0, 1}, yf::DatasetTables{}, {}), std::invalid_argument);
}
