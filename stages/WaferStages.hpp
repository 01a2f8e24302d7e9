#pragma once
// The per-wafer analysis: validation of the wafer's values, die grid, defect-to-die
// mapping, kill decision, sort yield and metrics, in one call the pipeline makes
// from any thread. Knows nothing of TBB, HDF5 or the CLI.
#include "core/Wafer.hpp"
#include "core/WaferResult.hpp"
#include <memory>

#include "stages/KillStage.hpp"
#include "stages/PatternClassifier.hpp"
#include "stages/WaferTallyStage.hpp"

namespace yf {

struct StageOptions {
  KillOptions kill;
  // Classifies the sort map and the inspection kill map; null = no classification.
  std::shared_ptr<const PatternClassifier> patterns;
  // The per-wafer counts of the yield analytics (WaferResult::tallies).
  TallyOptions tallies;
};

// The pattern-recognition views of a wafer: the sort map (untested -> none, pass
// bin -> pass, other bins -> fail) and the kill map (product dies only: killed ->
// fail, else pass).
FailMap sort_fail_map(const std::vector<std::uint8_t>& die_verdicts, int rows, int cols);
FailMap kill_fail_map(const std::vector<std::uint8_t>& die_verdicts, int rows, int cols);

// Never throws for bad data: a wafer whose values are unusable (NaN or infinite
// coordinates, negative sizes, a bin map of the wrong shape, a bin below -1, a
// read error carried in job.error) comes back with ok = false and an error
// "FILE: wafer ID: FIELD: problem".
WaferResult process_wafer(const WaferJob& job, const StageOptions& options);

}  // namespace yf
