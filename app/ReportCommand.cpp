// `yieldflow report OUT`: re-renders OUT/report.html from the analytics stored
// in OUT/results.h5 (/analytics/json), without rerunning the analysis.
#include <spdlog/spdlog.h>

#include <filesystem>
#include <stdexcept>

#include "app/Commands.hpp"
#include "io/ResultsH5Reader.hpp"
#include "io/report/ReportHtml.hpp"
#include "stages/analytics/AnalyticsJson.hpp"

namespace yf {

int report_command(const std::filesystem::path& out_dir) {
  namespace fs = std::filesystem;
  std::error_code ec;
  if (!fs::is_directory(out_dir, ec)) {
    spdlog::error("{}: no such folder (give the output folder of `yieldflow run -o OUT`)", out_dir.string());
    return kExitUsage;
  }
  const fs::path h5 = out_dir / "results.h5";
  if (!fs::exists(h5, ec)) {
    spdlog::error("{}: missing: `yieldflow report` renders from the results.h5 of a finished `yieldflow run`",
                  h5.string());
    return kExitUsage;
  }
  analytics::Analytics analytics;
  try {
    std::optional<std::string> json = read_analytics_json(h5);
    if (!json) {
      spdlog::error("{}: holds no analytics (/analytics/json): it was written by a run without analytics or by an "
                    "older yieldflow; run `yieldflow run` again",
                    h5.string());
      return kExitUsage;
    }
    analytics = analytics::analytics_from_json_text(*json, h5.string() + ": /analytics/json");
  } catch (const std::exception& e) {
    spdlog::error("{}", e.what());
    return kExitUsage;
  }
  report::ReportInfo info = report::report_info_from_summary(out_dir / "summary.json").value_or(report::ReportInfo{});
  try {
    report::write_report(out_dir, analytics, info);
  } catch (const std::exception& e) {
    spdlog::critical("{}: cannot write report.html: {}", out_dir.string(), e.what());
    return kExitFatal;
  }
  spdlog::info("{}: rendered from {}", (out_dir / "report.html").string(), h5.string());
  return kExitOk;
}

}  // namespace yf
