#pragma once
// PatternModel's insides, shared by PatternModel.cpp and PatternTraining.cpp only
// (keeps OpenCV out of the public headers).
#include <opencv2/ml.hpp>

#include "stages/PatternModel.hpp"

namespace yf {

struct PatternModel::Impl {
  cv::Ptr<cv::ml::RTrees> forest;
};

}  // namespace yf
