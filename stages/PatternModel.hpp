#pragma once
// The trained pattern classifier: a random forest (OpenCV ml RTrees) over
// pattern_features(), its model file, and the checks made when loading one.
// OpenCV stays out of this header. docs/patterns.md says why a random forest.
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
  struct Impl;  // the forest (cv::Ptr<cv::ml::RTrees>), in PatternModelImpl.hpp
  explicit PatternModel(std::shared_ptr<Impl> impl);

  // Thread-safe: nothing is modified after construction. The vote walks a flat copy
  // of the trees; the fallback, RTrees::getVotes, is const and keeps its working data
  // in locals (OpenCV 4.6 rtrees.cpp getVotes, tree.cpp predictTrees).
  PatternVerdict classify(const FailMap& map) const override;  // with a workspace of the thread's own
  PatternVerdict classify(const FailMap& map, PatternWorkspace& workspace) const override;
  // The same from a feature vector (pattern_features() of a map); throws
  // std::invalid_argument when its length is not the model's.
  PatternVerdict classify_features(const std::vector<float>& features) const;
  // Vote fraction of every class of pattern_classes() (sums to 1).
  std::vector<double> votes(const std::vector<float>& features) const;
  int trees() const;
  // True when votes come from the flat copy of the forest (checked against OpenCV's
  // own votes when the model was built or loaded), false when OpenCV votes.
  bool fast_path() const;
  // OpenCV's own vote (RTrees::getVotes), what the fast path must reproduce.
  std::vector<double> reference_votes(const std::vector<float>& features) const;

  // Writes the model with cv::FileStorage (".yml", or ".yml.gz" compressed): format,
  // version, feature names, class list, `info`, then the forest. Throws
  // std::runtime_error naming the path when it cannot be written.
  void save(const std::string& path, const PatternModelInfo& info) const;
  // Reads and checks a file written by save(); the error names the path and what
  // differs (not a pattern model, other features, other classes, corrupt forest).
  static std::shared_ptr<const PatternModel> load(const std::string& path);

  const Impl& impl() const { return *impl_; }

 private:
  PatternVerdict vote(const float* features) const;  // features of the model's length

  std::shared_ptr<const Impl> impl_;
  PatternVerdict no_fail_verdict_;  // the verdict of a map without a fail (all features 0)
};

}  // namespace yf
