#pragma once
// Writes a run's output folder: wafers.csv and results.h5 streamed as results
// arrive, summary.json at the end. Each file appears atomically.
#include <filesystem>
#include <memory>

#include "io/AtomicFile.hpp"
#include "io/ResultsH5Writer.hpp"
#include "pipeline/WaferPipeline.hpp"

namespace yf {

class RunOutputs : public ResultConsumer {
 public:
  explicit RunOutputs(const std::filesystem::path& out_dir);
  void consume(const WaferResult& result) override;
  // Writes summary.json and moves every file into place.
  void finish(const PipelineReport& report);

 private:
  std::filesystem::path dir_;
  AtomicFile csv_;
  AtomicFile defects_csv_;  // OUT/defects.csv
  ResultsH5Writer h5_;
};

}  // namespace yf
