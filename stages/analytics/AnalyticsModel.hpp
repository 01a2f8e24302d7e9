#pragma once
// The numbers of the yield report (issue 4), as plain structs: what `yieldflow run`
// computes at the end of a run, writes to summary.json ("analytics"), to the CSV
// tables under OUT/tables/ and to results.h5 (/analytics/json), and what the report
// renders. The JSON (stages/analytics/AnalyticsJson.hpp) is the one serialisation:
// `yieldflow report OUT` reads it back from results.h5 instead of rerunning.
//
// Conventions:
// - Yields are fractions in [0, 1]; std::optional is empty (JSON null) when a value
//   cannot be computed (0/0, too few points), never NaN.
// - Every list is in a fixed, documented order, so -j1 and -jN write the same bytes.
// - Formulas and tests: docs/algorithms.md, section "Yield analytics".
// Changes to these structs are additive: a new field gets a default, and an older
// JSON without it still reads (from_json falls back to the default).
#include <cstdint>
#include <map>
#include <optional>
#include <string>
#include <vector>

namespace yf::analytics {

inline constexpr int kAnalyticsFormatVersion = 1;

// The knobs of the analysis, recorded with the results.
struct AnalyticsSettings {
  int worst_wafers = 12;             // worst wafers kept per fab (gallery)
  double baseline_fraction = 0.25;   // SPC baseline: the first max(min_points, fraction * n) points
  int baseline_min_points = 20;
  int max_chart_points = 2000;       // SPC points kept in the JSON per chart (the most recent); CSV has all
  int max_violations = 500;          // SPC rule violations kept in the JSON per chart (the most recent)
  double significance = 0.05;        // adjusted p below this is "significant" (commonality)
  std::string p_adjust = "holm";     // multiple-comparison control of the Mann-Whitney p-values
  // Defect size bins: [e0, e1), [e1, e2), ..., [e_last, inf); a size below e0 goes to the first.
  std::vector<double> size_bin_edges_um{0, 0.1, 0.2, 0.5, 1, 2, 5, 10};
  // Die-block windows of the yield-model fits (dies per block: 1x1, 1x2, 2x2, 2x3, 3x3).
  std::vector<int> window_block_dies{1, 2, 4, 6, 9};
};

// Headline yields of a group (same definitions as summary.json "groups").
struct YieldSummary {
  std::int64_t wafers = 0;
  std::int64_t sorted_wafers = 0;  // wafers with a sort yield
  std::int64_t product_dies = 0;
  std::int64_t tested_dies = 0;
  std::int64_t good_dies = 0;
  std::int64_t killed_dies = 0;
  std::int64_t defects = 0;
  std::int64_t killer_defects = 0;
  std::optional<double> sort_yield;       // sum good / sum tested (die-weighted)
  std::optional<double> sort_yield_mean;  // mean of wafer sort yields
  std::optional<double> sort_yield_std;   // sample std of wafer sort yields
  std::optional<double> inspection_yield; // 1 - killed / product dies
};

// One line of "yield by tool" / "yield by lot" / "yield by product" inside a fab.
struct YieldRow {
  std::string key;
  YieldSummary yield;
};

// D0 = killer defects / inspected product-die area (cm^2).
struct DefectDensity {
  std::int64_t killer_defects = 0;     // killer class, in a product die, >= min kill size
  std::int64_t product_dies = 0;
  double inspected_area_cm2 = 0;       // sum over wafers of product dies * die area
  std::optional<double> d0_per_cm2;
};

// Maximum-likelihood fit of a negative binomial to the number of killer defects per
// product die: mean A*D0, clustering alpha (alpha -> infinity is Poisson).
struct DefectCountFit {
  std::int64_t dies = 0;
  std::vector<std::int64_t> histogram;  // dies with 0, 1, ..., k killer defects; last entry = "k or more"
  std::optional<double> mean_per_die;
  std::optional<double> d0_per_cm2;
  std::optional<double> alpha;          // empty when the counts are not over-dispersed (Poisson) or no defects
  bool poisson = false;                 // variance <= mean: alpha at infinity
  std::optional<double> log_likelihood;
};

// One die-block window point: blocks of `block_dies` adjacent dies, a block good when
// every die in it is good (die-block windowing: yield as a function of area).
struct YieldPoint {
  std::string product;
  int block_dies = 1;
  double area_cm2 = 0;          // block_dies * die area
  std::int64_t blocks = 0;
  std::int64_t good_blocks = 0;
  double yield = 0;             // good_blocks / blocks
};

// A yield model Y(A) fitted by weighted least squares to the window points.
struct ModelFit {
  std::string model;                  // "poisson", "murphy", "seeds", "negative_binomial"
  int parameters = 1;                 // D0 (and alpha)
  std::optional<double> d0_per_cm2;
  std::optional<double> alpha;        // negative_binomial only
  std::optional<double> rmse;         // weighted RMS of (observed - model) yield
  std::optional<double> aic;          // n ln(RSS/n) + 2 parameters: the comparison between models
  bool converged = false;
  bool trusted = false;               // the model to trust: lowest AIC among converged fits
};

struct YieldModelFits {
  std::string yield_source;           // "sort" (bin maps) or "inspection" (kill maps); empty: no data
  std::vector<YieldPoint> points;     // by product, then block size
  std::vector<ModelFit> fits;         // poisson, murphy, seeds, negative_binomial
  std::string trusted_model;          // name of the trusted fit; empty when none converged
};

// KR = 1 - Y(dies with a defect of the class) / Y(dies with no defect), over product dies
// that were also sort-tested; Y = fraction of those dies with a passing bin.
struct KillRatio {
  std::int32_t class_id = 0;
  std::string class_name;
  bool killer = true;                 // per /defect_classes
  std::int64_t defects = 0;           // defects of the class (in tested product dies)
  std::int64_t dies_with = 0;         // tested product dies holding >= 1 defect of the class
  std::int64_t dies_with_pass = 0;
  std::int64_t dies_clean = 0;        // tested product dies holding no defect at all
  std::int64_t dies_clean_pass = 0;
  std::optional<double> yield_with;
  std::optional<double> yield_clean;
  std::optional<double> kill_ratio;
};

struct ParetoBar {
  std::string label;                  // class name, size range "0.5-1 um", bin name
  std::int64_t code = 0;              // class id, size bin index, bin number
  std::int64_t count = 0;
  double share = 0;                   // count / total
  double cumulative_share = 0;
};

// Bars sorted by count, largest first (ties by code).
struct Pareto {
  std::int64_t total = 0;
  std::vector<ParetoBar> bars;
};

// Zones: "centre", "middle", "edge" (rings of equal area by die-centre radius over the
// wafer radius: r < R/sqrt(3), < R*sqrt(2/3), rest) and quadrants "upper_right",
// "upper_left", "lower_left", "lower_right" (die centre x >= 0 is right, y >= 0 is up).
struct ZoneYield {
  std::string zone;
  std::int64_t tested_dies = 0;
  std::int64_t good_dies = 0;
  std::int64_t product_dies = 0;
  std::int64_t killed_dies = 0;
  std::optional<double> sort_yield;
  std::optional<double> inspection_yield;
};

// Per-die counts over every wafer of one product in the group, row-major rows x cols.
struct StackedMap {
  std::string product;
  int rows = 0;
  int cols = 0;
  std::int64_t wafers = 0;
  std::vector<std::int64_t> tested;   // wafers on which the die was sort-tested
  std::vector<std::int64_t> failed;   // ... and failed
  std::vector<std::int64_t> inspected;  // wafers on which the die was a product die (inspection data)
  std::vector<std::int64_t> killed;   // ... and killed by a defect
  // Sort fail rate of die i, or -1 when it was never tested.
  double fail_rate(std::size_t i) const {
    return tested[i] > 0 ? static_cast<double>(failed[i]) / static_cast<double>(tested[i]) : -1.0;
  }
};

// One group (kind "fab", "tool", "lot", "product" or "step"; key its name).
struct GroupAnalytics {
  std::string kind;
  std::string key;
  YieldSummary yield;
  DefectDensity density;
  DefectCountFit defect_counts;
  YieldModelFits models;
  std::vector<KillRatio> kill_ratios;   // by class id
  Pareto defects_by_class;
  Pareto defects_by_size;
  Pareto failing_bins;
  std::vector<ZoneYield> zones;         // centre, middle, edge, upper_right, upper_left, lower_left, lower_right
  std::vector<StackedMap> stacked_maps; // by product; empty for lots (memory bound)
};

// A wafer of the gallery, with its die verdicts so that its map can be drawn.
struct WorstWafer {
  std::string source_file;
  std::string wafer_id;
  std::string lot_id;
  std::string product;
  std::string tool;
  std::int64_t timestamp = 0;
  std::optional<double> sort_yield;
  std::optional<double> inspection_yield;
  std::string sort_pattern;           // failure pattern (WM-811K name), empty if not classified
  std::string inspection_pattern;
  int rows = 0;
  int cols = 0;
  std::vector<std::uint8_t> die_verdicts;  // row-major DieVerdictBit masks (core/WaferResult.hpp); JSON: hex string
};

// Tool commonality: wafer yield of the tool (or tool/chamber) that ran a step against
// the rest of the wafers that went through the step.
struct CommonalityRow {
  std::string step;
  std::string tool;
  std::string chamber;                // empty: the tool as a whole
  std::int64_t wafers = 0;
  std::int64_t wafers_rest = 0;
  std::optional<double> median_yield;
  std::optional<double> median_yield_rest;
  std::optional<double> mean_yield;
  std::optional<double> mean_yield_rest;
  std::optional<double> yield_loss;   // median_yield_rest - median_yield (> 0: worse than the rest)
  std::optional<double> mann_whitney_u;   // U of the tool's wafers
  std::optional<double> mann_whitney_p;   // two-sided
  std::optional<double> adjusted_p;       // Holm over the rows of the same level in the fab
  std::optional<double> kruskal_wallis_p; // of the step at this level (tools, or tool/chambers)
  bool significant = false;           // adjusted_p < significance and yield_loss > 0
  int rank = 0;                       // 1 = most suspect; tool rows and chamber rows ranked separately
};

// The Kruskal-Wallis test of one step over its tools (level "tool") or chambers ("chamber").
struct StepTest {
  std::string step;
  std::string level;
  int groups = 0;
  std::int64_t wafers = 0;
  std::optional<double> h;            // tie-corrected H
  int df = 0;
  std::optional<double> p;
};

struct Commonality {
  std::string yield_source;           // "sort" or "inspection"
  std::vector<StepTest> steps;
  std::vector<CommonalityRow> rows;   // tool rows by rank, then chamber rows by rank
};

// SPC: one point per wafer in time order (timestamp, then input order).
struct SpcPoint {
  std::int64_t index = 0;             // position in the full series (0-based)
  std::string wafer_id;
  std::string lot_id;
  std::int64_t timestamp = 0;
  double value = 0;                   // p-chart: wafer sort yield; c-chart: defects on the wafer
  std::int64_t n = 0;                 // p-chart: tested dies (the subgroup size); c-chart: 1
  double ucl = 0;
  double lcl = 0;
  bool baseline = false;              // inside the baseline period
};

// A Western Electric rule firing at a point (the last point of its window):
// 1: one point beyond 3 sigma; 2: 2 of 3 beyond 2 sigma, same side; 3: 4 of 5 beyond
// 1 sigma, same side; 4: 8 in a row on the same side of the centre line.
struct SpcViolation {
  int rule = 0;
  std::int64_t index = 0;             // the point where the rule fires
  std::int64_t window_begin = 0;      // first point of its window
  std::string wafer_id;
  std::int64_t timestamp = 0;
  std::string side;                   // "above" or "below"
};

struct SpcChart {
  std::string chart;                  // "p" (wafer sort yield) or "c" (defects per wafer)
  std::string tool;                   // inspection tool; empty: the fab as a whole (trend)
  std::string baseline;               // e.g. "first 25 of 100 wafers in time order"
  std::int64_t baseline_points = 0;
  std::int64_t baseline_first_timestamp = 0;
  std::int64_t baseline_last_timestamp = 0;
  std::optional<double> centre;       // p-bar (die-weighted yield) or c-bar over the baseline
  std::int64_t total_points = 0;      // points in the series; `points` holds the last max_chart_points
  std::vector<SpcPoint> points;
  std::int64_t total_violations = 0;
  std::vector<SpcViolation> violations;  // in point order; the last max_violations
};

struct FabReport {
  std::string fab;
  GroupAnalytics summary;              // the fab as a group (kind "fab")
  std::vector<YieldRow> yield_by_tool; // inspection tools of the fab, by name
  std::vector<YieldRow> yield_by_lot;
  std::vector<YieldRow> yield_by_product;
  SpcChart trend;                      // p-chart of every wafer of the fab
  std::vector<SpcChart> spc;           // per inspection tool of the fab: p-chart, then c-chart
  Commonality commonality;
  std::vector<WorstWafer> worst_wafers;  // lowest yield first
  // Wafers per failure pattern (issue 6) of the sort map and of the inspection kill map;
  // empty when no pattern model ran.
  std::map<std::string, std::int64_t> sort_patterns;
  std::map<std::string, std::int64_t> inspection_patterns;
};

struct Analytics {
  int format_version = kAnalyticsFormatVersion;
  AnalyticsSettings settings;
  std::int64_t wafers = 0;             // wafers analysed (failed wafers excluded)
  std::vector<FabReport> fabs;         // by fab name
  std::vector<GroupAnalytics> groups;  // kinds tool, lot, product, step (fabs are in `fabs`), by kind then key
};

}  // namespace yf::analytics
