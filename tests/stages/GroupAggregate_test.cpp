#include "stages/GroupAggregate.hpp"

#include <catch2/catch.hpp>
#include <cmath>
#include <cstring>
#include <vector>

using yf::GroupKind;
using yf::GroupStats;
using yf::WaferMetrics;

namespace {

// A wafer with a bin map: `good` of `tested` dies pass (sort yield good/tested).
WaferMetrics sorted(std::int64_t good, std::int64_t tested, std::int64_t product = 0, std::int64_t killed = 0) {
  WaferMetrics m;
  m.tested_dies = tested;
  m.good_dies = good;
  m.sort_yield = static_cast<double>(good) / static_cast<double>(tested);
  m.product_dies = product;
  m.killed_dies = killed;
  if (product > 0) m.inspection_yield = static_cast<double>(product - killed) / static_cast<double>(product);
  return m;
}

// A wafer without a bin map.
WaferMetrics unsorted(std::int64_t product, std::int64_t killed, std::int64_t defects = 0) {
  WaferMetrics m;
  m.product_dies = product;
  m.killed_dies = killed;
  m.defects = defects;
  m.killer_defects = killed;
  return m;
}

// Bitwise equality: "exactly the same double", including which NaN/zero.
bool same_bits(std::optional<double> a, std::optional<double> b) {
  if (a.has_value() != b.has_value()) return false;
  return !a || std::memcmp(&*a, &*b, sizeof(double)) == 0;
}

void require_equal(const GroupStats& a, const GroupStats& b) {
  CHECK(a.wafers == b.wafers);
  CHECK(a.product_dies == b.product_dies);
  CHECK(a.tested_dies == b.tested_dies);
  CHECK(a.good_dies == b.good_dies);
  CHECK(a.killed_dies == b.killed_dies);
  CHECK(a.defects == b.defects);
  CHECK(a.killer_defects == b.killer_defects);
  CHECK(a.sorted_wafers == b.sorted_wafers);
  CHECK((a.yield_sum_fx == b.yield_sum_fx));  // (): Catch cannot print __int128
  CHECK((a.yield_sq_sum_fx == b.yield_sq_sum_fx));
  CHECK(same_bits(a.sort_yield(), b.sort_yield()));
  CHECK(same_bits(a.sort_yield_mean(), b.sort_yield_mean()));
  CHECK(same_bits(a.sort_yield_std(), b.sort_yield_std()));
  CHECK(same_bits(a.inspection_yield(), b.inspection_yield()));
  CHECK(a.sort_patterns == b.sort_patterns);
  CHECK(a.inspection_patterns == b.inspection_patterns);
}

}  // namespace

TEST_CASE("GroupStats: yields 0.5, 0.75, 1.0 -> mean 0.75, std 0.25", "[GroupAggregate]") {
  GroupStats s;
  s.add(sorted(2, 4, 8, 2));
  s.add(sorted(3, 4, 8, 0));
  s.add(sorted(4, 4, 4, 3));
  CHECK(s.wafers == 3);
  CHECK(s.sorted_wafers == 3);
  // Fixed point: 2^31, 3*2^30, 2^32.
  CHECK((s.yield_sum_fx == yf::Int128{9} << 30));
  CHECK((s.yield_sq_sum_fx == yf::Int128{4 + 9 + 16} << 60));
  // Die-weighted: 9 good of 12 tested.
  CHECK(*s.sort_yield() == 0.75);
  CHECK(*s.sort_yield_mean() == 0.75);
  // Deviations -0.25, 0, +0.25: sample variance 0.125 / 2 = 0.0625.
  CHECK(*s.sort_yield_std() == 0.25);
  // Inspection: 5 killed of 20 product dies.
  CHECK(*s.inspection_yield() == 0.75);
}

TEST_CASE("GroupStats: die-weighted yield differs from the mean of wafer yields", "[GroupAggregate]") {
  GroupStats s;
  s.add(sorted(1, 4));    // 0.25
  s.add(sorted(50, 100)); // 0.5
  CHECK(*s.sort_yield() == 51.0 / 104.0);
  CHECK(*s.sort_yield_mean() == 0.375);
  // Deviations +-0.125: sample variance 2 * 0.015625 / 1 = 0.03125.
  CHECK(*s.sort_yield_std() == Approx(std::sqrt(0.03125)).epsilon(1e-15));
}

TEST_CASE("GroupStats: fixed point rounds to nearest 2^-32", "[GroupAggregate]") {
  GroupStats s;
  s.add(sorted(1, 3));  // 2^32 / 3 = 1431655765.33...
  s.add(sorted(2, 3));  // 2863311530.67... -> ...531
  CHECK((s.yield_sum_fx == yf::Int128{1431655765} + 2863311531));
  CHECK((s.yield_sq_sum_fx ==
         yf::Int128{1431655765} * 1431655765 + yf::Int128{2863311531} * 2863311531));
  CHECK(*s.sort_yield() == 0.5);
  CHECK(*s.sort_yield_mean() == Approx(0.5).epsilon(1e-9));
}

TEST_CASE("GroupStats: null rules", "[GroupAggregate]") {
  SECTION("empty group") {
    GroupStats s;
    CHECK_FALSE(s.sort_yield());
    CHECK_FALSE(s.sort_yield_mean());
    CHECK_FALSE(s.sort_yield_std());
    CHECK_FALSE(s.inspection_yield());
  }
  SECTION("one sorted wafer: a mean but no std") {
    GroupStats s;
    s.add(sorted(3, 4, 10, 1));
    CHECK(*s.sort_yield_mean() == 0.75);
    CHECK_FALSE(s.sort_yield_std());
    CHECK(*s.inspection_yield() == 0.9);
  }
  SECTION("no bin maps: counts and inspection yield only") {
    GroupStats s;
    s.add(unsorted(4, 1, 7));
    s.add(unsorted(6, 3, 2));
    CHECK(s.wafers == 2);
    CHECK(s.sorted_wafers == 0);
    CHECK(s.defects == 9);
    CHECK(s.killer_defects == 4);
    CHECK_FALSE(s.sort_yield());
    CHECK_FALSE(s.sort_yield_mean());
    CHECK_FALSE(s.sort_yield_std());
    CHECK(*s.inspection_yield() == 0.6);  // (10 - 4) / 10
  }
  SECTION("two wafers, one with a bin map: mean of one, no std") {
    GroupStats s;
    s.add(unsorted(4, 0));
    s.add(sorted(1, 2));
    CHECK(s.sorted_wafers == 1);
    CHECK(*s.sort_yield_mean() == 0.5);
    CHECK_FALSE(s.sort_yield_std());
  }
  SECTION("no product die anywhere") {
    GroupStats s;
    s.add(sorted(1, 2, 0, 0));
    CHECK_FALSE(s.inspection_yield());
  }
}

TEST_CASE("GroupStats: merging two halves gives exactly the whole", "[GroupAggregate]") {
  // Yields that are not binary fractions, so every rounding is exercised.
  const std::vector<WaferMetrics> wafers = {
      sorted(7, 13, 40, 3),   sorted(11, 17, 40, 9),  unsorted(40, 2, 5), sorted(96, 97, 38, 0),
      sorted(0, 29, 41, 41),  sorted(29, 29, 40, 1),  unsorted(0, 0, 0),  sorted(355, 113 * 4, 40, 7),
      sorted(1, 7, 39, 20),   sorted(5, 6, 40, 13),
  };
  GroupStats whole;
  for (const auto& m : wafers) whole.add(m);
  for (std::size_t cut = 0; cut <= wafers.size(); ++cut) {
    GroupStats left, right;
    for (std::size_t i = 0; i < wafers.size(); ++i) (i < cut ? left : right).add(wafers[i]);
    INFO("cut at " << cut);
    GroupStats lr = left;
    lr.merge(right);
    require_equal(lr, whole);
    GroupStats rl = right;
    rl.merge(left);
    require_equal(rl, whole);
  }
  // And the whole agrees with a plain two-pass computation over the 8 sorted wafers.
  double sum = 0;
  std::vector<double> ys;
  for (const auto& m : wafers)
    if (m.sort_yield) ys.push_back(*m.sort_yield), sum += *m.sort_yield;
  const double mean = sum / static_cast<double>(ys.size());
  double ss = 0;
  for (double y : ys) ss += (y - mean) * (y - mean);
  CHECK(whole.sorted_wafers == 8);
  CHECK(*whole.sort_yield_mean() == Approx(mean).epsilon(1e-9));
  CHECK(*whole.sort_yield_std() == Approx(std::sqrt(ss / 7.0)).epsilon(1e-8));
}

TEST_CASE("GroupAggregate: groups by meta field, skips failed wafers, merges", "[GroupAggregate]") {
  auto result = [](std::string lot, std::string tool, WaferMetrics m, bool ok = true) {
    yf::WaferResult r;
    r.meta.fab = "FAB14";
    r.meta.tool = std::move(tool);
    r.meta.lot_id = std::move(lot);
    r.meta.product = "P1";
    r.meta.step = "M1_CMP";
    r.metrics = m;
    r.ok = ok;
    if (!ok) r.error = "x.h5: wafer W: product: unknown product 'P9'";
    return r;
  };
  const std::vector<yf::WaferResult> rs = {
      result("L1", "T1", sorted(2, 4)), result("L1", "T2", sorted(3, 4)),
      result("L2", "T1", sorted(4, 4)), result("L2", "T9", sorted(0, 4), false),
  };
  yf::GroupAggregate whole;
  for (const auto& r : rs) whole.add(r);
  CHECK(whole.wafers() == 3);
  const auto& lots = whole.groups(GroupKind::lot);
  REQUIRE(lots.size() == 2);
  CHECK(lots.at("L1").wafers == 2);
  CHECK(*lots.at("L1").sort_yield_mean() == 0.625);
  CHECK(lots.at("L2").wafers == 1);  // the failed L2 wafer is not counted
  CHECK(whole.groups(GroupKind::tool).count("T9") == 0);
  CHECK(whole.groups(GroupKind::tool).at("T1").good_dies == 6);
  REQUIRE(whole.groups(GroupKind::fab).size() == 1);
  CHECK(*whole.groups(GroupKind::fab).at("FAB14").sort_yield_std() == 0.25);
  CHECK(whole.groups(GroupKind::product).at("P1").wafers == 3);
  CHECK(whole.groups(GroupKind::step).at("M1_CMP").wafers == 3);

  yf::GroupAggregate a, b;
  a.add(rs[2]);
  a.add(rs[3]);
  b.add(rs[0]);
  b.add(rs[1]);
  a.merge(b);
  CHECK(a.wafers() == 3);
  for (GroupKind k : yf::kGroupKinds) {
    INFO(yf::group_kind_name(k));
    REQUIRE(a.groups(k).size() == whole.groups(k).size());
    for (const auto& [key, stats] : whole.groups(k)) require_equal(a.groups(k).at(key), stats);
  }
}

TEST_CASE("group_kind_name and group_key", "[GroupAggregate]") {
  // Designated initialisers construct the strings (assigning short literals trips a
  // GCC 12 -Wrestrict false positive).
  const yf::WaferMeta m{.wafer_id = "W", .lot_id = "L", .fab = "F", .tool = "T", .product = "P", .step = "S"};
  const char* names[] = {"fab", "tool", "lot", "product", "step"};
  const char* keys[] = {"F", "T", "L", "P", "S"};
  for (std::size_t i = 0; i < yf::kGroupKinds.size(); ++i) {
    CHECK(std::string(yf::group_kind_name(yf::kGroupKinds[i])) == names[i]);
    CHECK(yf::group_key(m, yf::kGroupKinds[i]) == keys[i]);
  }
  CHECK(&yf::group_key(m, GroupKind::lot) == &m.lot_id);  // a reference, not a copy
}

TEST_CASE("GroupStats: pattern counts add up and merge", "[GroupAggregate]") {
  auto with = [](const char* sort, const char* inspection) {
    WaferMetrics m = sorted(9, 10, 10, 1);
    m.sort_pattern = sort;
    m.inspection_pattern = inspection;
    return m;
  };
  const std::vector<WaferMetrics> wafers = {with("Center", "none"), with("none", "none"), with("Center", "Loc"),
                                            with("", "none"), with("Scratch", "")};
  GroupStats whole, first, second;
  for (std::size_t i = 0; i < wafers.size(); ++i) {
    whole.add(wafers[i]);
    (i < 2 ? first : second).add(wafers[i]);
  }
  CHECK(whole.sort_patterns == std::map<std::string, std::int64_t>{{"Center", 2}, {"Scratch", 1}, {"none", 1}});
  CHECK(whole.inspection_patterns == std::map<std::string, std::int64_t>{{"Loc", 1}, {"none", 3}});
  first.merge(second);
  require_equal(first, whole);
}

TEST_CASE("PatternCounts: the classifier's names and any other name, counted and merged", "[GroupAggregate]") {
  yf::PatternCounts a, b;
  CHECK(a.empty());
  a.add("Edge-Ring");
  a.add("Near-full");  // the same length as Edge-Ring
  a.add("Edge-Ring");
  a.add("Random");     // the same length as Center
  a.add("edge-ring");  // not the classifier's spelling: a name of its own
  a.add("A-name-longer-than-thirty-two-characters");
  b.add("Near-full", 3);
  b.add("edge-ring");
  b.add("Center");
  CHECK(!a.empty());
  CHECK(a == std::map<std::string, std::int64_t>{
                 {"A-name-longer-than-thirty-two-characters", 1}, {"Edge-Ring", 2}, {"Near-full", 1}, {"Random", 1},
                 {"edge-ring", 1}});
  a.merge(b);
  CHECK(a.to_map() == std::map<std::string, std::int64_t>{{"A-name-longer-than-thirty-two-characters", 1},
                                                          {"Center", 1},
                                                          {"Edge-Ring", 2},
                                                          {"Near-full", 4},
                                                          {"Random", 1},
                                                          {"edge-ring", 2}});
  yf::PatternCounts c;
  c.merge(a);
  CHECK(c == a);
  c.add("none");
  CHECK(!(c == a));
}
