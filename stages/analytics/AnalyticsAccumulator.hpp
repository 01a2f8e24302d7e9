#pragma once
// Folds every wafer result of a run into what the yield analytics need, serially and
// in input order (the pipeline's collector), then computes the Analytics at the end.
// Memory: sums per group (fab, tool, lot, product, step), per-die counters per
// (group, product) for the stacked maps (not for lots), a bounded worst-wafer list
// per fab, and ~100 bytes a wafer for SPC and commonality (yield, defects, time,
// route as indices into a name table): about 20 MB for 200,000 wafers.
#include <array>
#include <cstdint>
#include <functional>
#include <map>
#include <memory>
#include <string>
#include <unordered_map>
#include <vector>

#include "core/WaferResult.hpp"
#include "stages/GroupAggregate.hpp"
#include "stages/analytics/AnalyticsModel.hpp"

namespace yf::analytics {

class AnalyticsAccumulator {
 public:
  explicit AnalyticsAccumulator(AnalyticsSettings settings = {});
  ~AnalyticsAccumulator();
  AnalyticsAccumulator(const AnalyticsAccumulator&) = delete;
  AnalyticsAccumulator& operator=(const AnalyticsAccumulator&) = delete;

  // Failed wafers, and wafers whose tallies were not computed, are skipped.
  void add(const WaferResult& result);

  // The analytics of everything added. on_full_chart, when given, is called with each
  // SPC chart uncut (all its points and violations, for the CSV) as soon as it is
  // computed, with its fab: fab by fab, the trend then the tools' charts. The uncut
  // charts are not kept, so their points never all sit in memory at once.
  using FullChartFn = std::function<void(const std::string& fab, const SpcChart& chart)>;
  Analytics finish(const FullChartFn& on_full_chart = {}) const;

  std::int64_t wafers() const;

 private:
  struct State;
  std::unique_ptr<State> s_;
};

}  // namespace yf::analytics
