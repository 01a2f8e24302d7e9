// The pattern classifier: class names, training reproducible from the seed, the model
// file (round trip, and the errors of a mismatched or corrupt one), the fast vote
// against OpenCV's, the shipped model on clear and real maps, and concurrent use.
#include "stages/PatternClassifier.hpp"

#include <catch2/catch.hpp>
#include <fstream>
#include <future>
#include <iterator>
#include <set>
#include <sstream>
#include <stdexcept>

#include "PatternTestMaps.hpp"
#include "TestPaths.hpp"
#include "io/Wm811kJson.hpp"
#include "stages/PatternModel.hpp"
#include "stages/PatternTraining.hpp"
#include "support/TempDir.hpp"

namespace {

std::string slurp(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  return {std::istreambuf_iterator<char>(in), std::istreambuf_iterator<char>()};
}

void spit(const std::string& path, const std::string& text) { std::ofstream(path, std::ios::binary) << text; }

// Ten hand-drawn maps of each class (different noise), for small, fast trainings.
std::vector<yf::LabelledMap> small_set() {
  std::vector<yf::LabelledMap> maps;
  for (std::size_t c = 0; c < yf::pattern_classes().size(); ++c)
    for (std::uint64_t s = 1; s <= 10; ++s)
      maps.push_back({yf::test::clear_example(yf::pattern_classes()[c], s), static_cast<int>(c)});
  return maps;
}

yf::PatternTrainingOptions small_forest(std::uint64_t seed) {
  yf::PatternTrainingOptions o;
  o.seed = seed;
  o.trees = 15;
  return o;
}

std::string message_of(const std::string& path) {
  try {
    yf::PatternClassifier::load(path);
  } catch (const std::runtime_error& e) {
    return e.what();
  }
  return "(loaded)";
}

std::vector<yf::Wm811kMap> real_maps() {
  auto maps = yf::read_wm811k_jsonl(std::string(yf::test::kSharedDataDir) + "/wm811k/labelled_dev.jsonl");
  auto more = yf::read_wm811k_jsonl(std::string(yf::test::kSharedDataDir) + "/wm811k/lots_first100.jsonl");
  maps.insert(maps.end(), more.begin(), more.end());
  return maps;
}

const std::string kShipped = std::string(yf::test::kModelsDir) + "/patterns.yml.gz";

}  // namespace

TEST_CASE("pattern classes: WM-811K's names, found in any letter case", "[PatternClassifier]") {
  const auto& c = yf::pattern_classes();
  REQUIRE(c.size() == 9);
  CHECK(c.front() == "none");
  CHECK(yf::pattern_class_id("none") == 0);
  CHECK(yf::pattern_class_id("Edge-Ring") == 4);
  CHECK(yf::pattern_class_id("edge-ring") == 4);   // the sample generator's spelling
  CHECK(yf::pattern_class_id("NEAR-FULL") == 6);
  CHECK(yf::pattern_class_id("") == -1);
  CHECK(yf::pattern_class_id("Smudge") == -1);
}

TEST_CASE("dihedral: the eight rotations and reflections of a map", "[PatternClassifier]") {
  const yf::FailMap m{2, 3, {yf::DieState::fail, yf::DieState::pass, yf::DieState::pass,  //
                             yf::DieState::pass, yf::DieState::pass, yf::DieState::none}};
  CHECK(yf::dihedral(m, 0).cells == m.cells);
  std::set<std::pair<int, std::vector<yf::DieState>>> seen;
  for (int k = 0; k < 8; ++k) {
    const auto t = yf::dihedral(m, k);
    CHECK(t.rows * t.cols == 6);
    seen.insert({t.rows, t.cells});
  }
  CHECK(seen.size() == 8);  // the map has no symmetry: all eight differ
  CHECK(yf::dihedral(m, 1).rows == 3);
  CHECK_THROWS_AS(yf::dihedral(m, 8), std::invalid_argument);
}

TEST_CASE("training is reproducible from the seed, to the model file's bytes", "[PatternClassifier]") {
  yf::test::TempDir dir;
  const auto maps = small_set();
  const auto a = yf::train_pattern_model(maps, small_forest(5));
  const auto b = yf::train_pattern_model(maps, small_forest(5));
  const auto c = yf::train_pattern_model(maps, small_forest(6));
  yf::save_pattern_model(*a, dir / "a.yml");
  yf::save_pattern_model(*b, dir / "b.yml");
  yf::save_pattern_model(*c, dir / "c.yml");
  CHECK(slurp(dir / "a.yml") == slurp(dir / "b.yml"));
  CHECK(slurp(dir / "a.yml") != slurp(dir / "c.yml"));
  const auto probe = yf::pattern_features(yf::test::clear_example("Loc", 99));
  CHECK(a->votes(probe) == b->votes(probe));
}

TEST_CASE("the fast vote equals OpenCV's, a saved model loads back with the same votes", "[PatternClassifier]") {
  yf::test::TempDir dir;
  const auto maps = small_set();
  const auto model = yf::train_pattern_model(maps, small_forest(3));
  REQUIRE(model->fast_path());
  CHECK(model->trees() == 15);
  for (const auto& m : maps) {
    const auto f = yf::pattern_features(m.map);
    CHECK(model->votes(f) == model->reference_votes(f));
  }
  for (const char* file : {"m.yml", "m.yml.gz"}) {
    yf::save_pattern_model(*model, dir / file, {});
    const auto loaded = yf::PatternModel::load(dir / file);
    CHECK(loaded->fast_path());
    for (std::uint64_t s = 20; s < 25; ++s) {
      const auto f = yf::pattern_features(yf::test::clear_example("Donut", s));
      CHECK(loaded->votes(f) == model->votes(f));
    }
  }
  // Votes are fractions of the trees; the verdict is the top one.
  const auto v = model->classify(yf::test::clear_example("Center", 42));
  CHECK(v.confidence > 0);
  CHECK(v.confidence <= 1);
  CHECK_THROWS_AS(model->classify_features({1.0f, 2.0f}), std::invalid_argument);

  // A map without a fail takes the model's constant verdict without computing features:
  // the same as the vote on its (all-zero) features, whatever the grid.
  for (const auto& [rows, cols] : {std::pair{10, 12}, std::pair{55, 60}}) {
    yf::FailMap clean{rows, cols, std::vector<yf::DieState>(static_cast<std::size_t>(rows * cols), yf::DieState::pass)};
    clean.cells[0] = yf::DieState::none;
    const auto fast = model->classify(clean), slow = model->classify_features(yf::pattern_features(clean));
    CHECK(fast.class_id == slow.class_id);
    CHECK(fast.confidence == slow.confidence);
  }
  yf::FailMap wrong{3, 3, std::vector<yf::DieState>(4, yf::DieState::pass)};
  CHECK_THROWS_AS(model->classify(wrong), std::invalid_argument);
}

TEST_CASE("a mismatched or corrupt model file fails to load with a clear message", "[PatternClassifier]") {
  yf::test::TempDir dir;
  const auto model = yf::train_pattern_model(small_set(), small_forest(1));
  yf::save_pattern_model(*model, dir / "good.yml");
  const std::string good = slurp(dir / "good.yml");
  auto edited = [&](const std::string& from, const std::string& to) {
    std::string text = good;
    const auto at = text.find(from);
    REQUIRE(at != std::string::npos);
    return text.replace(at, from.size(), to);
  };
  SECTION("missing") {
    CHECK_THAT(message_of(dir / "absent.yml"), Catch::Contains("absent.yml") && Catch::Contains("cannot open"));
  }
  SECTION("not a model") {
    spit(dir / "other.yml", "%YAML:1.0\n---\nanswer: 42\n");
    CHECK_THAT(message_of(dir / "other.yml"), Catch::Contains("not a yieldflow pattern model"));
  }
  SECTION("other features than this build's") {
    spit(dir / "features.yml", edited("- density\n", "- fail_density\n"));
    CHECK_THAT(message_of(dir / "features.yml"), Catch::Contains("features.yml") && Catch::Contains("features") &&
                                                     Catch::Contains("fail_density") && Catch::Contains("retrain"));
    spit(dir / "count.yml", edited("feature_count: ", "feature_count: 1"));
    CHECK_THAT(message_of(dir / "count.yml"), Catch::Contains("features"));
  }
  SECTION("other classes") {
    spit(dir / "classes.yml", edited("- Scratch\n", "- Smudge\n"));
    CHECK_THAT(message_of(dir / "classes.yml"), Catch::Contains("classes") && Catch::Contains("Smudge"));
  }
  SECTION("another format version") {
    spit(dir / "version.yml", edited("version: 1\n", "version: 7\n"));
    CHECK_THAT(message_of(dir / "version.yml"), Catch::Contains("version 7"));
  }
  SECTION("truncated or garbage") {
    spit(dir / "cut.yml", good.substr(0, good.size() / 2));
    CHECK_THAT(message_of(dir / "cut.yml"), Catch::Contains("cut.yml"));
    spit(dir / "noise.yml.gz", std::string(4096, '\x5a'));
    CHECK_THAT(message_of(dir / "noise.yml.gz"), Catch::Contains("noise.yml.gz"));
  }
}

TEST_CASE("the shipped model recognises clear examples of every class", "[PatternClassifier][shipped]") {
  const auto model = yf::PatternModel::load(kShipped);
  CHECK(model->fast_path());
  for (const auto& name : yf::pattern_classes()) {
    const yf::PatternVerdict v = model->classify(yf::test::clear_example(name, 3));
    INFO(name << " -> " << yf::pattern_classes()[static_cast<std::size_t>(v.class_id)] << " (" << v.confidence << ")");
    CHECK(v.class_id == yf::pattern_class_id(name));
  }
}

TEST_CASE("the shipped model calls the real 'none' wafers of lots_first100 none", "[PatternClassifier][shipped][real]") {
  // In-sample (these maps are in its training set); the held-out figure is in
  // TrainPatterns_test and docs/patterns.md.
  const auto model = yf::PatternClassifier::load(kShipped);
  int none = 0, hits = 0;
  for (const auto& m : yf::read_wm811k_jsonl(std::string(yf::test::kSharedDataDir) + "/wm811k/lots_first100.jsonl")) {
    if (m.failure_type != "none") continue;
    ++none;
    hits += model->classify(m.map).class_id == 0;
  }
  REQUIRE(none == 83);
  CHECK(hits >= 80);
}

TEST_CASE("concurrent classification gives the sequential verdicts", "[PatternClassifier][shipped][real]") {
  const auto model = yf::PatternClassifier::load(kShipped);
  const auto maps = real_maps();
  std::vector<yf::PatternVerdict> want;
  for (const auto& m : maps) want.push_back(model->classify(m.map));
  auto run = [&](std::size_t start) {
    std::vector<yf::PatternVerdict> got(maps.size());
    for (std::size_t k = 0; k < maps.size(); ++k) {
      const std::size_t i = (start + k) % maps.size();  // each thread in another order
      got[i] = model->classify(maps[i].map);
    }
    return got;
  };
  std::vector<std::future<std::vector<yf::PatternVerdict>>> threads;
  for (std::size_t t = 0; t < 4; ++t) threads.push_back(std::async(std::launch::async, run, t * 37));
  for (auto& t : threads) {
    const auto got = t.get();
    for (std::size_t i = 0; i < maps.size(); ++i) {
      CHECK(got[i].class_id == want[i].class_id);
      CHECK(got[i].confidence == want[i].confidence);
    }
  }
}
