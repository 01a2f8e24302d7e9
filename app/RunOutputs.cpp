#include "app/RunOutputs.hpp"

#include <spdlog/spdlog.h>

#include "io/AnalyticsTables.hpp"
#include "io/SummaryJson.hpp"
#include "io/WafersCsv.hpp"
#include "io/report/ReportHtml.hpp"
#include "stages/analytics/AnalyticsJson.hpp"

namespace yf {

namespace {
const std::filesystem::path& created(const std::filesystem::path& dir) {
  std::filesystem::create_directories(dir);
  return dir;
}
}  // namespace

RunOutputs::RunOutputs(const std::filesystem::path& out_dir, bool analytics)
    : dir_(created(out_dir)), csv_(dir_ / "wafers.csv"), h5_(dir_ / "results.h5") {
  if (analytics) analytics_ = std::make_unique<analytics::AnalyticsAccumulator>();
  // summary.json marks a finished run: a previous run's copy must not sit beside
  // this run's files if this one stops before its end.
  std::filesystem::remove(dir_ / "summary.json");
  write_wafers_csv_header(csv_.stream());
}

void RunOutputs::consume(const WaferResult& result) {
  write_wafers_csv_row(csv_.stream(), result);
  h5_.append(result);
  if (analytics_) analytics_->add(result);
}

void RunOutputs::finish(const PipelineReport& report) {
  csv_.commit();
  nlohmann::ordered_json summary = summary_json(report.aggregate, report.totals);
  if (analytics_) {
    std::vector<std::pair<std::string, analytics::SpcChart>> full_spc;
    const analytics::Analytics a = analytics_->finish(&full_spc);
    nlohmann::ordered_json j = analytics::analytics_json(a);
    h5_.write_analytics_json(j.dump());
    write_analytics_tables(dir_ / "tables", a, full_spc);
    report::write_report(dir_, a, report::report_info(report.totals));
    summary["analytics"] = std::move(j);
    spdlog::debug("analytics of {} wafers: {} fabs, {} groups", a.wafers, a.fabs.size(), a.groups.size());
  }
  h5_.finish();
  // summary.json last: its presence says the run completed.
  write_file_atomically(dir_ / "summary.json", summary.dump(2) + "\n");
}

}  // namespace yf
