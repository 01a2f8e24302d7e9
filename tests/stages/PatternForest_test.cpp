// PatternForest, the flat copy of the random forest that votes in the pipeline: hand-built
// trees whose votes are worked out by hand (ties at a threshold, a lone leaf, trees of
// different depths walked together, more trees than one lockstep chunk), the trees it
// refuses, and the shipped model against OpenCV's own vote on every real map.
#include "stages/PatternForest.hpp"

#include <catch2/catch.hpp>
#include <cmath>
#include <limits>

#include "PatternTestMaps.hpp"
#include "TestPaths.hpp"
#include "io/Wm811kJson.hpp"
#include "stages/PatternClassifier.hpp"
#include "stages/PatternModel.hpp"

namespace {

using Node = yf::PatternForest::InputNode;

Node split(int var, float threshold, int left, int right) { return Node{var, threshold, left, right, 0}; }
Node leaf(int label) { return Node{-1, 0, -1, -1, label}; }

std::vector<int> vote(const yf::PatternForest& f, std::vector<float> x, int classes = 4) {
  std::vector<int> counts(static_cast<std::size_t>(classes), 0);
  x.resize(4, 0.0f);  // the trees read x0..x2; the forests below take 4 features
  f.vote(x.data(), counts.data());
  return counts;
}

// Tree A (nodes 0-4): x0 <= 0.5 ? (x1 <= 2 ? class 1 : class 2) : class 3.
// Tree B (node 5): a lone leaf, class 0.
// Tree C (nodes 6-12), stored out of order, right-leaning and three levels deep:
//   x2 <= -1 ? class 0 : (x0 <= 0.25 ? class 1 : (x1 <= 0 ? class 2 : class 3)).
const std::vector<Node> kNodes = {
    split(0, 0.5f, 1, 4), split(1, 2.0f, 2, 3), leaf(1), leaf(2), leaf(3),  // A
    leaf(0),                                                                 // B
    split(2, -1.0f, 12, 7), split(0, 0.25f, 11, 8), split(1, 0.0f, 9, 10),  // C
    leaf(2), leaf(3), leaf(1), leaf(0)};
const std::vector<int> kRoots = {0, 5, 6};

}  // namespace

TEST_CASE("flat forest: hand-built trees vote as drawn, a tie at a threshold goes left", "[PatternForest]") {
  const auto f = yf::PatternForest::build(kNodes, kRoots, 4, 4);
  REQUIRE(f);
  CHECK(f->trees() == 3);
  CHECK(f->nodes() == 13);
  CHECK(f->max_depth() == 3);  // tree C: root, x0, x1, then its leaves
  // A: x0 0.1 <= 0.5, x1 5 > 2 -> 2. B -> 0. C: x2 0 > -1, x0 0.1 <= 0.25 -> 1.
  CHECK(vote(*f, {0.1f, 5.0f, 0.0f}) == std::vector<int>{1, 1, 1, 0});
  // Ties: x0 = 0.5 goes left in A (x1 = 2 too: class 1); C: x2 = -1 left -> 0.
  CHECK(vote(*f, {0.5f, 2.0f, -1.0f}) == std::vector<int>{2, 1, 0, 0});
  // Just above the thresholds: A right -> 3; C: x2 > -1, x0 > 0.25, x1 > 0 -> 3.
  CHECK(vote(*f, {std::nextafter(0.5f, 1.0f), 3.0f, std::nextafter(-1.0f, 0.0f)}) == std::vector<int>{1, 0, 0, 2});
  // C's deepest left branch: x1 <= 0 -> 2 (A: x0 1 > 0.5 -> 3).
  CHECK(vote(*f, {1.0f, 0.0f, 7.0f}) == std::vector<int>{1, 0, 1, 1});
  // A NaN feature compares false, as in OpenCV (value <= c): right at every split.
  CHECK(vote(*f, {std::nanf(""), std::nanf(""), std::nanf("")}) == std::vector<int>{1, 0, 0, 2});
}

TEST_CASE("flat forest: more trees than one lockstep chunk, of different depths", "[PatternForest]") {
  // 300 trees: tree k is k % 3 of A, B, C above (their nodes copied), so the votes are
  // 100 times those of the three trees.
  std::vector<Node> nodes;
  std::vector<int> roots;
  for (int k = 0; k < 300; ++k) {
    const int copy = static_cast<int>(nodes.size());
    const int which = k % 3;
    const int from = which == 0 ? 0 : (which == 1 ? 5 : 6), to = which == 0 ? 5 : (which == 1 ? 6 : 13);
    for (int i = from; i < to; ++i) {
      Node n = kNodes[static_cast<std::size_t>(i)];
      if (n.var >= 0) n.left += copy - from, n.right += copy - from;
      nodes.push_back(n);
    }
    roots.push_back(copy);
  }
  const auto f = yf::PatternForest::build(nodes, roots, 4, 4);
  REQUIRE(f);
  CHECK(f->trees() == 300);
  CHECK(vote(*f, {0.1f, 5.0f, 0.0f}) == std::vector<int>{100, 100, 100, 0});
  CHECK(vote(*f, {1.0f, 0.0f, 7.0f}) == std::vector<int>{100, 0, 100, 100});
}

TEST_CASE("flat forest: trees it cannot hold are refused", "[PatternForest]") {
  CHECK(yf::PatternForest::build(kNodes, kRoots, 4, 4));
  CHECK_FALSE(yf::PatternForest::build(kNodes, {0, 5, 13}, 4, 4));  // root out of range
  CHECK_FALSE(yf::PatternForest::build(kNodes, kRoots, 4, 3));      // class 3 of 3
  CHECK_FALSE(yf::PatternForest::build(kNodes, kRoots, 3, 4));      // more classes than features
  CHECK_FALSE(yf::PatternForest::build({split(4, 0.0f, 1, 2), leaf(0), leaf(1)}, {0}, 4, 2));  // feature 4 of 4
  auto cycle = kNodes;
  cycle[1].right = 0;  // back to the root
  CHECK_FALSE(yf::PatternForest::build(cycle, kRoots, 4, 4));
  auto shared = kNodes;
  shared[7].left = 2;  // tree C borrows a leaf of tree A
  CHECK_FALSE(yf::PatternForest::build(shared, kRoots, 4, 4));
  auto dangling = kNodes;
  dangling[8].right = 99;
  CHECK_FALSE(yf::PatternForest::build(dangling, kRoots, 4, 4));
  // A chain 300 levels deep (one split a level).
  std::vector<Node> chain(601);
  for (int i = 0; i < 300; ++i) chain[static_cast<std::size_t>(2 * i)] = split(0, static_cast<float>(i), 2 * i + 1, 2 * i + 2);
  for (int i = 0; i < 300; ++i) chain[static_cast<std::size_t>(2 * i + 1)] = leaf(1);
  chain[600] = leaf(0);
  CHECK_FALSE(yf::PatternForest::build(chain, {0}, 2, 2));
  chain.resize(2 * 200 + 1);
  chain[400] = leaf(0);
  const auto ok = yf::PatternForest::build(chain, {0}, 2, 2);
  REQUIRE(ok);
  CHECK(ok->max_depth() == 200);
  CHECK(vote(*ok, {150.5f}, 2) == std::vector<int>{0, 1});  // left at the split of 151
  CHECK(vote(*ok, {1000.0f}, 2) == std::vector<int>{1, 0});  // right 200 times
}

TEST_CASE("flat forest: the shipped model votes as OpenCV on every real map and on drawn maps",
          "[PatternForest][shipped][real]") {
  const auto model = yf::PatternModel::load(std::string(yf::test::kModelsDir) + "/patterns.yml.gz");
  REQUIRE(model->fast_path());
  auto same = [&](const yf::FailMap& map) {
    const auto f = yf::pattern_features(map);
    const auto fast = model->votes(f), slow = model->reference_votes(f);
    CHECK(fast == slow);
    const auto verdict = model->classify(map);
    std::size_t best = 0;
    for (std::size_t c = 1; c < slow.size(); ++c)
      if (slow[c] > slow[best]) best = c;
    CHECK(verdict.class_id == static_cast<int>(best));
    CHECK(verdict.confidence == slow[best]);
  };
  int maps = 0;
  for (const char* file : {"labelled_dev.jsonl", "lots_first100.jsonl"})
    for (const auto& m : yf::read_wm811k_jsonl(std::string(yf::test::kSharedDataDir) + "/wm811k/" + file))
      same(m.map), ++maps;
  CHECK(maps == 203);
  for (const auto& name : yf::pattern_classes())
    for (std::uint64_t seed = 1; seed <= 12; ++seed) same(yf::test::clear_example(name, seed));
}
