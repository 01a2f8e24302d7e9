#include "stages/GroupAggregate.hpp"

#include <array>
#include <cmath>
#include <cstring>
#include <stdexcept>

#include "stages/PatternClassifier.hpp"

namespace yf {

namespace {

constexpr long double kFxScale = 4294967296.0L;  // 2^32: fixed-point unit of a yield

int known_pattern_slow(const std::string& name, std::size_t slots) {
  const auto& classes = pattern_classes();
  for (std::size_t i = 0; i < classes.size() && i < slots; ++i)
    if (classes[i] == name) return static_cast<int>(i);
  return -1;
}

// The class id of a pattern name, exact spelling (what process_wafer writes); -1 for
// another name or a class beyond `slots`. The classes' names mostly differ in length:
// a table by length gives the one or two candidates to compare (called for every wafer
// and group: a loop over every name cost ~0.2 us a wafer).
int known_pattern(const std::string& name, std::size_t slots) {
  struct ByLength {
    std::array<std::array<int, 3>, 32> ids;  // per name length: candidate class ids, -1 after the last
    ByLength() {
      for (auto& c : ids) c.fill(-1);
      const auto& classes = pattern_classes();
      for (std::size_t i = 0; i < classes.size(); ++i) {
        if (classes[i].size() >= ids.size()) continue;
        for (int& slot : ids[classes[i].size()])
          if (slot < 0) {
            slot = static_cast<int>(i);
            break;
          }
      }
    }
  };
  static const ByLength table;
  if (name.size() >= table.ids.size()) return known_pattern_slow(name, slots);
  const auto& classes = pattern_classes();
  const auto& candidates = table.ids[name.size()];
  for (std::size_t j = 0; j < candidates.size() && candidates[j] >= 0; ++j) {
    const auto id = static_cast<std::size_t>(candidates[j]);
    if (std::memcmp(classes[id].data(), name.data(), name.size()) == 0) return id < slots ? static_cast<int>(id) : -1;
  }
  // A length with more than three classes (none today) falls back to the full scan.
  return candidates.back() >= 0 ? known_pattern_slow(name, slots) : -1;
}

}  // namespace

void PatternCounts::add(const std::string& name, std::int64_t n) {
  const int id = known_pattern(name, known_.size());
  if (id >= 0)
    known_[static_cast<std::size_t>(id)] += n;
  else
    other_[name] += n;
}

void PatternCounts::merge(const PatternCounts& o) {
  for (std::size_t i = 0; i < known_.size(); ++i) known_[i] += o.known_[i];
  for (const auto& [name, n] : o.other_) other_[name] += n;
}

std::map<std::string, std::int64_t> PatternCounts::to_map() const {
  std::map<std::string, std::int64_t> m = other_;
  const auto& classes = pattern_classes();
  for (std::size_t i = 0; i < known_.size() && i < classes.size(); ++i)
    if (known_[i] != 0) m[classes[i]] += known_[i];
  return m;
}

void GroupStats::add(const WaferMetrics& m) {
  ++wafers;
  product_dies += m.product_dies;
  tested_dies += m.tested_dies;
  good_dies += m.good_dies;
  killed_dies += m.killed_dies;
  defects += m.defects;
  killer_defects += m.killer_defects;
  if (!m.sort_pattern.empty()) sort_patterns.add(m.sort_pattern);
  if (!m.inspection_pattern.empty()) inspection_patterns.add(m.inspection_pattern);
  // Only wafers whose sort yield exists enter the mean/std; a non-finite yield
  // cannot come out of process_wafer, and llround of one would be meaningless.
  if (m.sort_yield && std::isfinite(*m.sort_yield)) {
    // Yields are in [0, 1], so fx <= 2^32 and fx^2 <= 2^64: many billions of
    // wafers fit in the 128-bit sums.
    const std::int64_t fx = std::llround(static_cast<long double>(*m.sort_yield) * kFxScale);
    ++sorted_wafers;
    yield_sum_fx += fx;
    yield_sq_sum_fx += static_cast<Int128>(fx) * fx;
  }
}

void GroupStats::merge(const GroupStats& o) {
  wafers += o.wafers;
  product_dies += o.product_dies;
  tested_dies += o.tested_dies;
  good_dies += o.good_dies;
  killed_dies += o.killed_dies;
  defects += o.defects;
  killer_defects += o.killer_defects;
  sorted_wafers += o.sorted_wafers;
  yield_sum_fx += o.yield_sum_fx;
  yield_sq_sum_fx += o.yield_sq_sum_fx;
  sort_patterns.merge(o.sort_patterns);
  inspection_patterns.merge(o.inspection_patterns);
}

std::optional<double> GroupStats::sort_yield() const {
  // Die-weighted (spec): sum of good dies / sum of tested dies over the group.
  if (tested_dies <= 0) return std::nullopt;
  return static_cast<double>(good_dies) / static_cast<double>(tested_dies);
}

std::optional<double> GroupStats::sort_yield_mean() const {
  if (sorted_wafers <= 0) return std::nullopt;
  // The doubles below are functions of the exact integer sums only, so any merge
  // order yields the same bits.
  const long double mean_fx = static_cast<long double>(yield_sum_fx) / static_cast<long double>(sorted_wafers);
  return static_cast<double>(mean_fx / kFxScale);
}

std::optional<double> GroupStats::sort_yield_std() const {
  if (sorted_wafers < 2) return std::nullopt;
  const Int128 n = sorted_wafers;
  // n*S2 - S1^2 = n^2 * (population variance) in fx^2 units, exact in 128 bits
  // (and >= 0 by Cauchy-Schwarz): no cancellation error, unlike a double
  // "sum of squares minus square of sum".
  const Int128 v = n * yield_sq_sum_fx - yield_sum_fx * yield_sum_fx;
  const long double var_fx = static_cast<long double>(v) / static_cast<long double>(n * (n - 1));
  return static_cast<double>(std::sqrt(var_fx) / kFxScale);
}

std::optional<double> GroupStats::inspection_yield() const {
  if (product_dies <= 0) return std::nullopt;
  // (product - killed) / product: 1 - killed/product with a single rounding, the
  // same expression process_wafer uses per wafer.
  return static_cast<double>(product_dies - killed_dies) / static_cast<double>(product_dies);
}

const char* group_kind_name(GroupKind kind) {
  switch (kind) {
    case GroupKind::fab: return "fab";
    case GroupKind::tool: return "tool";
    case GroupKind::lot: return "lot";
    case GroupKind::product: return "product";
    case GroupKind::step: return "step";
  }
  throw std::invalid_argument("group_kind_name: invalid GroupKind");
}

const std::string& group_key(const WaferMeta& meta, GroupKind kind) {
  switch (kind) {
    case GroupKind::fab: return meta.fab;
    case GroupKind::tool: return meta.tool;
    case GroupKind::lot: return meta.lot_id;
    case GroupKind::product: return meta.product;
    case GroupKind::step: return meta.step;
  }
  throw std::invalid_argument("group_key: invalid GroupKind");
}

void GroupAggregate::add(const WaferResult& result) {
  if (!result.ok) return;
  ++wafers_;
  for (GroupKind kind : kGroupKinds)
    groups_[static_cast<std::size_t>(kind)][group_key(result.meta, kind)].add(result.metrics);
}

void GroupAggregate::merge(const GroupAggregate& other) {
  wafers_ += other.wafers_;
  for (std::size_t k = 0; k < groups_.size(); ++k)
    for (const auto& [key, stats] : other.groups_[k]) groups_[k][key].merge(stats);
}

}  // namespace yf
