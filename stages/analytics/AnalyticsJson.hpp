#pragma once
// JSON of the analytics structs (AnalyticsModel.hpp), both ways: to_json and
// from_json for nlohmann::json and nlohmann::ordered_json alike. The one
// serialisation of the analytics: summary.json "analytics" and results.h5
// /analytics/json hold exactly this, and the report re-renders from it.
//
//   nlohmann::json j = analytics;             // write
//   auto a = j.get<yf::analytics::Analytics>();  // read back: missing keys keep their defaults
//
// std::optional<T> is null when empty (nlohmann 3.11.2 has no optional support of its own:
// the serializer below provides it; include this header rather than defining another).
#include <cstddef>
#include <optional>
#include <stdexcept>
#include <string>

#include <nlohmann/json.hpp>

#include "stages/analytics/AnalyticsModel.hpp"

namespace nlohmann {
template <typename T>
struct adl_serializer<std::optional<T>> {
  template <typename BasicJsonType>
  static void to_json(BasicJsonType& j, const std::optional<T>& v) {
    if (v)
      j = *v;
    else
      j = nullptr;
  }
  template <typename BasicJsonType>
  static void from_json(const BasicJsonType& j, std::optional<T>& v) {
    if (j.is_null())
      v.reset();
    else
      v = j.template get<T>();
  }
};
}  // namespace nlohmann

// to_json / from_json for both json flavours; from_json keeps the default of a missing key.
#define YF_ANALYTICS_JSON(Type, ...)                                                              \
  template <typename BasicJsonType>                                                               \
  void to_json(BasicJsonType& nlohmann_json_j, const Type& nlohmann_json_t) {                     \
    NLOHMANN_JSON_EXPAND(NLOHMANN_JSON_PASTE(NLOHMANN_JSON_TO, __VA_ARGS__))                      \
  }                                                                                               \
  template <typename BasicJsonType>                                                               \
  void from_json(const BasicJsonType& nlohmann_json_j, Type& nlohmann_json_t) {                   \
    const Type nlohmann_json_default_obj{};                                                       \
    NLOHMANN_JSON_EXPAND(NLOHMANN_JSON_PASTE(NLOHMANN_JSON_FROM_WITH_DEFAULT, __VA_ARGS__))       \
  }

namespace yf::analytics {

YF_ANALYTICS_JSON(AnalyticsSettings, worst_wafers, baseline_fraction, baseline_min_points, max_chart_points,
                  max_violations, significance, p_adjust, size_bin_edges_um, window_block_dies)
YF_ANALYTICS_JSON(YieldSummary, wafers, sorted_wafers, product_dies, tested_dies, good_dies, killed_dies, defects,
                  killer_defects, sort_yield, sort_yield_mean, sort_yield_std, inspection_yield)
YF_ANALYTICS_JSON(YieldRow, key, yield)
YF_ANALYTICS_JSON(DefectDensity, killer_defects, product_dies, inspected_area_cm2, d0_per_cm2)
YF_ANALYTICS_JSON(DefectCountFit, dies, histogram, mean_per_die, d0_per_cm2, alpha, poisson, log_likelihood)
YF_ANALYTICS_JSON(YieldPoint, product, block_dies, area_cm2, blocks, good_blocks, yield)
YF_ANALYTICS_JSON(ModelFit, model, parameters, d0_per_cm2, alpha, rmse, aic, converged, trusted)
YF_ANALYTICS_JSON(YieldModelFits, yield_source, points, fits, trusted_model)
YF_ANALYTICS_JSON(KillRatio, class_id, class_name, killer, defects, dies_with, dies_with_pass, dies_clean,
                  dies_clean_pass, yield_with, yield_clean, kill_ratio)
YF_ANALYTICS_JSON(ParetoBar, label, code, count, share, cumulative_share)
YF_ANALYTICS_JSON(Pareto, total, bars)
YF_ANALYTICS_JSON(ZoneYield, zone, tested_dies, good_dies, product_dies, killed_dies, sort_yield, inspection_yield)
YF_ANALYTICS_JSON(StackedMap, product, rows, cols, wafers, tested, failed, inspected, killed)
YF_ANALYTICS_JSON(GroupAnalytics, kind, key, yield, density, defect_counts, models, kill_ratios, defects_by_class,
                  defects_by_size, failing_bins, zones, stacked_maps)
// Die verdicts as one lower-case hex digit per die (each mask is 0..15): a 2,454-die
// map is a 2,454-character string instead of a ~6 KB array.
template <typename BasicJsonType>
void to_json(BasicJsonType& j, const WorstWafer& w) {
  static constexpr char kHex[] = "0123456789abcdef";
  std::string hex(w.die_verdicts.size(), '0');
  for (std::size_t i = 0; i < w.die_verdicts.size(); ++i) hex[i] = kHex[w.die_verdicts[i] & 0x0f];
  j = BasicJsonType{{"source_file", w.source_file}, {"wafer_id", w.wafer_id}, {"lot_id", w.lot_id},
                    {"product", w.product}, {"tool", w.tool}, {"timestamp", w.timestamp},
                    {"sort_pattern", w.sort_pattern}, {"inspection_pattern", w.inspection_pattern},
                    {"rows", w.rows}, {"cols", w.cols}, {"die_verdicts", hex}};
  j["sort_yield"] = w.sort_yield;
  j["inspection_yield"] = w.inspection_yield;
}

template <typename BasicJsonType>
void from_json(const BasicJsonType& j, WorstWafer& w) {
  w = WorstWafer{};
  w.source_file = j.value("source_file", std::string{});
  w.wafer_id = j.value("wafer_id", std::string{});
  w.lot_id = j.value("lot_id", std::string{});
  w.product = j.value("product", std::string{});
  w.tool = j.value("tool", std::string{});
  w.timestamp = j.value("timestamp", std::int64_t{0});
  if (j.contains("sort_yield")) w.sort_yield = j.at("sort_yield").template get<std::optional<double>>();
  if (j.contains("inspection_yield"))
    w.inspection_yield = j.at("inspection_yield").template get<std::optional<double>>();
  w.sort_pattern = j.value("sort_pattern", std::string{});
  w.inspection_pattern = j.value("inspection_pattern", std::string{});
  w.rows = j.value("rows", 0);
  w.cols = j.value("cols", 0);
  const std::string hex = j.value("die_verdicts", std::string{});
  w.die_verdicts.resize(hex.size());
  for (std::size_t i = 0; i < hex.size(); ++i) {
    const char c = hex[i];
    if (c >= '0' && c <= '9')
      w.die_verdicts[i] = static_cast<std::uint8_t>(c - '0');
    else if (c >= 'a' && c <= 'f')
      w.die_verdicts[i] = static_cast<std::uint8_t>(c - 'a' + 10);
    else
      throw std::invalid_argument("analytics JSON: worst wafer " + w.wafer_id + ": die_verdicts: '" +
                                  std::string(1, c) + "' at " + std::to_string(i) + " is not a hex digit");
  }
}

YF_ANALYTICS_JSON(CommonalityRow, step, tool, chamber, wafers, wafers_rest, median_yield, median_yield_rest,
                  mean_yield, mean_yield_rest, yield_loss, mann_whitney_u, mann_whitney_p, adjusted_p,
                  kruskal_wallis_p, significant, rank)
YF_ANALYTICS_JSON(StepTest, step, level, groups, wafers, h, df, p)
YF_ANALYTICS_JSON(Commonality, yield_source, steps, rows)
YF_ANALYTICS_JSON(SpcPoint, index, wafer_id, lot_id, timestamp, value, n, ucl, lcl, baseline)
YF_ANALYTICS_JSON(SpcViolation, rule, index, window_begin, wafer_id, timestamp, side)
YF_ANALYTICS_JSON(SpcChart, chart, tool, baseline, baseline_points, baseline_first_timestamp, baseline_last_timestamp,
                  centre, total_points, points, total_violations, violations)
YF_ANALYTICS_JSON(FabReport, fab, summary, yield_by_tool, yield_by_lot, yield_by_product, trend, spc, commonality,
                  worst_wafers, sort_patterns, inspection_patterns)
YF_ANALYTICS_JSON(Analytics, format_version, settings, wafers, fabs, groups)

// The whole analytics as ordered JSON (summary.json, results.h5), and back from the
// text of /analytics/json; a text that is not analytics JSON throws
// std::invalid_argument naming `where` (the file) and the problem.
nlohmann::ordered_json analytics_json(const Analytics& analytics);
// analytics_json(analytics).dump(), built one fab and one group at a time so that the
// whole JSON tree never sits in memory (a 200,000-wafer run has thousands of lots).
std::string analytics_json_text(const Analytics& analytics);
Analytics analytics_from_json_text(const std::string& text, const std::string& where);

}  // namespace yf::analytics
