#pragma once
// The trained pattern classifier: a random forest (trained with OpenCV ml RTrees,
// voted from its flat copy, PatternForest) over pattern_features(), its model file,
// and the checks made when loading one. OpenCV stays out of this header.
// docs/patterns.md says why a random forest.
#include <cstdint>
#include <memory>
#include <string>
#include <vector>

#include "stages/PatternClassifier.hpp"

namespace yf {

// What a model file records besides the forest (informative; not checked on load).
struct PatternModelInfo {
  std::uint64_t seed = 0;
  int real_maps = 0;       // distinct real maps trained on (before rotations and flips)
  int synthetic_maps = 0;
  std::string note;
};

class PatternModel final : public PatternClassifier {
 public:
  struct Impl;  // the flat forest, and OpenCV's when trained here: PatternModelImpl.hpp
  explicit PatternModel(std::shared_ptr<Impl> impl);

  // Thread-safe: nothing is modified after construction; the vote walks the flat
  // forest with locals only.
  PatternVerdict classify(const FailMap& map) const override;  // with a workspace of the thread's own
  PatternVerdict classify(const FailMap& map, PatternWorkspace& workspace) const override;
  // The same from a feature vector (pattern_features() of a map); throws
  // std::invalid_argument when its length is not the model's.
  PatternVerdict classify_features(const std::vector<float>& features) const;
  // Vote fraction of every class of pattern_classes() (sums to 1).
  std::vector<double> votes(const std::vector<float>& features) const;
  int trees() const;
  // OpenCV's own vote (RTrees::getVotes), which votes() reproduces (the trainer checks
  // it before a model is written). Only a model trained in this process has OpenCV's
  // forest: a loaded one throws std::logic_error.
  bool has_reference() const;
  std::vector<double> reference_votes(const std::vector<float>& features) const;

  // Writes the model with cv::FileStorage (".yml", or ".yml.gz" compressed), format
  // version 2: format, version, feature names, class list, `info`, then the flat
  // forest as base64 arrays (docs/patterns.md "Model file"). Throws
  // std::runtime_error naming the path when it cannot be written.
  void save(const std::string& path, const PatternModelInfo& info) const;
  // Reads and checks a file written by save(); the error names the path and what
  // differs (not a pattern model, another version, other features or classes) or
  // which field of the forest is corrupt (PatternForest::from_arrays' checks).
  static std::shared_ptr<const PatternModel> load(const std::string& path);

  const Impl& impl() const { return *impl_; }

 private:
  PatternVerdict vote(const float* features) const;  // features of the model's length

  std::shared_ptr<const Impl> impl_;
  PatternVerdict no_fail_verdict_;  // the verdict of a map without a fail (all features 0)
};

}  // namespace yf
