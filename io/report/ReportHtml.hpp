#pragma once
// OUT/report.html: one self-contained page (inline CSS and SVG, maps as
// embedded PNG, no script, no network) with a section per fab rendered from the
// analytics (stages/analytics/AnalyticsModel.hpp). Deterministic: the same
// analytics give the same bytes (no clock, no locale). docs/formats.md.
#include <cstdint>
#include <filesystem>
#include <optional>
#include <string>

#include "io/SummaryJson.hpp"

#include "stages/analytics/AnalyticsModel.hpp"

namespace yf::report {

// What the page says about the run beyond the analytics (optional).
struct ReportInfo {
  std::string title = "yieldflow yield report";
  std::int64_t wafers_read = -1;  // every wafer read, failed ones included; -1: unknown
  std::int64_t failed_wafers = 0;
  std::int64_t failed_files = 0;
};

// From a run's totals, and from OUT/summary.json (empty when it is missing or
// unreadable): `run` and `report` give the same page.
ReportInfo report_info(const RunTotals& totals);
std::optional<ReportInfo> report_info_from_summary(const std::filesystem::path& summary_json);

std::string render_report_html(const analytics::Analytics& analytics, const ReportInfo& info = {});

// Writes out_dir/report.html atomically (io/AtomicFile.hpp). Throws std::runtime_error.
void write_report(const std::filesystem::path& out_dir, const analytics::Analytics& analytics,
                  const ReportInfo& info = {});

}  // namespace yf::report
