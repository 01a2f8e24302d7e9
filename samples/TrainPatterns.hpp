#pragma once
// `yieldflow train-patterns`: builds the pattern classifier's training set (labelled
// real WM-811K maps, rotated and mirrored, plus generated maps of every pattern),
// measures it by a cross-validation on real maps with folds by lot, and writes the
// model file. It lives in samples/ because it needs both io/ (the JSON maps) and the
// sample generator; the learning step itself is stages/PatternTraining. docs/patterns.md.
#include <array>
#include <cstdint>
#include <iosfwd>
#include <string>
#include <vector>

#include "samples/PatternSynth.hpp"
#include "stages/PatternCompanion.hpp"
#include "stages/PatternTraining.hpp"

namespace yf {

struct TrainPatternsOptions {
  std::uint64_t seed = 1;           // generated maps, fold assignment, the forest
  std::string output;               // model file (.yml or .yml.gz); empty: evaluate only
  // Labelled real maps (JSON lines, io/Wm811kJson); unlabelled rows are skipped.
  std::vector<std::string> real_files;
  // One of real_files whose 'none' maps give the 'none' rate (lots_first100.jsonl).
  std::string none_file;
  int synthetic_per_class = 300;    // generated maps of each of the 9 patterns, of which
  double sample_generator_share = 0.25;  // this share from the sample generator (WaferSynth),
                                         // the rest from PatternSynth's wider variations
  double real_weight = 3.0;         // weight of a real map's copy against a generated map
  int folds = 5;                    // cross-validation folds by lot; 0 = no evaluation
  // Learning curve: each fold trains on this share of the other folds' lots (a seeded
  // draw); every real map is still tested once. 1 = all (the normal evaluation).
  double real_fraction = 1.0;
  PatternTrainingOptions forest;    // forest.seed is replaced by `seed`
  PatternSynthOptions synth;        // PatternSynth's drawing ranges (defaults: the shipped recipe)
  // Real maps' weights by class: real_weight x (maps of the class)^-real_class_balance,
  // scaled so that the real maps' mean weight stays real_weight. 0 = every real map alike;
  // > 0 favours the rare classes, < 0 the common ones.
  double real_class_balance = 0.0;
  // Evaluation only (the model file stays the forest): with use_companion, each fold also
  // trains this second model on the same rows and classifies by the argmax of
  // (1 - companion_weight) x forest vote fractions + companion_weight x its probabilities.
  bool use_companion = false;
  PatternCompanionOptions companion;  // companion.seed is replaced by `seed`
  double companion_weight = 0.5;
  std::ostream* report = nullptr;   // progress and the evaluation (Markdown); null = silent
};

// Per-class and overall figures on real maps; "defect" metrics are over the maps
// whose label is one of the eight defect classes.
struct PatternEvaluation {
  static constexpr std::size_t kClasses = 9;
  std::array<std::array<int, kClasses>, kClasses> confusion{};  // [truth][predicted], every real map
  std::array<double, kClasses> precision{}, recall{}, f1{};
  std::array<int, kClasses> support{};
  int defect_maps = 0;
  double accuracy = 0, balanced_accuracy = 0, macro_f1 = 0;
  // 'none' maps of none_file recognised as none: by the cross-validation (their lot held
  // out, other lots of the file in training), and by a model trained without that file.
  int none_maps = 0, none_hits_cv = 0, none_hits_without_file = 0;
  std::vector<std::string> misses;  // "lot/wafer: truth -> predicted (confidence)"
  // With a companion: the forest alone and the companion alone on the same folds.
  double forest_accuracy = 0, forest_macro_f1 = 0, companion_accuracy = 0, companion_macro_f1 = 0;
};

// The cross-validation alone (no model file). Throws std::runtime_error for unreadable
// data, std::invalid_argument for bad options.
PatternEvaluation evaluate_patterns(const TrainPatternsOptions& options);
std::string format_evaluation(const PatternEvaluation& evaluation);

// Evaluates (when folds > 0, printed to options.report), then trains on every map and
// writes options.output (when set). Returns 0; throws as evaluate_patterns does, and
// std::runtime_error naming the path when the model cannot be written.
int train_patterns(const TrainPatternsOptions& options);

}  // namespace yf
