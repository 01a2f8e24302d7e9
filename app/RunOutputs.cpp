#include "app/RunOutputs.hpp"

#include "io/DefectsCsv.hpp"
#include "io/SummaryJson.hpp"
#include "io/WafersCsv.hpp"

namespace yf {

namespace {
const std::filesystem::path& created(const std::filesystem::path& dir) {
  std::filesystem::create_directories(dir);
  return dir;
}
}  // namespace

RunOutputs::RunOutputs(const std::filesystem::path& out_dir)
    : dir_(created(out_dir)), csv_(dir_ / "wafers.csv"), defects_csv_(dir_ / "defects.csv"), h5_(dir_ / "results.h5") {
  // summary.json marks a finished run: a previous run's copy must not sit beside
  // this run's files if this one stops before its end.
  std::filesystem::remove(dir_ / "summary.json");
  write_wafers_csv_header(csv_.stream());
  write_defects_csv_header(defects_csv_.stream());
}

void RunOutputs::consume(const WaferResult& result) {
  write_wafers_csv_row(csv_.stream(), result);
  write_defects_csv_rows(defects_csv_.stream(), result);
  h5_.append(result);
}

void RunOutputs::finish(const PipelineReport& report) {
  csv_.commit();
  defects_csv_.commit();
  h5_.finish();
  // summary.json last: its presence says the run completed.
  write_file_atomically(dir_ / "summary.json", summary_json(report.aggregate, report.totals).dump(2) + "\n");
}

}  // namespace yf
