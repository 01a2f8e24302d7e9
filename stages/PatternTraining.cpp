#include "stages/PatternTraining.hpp"

#include <cmath>
#include <stdexcept>
#include <string>

#include <opencv2/core.hpp>
#include <opencv2/ml.hpp>

#include "stages/PatternModelImpl.hpp"

namespace yf {

PatternForest flatten_rtrees(const cv::ml::RTrees& forest) {
  const auto& nodes = forest.getNodes();
  const auto& splits = forest.getSplits();
  const int n = forest.getVarCount();
  auto refuse = [](const std::string& why) {
    return std::runtime_error("the forest does not fit the flat layout the model file stores: " + why);
  };
  // Class label of each normalised class index: the first row of getVotes lists them.
  cv::Mat labels;
  forest.getVotes(cv::Mat::zeros(1, n, CV_32F), labels, 0);
  std::vector<PatternForest::InputNode> in(nodes.size());
  for (std::size_t i = 0; i < nodes.size(); ++i) {
    const auto& nd = nodes[i];
    PatternForest::InputNode& o = in[i];
    if (nd.split < 0) {
      if (nd.classIdx < 0 || nd.classIdx >= labels.cols) throw refuse("leaf " + std::to_string(i) + " has no class");
      o.label = labels.at<int>(0, nd.classIdx);
      continue;
    }
    if (nd.split >= static_cast<int>(splits.size())) throw refuse("node " + std::to_string(i) + " has no split");
    const auto& sp = splits[static_cast<std::size_t>(nd.split)];
    if (sp.varIdx < 0 || sp.varIdx >= n)  // (a negative one would read as a leaf)
      throw refuse("node " + std::to_string(i) + " splits on feature " + std::to_string(sp.varIdx));
    // OpenCV goes left when x <= c, or when not if the split is `inversed`. (Every
    // feature is ordered: no categorical split, whose subset the walk could not hold;
    // check_flat_votes would catch one.)
    o.var = sp.varIdx, o.threshold = sp.c;
    o.left = sp.inversed ? nd.right : nd.left;
    o.right = sp.inversed ? nd.left : nd.right;
  }
  auto flat = PatternForest::build(in, forest.getRoots(), n, static_cast<int>(pattern_classes().size()));
  if (!flat)
    throw refuse(std::to_string(nodes.size()) + " nodes (at most 2^24), trees at most " +
                 std::to_string(PatternForest::kMaxDepth) + " deep, " + std::to_string(n) +
                 " features (at most 256, at least the classes)");
  return std::move(*flat);
}

void check_flat_votes(const cv::ml::RTrees& forest, const PatternForest& flat, const cv::Mat& rows) {
  const int n = forest.getVarCount();
  if (rows.type() != CV_32F || (rows.rows > 0 && rows.cols != n))
    throw std::invalid_argument("check_flat_votes: rows of " + std::to_string(n) + " floats expected");
  const std::size_t classes = pattern_classes().size();
  std::vector<int> got(classes), want(classes);
  cv::Mat v;
  auto same = [&](const cv::Mat& row) {
    std::fill(got.begin(), got.end(), 0);
    flat.vote(row.ptr<float>(), got.data());
    forest.getVotes(row, v, 0);
    std::fill(want.begin(), want.end(), 0);  // (OpenCV lists only the classes trained on)
    for (int j = 0; j < v.cols; ++j) {
      const int label = v.at<int>(0, j);
      if (label >= 0 && static_cast<std::size_t>(label) < classes) want[static_cast<std::size_t>(label)] = v.at<int>(1, j);
    }
    return got == want;
  };
  auto refuse = [&](const std::string& row) {
    std::string g, w;
    for (std::size_t c = 0; c < classes; ++c)
      g += (c ? " " : "") + std::to_string(got[c]), w += (c ? " " : "") + std::to_string(want[c]);
    return std::runtime_error("the flat forest votes differently from OpenCV's on " + row + " (flat: " + g +
                              ", OpenCV: " + w + "): the model would not vote as trained");
  };
  for (int r = 0; r < rows.rows; ++r)
    if (!same(rows.row(r))) throw refuse("training row " + std::to_string(r));
  // Probe rows whose features take the forest's own thresholds (so splits go both ways,
  // ties included), the float just above them, or random values.
  std::vector<std::vector<float>> cuts(static_cast<std::size_t>(n));
  for (const auto& nd : forest.getNodes())
    if (nd.split >= 0) {
      const auto& sp = forest.getSplits()[static_cast<std::size_t>(nd.split)];
      if (sp.varIdx >= 0 && sp.varIdx < n) cuts[static_cast<std::size_t>(sp.varIdx)].push_back(sp.c);
    }
  cv::RNG rng(0x5EED);
  cv::Mat row(1, n, CV_32F);
  for (int probe = 0; probe < 256; ++probe) {
    for (int j = 0; j < n; ++j) {
      const auto& c = cuts[static_cast<std::size_t>(j)];
      const float t = c.empty() ? 0.0f : c[static_cast<std::size_t>(rng.uniform(0, static_cast<int>(c.size())))];
      row.at<float>(j) = probe % 3 == 0 ? t : (probe % 3 == 1 ? std::nextafter(t, 1e30f) : rng.uniform(0.0f, 1.0f));
    }
    if (!same(row)) throw refuse("probe row " + std::to_string(probe));
  }
}

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
  impl->reference = cv::ml::RTrees::create();
  cv::ml::RTrees& forest = *impl->reference;
  forest.setMaxDepth(o.max_depth);
  forest.setMinSampleCount(o.min_sample_count);
  forest.setActiveVarCount(o.active_vars);
  forest.setMaxCategories(16);
  forest.setTermCriteria(cv::TermCriteria(cv::TermCriteria::COUNT, o.trees, 0));
  // RTrees draws its bootstraps and split candidates from this thread's cv::theRNG().
  cv::RNG& rng = cv::theRNG();
  const std::uint64_t saved = rng.state;
  rng.state = o.seed == 0 ? 0x9E3779B97F4A7C15ull : o.seed;  // an RNG state of 0 is replaced by OpenCV
  const bool ok = forest.train(data);
  rng.state = saved;
  if (!ok || !forest.isTrained() || !forest.isClassifier())
    throw std::runtime_error("train_pattern_model: OpenCV could not train the forest");
  // The model votes (and the file stores) the flat copy: it must vote as OpenCV's
  // trees on everything trained on, or training fails rather than writing a model
  // that votes differently.
  try {
    impl->forest = flatten_rtrees(forest);
    check_flat_votes(forest, impl->forest, samples);
  } catch (const std::runtime_error& e) {
    throw std::runtime_error(std::string("train_pattern_model: ") + e.what());
  }
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
