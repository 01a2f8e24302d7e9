#pragma once
// Tool commonality: for each step of the process route, the wafer yields of each tool
// (and tool/chamber) that ran it against the rest of the step's wafers.
// docs/algorithms.md ("Yield analytics").
#include <cstdint>
#include <string>
#include <vector>

#include "stages/analytics/AnalyticsModel.hpp"

namespace yf::analytics {

// A wafer's passage through one step, as indices into a name table.
struct RouteStep {
  std::uint32_t step = 0;
  std::uint32_t tool = 0;
  std::uint32_t chamber = 0;
};

struct CommonalityWafer {
  double yield = 0;
  std::vector<RouteStep> route;
};

// names[i] is the string of index i. Per step: Kruskal-Wallis over its tools (and
// over its tool/chamber pairs), then each tool (pair) against the rest of the step's
// wafers with a two-sided Mann-Whitney test; p-values adjusted (settings.p_adjust:
// "holm" or "bh") over all rows of a level; rows ranked: significant losses first
// (adjusted p < significance and yield loss > 0) by yield loss, then the others by
// adjusted p. A wafer that went through a step twice counts once per tool.
Commonality tool_commonality(const std::vector<CommonalityWafer>& wafers, const std::vector<std::string>& names,
                             const AnalyticsSettings& settings, const std::string& yield_source);

}  // namespace yf::analytics
