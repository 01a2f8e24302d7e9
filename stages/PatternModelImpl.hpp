#pragma once
// PatternModel's insides, shared by PatternModel.cpp and PatternTraining.cpp only
// (keeps OpenCV out of the public headers).
#include <opencv2/ml.hpp>

#include "stages/PatternModel.hpp"

namespace yf {

struct PatternModel::Impl {
  cv::Ptr<cv::ml::RTrees> forest;

  // The same forest as a flat array walked without OpenCV: RTrees::getVotes pays a Mat,
  // a vector and a predictTrees() call per tree (~0.2 us each, 40 us a wafer for 200
  // trees); the walk is a few nanoseconds a level. Built by prepare(), which checks it
  // against getVotes and leaves `flat` empty (OpenCV then votes) if they ever disagree.
  struct Node {
    int var = -1;          // feature index; -1 = leaf
    float threshold = 0;   // go left when feature <= threshold (OpenCV's ordered split)
    int left = -1, right = -1;
    int label = 0;         // leaf: the class voted for
  };
  std::vector<Node> flat;
  std::vector<int> roots;

  void prepare();
  std::vector<int> flat_votes(const float* features) const;
};

}  // namespace yf
