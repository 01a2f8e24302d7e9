#include "stages/PatternModel.hpp"

#include <algorithm>
#include <array>
#include <cmath>
#include <cstring>
#include <filesystem>
#include <stdexcept>

#include <opencv2/core.hpp>
#include <opencv2/ml.hpp>

#include "stages/PatternModelImpl.hpp"

namespace yf {
namespace {

constexpr const char* kFormat = "yieldflow-pattern-model";
constexpr int kVersion = 1;

std::string join(const std::vector<std::string>& v) {
  std::string s;
  for (const auto& x : v) s += (s.empty() ? "" : ", ") + x;
  return s;
}

std::vector<std::string> read_strings(const cv::FileNode& node) {
  std::vector<std::string> v;
  if (!node.isSeq()) return v;
  for (const auto& item : node) v.push_back(item.isString() ? item.string() : std::string("?"));
  return v;
}

// OpenCV's votes (counts per class id) for one feature row.
std::vector<int> opencv_votes(const cv::ml::RTrees& forest, const cv::Mat& row) {
  cv::Mat v;
  forest.getVotes(row, v, 0);
  std::vector<int> out(pattern_classes().size(), 0);
  for (int j = 0; j < v.cols; ++j) {
    const int label = v.at<int>(0, j);
    if (label >= 0 && static_cast<std::size_t>(label) < out.size()) out[static_cast<std::size_t>(label)] = v.at<int>(1, j);
  }
  return out;
}

}  // namespace

void PatternModel::Impl::prepare() {
  flat.reset();
  const auto& nodes = forest->getNodes();
  const auto& splits = forest->getSplits();
  const int n = forest->getVarCount();
  const int classes = static_cast<int>(pattern_classes().size());
  // Class label of each normalised class index: the first row of getVotes lists them.
  cv::Mat labels;
  forest->getVotes(cv::Mat::zeros(1, n, CV_32F), labels, 0);
  std::vector<PatternForest::InputNode> in(nodes.size());
  for (std::size_t i = 0; i < nodes.size(); ++i) {
    const auto& nd = nodes[i];
    PatternForest::InputNode& o = in[i];
    if (nd.split < 0) {
      if (nd.classIdx < 0 || nd.classIdx >= labels.cols) return;
      o.label = labels.at<int>(0, nd.classIdx);
      continue;
    }
    if (nd.split >= static_cast<int>(splits.size())) return;
    const auto& sp = splits[static_cast<std::size_t>(nd.split)];
    if (sp.varIdx < 0 || sp.varIdx >= n) return;  // (a negative one would read as a leaf)
    o.var = sp.varIdx, o.threshold = sp.c, o.left = nd.left, o.right = nd.right;
  }
  auto built = PatternForest::build(in, forest->getRoots(), n, classes);
  if (!built) return;
  // Check the walk against OpenCV on rows whose features take the forest's own
  // thresholds (so splits go both ways, ties included) or values just around them.
  std::vector<std::vector<float>> cuts(static_cast<std::size_t>(n));
  for (const auto& o : in)
    if (o.var >= 0) cuts[static_cast<std::size_t>(o.var)].push_back(o.threshold);
  cv::RNG rng(0x5EED);
  cv::Mat row(1, n, CV_32F);
  std::vector<int> got(static_cast<std::size_t>(classes));
  for (int probe = 0; probe < 256; ++probe) {
    for (int j = 0; j < n; ++j) {
      const auto& c = cuts[static_cast<std::size_t>(j)];
      const float t = c.empty() ? 0.0f : c[static_cast<std::size_t>(rng.uniform(0, static_cast<int>(c.size())))];
      row.at<float>(j) = probe % 3 == 0 ? t : (probe % 3 == 1 ? std::nextafter(t, 1e30f) : rng.uniform(0.0f, 1.0f));
    }
    std::fill(got.begin(), got.end(), 0);
    built->vote(row.ptr<float>(), got.data());
    if (got != opencv_votes(*forest, row)) return;
  }
  flat = std::move(built);
}

void PatternModel::Impl::flat_votes(const float* x, int* counts) const {
  std::fill(counts, counts + pattern_classes().size(), 0);
  flat->vote(x, counts);
}

PatternModel::PatternModel(std::shared_ptr<Impl> impl) {
  if (!impl || !impl->forest || !impl->forest->isTrained())
    throw std::invalid_argument("PatternModel: no trained forest");
  impl->prepare();
  impl_ = std::move(impl);
  no_fail_verdict_ = classify_features(std::vector<float>(pattern_feature_names().size(), 0.0f));
}

bool PatternModel::fast_path() const { return impl_->flat.has_value(); }

int PatternModel::trees() const { return static_cast<int>(impl_->forest->getRoots().size()); }

namespace {

std::vector<double> fractions(const std::vector<int>& counts) {
  std::vector<double> out(counts.begin(), counts.end());
  double total = 0;
  for (double c : out) total += c;
  if (total > 0)
    for (double& x : out) x /= total;
  return out;
}

void check_length(const std::vector<float>& features) {
  if (features.size() != pattern_feature_names().size())
    throw std::invalid_argument("pattern classifier: " + std::to_string(features.size()) + " features, the model takes " +
                                std::to_string(pattern_feature_names().size()));
}

}  // namespace

std::vector<double> PatternModel::reference_votes(const std::vector<float>& features) const {
  check_length(features);
  // A header over the caller's data: no copy.
  const cv::Mat row(1, static_cast<int>(features.size()), CV_32F, const_cast<float*>(features.data()));
  return fractions(opencv_votes(*impl_->forest, row));
}

std::vector<double> PatternModel::votes(const std::vector<float>& features) const {
  if (!impl_->flat) return reference_votes(features);
  check_length(features);
  std::vector<int> counts(pattern_classes().size());
  impl_->flat_votes(features.data(), counts.data());
  return fractions(counts);
}

namespace {

// The top class (the first of equals) and its share of the votes: what fractions()
// gives, from the counts.
PatternVerdict verdict_of(const int* counts, std::size_t classes) {
  PatternVerdict verdict;
  int total = 0;
  for (std::size_t c = 0; c < classes; ++c) {
    total += counts[c];
    if (counts[c] > counts[verdict.class_id]) verdict.class_id = static_cast<int>(c);
  }
  verdict.confidence = total > 0 ? static_cast<double>(counts[verdict.class_id]) / total : 0.0;
  return verdict;
}

}  // namespace

PatternVerdict PatternModel::classify_features(const std::vector<float>& features) const {
  check_length(features);
  return vote(features.data());
}

PatternVerdict PatternModel::vote(const float* features) const {
  std::array<int, 16> counts{};  // per class: no allocation on the pipeline's path
  if (impl_->flat && pattern_classes().size() <= counts.size()) {
    impl_->flat_votes(features, counts.data());
    return verdict_of(counts.data(), pattern_classes().size());
  }
  const std::vector<double> v = votes(std::vector<float>(features, features + pattern_feature_names().size()));
  PatternVerdict verdict;
  for (std::size_t c = 0; c < v.size(); ++c)
    if (v[c] > v[static_cast<std::size_t>(verdict.class_id)]) verdict.class_id = static_cast<int>(c);
  verdict.confidence = v[static_cast<std::size_t>(verdict.class_id)];
  return verdict;
}

PatternVerdict PatternModel::classify(const FailMap& map) const {
  thread_local PatternWorkspace workspace;
  return classify(map, workspace);
}

PatternVerdict PatternModel::classify(const FailMap& map, PatternWorkspace& workspace) const {
  // A map without a fail has every feature 0 (pattern_features' contract): its verdict
  // is the model's own constant, worked out once. Most inspection kill maps are such.
  // (memchr: the cells are bytes, DieState::fail is 1.)
  static_assert(sizeof(DieState) == 1);
  if (map.cells.empty() || std::memchr(map.cells.data(), static_cast<int>(DieState::fail), map.cells.size()) == nullptr) {
    if (map.rows < 0 || map.cols < 0 ||
        map.cells.size() != static_cast<std::size_t>(map.rows) * static_cast<std::size_t>(map.cols))
      return classify_features(pattern_features(map));  // which throws the size error
    return no_fail_verdict_;
  }
  if (impl_->flat) impl_->flat->prefetch_roots();  // they arrive while the features are worked out
  std::array<float, 256> features;
  const std::size_t n = pattern_feature_names().size();
  if (n > features.size()) return classify_features(pattern_features(map));
  pattern_features(map, workspace, features.data());
  return vote(features.data());
}

void PatternModel::save(const std::string& path, const PatternModelInfo& info) const {
  try {
    cv::FileStorage fs(path, cv::FileStorage::WRITE);
    if (!fs.isOpened()) throw std::runtime_error("cannot open for writing");
    fs << "format" << kFormat << "version" << kVersion << "classifier" << "rtrees";
    fs << "feature_count" << static_cast<int>(pattern_feature_names().size());
    fs << "feature_names" << pattern_feature_names();
    fs << "classes" << pattern_classes();
    fs << "training" << "{" << "seed" << std::to_string(info.seed) << "real_maps" << info.real_maps
       << "synthetic_maps" << info.synthetic_maps << "note" << info.note << "}";
    fs << "forest" << "{";
    impl_->forest->write(fs);
    fs << "}";
    fs.release();
  } catch (const cv::Exception& e) {
    throw std::runtime_error("pattern model " + path + ": " + e.what());
  } catch (const std::runtime_error& e) {
    throw std::runtime_error("pattern model " + path + ": " + e.what());
  }
}

std::shared_ptr<const PatternModel> PatternModel::load(const std::string& path) {
  const std::string where = "pattern model " + path + ": ";
  try {
    // Checked first: OpenCV would also log its own error line for a missing file.
    std::error_code ec;
    if (!std::filesystem::is_regular_file(path, ec)) throw std::runtime_error(where + "cannot open: no such file");
    cv::FileStorage fs(path, cv::FileStorage::READ);
    if (!fs.isOpened()) throw std::runtime_error(where + "cannot open (not a YAML, XML or JSON file)");
    if (fs["format"].empty() || fs["format"].string() != kFormat)
      throw std::runtime_error(where + "not a yieldflow pattern model (no format: " + kFormat + ")");
    const int version = static_cast<int>(fs["version"]);
    if (version != kVersion)
      throw std::runtime_error(where + "format version " + std::to_string(version) + ", this build reads " +
                               std::to_string(kVersion));
    const auto names = read_strings(fs["feature_names"]);
    const int count = static_cast<int>(fs["feature_count"]);
    if (count != static_cast<int>(pattern_feature_names().size()) || names != pattern_feature_names())
      throw std::runtime_error(where + "trained on " + std::to_string(count) + " features (" + join(names) +
                               "), this build computes " + std::to_string(pattern_feature_names().size()) + " (" +
                               join(pattern_feature_names()) + "): retrain it (yieldflow train-patterns)");
    const auto classes = read_strings(fs["classes"]);
    if (classes != pattern_classes())
      throw std::runtime_error(where + "classes (" + join(classes) + ") differ from this build's (" +
                               join(pattern_classes()) + "): retrain it");
    if (fs["forest"].empty() || !fs["forest"].isMap()) throw std::runtime_error(where + "no forest");
    auto impl = std::make_shared<Impl>();
    impl->forest = cv::ml::RTrees::create();
    impl->forest->read(fs["forest"]);
    if (!impl->forest->isTrained() || !impl->forest->isClassifier() ||
        impl->forest->getVarCount() != count)
      throw std::runtime_error(where + "the forest is empty, not a classifier, or takes " +
                               std::to_string(impl->forest->getVarCount()) + " features");
    return std::make_shared<const PatternModel>(std::move(impl));
  } catch (const cv::Exception& e) {
    throw std::runtime_error(where + "corrupt: " + e.what());
  }
}

}  // namespace yf
