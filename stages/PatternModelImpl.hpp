#pragma once
// PatternModel's insides, shared by PatternModel.cpp and PatternTraining.cpp only
// (keeps OpenCV out of the public headers).
#include <opencv2/ml.hpp>

#include <optional>

#include "stages/PatternForest.hpp"
#include "stages/PatternModel.hpp"

namespace yf {

struct PatternModel::Impl {
  cv::Ptr<cv::ml::RTrees> forest;

  // The same forest as plain arrays (PatternForest: compact nodes walked in lockstep);
  // RTrees::getVotes pays a Mat, a vector and a predictTrees() call per tree (~0.2 us
  // each). Built by prepare(), which checks it against getVotes and leaves it empty
  // (OpenCV then votes) if they ever disagree.
  std::optional<PatternForest> flat;

  void prepare();
  // Votes per class id (pattern_classes() order) of the flat forest.
  void flat_votes(const float* features, int* counts) const;
};

}  // namespace yf
