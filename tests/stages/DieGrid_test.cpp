#include "stages/DieGrid.hpp"

#include <catch2/catch.hpp>
#include <cmath>
#include <limits>

#include "StagesTestData.hpp"

using yf::DieGrid;
using yf::DieIndex;

namespace {

std::optional<DieIndex> at(const DieGrid& g, double x, double y) { return g.die_of(x, y); }

}  // namespace

TEST_CASE("DieGrid: tiny product, corners exactly on the exclusion circle are not inside", "[DieGrid]") {
  const DieGrid g(yf::test::tiny_product());
  CHECK(g.cols() == 4);
  CHECK(g.rows() == 4);
  CHECK(g.linear({3, 2}) == 11u);
  // Only cols 1-2 x rows 1-2 (see StagesTestData.hpp): dies (1,0), (2,0), (0,1) ... each
  // have a corner at (0, +-4) or (+-4, 0), exactly on radius 4.
  const std::vector<std::uint8_t> want = {0, 0, 0, 0,  //
                                          0, 1, 1, 0,  //
                                          0, 1, 1, 0,  //
                                          0, 0, 0, 0};
  CHECK(g.product_mask() == want);
  CHECK(g.product_die_count() == 4);
  CHECK_FALSE(g.is_product_die({1, 0}));  // corners (-2,4) (0,4) (-2,2) (0,2): (0,4) on the circle
  CHECK_FALSE(g.is_product_die({0, 1}));  // corner (-4,2): 20 > 16, and (-4,0) on the circle
  CHECK(g.is_product_die({2, 2}));
}

TEST_CASE("DieGrid: 1 mm dies, radius 5, corners (3,4) and (4,3) on the circle", "[DieGrid]") {
  // Diameter 12, exclusion 1 -> radius 5; 10 x 10 dies of 1 mm from (-5, 5).
  // Row r spans y in [4-r, 5-r]; a die is product iff its farthest corner has
  // x^2 + y^2 < 25. Row 1 (|y| up to 4): |x| up to 2 (3^2+4^2 = 25 is on the circle)
  // -> 4 dies; row 2 (|y| 3): |x| <= 3 -> 6; rows 3, 4 (|y| 2, 1): |x| <= 4 -> 8;
  // row 0 (|y| 5): none. Rows 5..9 mirror rows 4..0: 4+6+8+8 twice = 52.
  const DieGrid g(yf::test::make_product("R5", 12, 1, 1, 1, 10, 10, -5, 5));
  const int want_per_row[10] = {0, 4, 6, 8, 8, 8, 8, 6, 4, 0};
  for (int r = 0; r < 10; ++r) {
    int n = 0;
    for (int c = 0; c < 10; ++c) n += g.is_product_die({c, r}) ? 1 : 0;
    INFO("row " << r);
    CHECK(n == want_per_row[r]);
  }
  CHECK(g.product_die_count() == 52);
  CHECK_FALSE(g.is_product_die({7, 1}));  // x in [2,3], y in [3,4]: corner (3,4) on the circle
  CHECK_FALSE(g.is_product_die({2, 1}));  // mirror: corner (-3,4)
  CHECK_FALSE(g.is_product_die({8, 2}));  // x in [3,4], y in [2,3]: corner (4,3) on the circle
  CHECK(g.is_product_die({6, 1}));        // farthest corner (2,4): 20 < 25
  CHECK(g.is_product_die({7, 2}));        // farthest corner (3,3): 18 < 25
}

TEST_CASE("DieGrid: die_of honours the closed left/top and open right/bottom edges", "[DieGrid]") {
  const DieGrid g(yf::test::tiny_product());
  // Upper-left corner of the grid: left edge and top edge both closed.
  CHECK(at(g, -4, 4) == DieIndex{0, 0});
  // Interior points.
  CHECK(at(g, -1, 3) == DieIndex{1, 0});
  CHECK(at(g, 3.5, -3.5) == DieIndex{3, 3});
  // x = 0 is the left (closed) edge of column 2; y = 0 is the top (closed) edge of row 2.
  CHECK(at(g, 0, 0) == DieIndex{2, 2});
  CHECK(at(g, -2, 2) == DieIndex{1, 1});
  // Just left of x = 0 is column 1; just above y = 0 is row 1.
  CHECK(at(g, std::nextafter(0.0, -1.0), 1) == DieIndex{1, 1});
  CHECK(at(g, 1, std::nextafter(0.0, 1.0)) == DieIndex{2, 1});
  // y = -2 is the bottom (open) edge of row 2, hence the top of row 3.
  CHECK(at(g, 1, -2) == DieIndex{2, 3});
  // The outer right edge x = 4 and bottom edge y = -4 are open: off the grid.
  CHECK_FALSE(at(g, 4, 0));
  CHECK_FALSE(at(g, 0, -4));
  CHECK(at(g, std::nextafter(4.0, 0.0), std::nextafter(-4.0, 0.0)) == DieIndex{3, 3});
  // Just outside the closed edges.
  CHECK_FALSE(at(g, std::nextafter(-4.0, -5.0), 0));
  CHECK_FALSE(at(g, 0, std::nextafter(4.0, 5.0)));
  // Far away and non-finite.
  CHECK_FALSE(at(g, 1e300, 0));
  CHECK_FALSE(at(g, 0, -1e300));
  CHECK_FALSE(at(g, std::numeric_limits<double>::quiet_NaN(), 0));
  CHECK_FALSE(at(g, 0, std::numeric_limits<double>::quiet_NaN()));
  CHECK_FALSE(at(g, std::numeric_limits<double>::infinity(), 0));
  CHECK_FALSE(at(g, 0, -std::numeric_limits<double>::infinity()));
}

TEST_CASE("DieGrid: a point on a grid line that division rounds the wrong way", "[DieGrid]") {
  // Pitch 0.1 mm from (-4, 4): the line of column 3 is -4 + 3*0.1 = -3.7000000000000002
  // and (line - x0) / 0.1 = 2.9999999999999982, so a bare floor() says column 2.
  const DieGrid g(yf::test::make_product("fine", 10, 0, 0.1, 0.1, 80, 80, -4, 4));
  const double x_line = -4.0 + 3 * 0.1;
  const double y_line = 4.0 - 3 * 0.1;
  REQUIRE(std::floor((x_line - -4.0) / 0.1) == 2.0);  // the trap is real
  REQUIRE(std::floor((4.0 - y_line) / 0.1) == 2.0);
  CHECK(at(g, x_line, -1) == DieIndex{3, 50});  // closed left edge of column 3
  CHECK(at(g, std::nextafter(x_line, -10.0), -1) == DieIndex{2, 50});
  CHECK(at(g, 1, y_line) == DieIndex{50, 3});  // closed top edge of row 3
  CHECK(at(g, 1, std::nextafter(y_line, 10.0)) == DieIndex{50, 2});
}

TEST_CASE("DieGrid: degenerate products have no product die and hold no point", "[DieGrid]") {
  auto p = yf::test::tiny_product();
  p.edge_exclusion_mm = 5;  // radius 0
  CHECK(DieGrid(p).product_die_count() == 0);
  p.edge_exclusion_mm = 6;  // radius -1
  CHECK(DieGrid(p).product_die_count() == 0);

  auto q = yf::test::tiny_product();
  q.cols = 0;
  const DieGrid empty(q);
  CHECK(empty.product_mask().empty());
  CHECK_FALSE(empty.die_of(0, 0));

  auto z = yf::test::tiny_product();
  z.die_width_mm = 0;
  CHECK_FALSE(DieGrid(z).die_of(0, 0));
}
