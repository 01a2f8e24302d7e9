#pragma once
// What leaves the stages for one wafer and reaches the collector.
#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "core/Wafer.hpp"
#include "core/WaferTallies.hpp"

namespace yf {

// Per-die verdict bits (results.h5 /die_verdicts/<product>, docs/formats.md).
enum DieVerdictBit : std::uint8_t {
  kDieProduct = 1u << 0,    // a product die (all four corners inside the exclusion circle)
  kDieTested = 1u << 1,     // the bin map has a bin other than -1 here
  kDieSortPass = 1u << 2,   // tested with a passing bin
  kDieKilled = 1u << 3,     // product die holding at least one killer defect
};

struct WaferMetrics {
  std::int64_t product_dies = 0;
  std::int64_t tested_dies = 0;
  std::int64_t good_dies = 0;
  std::optional<double> sort_yield;     // empty without a bin map
  std::int64_t defects = 0;
  std::int64_t killer_defects = 0;
  std::int64_t killed_dies = 0;
  std::int64_t image_defects = 0;        // found in the wafer's image (included in `defects`)
  std::optional<double> inspection_yield;  // empty when the product has no product die
  // Failure pattern (a WM-811K class name) of the sort map and of the inspection kill
  // map, with the classifier's confidence; empty when not classified.
  std::string sort_pattern;
  double sort_pattern_confidence = 0;
  std::string inspection_pattern;
  double inspection_pattern_confidence = 0;
};

// One defect of a wafer as the run reports it (OUT/defects.csv, results.h5 /defects):
// from the tool's defect list or found in the wafer's image.
enum class DefectSource : std::uint8_t { tool, image };
inline const char* to_string(DefectSource s) { return s == DefectSource::tool ? "tool" : "image"; }

struct ReportedDefect {
  DefectSource source = DefectSource::tool;
  double x_mm = 0, y_mm = 0;
  double size_um = 0;            // equivalent diameter
  std::int32_t class_id = 0;     // the tool's class; kImageDefectClass for image defects
  std::string kind;              // image: particle, scratch, cluster, edge; tool: empty
  // Image defects only (NaN for tool defects):
  double area_um2 = 0, contrast = 0, elongation = 0, orientation_deg = 0;
  int die_col = -1, die_row = -1;  // die holding (x, y); -1 outside the grid
  bool killer = false;             // counted as killing its product die
};

// Class id given to defects found in images when they join the tool's list for the kill
// decision: absent from /defect_classes, so a killer (spec), unless a file declares it.
inline constexpr std::int32_t kImageDefectClass = -1;

// How the wafer's image was calibrated (results.h5 /image_calibration).
struct ImageCalibrationReport {
  double center_x_px = 0, center_y_px = 0, radius_px = 0, mm_per_px = 0, rotation_deg = 0;
  double edge_rms_px = 0, edge_max_px = 0;
  std::int64_t edge_inliers = 0, edge_outliers = 0;
  bool cut_off = false;
  double noise_sigma = 0;        // of the die-to-die difference, grey levels
  std::int64_t dies_compared = 0;
  std::string warnings;          // "; "-separated
};

struct WaferResult {
  std::size_t seq = 0;
  std::string source_file;
  WaferMeta meta;
  bool ok = true;
  std::string error;                 // set when !ok
  WaferMetrics metrics;
  int rows = 0, cols = 0;            // grid of die_verdicts
  std::vector<std::uint8_t> die_verdicts;  // row-major DieVerdictBit masks
  // Every defect: the tool's list, then those found in the image (when reported).
  std::vector<ReportedDefect> defect_list;
  std::optional<ImageCalibrationReport> image;  // set when the wafer's image was analysed
  // For the yield analytics (issue 4): the product and file tables (shared, not
  // copied), the process route, and the per-wafer counts.
  std::shared_ptr<const ProductGeometry> product;
  std::shared_ptr<const DatasetTables> tables;
  std::vector<HistoryEntry> history;
  WaferTallies tallies;
};

}  // namespace yf
