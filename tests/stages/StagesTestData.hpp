#pragma once
// Tiny hand-checkable inputs shared by the stages tests.
//
// The tiny product: diameter 10 mm, edge exclusion 1 mm -> exclusion radius 4;
// 4 x 4 dies of 2 x 2 mm, upper-left corner (-4, 4). Grid lines x, y in
// {-4, -2, 0, 2, 4}. A corner (x, y) is strictly inside iff x^2 + y^2 < 16:
// (0, +-4) and (+-4, 0) lie exactly ON the circle, so only the 4 central dies
// (cols 1-2, rows 1-2, all corners in {-2, 0, 2}^2, at most 8 < 16) are product dies.
//
//          x: -4   -2    0    2    4
//     y=4     +----+----+----+----+
//             |0,0 |1,0 |2,0 |3,0 |     (col,row); P = product die
//     y=2     +----+----+----+----+
//             |0,1 | P  | P  |3,1 |
//     y=0     +----+----+----+----+
//             |0,2 | P  | P  |3,2 |
//     y=-2    +----+----+----+----+
//             |0,3 |1,3 |2,3 |3,3 |
//     y=-4    +----+----+----+----+
#include <memory>

#include "core/Wafer.hpp"
#include "support/Products.hpp"

namespace yf::test {

// Classes: 1 killer, 2 not a killer; any other class (e.g. 9) is absent -> killer.
// Bins: 1 and 2 pass, 3 fails; 0 and 5 are absent -> fail.
inline DatasetTables tiny_tables(bool with_bins_table) {
  DatasetTables t;
  t.source_file = "lot1.h5";
  t.products["P1"] = std::make_shared<const ProductGeometry>(tiny_product());
  t.defect_classes[1] = DefectClass{1, "particle", true};
  t.defect_classes[2] = DefectClass{2, "nuisance", false};
  t.has_bins_table = with_bins_table;
  if (with_bins_table) {
    t.bins[1] = BinDef{1, "pass", true};
    t.bins[2] = BinDef{2, "pass_slow", true};
    t.bins[3] = BinDef{3, "fail_leak", false};
  }
  return t;
}

// Bin map of the tiny product (row 0 at the top):
//   row 0: -1  1  2 -1
//   row 1:  1  1  3 -1
//   row 2:  0  1  1 -1
//   row 3: -1 -1  5  1
// tested (!= -1): 2 + 3 + 3 + 2 = 10; bin 1: 1 + 2 + 2 + 1 = 6; bin 2: 1 (die 2,0).
inline BinMap tiny_binmap() {
  BinMap b;
  b.rows = 4;
  b.cols = 4;
  b.bins = {-1, 1, 2, -1,  //
            1,  1, 3, -1,  //
            0,  1, 1, -1,  //
            -1, -1, 5, 1};
  return b;
}

}  // namespace yf::test
