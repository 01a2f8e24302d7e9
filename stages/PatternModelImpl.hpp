#pragma once
// PatternModel's insides, shared by PatternModel.cpp and PatternTraining.cpp (and the
// white-box tests): keeps OpenCV out of the public headers.
#include <opencv2/ml.hpp>

#include "stages/PatternForest.hpp"
#include "stages/PatternModel.hpp"

namespace yf {

struct PatternModel::Impl {
  // What votes: the flat forest (PatternForest), built by the trainer from OpenCV's
  // trees and checked against them, or read from a model file.
  PatternForest forest;
  // OpenCV's own forest, kept only by a model trained in this process (empty when
  // loaded: the file holds the flat forest alone). reference_votes() asks it.
  cv::Ptr<cv::ml::RTrees> reference;
};

// The trainer's steps from OpenCV's trees to a model (PatternTraining.cpp).
// The flat copy of a trained RTrees; throws std::runtime_error when its trees do not
// fit PatternForest's layout (PatternForest::build's limits).
PatternForest flatten_rtrees(const cv::ml::RTrees& forest);
// Throws std::runtime_error naming the first row where `flat` and OpenCV's getVotes
// disagree: every row of `rows` (CV_32F, a sample a row: the training set), then 256
// probe rows whose features take the forest's own thresholds, the float just above
// them, or random values (so splits go both ways, ties included).
void check_flat_votes(const cv::ml::RTrees& forest, const PatternForest& flat, const cv::Mat& rows);

}  // namespace yf
