#pragma once
// The yield analytics as CSV tables in OUT/tables/ (docs/formats.md), each written
// atomically: yields, model_fits, kill_ratios, pareto_defect_class, pareto_defect_size,
// pareto_failing_bins, zones, stacked_maps, commonality, spc (every point of every
// chart), worst_wafers. The same numbers as summary.json "analytics".
#include <filesystem>
#include <string>
#include <utility>
#include <vector>

#include "stages/analytics/AnalyticsModel.hpp"

namespace yf {

// full_spc: (fab, chart) with every point (AnalyticsAccumulator::finish); empty: the
// points kept in the analytics are written instead.
void write_analytics_tables(const std::filesystem::path& dir, const analytics::Analytics& a,
                            const std::vector<std::pair<std::string, analytics::SpcChart>>& full_spc);

}  // namespace yf
