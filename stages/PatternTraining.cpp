#include "stages/PatternTraining.hpp"

#include <stdexcept>

#include <opencv2/core.hpp>
#include <opencv2/ml.hpp>

#include "stages/PatternModelImpl.hpp"

namespace yf {

std::shared_ptr<const PatternModel> train_pattern_model(const std::vector<std::vector<float>>& features,
                                                        const std::vector<int>& class_ids,
                                                        const std::vector<float>& weights,
                                                        const PatternTrainingOptions& o) {
  const std::size_t n = features.size(), dim = pattern_feature_names().size();
  if (n == 0) throw std::invalid_argument("train_pattern_model: no samples");
  if (class_ids.size() != n || (!weights.empty() && weights.size() != n))
    throw std::invalid_argument("train_pattern_model: " + std::to_string(n) + " samples, " +
                                std::to_string(class_ids.size()) + " labels, " + std::to_string(weights.size()) + " weights");
  if (o.trees <= 0 || o.max_depth <= 0 || o.min_sample_count <= 0 || o.active_vars < 0)
    throw std::invalid_argument("train_pattern_model: trees, max_depth and min_sample_count must be > 0");
  cv::Mat samples(static_cast<int>(n), static_cast<int>(dim), CV_32F);
  cv::Mat responses(static_cast<int>(n), 1, CV_32S);
  cv::Mat w(static_cast<int>(n), 1, CV_32F, cv::Scalar(1.0f));
  for (std::size_t i = 0; i < n; ++i) {
    if (features[i].size() != dim)
      throw std::invalid_argument("train_pattern_model: sample " + std::to_string(i) + " has " +
                                  std::to_string(features[i].size()) + " features, expected " + std::to_string(dim));
    if (class_ids[i] < 0 || static_cast<std::size_t>(class_ids[i]) >= pattern_classes().size())
      throw std::invalid_argument("train_pattern_model: class id " + std::to_string(class_ids[i]));
    std::copy(features[i].begin(), features[i].end(), samples.ptr<float>(static_cast<int>(i)));
    responses.at<int>(static_cast<int>(i)) = class_ids[i];
    if (!weights.empty()) w.at<float>(static_cast<int>(i)) = weights[i];
  }
  // Integer responses make the forest a classifier (every feature is ordered).
  auto data = cv::ml::TrainData::create(samples, cv::ml::ROW_SAMPLE, responses, cv::noArray(), cv::noArray(), w);
  auto impl = std::make_shared<PatternModel::Impl>();
  impl->forest = cv::ml::RTrees::create();
  impl->forest->setMaxDepth(o.max_depth);
  impl->forest->setMinSampleCount(o.min_sample_count);
  impl->forest->setActiveVarCount(o.active_vars);
  impl->forest->setMaxCategories(16);
  impl->forest->setTermCriteria(cv::TermCriteria(cv::TermCriteria::COUNT, o.trees, 0));
  // RTrees draws its bootstraps and split candidates from this thread's cv::theRNG().
  cv::RNG& rng = cv::theRNG();
  const std::uint64_t saved = rng.state;
  rng.state = o.seed == 0 ? 0x9E3779B97F4A7C15ull : o.seed;  // an RNG state of 0 is replaced by OpenCV
  const bool ok = impl->forest->train(data);
  rng.state = saved;
  if (!ok) throw std::runtime_error("train_pattern_model: OpenCV could not train the forest");
  return std::make_shared<const PatternModel>(std::move(impl));
}

std::shared_ptr<const PatternModel> train_pattern_model(const std::vector<LabelledMap>& maps,
                                                        const PatternTrainingOptions& options) {
  std::vector<std::vector<float>> features;
  std::vector<int> ids;
  std::vector<float> weights;
  for (const LabelledMap& m : maps) {
    features.push_back(pattern_features(m.map));
    ids.push_back(m.class_id);
    weights.push_back(m.weight);
  }
  return train_pattern_model(features, ids, weights, options);
}

void save_pattern_model(const PatternModel& model, const std::string& path, const PatternModelInfo& info) {
  model.save(path, info);
}

FailMap dihedral(const FailMap& map, int k) {
  if (k < 0 || k > 7) throw std::invalid_argument("dihedral: k = " + std::to_string(k) + ", expected 0..7");
  const bool swap = (k & 1) != 0, flip_c = (k & 2) != 0, flip_r = (k & 4) != 0;
  FailMap out;
  out.rows = swap ? map.cols : map.rows;
  out.cols = swap ? map.rows : map.cols;
  out.cells.resize(map.cells.size());
  for (int r = 0; r < out.rows; ++r)
    for (int c = 0; c < out.cols; ++c) {
      // Transpose (when swapping) then mirror: the 8 combinations are the dihedral group.
      int sc = swap ? r : c, sr = swap ? c : r;
      if (flip_c) sc = map.cols - 1 - sc;
      if (flip_r) sr = map.rows - 1 - sr;
      out.cells[static_cast<std::size_t>(r) * out.cols + c] = map.at(sc, sr);
    }
  return out;
}

}  // namespace yf
