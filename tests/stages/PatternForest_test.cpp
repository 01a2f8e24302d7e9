// PatternForest, the flat copy of the random forest that votes in the pipeline: hand-built
// trees whose votes are worked out by hand (ties at a threshold, a lone leaf, trees of
// different depths walked together, more trees than one lockstep chunk), the trees it
// refuses, its arrays as a model file stores them and every corruption of them that
// loading refuses, and a forest of the shipped size trained here against OpenCV's own
// vote on every real map.
#include "stages/PatternForest.hpp"

#include <catch2/catch.hpp>
#include <bit>
#include <cmath>
#include <limits>
#include <random>
#include <stdexcept>

#include "PatternTestMaps.hpp"
#include "TestPaths.hpp"
#include "io/Wm811kJson.hpp"
#include "stages/PatternClassifier.hpp"
#include "stages/PatternModel.hpp"
#include "stages/PatternModelImpl.hpp"
#include "stages/PatternTraining.hpp"

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

namespace {

// The arrays of kNodes laid out (worked out by hand from the drawing above, depth first,
// a left child right after its parent): A = nodes 0-4, B = node 5, C = nodes 6-12.
constexpr std::uint32_t link(std::uint32_t low, std::uint32_t right) { return low | right << 8; }
const float kLeaf = std::numeric_limits<float>::quiet_NaN();
yf::PatternForest::Arrays drawn_arrays() {
  return {{0.5f, 2.0f, kLeaf, kLeaf, kLeaf,  // A: x0 <= 0.5 (right: 4), x1 <= 2 (right: 3), classes 1, 2, 3
           kLeaf,                            // B: class 0
           -1.0f, kLeaf, 0.25f, kLeaf, 0.0f, kLeaf, kLeaf},  // C
          {link(0, 4), link(1, 3), link(1, 2), link(2, 3), link(3, 4),  //
           link(0, 5),                                                  //
           link(2, 8), link(0, 7), link(0, 10), link(1, 9), link(1, 12), link(2, 11), link(3, 12)},
          {0, 5, 6}};
}

std::string refusal(const yf::PatternForest::Arrays& a, int features = 4, int classes = 4) {
  try {
    yf::PatternForest::from_arrays(a, features, classes);
  } catch (const std::invalid_argument& e) {
    return e.what();
  }
  return "(accepted)";
}

bool same_arrays(const yf::PatternForest::Arrays& a, const yf::PatternForest::Arrays& b) {
  if (a.links != b.links || a.roots != b.roots || a.thresholds.size() != b.thresholds.size()) return false;
  for (std::size_t i = 0; i < a.thresholds.size(); ++i)
    if (std::bit_cast<std::uint32_t>(a.thresholds[i]) != std::bit_cast<std::uint32_t>(b.thresholds[i])) return false;
  return true;
}

}  // namespace

TEST_CASE("flat forest: its arrays are the nodes as drawn, and read back they vote the same", "[PatternForest]") {
  const auto built = yf::PatternForest::build(kNodes, kRoots, 4, 4);
  REQUIRE(built);
  CHECK(same_arrays(built->arrays(), drawn_arrays()));
  const auto f = yf::PatternForest::from_arrays(drawn_arrays(), 4, 4);
  CHECK(f.trees() == 3);
  CHECK(f.nodes() == 13);
  CHECK(f.max_depth() == 3);
  CHECK(same_arrays(f.arrays(), drawn_arrays()));
  CHECK(vote(f, {0.1f, 5.0f, 0.0f}) == std::vector<int>{1, 1, 1, 0});
  CHECK(vote(f, {0.5f, 2.0f, -1.0f}) == std::vector<int>{2, 1, 0, 0});
  CHECK(vote(f, {1.0f, 0.0f, 7.0f}) == std::vector<int>{1, 0, 1, 1});
}

TEST_CASE("flat forest: arrays that could misdirect the walk are refused, naming the field", "[PatternForest]") {
  using Catch::Contains;
  const auto good = drawn_arrays();
  auto with = [&](auto edit) {
    auto a = good;
    edit(a);
    return refusal(a);
  };
  CHECK(refusal(good) == "(accepted)");
  // Sizes.
  CHECK_THAT(with([](auto& a) { a.thresholds.pop_back(); }), Contains("thresholds: 12 nodes, links: 13"));
  CHECK_THAT(refusal({}), Contains("links: 0 nodes"));
  CHECK_THAT(with([](auto& a) { a.roots.clear(); }), Contains("roots: no tree"));
  // Roots: the first at 0, then increasing, inside the array.
  CHECK_THAT(with([](auto& a) { a.roots[0] = 1; }), Contains("roots[0]: 1"));
  CHECK_THAT(with([](auto& a) { a.roots = {0, 6, 5}; }), Contains("roots[2]: 5"));
  CHECK_THAT(with([](auto& a) { a.roots = {0, 5, 13}; }), Contains("roots[2]: 13"));
  // A child out of range, pointing back (a cycle), at itself, into the next tree.
  CHECK_THAT(with([](auto& a) { a.links[0] = link(0, 99); }), Contains("links[0]: the right child (node 99)"));
  CHECK_THAT(with([](auto& a) { a.links[8] = link(0, 7); }), Contains("links[8]: the right child (node 7) is not after"));
  CHECK_THAT(with([](auto& a) { a.links[8] = link(0, 8); }), Contains("links[8]: the right child (node 8)"));
  CHECK_THAT(with([](auto& a) { a.links[8] = link(0, 9); }), Contains("links[8]: the right child (node 9) is not after the left one"));
  CHECK_THAT(with([](auto& a) { a.links[1] = link(1, 6); }), Contains("links[1]: the right child (node 6)") &&
                                                                 Contains("inside tree 0 (nodes 0 to 4)"));
  // A tree's last node made a split: its left child would be the next tree's root.
  CHECK_THAT(with([](auto& a) { a.thresholds[4] = 0.5f; }), Contains("links[4]: the left child (node 5) is outside tree 0"));
  // Two parents for one node (node 3 is node 1's right child and now node 0's), none for another.
  CHECK_THAT(with([](auto& a) { a.links[0] = link(0, 3); }), Contains("links[3]") && Contains("more than one"));
  // Indices the walk reads with: the feature a split compares, a leaf's class.
  CHECK_THAT(with([](auto& a) { a.links[1] = link(4, 3); }), Contains("links[1]: feature 4, the model has 4"));
  CHECK_THAT(with([](auto& a) { a.links[3] = link(4, 3); }), Contains("links[3]: class 4, the model has 4"));
  CHECK_THAT(refusal(good, 4, 3), Contains("links[4]: class 3, the model has 3"));
  // A leaf must stay where it is (its "right child" is itself).
  CHECK_THAT(with([](auto& a) { a.links[2] = link(1, 3); }), Contains("links[2]: a leaf (NaN threshold) links to node 3"));
  // Limits of the layout.
  CHECK_THAT(refusal(good, 300, 4), Contains("300 features"));
  CHECK_THAT(refusal(good, 4, 5), Contains("5 classes"));
}

TEST_CASE("flat forest: a tree deeper than the walk's limit is refused", "[PatternForest]") {
  // A left chain of k splits: nodes 0..k-1 split, node k is the deepest leaf (depth k),
  // the right children k+1..2k are leaves, node i's being 2k - i (depth first).
  auto chain = [](std::uint32_t k) {
    yf::PatternForest::Arrays a;
    for (std::uint32_t i = 0; i < k; ++i) a.thresholds.push_back(static_cast<float>(i)), a.links.push_back(link(0, 2 * k - i));
    for (std::uint32_t i = k; i <= 2 * k; ++i) a.thresholds.push_back(kLeaf), a.links.push_back(link(i == k ? 1 : 0, i));
    a.roots = {0};
    return a;
  };
  const auto ok = yf::PatternForest::from_arrays(chain(255), 2, 2);
  CHECK(ok.max_depth() == 255);
  CHECK(vote(ok, {1000.0f}, 2) == std::vector<int>{1, 0});  // right at the root
  CHECK(vote(ok, {-1.0f}, 2) == std::vector<int>{0, 1});    // left 255 times
  CHECK_THAT(refusal(chain(256), 2, 2), Catch::Contains("links[255]") && Catch::Contains("deeper than 255"));
}

TEST_CASE("flat forest: randomly corrupted arrays are refused or still vote once a tree", "[PatternForest]") {
  // Whatever a damaged file holds, loading either refuses it or gives a forest whose walk
  // stays inside its arrays and ends (ASan and the test's timeout would catch the rest).
  const auto built = yf::PatternForest::build(kNodes, kRoots, 4, 4);
  REQUIRE(built);
  std::mt19937 rng(7);
  int accepted = 0;
  for (int trial = 0; trial < 4000; ++trial) {
    auto a = built->arrays();
    for (int k = 0; k < 1 + trial % 3; ++k) {
      const std::size_t i = rng() % a.links.size();
      switch (rng() % 4) {
        case 0: a.links[i] ^= 1u << (rng() % 32); break;
        case 1: a.links[i] = static_cast<std::uint32_t>(rng() % 16) | static_cast<std::uint32_t>(rng() % 16) << 8; break;
        case 2: a.thresholds[i] = rng() % 2 ? kLeaf : static_cast<float>(rng() % 5) - 2.0f; break;
        default: a.roots[rng() % a.roots.size()] = static_cast<std::uint32_t>(rng() % 14); break;
      }
    }
    try {
      const auto f = yf::PatternForest::from_arrays(a, 4, 4);
      ++accepted;
      for (const auto& x : {std::vector<float>{0, 0, 0}, {1, 3, -2}, {0.25f, -1, 5}}) {
        const auto v = vote(f, x);
        CHECK(v[0] + v[1] + v[2] + v[3] == f.trees());
      }
    } catch (const std::invalid_argument&) {
    }
  }
  CHECK(accepted > 0);     // thresholds moved, classes swapped: still well-formed
  CHECK(accepted < 4000);  // and most damage refused
}

TEST_CASE("flat forest: a forest of the shipped size trained here votes as OpenCV on every real map",
          "[PatternForest][real]") {
  // The shipped model file holds only the flat forest; OpenCV's trees live only in the
  // process that trains. So a forest of about the shipped one's size and shape is trained
  // here (100 trees, depth <= 20; the real maps in their 8 orientations, drawn maps, and
  // scattered fails under random labels for deep trees), and its flat vote compared with
  // getVotes on the 203 real maps and drawn maps of every class. (The trainer also
  // compares them on every training row: train_pattern_model.)
  std::vector<yf::LabelledMap> train;
  std::vector<yf::FailMap> real;
  for (const char* file : {"labelled_dev.jsonl", "lots_first100.jsonl"})
    for (const auto& m : yf::read_wm811k_jsonl(std::string(yf::test::kSharedDataDir) + "/wm811k/" + file)) {
      real.push_back(m.map);
      const int id = yf::pattern_class_id(m.failure_type);
      if (id >= 0)
        for (int k = 0; k < 8; ++k) train.push_back({yf::dihedral(m.map, k), id, 1.0f});  // as the trainer does
    }
  REQUIRE(real.size() == 203);
  for (std::size_t c = 0; c < yf::pattern_classes().size(); ++c)
    for (std::uint64_t seed = 100; seed < 110; ++seed)
      train.push_back({yf::test::clear_example(yf::pattern_classes()[c], seed), static_cast<int>(c), 1.0f});
  // Scattered fails under random labels: learning them by heart grows deep trees.
  for (std::uint64_t seed = 1; seed <= 400; ++seed)
    train.push_back({yf::test::round_map(30 + static_cast<int>(seed % 20), yf::test::scattered(0.02 + 0.001 * static_cast<double>(seed), seed)),
                     static_cast<int>(seed * 7 % 9), 1.0f});
  yf::PatternTrainingOptions o;
  o.seed = 11;
  const auto model = yf::train_pattern_model(train, o);
  REQUIRE(model->has_reference());
  CHECK(model->trees() == 100);
  CHECK(model->impl().forest.nodes() > 20000);  // 32,776 with this seed (the shipped forest: 43,272)
  CHECK(model->impl().forest.max_depth() > 15);  // 20
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
  for (const auto& m : real) same(m);
  for (const auto& name : yf::pattern_classes())
    for (std::uint64_t seed = 1; seed <= 12; ++seed) same(yf::test::clear_example(name, seed));
}
