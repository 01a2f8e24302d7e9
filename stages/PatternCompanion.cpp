#include "stages/PatternCompanion.hpp"

#include <algorithm>
#include <cmath>
#include <stdexcept>

#include <opencv2/core.hpp>
#include <opencv2/ml.hpp>

#include "stages/PatternClassifier.hpp"

namespace yf {
namespace {

// Per-feature mean and 1/deviation of the training rows (a constant feature gets 1).
struct ZScore {
  std::vector<float> mean, inv_sd;
  void fit(const std::vector<std::vector<float>>& rows) {
    const std::size_t dim = rows.front().size();
    std::vector<double> s(dim, 0.0), s2(dim, 0.0);
    for (const auto& r : rows)
      for (std::size_t j = 0; j < dim; ++j) s[j] += r[j], s2[j] += static_cast<double>(r[j]) * r[j];
    mean.resize(dim), inv_sd.resize(dim);
    const double n = static_cast<double>(rows.size());
    for (std::size_t j = 0; j < dim; ++j) {
      const double m = s[j] / n, var = std::max(0.0, s2[j] / n - m * m);
      mean[j] = static_cast<float>(m);
      inv_sd[j] = var > 1e-12 ? static_cast<float>(1.0 / std::sqrt(var)) : 1.0f;
    }
  }
  cv::Mat row(const std::vector<float>& f) const {
    cv::Mat out(1, static_cast<int>(f.size()), CV_32F);
    for (std::size_t j = 0; j < f.size(); ++j) out.at<float>(static_cast<int>(j)) = (f[j] - mean[j]) * inv_sd[j];
    return out;
  }
};

class MlpCompanion final : public PatternCompanion {
 public:
  MlpCompanion(ZScore z, cv::Ptr<cv::ml::ANN_MLP> net, double sharpness)
      : z_(std::move(z)), net_(std::move(net)), sharpness_(sharpness) {}
  std::vector<double> probabilities(const std::vector<float>& features) const override {
    cv::Mat out;
    net_->predict(z_.row(features), out);
    std::vector<double> p(static_cast<std::size_t>(out.cols));
    double top = -1e300, sum = 0;
    for (int c = 0; c < out.cols; ++c) top = std::max(top, sharpness_ * out.at<float>(c));
    for (int c = 0; c < out.cols; ++c) sum += p[static_cast<std::size_t>(c)] = std::exp(sharpness_ * out.at<float>(c) - top);
    for (double& x : p) x /= sum;
    return p;
  }

 private:
  ZScore z_;
  cv::Ptr<cv::ml::ANN_MLP> net_;
  double sharpness_;
};

class KnnCompanion final : public PatternCompanion {
 public:
  KnnCompanion(ZScore z, cv::Ptr<cv::ml::KNearest> knn, int k, std::size_t classes)
      : z_(std::move(z)), knn_(std::move(knn)), k_(k), classes_(classes) {}
  std::vector<double> probabilities(const std::vector<float>& features) const override {
    cv::Mat result, neighbours;
    knn_->findNearest(z_.row(features), k_, result, neighbours);
    std::vector<int> count(classes_, 0);
    for (int i = 0; i < neighbours.cols; ++i) ++count[static_cast<std::size_t>(std::lround(neighbours.at<float>(i)))];
    std::vector<double> p(classes_);
    for (std::size_t c = 0; c < classes_; ++c) p[c] = static_cast<double>(count[c]) / neighbours.cols;
    return p;
  }

 private:
  ZScore z_;
  cv::Ptr<cv::ml::KNearest> knn_;
  int k_;
  std::size_t classes_;
};

}  // namespace

PatternCompanionOptions::Kind pattern_companion_kind(const std::string& name) {
  if (name == "mlp") return PatternCompanionOptions::Kind::mlp;
  if (name == "knn") return PatternCompanionOptions::Kind::knn;
  throw std::invalid_argument("pattern companion: '" + name + "', expected mlp or knn");
}

std::shared_ptr<const PatternCompanion> train_pattern_companion(const std::vector<std::vector<float>>& features,
                                                                const std::vector<int>& class_ids,
                                                                const std::vector<float>& weights,
                                                                const PatternCompanionOptions& o) {
  const std::size_t n = features.size(), classes = pattern_classes().size();
  if (n == 0 || class_ids.size() != n || (!weights.empty() && weights.size() != n))
    throw std::invalid_argument("train_pattern_companion: empty or mismatched samples, labels and weights");
  const std::size_t dim = features.front().size();
  for (const auto& f : features)
    if (f.size() != dim) throw std::invalid_argument("train_pattern_companion: ragged feature rows");
  ZScore z;
  z.fit(features);
  cv::Mat x(static_cast<int>(n), static_cast<int>(dim), CV_32F);
  for (std::size_t i = 0; i < n; ++i) z.row(features[i]).copyTo(x.row(static_cast<int>(i)));

  if (o.kind == PatternCompanionOptions::Kind::knn) {
    cv::Mat y(static_cast<int>(n), 1, CV_32F);
    for (std::size_t i = 0; i < n; ++i) y.at<float>(static_cast<int>(i)) = static_cast<float>(class_ids[i]);
    auto knn = cv::ml::KNearest::create();
    knn->setDefaultK(o.k);
    knn->setIsClassifier(true);
    knn->train(cv::ml::TrainData::create(x, cv::ml::ROW_SAMPLE, y));
    return std::make_shared<KnnCompanion>(std::move(z), knn, o.k, classes);
  }

  // One-hot targets at +-1 (inside the symmetric sigmoid's +-1.716 range).
  cv::Mat y(static_cast<int>(n), static_cast<int>(classes), CV_32F, cv::Scalar(-1.0f));
  for (std::size_t i = 0; i < n; ++i) y.at<float>(static_cast<int>(i), class_ids[i]) = 1.0f;
  cv::Mat w(static_cast<int>(n), 1, CV_32F, cv::Scalar(1.0f));
  for (std::size_t i = 0; i < weights.size(); ++i) w.at<float>(static_cast<int>(i)) = weights[i];
  auto net = cv::ml::ANN_MLP::create();
  net->setLayerSizes(std::vector<int>{static_cast<int>(dim), o.hidden, static_cast<int>(classes)});
  net->setActivationFunction(cv::ml::ANN_MLP::SIGMOID_SYM, 1, 1);
  net->setTrainMethod(cv::ml::ANN_MLP::RPROP);
  net->setTermCriteria(cv::TermCriteria(cv::TermCriteria::COUNT, o.iterations, 0));
  cv::RNG& rng = cv::theRNG();
  const std::uint64_t saved = rng.state;
  rng.state = o.seed == 0 ? 0x9E3779B97F4A7C15ull : o.seed;
  const bool ok = net->train(cv::ml::TrainData::create(x, cv::ml::ROW_SAMPLE, y, cv::noArray(), cv::noArray(), w),
                             cv::ml::ANN_MLP::NO_OUTPUT_SCALE);
  rng.state = saved;
  if (!ok) throw std::runtime_error("train_pattern_companion: OpenCV could not train the MLP");
  return std::make_shared<MlpCompanion>(std::move(z), net, o.sharpness);
}

}  // namespace yf
