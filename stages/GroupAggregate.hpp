#pragma once
// Yield aggregates per group (fab, tool, lot, product, step). Mergeable sums:
// aggregating two halves and merging gives exactly the aggregate of the whole,
// which is why -j1 and -jN give identical output.
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
  std::map<std::string, std::int64_t> sort_patterns;
  std::map<std::string, std::int64_t> inspection_patterns;

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
