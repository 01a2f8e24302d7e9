#include "samples/TrainPatterns.hpp"

#include <algorithm>
#include <cmath>
#include <filesystem>
#include <iomanip>
#include <map>
#include <ostream>
#include <set>
#include <sstream>
#include <stdexcept>

#include "io/Wm811kJson.hpp"
#include "samples/PatternSynth.hpp"
#include "samples/Random.hpp"
#include "samples/SampleGenerator.hpp"
#include "samples/WaferSynth.hpp"

namespace yf {
namespace {

constexpr int kDihedral = 8;
enum Stream : std::uint64_t { kSynthGeometryStream = 11, kSynthMapStream = 12, kFoldStream = 13, kVariedStream = 14 };

struct RealMap {
  std::string lot, name, file;
  int class_id = 0;
  std::array<std::vector<float>, kDihedral> features;  // [0] = the map as read
};

struct Dataset {
  std::vector<RealMap> real;
  std::vector<std::vector<float>> synth_features;
  std::vector<int> synth_ids;
};

void say(const TrainPatternsOptions& o, const std::string& text) {
  if (o.report) *o.report << text << std::flush;
}

std::vector<RealMap> read_real(const TrainPatternsOptions& o) {
  std::vector<RealMap> out;
  for (const std::string& file : o.real_files) {
    for (const Wm811kMap& m : read_wm811k_jsonl(file)) {
      const int id = m.failure_type.empty() ? -1 : pattern_class_id(m.failure_type);
      if (id < 0) continue;  // unlabelled: nothing to learn or score
      RealMap r;
      r.lot = m.lot;
      r.name = m.lot + "/" + std::to_string(m.wafer_index);
      r.file = file;
      r.class_id = id;
      for (int k = 0; k < kDihedral; ++k) r.features[static_cast<std::size_t>(k)] = pattern_features(dihedral(m.map, k));
      out.push_back(std::move(r));
    }
  }
  return out;
}

// A product whose grid spans the range of WM-811K maps (about 20 to 90 dies across)
// with square to clearly oblong dies, so that no feature learns one grid size.
ProductGeometry random_product(samples::Rng& rng) {
  ProductGeometry p;
  p.name = "SYNTH";
  p.wafer_diameter_mm = 300;
  p.edge_exclusion_mm = 3;
  p.die_width_mm = 300.0 / rng.uniform(20, 90);
  p.die_height_mm = p.die_width_mm * rng.uniform(0.75, 1.35);
  p.cols = static_cast<int>(std::ceil(300 / p.die_width_mm - 1e-9));
  p.rows = static_cast<int>(std::ceil(300 / p.die_height_mm - 1e-9));
  p.grid_x0_mm = -p.cols * p.die_width_mm / 2;
  p.grid_y0_mm = p.rows * p.die_height_mm / 2;
  return p;
}

// Extra random fails on a generated map. The generator's background (1.5-5%) is
// cleaner than real maps, whose pattern sits on 0-25% of scattered fails, and its
// "random" wafers (12-25%) are sparser than WM-811K's Random class, a map failing
// all over at 20-60%.
double extra_noise(const std::string& pattern, samples::Rng& rng) {
  if (pattern == "near-full") return 0.0;
  if (pattern == "none") return rng.uniform(0.0, 0.06);
  if (pattern == "random") return rng.uniform(0.05, 0.45);
  return rng.uniform(0.0, 0.2);
}

// Generated maps of every sample pattern: bin -1 -> no die, pass bins 1 and 2 -> pass.
void add_synthetic(const TrainPatternsOptions& o, Dataset& d) {
  const int from_samples = static_cast<int>(std::lround(o.synthetic_per_class * o.sample_generator_share));
  const auto patterns = sample_patterns();
  for (std::size_t pi = 0; pi < patterns.size(); ++pi) {
    const int id = pattern_class_id(patterns[pi]);
    if (id < 0) throw std::logic_error("train-patterns: sample pattern " + patterns[pi] + " is no pattern class");
    for (int i = from_samples; i < o.synthetic_per_class; ++i) {
      d.synth_features.push_back(pattern_features(synthesize_pattern_map(
          id, samples::stream_seed(o.seed, kVariedStream, static_cast<std::uint64_t>(id) * 1000003u + i), o.synth)));
      d.synth_ids.push_back(id);
    }
    for (int i = 0; i < from_samples; ++i) {
      const std::uint64_t index = pi * 1000003u + static_cast<std::uint64_t>(i);
      samples::Rng rng(samples::stream_seed(o.seed, kSynthGeometryStream, index));
      const samples::DieLayout layout(random_product(rng));
      const auto w = samples::synthesize_wafer(layout, patterns[pi], false, false,
                                               samples::stream_seed(o.seed, kSynthMapStream, index), 0);
      const double noise = extra_noise(patterns[pi], rng);
      FailMap m{w.binmap.rows, w.binmap.cols, std::vector<DieState>(w.binmap.bins.size(), DieState::none)};
      for (std::size_t k = 0; k < m.cells.size(); ++k) {
        const auto bin = w.binmap.bins[k];
        if (bin < 0) continue;
        const bool pass = (bin == 1 || bin == 2) && !rng.chance(noise);
        m.cells[k] = pass ? DieState::pass : DieState::fail;
      }
      d.synth_features.push_back(pattern_features(m));
      d.synth_ids.push_back(id);
    }
  }
}

// Folds by lot: every map of a lot lands in the same fold. Lots are dealt round-robin
// after sorting by the rarest class they hold, so that each fold gets its share of
// the rare classes (ties broken by a seeded shuffle).
std::map<std::string, int> assign_folds(const std::vector<RealMap>& real, int folds, std::uint64_t seed) {
  std::array<int, PatternEvaluation::kClasses> freq{};
  for (const RealMap& r : real) ++freq[static_cast<std::size_t>(r.class_id)];
  std::map<std::string, int> rarest;
  for (const RealMap& r : real) {
    auto [it, fresh] = rarest.emplace(r.lot, r.class_id);
    if (!fresh && freq[static_cast<std::size_t>(r.class_id)] < freq[static_cast<std::size_t>(it->second)])
      it->second = r.class_id;
  }
  std::vector<std::pair<std::string, int>> lots(rarest.begin(), rarest.end());
  samples::Rng rng(samples::stream_seed(seed, kFoldStream, 0));
  for (std::size_t i = lots.size(); i > 1; --i) std::swap(lots[i - 1], lots[rng.below(i)]);
  std::stable_sort(lots.begin(), lots.end(), [&](const auto& a, const auto& b) {
    return freq[static_cast<std::size_t>(a.second)] < freq[static_cast<std::size_t>(b.second)];
  });
  std::map<std::string, int> fold;
  for (std::size_t i = 0; i < lots.size(); ++i) fold[lots[i].first] = static_cast<int>(i % static_cast<std::size_t>(folds));
  return fold;
}

// Weight of a real map's copy by its class (real_class_balance; 1 x real_weight when 0).
std::array<double, PatternEvaluation::kClasses> real_class_weights(const Dataset& d, const TrainPatternsOptions& o) {
  std::array<double, PatternEvaluation::kClasses> w;
  w.fill(o.real_weight);
  if (o.real_class_balance == 0 || d.real.empty()) return w;
  std::array<int, PatternEvaluation::kClasses> count{};
  for (const RealMap& r : d.real) ++count[static_cast<std::size_t>(r.class_id)];
  double sum = 0;
  for (std::size_t c = 0; c < w.size(); ++c) {
    w[c] = count[c] > 0 ? std::pow(static_cast<double>(count[c]), -o.real_class_balance) : 0.0;
    sum += w[c] * count[c];
  }
  for (double& x : w) x *= o.real_weight * static_cast<double>(d.real.size()) / sum;
  return w;
}

struct TrainingRows {
  std::vector<std::vector<float>> x;
  std::vector<int> y;
  std::vector<float> w;
};

// Synthetic maps plus every rotation and reflection of the real maps `use` accepts.
template <class Use>
TrainingRows training_rows(const Dataset& d, Use use, const TrainPatternsOptions& o) {
  TrainingRows t{d.synth_features, d.synth_ids, std::vector<float>(d.synth_features.size(), 1.0f)};
  const auto weight = real_class_weights(d, o);
  for (const RealMap& r : d.real) {
    if (!use(r)) continue;
    for (const auto& f : r.features)
      t.x.push_back(f), t.y.push_back(r.class_id), t.w.push_back(static_cast<float>(weight[static_cast<std::size_t>(r.class_id)]));
  }
  return t;
}

std::shared_ptr<const PatternModel> train_forest(const TrainingRows& t, const TrainPatternsOptions& o) {
  PatternTrainingOptions forest = o.forest;
  forest.seed = o.seed;
  return train_pattern_model(t.x, t.y, t.w, forest);
}

template <class Use>
std::shared_ptr<const PatternModel> train_on(const Dataset& d, Use use, const TrainPatternsOptions& o) {
  return train_forest(training_rows(d, use, o), o);
}

// The forest's verdict, or with a companion the argmax of the blended probabilities.
struct Classifier {
  std::shared_ptr<const PatternModel> forest;
  std::shared_ptr<const PatternCompanion> companion;
  double companion_weight = 0;
  PatternVerdict classify(const std::vector<float>& f, int* forest_id = nullptr, int* companion_id = nullptr) const {
    const PatternVerdict fv = forest->classify_features(f);
    if (forest_id) *forest_id = fv.class_id;
    if (!companion) return fv;
    const auto v = forest->votes(f), p = companion->probabilities(f);
    PatternVerdict out{0, -1.0};
    int best_companion = 0;
    for (std::size_t c = 0; c < v.size(); ++c) {
      const double blend = (1 - companion_weight) * v[c] + companion_weight * p[c];
      if (blend > out.confidence) out = PatternVerdict{static_cast<int>(c), blend};
      if (p[c] > p[static_cast<std::size_t>(best_companion)]) best_companion = static_cast<int>(c);
    }
    if (companion_id) *companion_id = best_companion;
    return out;
  }
};

template <class Use>
Classifier train_classifier(const Dataset& d, Use use, const TrainPatternsOptions& o) {
  const TrainingRows t = training_rows(d, use, o);
  Classifier c{train_forest(t, o), nullptr, o.companion_weight};
  if (o.use_companion) {
    PatternCompanionOptions co = o.companion;
    co.seed = o.seed;
    c.companion = train_pattern_companion(t.x, t.y, t.w, co);
  }
  return c;
}

void score(PatternEvaluation& e) {
  constexpr std::size_t K = PatternEvaluation::kClasses;
  double correct = 0, recall_sum = 0, f1_sum = 0;
  e.defect_maps = 0;
  for (std::size_t c = 1; c < K; ++c) {
    int row = 0, col = 0;
    for (std::size_t j = 0; j < K; ++j) row += e.confusion[c][j];
    for (std::size_t t = 1; t < K; ++t) col += e.confusion[t][c];  // precision among defect maps
    const int tp = e.confusion[c][c];
    e.support[c] = row;
    e.recall[c] = row > 0 ? static_cast<double>(tp) / row : 0.0;
    e.precision[c] = col > 0 ? static_cast<double>(tp) / col : 0.0;
    const double pr = e.precision[c] + e.recall[c];
    e.f1[c] = pr > 0 ? 2 * e.precision[c] * e.recall[c] / pr : 0.0;
    e.defect_maps += row;
    correct += tp;
    recall_sum += e.recall[c];
    f1_sum += e.f1[c];
  }
  e.support[0] = 0;
  for (std::size_t j = 0; j < K; ++j) e.support[0] += e.confusion[0][j];
  e.recall[0] = e.support[0] > 0 ? static_cast<double>(e.confusion[0][0]) / e.support[0] : 0.0;
  e.accuracy = e.defect_maps > 0 ? correct / e.defect_maps : 0.0;
  e.balanced_accuracy = recall_sum / (K - 1);
  e.macro_f1 = f1_sum / (K - 1);
}

void check(const TrainPatternsOptions& o) {
  if (o.real_files.empty() && o.synthetic_per_class <= 0)
    throw std::invalid_argument("train-patterns: no real maps and no synthetic maps to train on");
  if (o.synthetic_per_class < 0) throw std::invalid_argument("train-patterns: synthetic maps per class must be >= 0");
  if (!(o.sample_generator_share >= 0 && o.sample_generator_share <= 1))
    throw std::invalid_argument("train-patterns: the sample generator's share must be in [0, 1]");
  if (!(o.real_fraction >= 0 && o.real_fraction <= 1))
    throw std::invalid_argument("train-patterns: the real maps' share must be in [0, 1]");
  if (o.folds < 0 || o.folds == 1) throw std::invalid_argument("train-patterns: folds must be 0 or >= 2");
  if (!(o.real_class_balance >= -1 && o.real_class_balance <= 2))
    throw std::invalid_argument("train-patterns: the real maps' class balance must be in [-1, 2]");
  if (!(o.companion_weight >= 0 && o.companion_weight <= 1))
    throw std::invalid_argument("train-patterns: the companion's weight must be in [0, 1]");
  if (!(o.synth.loc_rho_min >= 0 && o.synth.loc_rho_min <= o.synth.loc_rho_max && o.synth.loc_rho_max <= 1))
    throw std::invalid_argument("train-patterns: Loc radii must satisfy 0 <= min <= max <= 1");
}

Dataset load_dataset(const TrainPatternsOptions& o) {
  Dataset d;
  d.real = read_real(o);
  add_synthetic(o, d);
  say(o, "train-patterns: " + std::to_string(d.real.size()) + " labelled real maps, " +
             std::to_string(d.synth_ids.size()) + " generated maps\n");
  return d;
}

PatternEvaluation evaluate(const Dataset& d, const TrainPatternsOptions& o) {
  PatternEvaluation e, forest_alone, companion_alone;
  const auto fold = assign_folds(d.real, o.folds, o.seed);
  std::set<std::string> kept;  // the lots a fold may train on (real_fraction < 1: a learning curve)
  {
    std::vector<std::string> lots;
    for (const auto& [lot, k] : fold) lots.push_back(lot);
    samples::Rng rng(samples::stream_seed(o.seed, kFoldStream, 1));
    for (std::size_t i = lots.size(); i > 1; --i) std::swap(lots[i - 1], lots[rng.below(i)]);
    lots.resize(static_cast<std::size_t>(std::lround(o.real_fraction * static_cast<double>(lots.size()))));
    kept.insert(lots.begin(), lots.end());
  }
  for (int k = 0; k < o.folds; ++k) {
    const auto model = train_classifier(d, [&](const RealMap& r) { return fold.at(r.lot) != k && kept.count(r.lot) > 0; }, o);
    for (const RealMap& r : d.real) {
      if (fold.at(r.lot) != k) continue;
      int forest_id = 0, companion_id = 0;
      const PatternVerdict v = model.classify(r.features[0], &forest_id, &companion_id);
      ++forest_alone.confusion[static_cast<std::size_t>(r.class_id)][static_cast<std::size_t>(forest_id)];
      ++companion_alone.confusion[static_cast<std::size_t>(r.class_id)][static_cast<std::size_t>(companion_id)];
      ++e.confusion[static_cast<std::size_t>(r.class_id)][static_cast<std::size_t>(v.class_id)];
      if (!o.none_file.empty() && r.file == o.none_file && r.class_id == 0) {
        ++e.none_maps;
        e.none_hits_cv += v.class_id == 0;
      }
      if (v.class_id != r.class_id) {
        std::ostringstream s;
        s << r.name << ": " << pattern_classes()[static_cast<std::size_t>(r.class_id)] << " -> "
          << pattern_classes()[static_cast<std::size_t>(v.class_id)] << " (" << std::fixed << std::setprecision(2)
          << v.confidence << ")";
        e.misses.push_back(s.str());
      }
    }
    say(o, "  fold " + std::to_string(k + 1) + "/" + std::to_string(o.folds) + " done\n");
  }
  if (e.none_maps > 0) {
    const auto model = train_classifier(d, [&](const RealMap& r) { return r.file != o.none_file; }, o);
    for (const RealMap& r : d.real)
      if (r.file == o.none_file && r.class_id == 0) e.none_hits_without_file += model.classify(r.features[0]).class_id == 0;
  }
  score(e);
  if (o.use_companion) {
    score(forest_alone);
    score(companion_alone);
    e.forest_accuracy = forest_alone.accuracy, e.forest_macro_f1 = forest_alone.macro_f1;
    e.companion_accuracy = companion_alone.accuracy, e.companion_macro_f1 = companion_alone.macro_f1;
  }
  return e;
}

std::string pct(double x) {
  std::ostringstream s;
  s << std::fixed << std::setprecision(1) << 100 * x << "%";
  return s.str();
}

}  // namespace

PatternEvaluation evaluate_patterns(const TrainPatternsOptions& options) {
  check(options);
  if (options.folds == 0) throw std::invalid_argument("train-patterns: evaluation needs folds >= 2");
  return evaluate(load_dataset(options), options);
}

std::string format_evaluation(const PatternEvaluation& e) {
  const auto& names = pattern_classes();
  std::ostringstream s;
  s << "Over the eight defect classes (" << e.defect_maps << " real maps): accuracy " << pct(e.accuracy)
    << ", balanced accuracy " << pct(e.balanced_accuracy) << ", macro-F1 " << std::fixed << std::setprecision(3)
    << e.macro_f1 << "\n\n";
  if (e.companion_accuracy > 0)
    s << "Alone on the same folds: forest accuracy " << pct(e.forest_accuracy) << ", macro-F1 " << std::setprecision(3)
      << e.forest_macro_f1 << "; companion accuracy " << pct(e.companion_accuracy) << ", macro-F1 "
      << std::setprecision(3) << e.companion_macro_f1 << "\n\n";
  s << "| class | maps | precision | recall | F1 |\n|---|---:|---:|---:|---:|\n";
  for (std::size_t c = 1; c < names.size(); ++c)
    s << "| " << names[c] << " | " << e.support[c] << " | " << pct(e.precision[c]) << " | " << pct(e.recall[c])
      << " | " << std::setprecision(3) << e.f1[c] << " |\n";
  s << "\nConfusion matrix (rows: label, columns: predicted), every labelled real map:\n\n| |";
  for (const auto& n : names) s << " " << n << " |";
  s << "\n|---|";
  for (std::size_t i = 0; i < names.size(); ++i) s << "---:|";
  s << "\n";
  for (std::size_t t = 0; t < names.size(); ++t) {
    s << "| " << names[t] << " |";
    for (std::size_t p = 0; p < names.size(); ++p) s << " " << e.confusion[t][p] << " |";
    s << "\n";
  }
  if (e.none_maps > 0)
    s << "\n'none' recognised on " << e.none_maps << " none maps of the none file: " << e.none_hits_cv << " ("
      << pct(static_cast<double>(e.none_hits_cv) / e.none_maps) << ") with their lot held out, "
      << e.none_hits_without_file << " (" << pct(static_cast<double>(e.none_hits_without_file) / e.none_maps)
      << ") by a model trained without that file\n";
  if (!e.misses.empty()) {
    s << "\nMisclassified real maps:\n";
    for (const auto& m : e.misses) s << "- " << m << "\n";
  }
  return s.str();
}

int train_patterns(const TrainPatternsOptions& o) {
  check(o);
  const Dataset d = load_dataset(o);
  if (o.folds > 0) say(o, "\n" + format_evaluation(evaluate(d, o)) + "\n");
  if (o.output.empty()) return 0;
  const auto model = train_on(d, [](const RealMap&) { return true; }, o);
  PatternModelInfo info;
  info.seed = o.seed;
  info.real_maps = static_cast<int>(d.real.size());
  info.synthetic_maps = static_cast<int>(d.synth_ids.size());
  info.note = "random forest, " + std::to_string(model->trees()) + " trees; real maps in 8 rotations/reflections";
  const std::filesystem::path out(o.output);
  if (out.has_parent_path()) std::filesystem::create_directories(out.parent_path());
  model->save(o.output, info);
  say(o, "train-patterns: model written to " + o.output + "\n");
  return 0;
}

}  // namespace yf
