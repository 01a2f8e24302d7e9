#pragma once
// Shewhart charts of wafers in time order, Laney's form: the p'-chart of wafer sort
// yield (limits p-bar +- 3 sigma_z sqrt(p-bar (1 - p-bar) / n_i), n_i the wafer's tested
// dies) and the c-chart of defects per wafer (c-bar +- 3 sigma_z sqrt(c-bar)), where
// sigma_z (the baseline's moving-range spread of standardised points) widens binomial /
// Poisson limits to the wafer-to-wafer spread that clustered defects give; centre lines
// and sigma_z from a baseline period, and the four Western Electric rules.
// docs/algorithms.md ("Yield analytics").
#include <cstdint>
#include <string>
#include <vector>

#include "stages/analytics/AnalyticsModel.hpp"

namespace yf::analytics {

// One wafer of a chart, already in time order.
struct SpcSample {
  std::string wafer_id;
  std::string lot_id;
  std::int64_t timestamp = 0;
  std::int64_t count = 0;  // p-chart: good dies; c-chart: defects
  std::int64_t n = 1;      // p-chart: tested dies; c-chart: 1
};

// Baseline size: the first max(min_points, ceil(fraction * n)) points, at most n.
std::int64_t baseline_size(std::int64_t n, const AnalyticsSettings& settings);

// The Western Electric rules on standardised points z_i = (x_i - centre) / sigma_i, in order.
std::vector<SpcViolation> western_electric(const std::vector<double>& z);

// The chart; its `points` and `violations` are cut to the settings' last
// max_chart_points / max_violations (total_points / total_violations count all).
// full, when given, receives the same chart uncut (the CSV).
SpcChart p_chart(const std::vector<SpcSample>& samples, const std::string& tool, const AnalyticsSettings& settings,
                 SpcChart* full = nullptr);
SpcChart c_chart(const std::vector<SpcSample>& samples, const std::string& tool, const AnalyticsSettings& settings,
                 SpcChart* full = nullptr);

}  // namespace yf::analytics
