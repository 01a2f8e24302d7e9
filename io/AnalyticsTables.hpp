#pragma once
// The yield analytics as CSV tables in OUT/tables/ (docs/formats.md), each written
// atomically: yields, model_fits, kill_ratios, pareto_defect_class, pareto_defect_size,
// pareto_failing_bins, zones, stacked_maps, commonality, spc (the points the charts
// keep), worst_wafers. The same numbers as summary.json "analytics".
#include <filesystem>
#include <memory>
#include <string>
#include <utility>
#include <vector>

#include "stages/analytics/AnalyticsModel.hpp"

namespace yf {

// Every table but spc.csv.
void write_analytics_tables(const std::filesystem::path& dir, const analytics::Analytics& a);

// spc.csv, chart by chart (AnalyticsAccumulator::finish hands each uncut chart over);
// appears on commit().
class SpcCsvWriter {
 public:
  explicit SpcCsvWriter(const std::filesystem::path& path);
  ~SpcCsvWriter();
  void add(const std::string& fab, const analytics::SpcChart& chart);
  void commit();

 private:
  struct Impl;
  std::unique_ptr<Impl> impl_;
};

// spc.csv from the (cut) charts kept in the analytics: for a re-render without the run.
void write_spc_csv(const std::filesystem::path& path, const analytics::Analytics& a);

}  // namespace yf
