#pragma once
// A second classifier over the same pattern_features() as the forest, for measuring
// whether an ensemble (the forest's vote fractions averaged with this model's class
// probabilities) beats the forest alone. Evaluation only: nothing is saved, the
// model file is the forest's (docs/patterns.md, "Recipe experiments (branch patterns9)").
// OpenCV stays out of this header.
#include <cstdint>
#include <memory>
#include <string>
#include <vector>

namespace yf {

struct PatternCompanionOptions {
  enum class Kind { mlp, knn };
  Kind kind = Kind::mlp;
  std::uint64_t seed = 1;   // the MLP's initial weights (cv::theRNG(), restored afterwards)
  int hidden = 48;          // MLP: one hidden layer of this many units (symmetric sigmoid)
  int iterations = 300;     // MLP: RPROP epochs
  double sharpness = 2.0;   // MLP: outputs o -> softmax(sharpness * o)
  int k = 7;                // kNN: neighbours (z-scored Euclidean distance)
};

class PatternCompanion {
 public:
  virtual ~PatternCompanion() = default;
  // One probability per class of pattern_classes(), summing to 1.
  virtual std::vector<double> probabilities(const std::vector<float>& features) const = 0;
};

// Rows of `features` are pattern_features() vectors; the features are z-scored with the
// rows' own means and deviations. The MLP takes `weights` as sample weights; kNN ignores
// them. Throws std::invalid_argument for empty or ragged input.
std::shared_ptr<const PatternCompanion> train_pattern_companion(const std::vector<std::vector<float>>& features,
                                                                const std::vector<int>& class_ids,
                                                                const std::vector<float>& weights,
                                                                const PatternCompanionOptions& options);

// "mlp" or "knn" -> the kind; throws std::invalid_argument otherwise.
PatternCompanionOptions::Kind pattern_companion_kind(const std::string& name);

}  // namespace yf
