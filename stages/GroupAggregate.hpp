#pragma once
// Yield aggregates per group (fab, tool, lot, product, step). Mergeable sums:
// aggregating two halves and merging gives exactly the aggregate of the whole,
// which is why -j1 and -jN give identical output.
#include <algorithm>
#include <array>
#include <cstdint>
#include <map>
#include <optional>
#include <string>

#include "core/WaferResult.hpp"

namespace yf {

// __int128 is a GCC/Clang extension: spelling it through __extension__ keeps
// -Wpedantic quiet in every target that includes this header. Same type.
__extension__ using Int128 = __int128;

// Wafers per failure pattern name. The classifier's classes (pattern_classes()) are
// counted in place, any other name in a map: a run keeps one of these per group and
// map kind (16,000 of them at 200,000 wafers in 8,000 lots, the analytics' groups
// included), and a std::map node per name and group cost ~17 MB and a string-keyed
// lookup per wafer and group (docs/performance.md, "after branch patterns4").
class PatternCounts {
 public:
  void add(const std::string& name, std::int64_t n = 1);
  void merge(const PatternCounts& other);
  // Name -> wafers, the names with a count only, in name order (summary.json's object).
  std::map<std::string, std::int64_t> to_map() const;
  bool empty() const {  // to_map().empty(), without building the map
    return other_.empty() && std::all_of(known_.begin(), known_.end(), [](std::int64_t n) { return n == 0; });
  }
  bool operator==(const PatternCounts& other) const { return to_map() == other.to_map(); }
  bool operator==(const std::map<std::string, std::int64_t>& other) const { return to_map() == other; }

 private:
  std::array<std::int64_t, 9> known_{};  // by class id
  std::map<std::string, std::int64_t> other_;
};

struct GroupStats {
  std::int64_t wafers = 0;
  std::int64_t product_dies = 0;
  std::int64_t tested_dies = 0;
  std::int64_t good_dies = 0;
  std::int64_t killed_dies = 0;
  std::int64_t defects = 0;
  std::int64_t killer_defects = 0;
  // Wafers with a bin map, and the sum and sum of squares of their sort yields
  // in fixed point (yield * 2^32, rounded): integer sums are exact and
  // associative, so merge order never changes a digit.
  std::int64_t sorted_wafers = 0;
  Int128 yield_sum_fx = 0;
  Int128 yield_sq_sum_fx = 0;  // sum of (yield_fx)^2
  // Wafers per failure pattern of the sort map and of the inspection kill map.
  PatternCounts sort_patterns;
  PatternCounts inspection_patterns;

  void add(const WaferMetrics& m);
  void merge(const GroupStats& other);

  std::optional<double> sort_yield() const;        // sum good / sum tested; empty if none tested
  std::optional<double> sort_yield_mean() const;   // over wafers with a bin map
  std::optional<double> sort_yield_std() const;    // sample std; empty below 2 wafers
  std::optional<double> inspection_yield() const;  // 1 - killed / product dies; empty if no product die
};

enum class GroupKind { fab, tool, lot, product, step };
inline constexpr std::array<GroupKind, 5> kGroupKinds{GroupKind::fab, GroupKind::tool, GroupKind::lot,
                                                      GroupKind::product, GroupKind::step};
const char* group_kind_name(GroupKind kind);
const std::string& group_key(const WaferMeta& meta, GroupKind kind);

class GroupAggregate {
 public:
  // Failed wafers are not added (the collector lists them separately).
  void add(const WaferResult& result);
  void merge(const GroupAggregate& other);
  const std::map<std::string, GroupStats>& groups(GroupKind kind) const {
    return groups_[static_cast<std::size_t>(kind)];
  }
  std::int64_t wafers() const { return wafers_; }

 private:
  std::array<std::map<std::string, GroupStats>, 5> groups_;
  std::int64_t wafers_ = 0;
};

}  // namespace yf
