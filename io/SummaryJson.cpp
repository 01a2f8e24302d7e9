#include "io/SummaryJson.hpp"

namespace yf {
namespace {

nlohmann::ordered_json optional_number(const std::optional<double>& v) {
  return v ? nlohmann::ordered_json(*v) : nlohmann::ordered_json(nullptr);
}

}  // namespace

nlohmann::ordered_json group_stats_json(const GroupStats& g) {
  nlohmann::ordered_json j;
  j["wafers"] = g.wafers;
  j["sorted_wafers"] = g.sorted_wafers;
  j["product_dies"] = g.product_dies;
  j["tested_dies"] = g.tested_dies;
  j["good_dies"] = g.good_dies;
  j["sort_yield"] = optional_number(g.sort_yield());
  j["sort_yield_mean"] = optional_number(g.sort_yield_mean());
  j["sort_yield_std"] = optional_number(g.sort_yield_std());
  j["killed_dies"] = g.killed_dies;
  j["inspection_yield"] = optional_number(g.inspection_yield());
  j["defects"] = g.defects;
  j["killer_defects"] = g.killer_defects;
  j["sort_patterns"] = g.sort_patterns.to_map();  // pattern name -> wafers (classified wafers only)
  j["inspection_patterns"] = g.inspection_patterns.to_map();
  return j;
}

nlohmann::ordered_json summary_json(const GroupAggregate& aggregate, const RunTotals& totals) {
  nlohmann::ordered_json j;
  j["format"] = "yieldflow-summary";
  j["format_version"] = 1;
  j["wafers"] = totals.wafers;
  j["failed_wafers"] = nlohmann::ordered_json::array();
  for (const FailedWafer& f : totals.failed_wafers)
    j["failed_wafers"].push_back({{"source_file", f.source_file}, {"wafer_id", f.wafer_id}, {"error", f.error}});
  j["failed_files"] = nlohmann::ordered_json::array();
  for (const FailedFile& f : totals.failed_files)
    j["failed_files"].push_back({{"source_file", f.source_file}, {"error", f.error}});
  nlohmann::ordered_json groups = nlohmann::ordered_json::object();
  for (GroupKind kind : kGroupKinds) {
    nlohmann::ordered_json by_key = nlohmann::ordered_json::object();
    for (const auto& [key, stats] : aggregate.groups(kind)) by_key[key] = group_stats_json(stats);
    groups[group_kind_name(kind)] = std::move(by_key);
  }
  j["groups"] = std::move(groups);
  return j;
}

}  // namespace yf
