#pragma once
// The per-wafer analysis: validation of the wafer's values, die grid, defect-to-die
// mapping, kill decision, sort yield and metrics, in one call the pipeline makes
// from any thread. Knows nothing of TBB, HDF5 or the CLI.
#include "core/Wafer.hpp"
#include "core/WaferResult.hpp"
#include <memory>

#include "stages/ImageStage.hpp"
#include "stages/KillStage.hpp"
#include "stages/PatternClassifier.hpp"
#include "stages/WaferTallyStage.hpp"

namespace yf {

class DieGrid;

struct StageOptions {
  KillOptions kill;
  // Classifies the sort map and the inspection kill map; null = no classification.
  std::shared_ptr<const PatternClassifier> patterns;
  // Defects found in the wafer's image (when it has one) join the tool's list.
  ImageStageOptions images;
  // Fill WaferResult::defect_list (OUT/defects.csv, results.h5 /defects).
  bool report_defects = true;
  // The per-wafer counts of the yield analytics (WaferResult::tallies).
  TallyOptions tallies;
};

// The pattern-recognition views of a wafer: the sort map (untested -> none, pass
// bin -> pass, other bins -> fail) and the kill map (product dies only: killed ->
// fail, else pass).
FailMap sort_fail_map(const std::vector<std::uint8_t>& die_verdicts, int rows, int cols);
FailMap kill_fail_map(const std::vector<std::uint8_t>& die_verdicts, int rows, int cols);
// The same into `map`, whose cells keep their capacity from wafer to wafer.
void sort_fail_map(const std::vector<std::uint8_t>& die_verdicts, int rows, int cols, FailMap& map);
void kill_fail_map(const std::vector<std::uint8_t>& die_verdicts, int rows, int cols, FailMap& map);

// The working memory of process_wafer, kept from wafer to wafer: the die grid of the
// last product, the fail map handed to the pattern classifier and the classifier's
// buffers and die layouts, and the image stage's whole-image and per-die buffers
// (ImageWorkspace), so that a worker allocates them about once per run, not once per
// wafer. Used by one call at a time: the pipeline lends one to each wafer in flight
// (pipeline/WorkspacePool; it knows the threads, the stage does not).
struct StageWorkspace {
  StageWorkspace();
  ~StageWorkspace();
  StageWorkspace(StageWorkspace&&) noexcept;
  StageWorkspace& operator=(StageWorkspace&&) noexcept;

  std::unique_ptr<DieGrid> grid;  // of the last product seen (rebuilt when the product changes)
  FailMap fail_map;
  PatternWorkspace patterns;
  ImageWorkspace images;
};

// Never throws for bad data: a wafer whose values are unusable (NaN or infinite
// coordinates, negative sizes, a bin map of the wrong shape, a bin below -1, a
// read error carried in job.error, an image that cannot be analysed: field
// "images") comes back with ok = false and an error "FILE: wafer ID: FIELD: problem".
WaferResult process_wafer(const WaferJob& job, const StageOptions& options, StageWorkspace& workspace);
// The same result with a fresh workspace (one-off callers and tests; nothing is kept
// between calls).
WaferResult process_wafer(const WaferJob& job, const StageOptions& options);

}  // namespace yf
