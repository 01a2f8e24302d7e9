#include "app/RunOutputs.hpp"

#include <spdlog/spdlog.h>

#include <chrono>

#include "io/AnalyticsTables.hpp"
#include "io/DefectsCsv.hpp"
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
    : dir_(created(out_dir)), csv_(dir_ / "wafers.csv"), defects_csv_(dir_ / "defects.csv"), h5_(dir_ / "results.h5") {
  if (analytics) analytics_ = std::make_unique<analytics::AnalyticsAccumulator>();
  // summary.json marks a finished run: a previous run's copy must not sit beside
  // this run's files if this one stops before its end.
  std::filesystem::remove(dir_ / "summary.json");
  // Nor may an earlier run's report and tables when this run writes none (--no-analytics).
  if (!analytics_) {
    std::error_code ec;
    std::filesystem::remove(dir_ / "report.html", ec);
    std::filesystem::remove_all(dir_ / "tables", ec);
  }
  write_wafers_csv_header(csv_.stream());
  write_defects_csv_header(defects_csv_.stream());
}

void RunOutputs::consume(const WaferResult& result) {
  write_wafers_csv_row(csv_.stream(), result);
  write_defects_csv_rows(defects_csv_.stream(), result);
  h5_.append(result);
  if (analytics_) analytics_->add(result);
}

void RunOutputs::finish(const PipelineReport& report) {
  csv_.commit();
  defects_csv_.commit();
  nlohmann::ordered_json summary = summary_json(report.aggregate, report.totals);
  std::string analytics_text;  // compact JSON, the last key of summary.json
  if (analytics_) {
    using Clock = std::chrono::steady_clock;
    auto ms = [](Clock::time_point a, Clock::time_point b) {
      return std::chrono::duration<double, std::milli>(b - a).count();
    };
    const auto t0 = Clock::now();
    // spc.csv holds the charts' points as kept in the analytics (the most recent
    // max_chart_points of each chart): every wafer's yield and time are in wafers.csv, and
    // writing all of them again cost seconds on 200,000 wafers.
    const analytics::Analytics a = analytics_->finish();
    const auto t1 = Clock::now();
    analytics_text = analytics::analytics_json_text(a);
    h5_.write_analytics_json(analytics_text);
    const auto t2 = Clock::now();
    write_analytics_tables(dir_ / "tables", a);
    write_spc_csv(dir_ / "tables" / "spc.csv", a);
    const auto t3 = Clock::now();
    report::write_report(dir_, a, report::report_info(report.totals));
    const auto t4 = Clock::now();
    spdlog::debug("analytics of {} wafers ({} fabs, {} groups): computed {:.0f} ms, JSON + results.h5 {:.0f} ms, "
                  "tables {:.0f} ms, report.html {:.0f} ms",
                  a.wafers, a.fabs.size(), a.groups.size(), ms(t0, t1), ms(t1, t2), ms(t2, t3), ms(t3, t4));
  }
  h5_.finish();
  // summary.json last: its presence says the run completed. The analytics go in as one
  // compact line (they are large; the rest stays indented): "analytics": null is the
  // placeholder the dump ends with.
  if (!analytics_) {
    write_file_atomically(dir_ / "summary.json", summary.dump(2) + "\n");
    return;
  }
  summary["analytics"] = nullptr;
  const std::string text = summary.dump(2);
  const std::string tail = "null\n}";
  if (text.size() < tail.size() || text.compare(text.size() - tail.size(), tail.size(), tail) != 0)
    throw std::logic_error("summary.json: analytics placeholder not at the end");
  // Streamed: the (large) analytics text is not copied into a second string.
  AtomicFile out(dir_ / "summary.json");
  out.stream().write(text.data(), static_cast<std::streamsize>(text.size() - tail.size()));
  out.stream() << analytics_text << "\n}\n";
  out.commit();
}

}  // namespace yf
