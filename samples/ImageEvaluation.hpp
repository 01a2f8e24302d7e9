#pragma once
// Scores image detection and calibration against the generator's truth
// (/truth/images, /truth/image_defects): the method and figures are in docs/detection.md.
//
// Every image wafer of the files goes through process_wafer (the pipeline's own stage,
// one thread). A planted defect is found when a detection of a compatible kind (edge for
// edge chips, any kind for the rest) lies within its match radius of its centre:
// max(match_px, half its extent + 2 px) - a scratch or a cluster may come out in pieces,
// and each piece lies within half the extent of the centre. A detection within no
// planted defect's radius is a false detection.
#include <map>
#include <string>
#include <vector>

#include "stages/WaferStages.hpp"

namespace yf {

struct ImageEvaluationOptions {
  StageOptions stages;    // as `run` would use them
  double match_px = 3.0;  // the smallest match radius
};

struct RecallCount {
  int planted = 0, found = 0;
  double recall() const { return planted > 0 ? static_cast<double>(found) / planted : 1.0; }
};

struct ToolYieldScore {
  int wafers = 0;
  std::int64_t product_dies = 0, truth_killed = 0, found_killed = 0;
  double truth_yield() const { return product_dies ? 1.0 - static_cast<double>(truth_killed) / static_cast<double>(product_dies) : 0; }
  double found_yield() const { return product_dies ? 1.0 - static_cast<double>(found_killed) / static_cast<double>(product_dies) : 0; }
};

struct ImageEvaluation {
  int wafers = 0, failed = 0;
  std::vector<std::string> errors;
  std::map<std::string, RecallCount> by_kind;   // particle, scratch, cluster, edge_chip
  std::map<int, RecallCount> by_size_px;        // key: floor of the equivalent diameter in px (capped at 12)
  RecallCount at_least_3px;                     // the target's population: every planted defect >= 3 px
  int detections = 0, false_detections = 0;
  std::vector<std::string> false_examples;      // a few, for the report
  std::vector<std::string> missed_examples;
  std::vector<double> particle_position_error_px;
  std::map<std::string, ToolYieldScore> yield_by_tool;  // image defects only, spec's die rule
  // Calibration against the planted values.
  std::vector<double> center_error_px, rotation_error_deg, scale_error_rel;
  std::vector<std::string> calibration_labels;  // wafer of each entry above

  double false_per_wafer() const { return wafers > failed ? static_cast<double>(false_detections) / (wafers - failed) : 0; }
  // A markdown report (tables) of every figure above.
  std::string report() const;
};

ImageEvaluation evaluate_images(const std::vector<std::string>& files, const ImageEvaluationOptions& options);

}  // namespace yf
