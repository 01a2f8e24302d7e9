#include "stages/PatternModel.hpp"

#include <algorithm>
#include <array>
#include <bit>
#include <cstring>
#include <filesystem>
#include <stdexcept>

#include <opencv2/core.hpp>
#include <opencv2/ml.hpp>

#include "core/Base64.hpp"
#include "stages/PatternModelImpl.hpp"

namespace yf {
namespace {

constexpr const char* kFormat = "yieldflow-pattern-model";
constexpr int kVersion = 2;  // 1: OpenCV's RTrees node (~70 ms to parse); 2: the flat forest
constexpr std::size_t kLine = 1024;  // base64 characters a line of the forest's arrays (768 bytes)

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

// 32-bit words as little-endian bytes in base64 lines, and back (the model file's
// arrays, whatever the host's byte order).
template <class Word>
void write_words(cv::FileStorage& fs, const char* name, const std::vector<Word>& words) {
  static_assert(sizeof(Word) == 4);
  std::vector<std::uint8_t> bytes;
  bytes.reserve(words.size() * 4);
  for (const Word w : words) {
    const auto u = std::bit_cast<std::uint32_t>(w);
    for (int k = 0; k < 4; ++k) bytes.push_back(static_cast<std::uint8_t>(u >> (8 * k)));
  }
  const std::string text = base64::encode(bytes.data(), bytes.size());
  fs << name << "[";
  for (std::size_t i = 0; i < text.size(); i += kLine) fs << text.substr(i, kLine);
  fs << "]";
}

template <class Word>
std::vector<Word> read_words(const cv::FileNode& node, const std::string& field, std::size_t count,
                             const std::string& where) {
  if (!node.isSeq()) throw std::runtime_error(where + field + ": missing or not a list of base64 lines");
  std::vector<std::uint8_t> bytes;
  bytes.reserve(count * 4);
  int line = 0;
  for (const auto& item : node) {
    if (!item.isString() || !base64::decode(item.string(), bytes))
      throw std::runtime_error(where + field + "[" + std::to_string(line) + "]: not a line of base64");
    ++line;
  }
  if (bytes.size() != count * 4)
    throw std::runtime_error(where + field + ": " + std::to_string(bytes.size()) + " bytes, " + std::to_string(count) +
                             " nodes x 4 expected (truncated?)");
  std::vector<Word> words(count);
  for (std::size_t i = 0; i < count; ++i) {
    std::uint32_t u = 0;
    for (int k = 0; k < 4; ++k) u |= static_cast<std::uint32_t>(bytes[4 * i + static_cast<std::size_t>(k)]) << (8 * k);
    words[i] = std::bit_cast<Word>(u);
  }
  return words;
}

int read_count(const cv::FileNode& node, const std::string& field, const std::string& where) {
  if (!node.isInt() || static_cast<int>(node) <= 0)
    throw std::runtime_error(where + field + ": missing or not a positive integer");
  return static_cast<int>(node);
}

}  // namespace

PatternModel::PatternModel(std::shared_ptr<Impl> impl) {
  if (!impl || impl->forest.trees() == 0) throw std::invalid_argument("PatternModel: no trees");
  impl_ = std::move(impl);
  no_fail_verdict_ = classify_features(std::vector<float>(pattern_feature_names().size(), 0.0f));
}

int PatternModel::trees() const { return impl_->forest.trees(); }

bool PatternModel::has_reference() const { return !impl_->reference.empty(); }

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
  if (!has_reference())
    throw std::logic_error("pattern model: no OpenCV forest (only a model trained in this process keeps one)");
  check_length(features);
  // A header over the caller's data: no copy.
  const cv::Mat row(1, static_cast<int>(features.size()), CV_32F, const_cast<float*>(features.data()));
  cv::Mat v;
  impl_->reference->getVotes(row, v, 0);
  std::vector<int> counts(pattern_classes().size(), 0);
  for (int j = 0; j < v.cols; ++j) {
    const int label = v.at<int>(0, j);
    if (label >= 0 && static_cast<std::size_t>(label) < counts.size()) counts[static_cast<std::size_t>(label)] = v.at<int>(1, j);
  }
  return fractions(counts);
}

std::vector<double> PatternModel::votes(const std::vector<float>& features) const {
  check_length(features);
  std::vector<int> counts(pattern_classes().size());
  impl_->forest.vote(features.data(), counts.data());
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
  static_assert(std::tuple_size_v<decltype(counts)> >= 9, "room for pattern_classes()");
  impl_->forest.vote(features, counts.data());
  return verdict_of(counts.data(), pattern_classes().size());
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
  impl_->forest.prefetch_roots();  // they arrive while the features are worked out
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
    fs << "format" << kFormat << "version" << kVersion << "classifier" << "random-forest";
    fs << "feature_count" << static_cast<int>(pattern_feature_names().size());
    fs << "feature_names" << pattern_feature_names();
    fs << "classes" << pattern_classes();
    fs << "training" << "{" << "seed" << std::to_string(info.seed) << "real_maps" << info.real_maps
       << "synthetic_maps" << info.synthetic_maps << "note" << info.note << "}";
    const PatternForest::Arrays a = impl_->forest.arrays();
    fs << "forest" << "{";
    fs.writeComment(
        "The trees as the vote walks them (stages/PatternForest.hpp, docs/patterns.md \"Model file\").\n"
        "Node i: thresholds[i] (float32; NaN for a leaf) and links[i] (uint32: low 8 bits the feature\n"
        "compared, or a leaf's class; upper 24 bits the right child, or the leaf itself). A row goes to\n"
        "node i + 1 when x[feature] <= threshold. Tree t: nodes roots[t] to the next root, depth first.\n"
        "Arrays: little-endian words in base64 lines.");
    fs << "trees" << static_cast<int>(a.roots.size()) << "nodes" << static_cast<int>(a.links.size());
    fs << "roots" << "[:";
    for (const std::uint32_t r : a.roots) fs << static_cast<int>(r);
    fs << "]";
    write_words(fs, "thresholds", a.thresholds);
    write_words(fs, "links", a.links);
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
                               std::to_string(kVersion) + ": retrain it (yieldflow train-patterns)");
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
    const cv::FileNode forest = fs["forest"];
    if (!forest.isMap()) throw std::runtime_error(where + "no forest");
    const int trees = read_count(forest["trees"], "forest.trees", where);
    const int nodes = read_count(forest["nodes"], "forest.nodes", where);
    if (nodes >= (1 << 24))
      throw std::runtime_error(where + "forest.nodes: " + std::to_string(nodes) + ", the walk takes at most 16777215");
    PatternForest::Arrays a;
    const cv::FileNode roots = forest["roots"];
    if (!roots.isSeq() || static_cast<int>(roots.size()) != trees)
      throw std::runtime_error(where + "forest.roots: not a list of forest.trees (" + std::to_string(trees) + ") node indices");
    for (const auto& r : roots) {
      if (!r.isInt() || static_cast<int>(r) < 0)
        throw std::runtime_error(where + "forest.roots[" + std::to_string(a.roots.size()) + "]: not a node index");
      a.roots.push_back(static_cast<std::uint32_t>(static_cast<int>(r)));
    }
    a.thresholds = read_words<float>(forest["thresholds"], "forest.thresholds", static_cast<std::size_t>(nodes), where);
    a.links = read_words<std::uint32_t>(forest["links"], "forest.links", static_cast<std::size_t>(nodes), where);
    auto impl = std::make_shared<Impl>();
    try {
      impl->forest = PatternForest::from_arrays(std::move(a), count, static_cast<int>(classes.size()));
    } catch (const std::invalid_argument& e) {
      throw std::runtime_error(where + "corrupt forest: forest." + e.what());
    }
    return std::make_shared<const PatternModel>(std::move(impl));
  } catch (const cv::Exception& e) {
    throw std::runtime_error(where + "corrupt: " + e.what());
  }
}

}  // namespace yf
