#pragma once
// Writes a run's output folder: wafers.csv and results.h5 streamed as results
// arrive, summary.json at the end. Each file appears atomically. With analytics
// (the default), the yield analytics are accumulated as results arrive and written
// at the end: summary.json "analytics", results.h5 /analytics/json, OUT/tables/*.csv
// and OUT/report.html.
#include <filesystem>
#include <memory>

#include "io/AtomicFile.hpp"
#include "io/ResultsH5Writer.hpp"
#include "pipeline/WaferPipeline.hpp"
#include "stages/analytics/AnalyticsAccumulator.hpp"

namespace yf {

class RunOutputs : public ResultConsumer {
 public:
  explicit RunOutputs(const std::filesystem::path& out_dir, bool analytics = true);
  void consume(const WaferResult& result) override;
  // Writes summary.json and moves every file into place.
  void finish(const PipelineReport& report);

 private:
  std::filesystem::path dir_;
  AtomicFile csv_;
  AtomicFile defects_csv_;  // OUT/defects.csv
  ResultsH5Writer h5_;
  std::unique_ptr<analytics::AnalyticsAccumulator> analytics_;  // null: --no-analytics
};

}  // namespace yf
