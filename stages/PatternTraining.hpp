#pragma once
// Training the pattern classifier (a random forest over pattern_features()) from
// labelled maps. The data set (real and generated maps) and its evaluation live in
// samples/TrainPatterns; this is only the learning step, with no files but the model.
#include <cstdint>
#include <memory>
#include <string>
#include <vector>

#include "stages/PatternModel.hpp"

namespace yf {

struct PatternTrainingOptions {
  std::uint64_t seed = 1;   // the forest's bootstrap samples and feature draws
  int trees = 100;
  int max_depth = 20;
  int min_sample_count = 2;
  int active_vars = 0;      // features tried per split; 0 = sqrt(feature count)
};

struct LabelledMap {
  FailMap map;
  int class_id = 0;         // index into pattern_classes()
  float weight = 1.0f;      // relative weight of the sample in the forest's splits
};

// Rows of `features` are pattern_features() vectors. Same rows in the same order with
// the same options -> the same forest (OpenCV draws from cv::theRNG(), which is seeded
// here and restored afterwards). Throws std::invalid_argument for empty or ragged input
// or a class id outside pattern_classes().
std::shared_ptr<const PatternModel> train_pattern_model(const std::vector<std::vector<float>>& features,
                                                        const std::vector<int>& class_ids,
                                                        const std::vector<float>& weights,
                                                        const PatternTrainingOptions& options);
std::shared_ptr<const PatternModel> train_pattern_model(const std::vector<LabelledMap>& maps,
                                                        const PatternTrainingOptions& options);

// PatternModel::save, under the name the issue uses.
void save_pattern_model(const PatternModel& model, const std::string& path, const PatternModelInfo& info = {});

// The k-th of the 8 rotations and reflections of a map (k = 0 is the map itself):
// patterns do not depend on the wafer's orientation, so these are fair training copies.
FailMap dihedral(const FailMap& map, int k);

}  // namespace yf
