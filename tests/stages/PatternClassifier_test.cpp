// The pattern classifier: class names, training reproducible from the seed, the model
// file (round trip, and the errors of a mismatched or corrupt one), the fast vote
// against OpenCV's, the shipped model on clear and real maps, and concurrent use.
#include "stages/PatternClassifier.hpp"

#include <bit>
#include <catch2/catch.hpp>
#include <cmath>
#include <fstream>
#include <future>
#include <iterator>
#include <set>
#include <sstream>
#include <stdexcept>

#include "PatternTestMaps.hpp"
#include "TestPaths.hpp"
#include "core/Base64.hpp"
#include "io/Wm811kJson.hpp"
#include "stages/PatternModel.hpp"
#include "stages/PatternModelImpl.hpp"
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

// One of the forest's base64 arrays in a saved model's text: where its lines are, and
// its bytes (a line is quoted when it starts with a digit or a sign).
struct ArrayText {
  std::size_t begin = 0, end = 0;
  std::vector<std::uint8_t> bytes;
  std::uint32_t word(std::size_t i) const {
    std::uint32_t w = 0;
    for (std::size_t k = 0; k < 4; ++k) w |= std::uint32_t{bytes[4 * i + k]} << (8 * k);
    return w;
  }
  void set(std::size_t i, std::uint32_t w) {
    for (std::size_t k = 0; k < 4; ++k) bytes[4 * i + k] = static_cast<std::uint8_t>(w >> (8 * k));
  }
};

ArrayText find_array(const std::string& text, const std::string& name) {
  const std::string head = "\n   " + name + ":\n", item = "      - ";
  const auto at = text.find(head);
  REQUIRE(at != std::string::npos);
  ArrayText a;
  std::size_t pos = a.begin = at + head.size();
  while (text.compare(pos, item.size(), item) == 0) {
    const auto eol = text.find('\n', pos);
    std::string line = text.substr(pos + item.size(), eol - pos - item.size());
    if (line.size() >= 2 && line.front() == '"') line = line.substr(1, line.size() - 2);
    REQUIRE(yf::base64::decode(line, a.bytes));
    pos = eol + 1;
  }
  a.end = pos;
  return a;
}

// `text` with the array replaced by `a.bytes`, in quoted lines of 1,024 characters.
std::string with_array(std::string text, const ArrayText& a) {
  const std::string b64 = yf::base64::encode(a.bytes.data(), a.bytes.size());
  std::string lines;
  for (std::size_t i = 0; i < b64.size(); i += 1024) lines += "      - \"" + b64.substr(i, 1024) + "\"\n";
  return text.replace(a.begin, a.end - a.begin, lines);
}

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

TEST_CASE("a trained model votes as OpenCV, and saved (version 2) it loads back with the same votes on every real map",
          "[PatternClassifier][real]") {
  yf::test::TempDir dir;
  const auto maps = small_set();
  const auto model = yf::train_pattern_model(maps, small_forest(3));
  REQUIRE(model->has_reference());
  CHECK(model->trees() == 15);
  for (const auto& m : maps) {
    const auto f = yf::pattern_features(m.map);
    CHECK(model->votes(f) == model->reference_votes(f));
  }
  const auto real = real_maps();
  REQUIRE(real.size() == 203);
  for (const char* file : {"m.yml", "m.yml.gz"}) {
    yf::save_pattern_model(*model, dir / file, {});
    const auto loaded = yf::PatternModel::load(dir / file);
    CHECK(loaded->trees() == 15);
    // The file holds the flat forest only: no OpenCV trees to ask.
    CHECK_FALSE(loaded->has_reference());
    CHECK_THROWS_AS(loaded->reference_votes(yf::pattern_features(maps[0].map)), std::logic_error);
    for (const auto& m : real) {
      const auto f = yf::pattern_features(m.map);
      CHECK(loaded->votes(f) == model->reference_votes(f));
      const auto a = loaded->classify(m.map), b = model->classify(m.map);
      CHECK(a.class_id == b.class_id);
      CHECK(a.confidence == b.confidence);
    }
  }
  CHECK_THAT(slurp(dir / "m.yml"), Catch::Contains("version: 2") && Catch::Contains("thresholds:") &&
                                       Catch::Contains("links:") && !Catch::Contains("splits"));
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
    spit(dir / "version.yml", edited("version: 2\n", "version: 7\n"));
    CHECK_THAT(message_of(dir / "version.yml"), Catch::Contains("version.yml") && Catch::Contains("version 7") &&
                                                    Catch::Contains("retrain"));
    // Version 1 (OpenCV's own RTrees node) is no longer read.
    spit(dir / "v1.yml", edited("version: 2\n", "version: 1\n"));
    CHECK_THAT(message_of(dir / "v1.yml"), Catch::Contains("version 1, this build reads 2") && Catch::Contains("retrain"));
  }
  SECTION("truncated or garbage") {
    spit(dir / "cut.yml", good.substr(0, good.size() / 2));
    CHECK_THAT(message_of(dir / "cut.yml"), Catch::Contains("cut.yml"));
    spit(dir / "noise.yml.gz", std::string(4096, '\x5a'));
    CHECK_THAT(message_of(dir / "noise.yml.gz"), Catch::Contains("noise.yml.gz"));
  }
}

TEST_CASE("base64, the model file's arrays: RFC 4648's examples, and text that is not canonical refused",
          "[PatternClassifier]") {
  auto decoded = [](const std::string& text) {
    std::vector<std::uint8_t> out;
    return yf::base64::decode(text, out) ? std::string(out.begin(), out.end()) : std::string("(refused)");
  };
  auto encoded = [](const std::string& bytes) {
    return yf::base64::encode(reinterpret_cast<const std::uint8_t*>(bytes.data()), bytes.size());
  };
  // RFC 4648, section 10.
  const std::vector<std::pair<std::string, std::string>> vectors = {
      {"", ""}, {"f", "Zg=="}, {"fo", "Zm8="}, {"foo", "Zm9v"}, {"foob", "Zm9vYg=="}, {"fooba", "Zm9vYmE="}, {"foobar", "Zm9vYmFy"}};
  for (const auto& [bytes, text] : vectors) {
    CHECK(encoded(bytes) == text);
    CHECK(decoded(text) == bytes);
  }
  std::string all(256, '\0');
  for (int i = 0; i < 256; ++i) all[static_cast<std::size_t>(i)] = static_cast<char>(i);
  CHECK(decoded(encoded(all)) == all);
  for (const char* bad : {"Zg=", "Zm9", "Zg==Zg==", "Z===", "Zm9*", "Zh==", "Zm9=", "Zm 9v", "=Zm9"})
    CHECK(decoded(bad) == "(refused)");
}

TEST_CASE("a model file whose forest is damaged fails to load, naming the field", "[PatternClassifier]") {
  yf::test::TempDir dir;
  const auto model = yf::train_pattern_model(small_set(), small_forest(1));
  yf::save_pattern_model(*model, dir / "good.yml");
  const std::string good = slurp(dir / "good.yml");
  REQUIRE(message_of(dir / "good.yml") == "(loaded)");
  const ArrayText links = find_array(good, "links"), thresholds = find_array(good, "thresholds");
  const std::size_t nodes = links.bytes.size() / 4;
  REQUIRE(nodes == static_cast<std::size_t>(model->impl().forest.nodes()));
  // Node 0, the first tree's root, is a split (15 trees on 90 maps of 9 classes); the
  // first NaN threshold is a leaf.
  REQUIRE_FALSE(std::isnan(std::bit_cast<float>(thresholds.word(0))));
  std::size_t leaf = 0;
  while (!std::isnan(std::bit_cast<float>(thresholds.word(leaf)))) ++leaf;
  auto message = [&](const std::string& name, const std::string& text) {
    spit(dir / name, text);
    const std::string m = message_of(dir / name);
    CHECK_THAT(m, Catch::Contains(name));
    return m;
  };
  auto with_link = [&](std::size_t node, std::uint32_t link) {
    ArrayText a = links;
    a.set(node, link);
    return with_array(good, a);
  };
  const std::uint32_t root = links.word(0), feature = root & 0xFF;
  using Catch::Contains;
  SECTION("a child out of range, pointing back, a feature or class index too large") {
    CHECK_THAT(message("far.yml", with_link(0, feature | 0xFFFFFFu << 8)),
               Contains("corrupt forest: forest.links[0]: the right child (node 16777215)"));
    CHECK_THAT(message("back.yml", with_link(0, feature)),
               Contains("forest.links[0]: the right child (node 0) is not after the left one"));
    CHECK_THAT(message("feature.yml", with_link(0, (root & ~0xFFu) | 92u)), Contains("forest.links[0]: feature 92, the model has 92"));
    CHECK_THAT(message("class.yml", with_link(leaf, (links.word(leaf) & ~0xFFu) | 9u)),
               Contains("forest.links[" + std::to_string(leaf) + "]: class 9, the model has 9"));
  }
  SECTION("truncated arrays, lines that are not base64") {
    ArrayText cut = links;
    cut.bytes.resize(cut.bytes.size() - 4);
    CHECK_THAT(message("cut.yml", with_array(good, cut)),
               Contains("forest.links: " + std::to_string(4 * nodes - 4) + " bytes, " + std::to_string(nodes) + " nodes x 4 expected"));
    const std::string count = "nodes: " + std::to_string(nodes) + "\n";
    REQUIRE(good.find(count) != std::string::npos);
    std::string more = good;
    more.replace(more.find(count), count.size(), "nodes: " + std::to_string(nodes + 1) + "\n");
    CHECK_THAT(message("more.yml", more), Contains("forest.thresholds: " + std::to_string(4 * nodes) + " bytes"));
    std::string bad = good;
    bad[thresholds.begin + 9] = '*';  // the first line's second character ("      - X*...")
    CHECK_THAT(message("bad.yml", bad), Contains("forest.thresholds[0]: not a line of base64"));
  }
  SECTION("roots and counts") {
    std::string text = good;
    text.replace(text.find("trees: 15\n"), 10, "trees: 16\n");
    CHECK_THAT(message("trees.yml", text), Contains("forest.roots: not a list of forest.trees (16)"));
    text = good;
    text.replace(text.find("roots: [ 0,"), 11, "roots: [ 1,");
    CHECK_THAT(message("roots.yml", text), Contains("corrupt forest: forest.roots[0]: 1"));
    text = good;
    text.replace(text.find("\nforest:\n"), 9, "\nforrest:\n");
    CHECK_THAT(message("none.yml", text), Contains("no forest"));
  }
}

TEST_CASE("training refuses a flat forest that votes differently from OpenCV's trees", "[PatternClassifier]") {
  // check_flat_votes is what train_pattern_model runs before it returns a model: a flat
  // forest paired with another training's trees must fail it, on the training rows and,
  // without them, on the probe rows.
  const auto maps = small_set();
  const auto a = yf::train_pattern_model(maps, small_forest(1)), b = yf::train_pattern_model(maps, small_forest(2));
  cv::Mat rows(static_cast<int>(maps.size()), static_cast<int>(yf::pattern_feature_names().size()), CV_32F);
  for (std::size_t i = 0; i < maps.size(); ++i) {
    const auto f = yf::pattern_features(maps[i].map);
    std::copy(f.begin(), f.end(), rows.ptr<float>(static_cast<int>(i)));
  }
  const cv::ml::RTrees& trees = *a->impl().reference;
  CHECK_NOTHROW(yf::check_flat_votes(trees, a->impl().forest, rows));
  CHECK_THROWS_WITH(yf::check_flat_votes(trees, b->impl().forest, rows),
                    Catch::Contains("votes differently from OpenCV's on training row") &&
                        Catch::Contains("would not vote as trained"));
  CHECK_THROWS_WITH(yf::check_flat_votes(trees, b->impl().forest, rows.rowRange(0, 0)),
                    Catch::Contains("votes differently from OpenCV's on probe row"));
}

TEST_CASE("the shipped model recognises clear examples of every class", "[PatternClassifier][shipped]") {
  const auto model = yf::PatternModel::load(kShipped);
  CHECK(model->trees() == 100);
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
