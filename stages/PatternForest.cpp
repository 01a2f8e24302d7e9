#include "stages/PatternForest.hpp"

#include <algorithm>
#include <cmath>
#include <limits>
#include <stdexcept>
#include <string>

namespace yf {

std::optional<PatternForest> PatternForest::build(const std::vector<InputNode>& nodes, const std::vector<int>& roots,
                                                  int features, int classes) {
  // A leaf's class doubles as the feature its (never used) comparison reads.
  if (features <= 0 || features > 256 || classes <= 0 || classes > features) return std::nullopt;
  const auto count = static_cast<int>(nodes.size());
  if (count >= (1 << 24)) return std::nullopt;
  std::vector<char> seen(nodes.size(), 0);
  struct Tree {
    std::vector<Node> nodes;  // `link` holds indices within the tree until the trees are placed
    int depth = 0;            // of its deepest leaf (root 0): the steps a walk takes at most
  };
  std::vector<Tree> trees;
  trees.reserve(roots.size());
  struct Todo {
    int in, depth, parent;  // parent: the node whose right child this one is (-1: a left child or the root)
  };
  std::vector<Todo> stack;
  const float leaf = std::numeric_limits<float>::quiet_NaN();
  for (const int root : roots) {
    if (root < 0 || root >= count) return std::nullopt;
    Tree t;
    stack.assign(1, Todo{root, 0, -1});
    // Depth first, left before right: a left child lands just after its parent.
    while (!stack.empty()) {
      const Todo todo = stack.back();
      stack.pop_back();
      if (seen[static_cast<std::size_t>(todo.in)] || todo.depth > kMaxDepth) return std::nullopt;
      seen[static_cast<std::size_t>(todo.in)] = 1;
      const auto self = static_cast<std::uint32_t>(t.nodes.size());
      if (todo.parent >= 0) t.nodes[static_cast<std::size_t>(todo.parent)].link |= self << 8;
      const InputNode& in = nodes[static_cast<std::size_t>(todo.in)];
      if (in.var < 0) {
        if (in.label < 0 || in.label >= classes) return std::nullopt;
        t.nodes.push_back(Node{leaf, static_cast<std::uint32_t>(in.label) | self << 8});
        t.depth = std::max(t.depth, todo.depth);
        continue;
      }
      if (in.var >= features || in.left < 0 || in.left >= count || in.right < 0 || in.right >= count)
        return std::nullopt;
      t.nodes.push_back(Node{in.threshold, static_cast<std::uint32_t>(in.var)});
      stack.push_back(Todo{in.right, todo.depth + 1, static_cast<int>(self)});
      stack.push_back(Todo{in.left, todo.depth + 1, -1});
    }
    trees.push_back(std::move(t));
  }
  PatternForest f;
  for (const Tree& t : trees) {
    const auto base = static_cast<std::uint32_t>(f.nodes_.size());
    f.base_.push_back(base);
    for (Node n : t.nodes) {
      n.link = (n.link & 0xFF) | ((n.link >> 8) + base) << 8;  // the right child's index in the forest
      f.nodes_.push_back(n);
    }
    f.depth_ = std::max(f.depth_, t.depth);
  }
  return f;
}

PatternForest::Arrays PatternForest::arrays() const {
  Arrays a;
  a.thresholds.reserve(nodes_.size());
  a.links.reserve(nodes_.size());
  for (const Node& n : nodes_) a.thresholds.push_back(n.threshold), a.links.push_back(n.link);
  a.roots = base_;
  return a;
}

PatternForest PatternForest::from_arrays(Arrays a, int features, int classes) {
  auto fail = [](const std::string& what) { throw std::invalid_argument(what); };
  auto str = [](auto x) { return std::to_string(x); };
  if (features <= 0 || features > 256) fail(str(features) + " features, the walk takes 1 to 256");
  if (classes <= 0 || classes > features)
    fail(str(classes) + " classes, the walk takes 1 to the feature count (" + str(features) + ")");
  const std::size_t n = a.links.size();
  if (a.thresholds.size() != n)
    fail("thresholds: " + str(a.thresholds.size()) + " nodes, links: " + str(n) + " (the same count expected)");
  if (n == 0 || n >= (std::size_t{1} << 24)) fail("links: " + str(n) + " nodes, the walk takes 1 to 16777215");
  if (a.roots.empty()) fail("roots: no tree");
  if (a.roots[0] != 0) fail("roots[0]: " + str(a.roots[0]) + ", the first tree starts at node 0");
  for (std::size_t t = 1; t < a.roots.size(); ++t)
    if (a.roots[t] <= a.roots[t - 1] || a.roots[t] >= n)
      fail("roots[" + str(t) + "]: " + str(a.roots[t]) + ", not after roots[" + str(t - 1) + "] (" +
           str(a.roots[t - 1]) + ") and before the end (" + str(n) + " nodes)");
  // Every child of node i is checked to lie after i, so when node i is reached all its
  // possible parents have been seen: its parent count and depth are final.
  std::vector<std::uint8_t> parents(n, 0);  // 0, 1, or 2 meaning "more than one"
  std::vector<std::uint16_t> depth(n, 0);
  int deepest = 0;
  for (std::size_t t = 0; t < a.roots.size(); ++t) {
    const std::size_t begin = a.roots[t], end = t + 1 < a.roots.size() ? a.roots[t + 1] : n;
    // (Messages built only on failure: this loop is most of a model's load.)
    auto tree = [&] { return "tree " + str(t) + " (nodes " + str(begin) + " to " + str(end - 1) + ")"; };
    for (std::size_t i = begin; i < end; ++i) {
      auto at = [&] { return "links[" + str(i) + "]: "; };
      if (i > begin && parents[i] != 1)
        fail(at() + "node " + str(i) + " of " + tree() + " is the child of " + (parents[i] == 0 ? "no" : "more than one") +
             " node");
      const std::uint32_t link = a.links[i], low = link & 0xFF, high = link >> 8;
      if (std::isnan(a.thresholds[i])) {  // a leaf
        if (high != i) fail(at() + "a leaf (NaN threshold) links to node " + str(high) + ", not to itself");
        if (low >= static_cast<std::uint32_t>(classes)) fail(at() + "class " + str(low) + ", the model has " + str(classes));
        deepest = std::max<int>(deepest, depth[i]);
        continue;
      }
      if (low >= static_cast<std::uint32_t>(features))
        fail(at() + "feature " + str(low) + ", the model has " + str(features));
      if (i + 1 >= end) fail(at() + "the left child (node " + str(i + 1) + ") is outside " + tree());
      if (high <= i + 1 || high >= end)
        fail(at() + "the right child (node " + str(high) + ") is not after the left one (" + str(i + 1) + ") inside " + tree());
      if (depth[i] + 1 > kMaxDepth) fail(at() + tree() + " is deeper than " + str(kMaxDepth) + " levels");
      for (const std::size_t child : {std::size_t{i + 1}, std::size_t{high}}) {
        parents[child] = static_cast<std::uint8_t>(std::min(parents[child] + 1, 2));
        depth[child] = static_cast<std::uint16_t>(depth[i] + 1);
      }
    }
  }
  PatternForest f;
  f.nodes_.resize(n);
  for (std::size_t i = 0; i < n; ++i) f.nodes_[i] = Node{a.thresholds[i], a.links[i]};
  f.base_ = std::move(a.roots);
  f.depth_ = deepest;
  return f;
}

void PatternForest::vote(const float* x, int* counts) const {
  constexpr std::size_t kChunk = 256;  // trees walked together (positions on the stack)
  const Node* nodes = nodes_.data();
  const std::size_t trees = base_.size();
  for (std::size_t c0 = 0; c0 < trees; c0 += kChunk) {
    std::size_t walking = std::min(kChunk, trees - c0);
    std::uint32_t pos[kChunk];
    std::uint8_t label[kChunk];  // the class of each leaf reached, in the order reached
    std::size_t done = 0;
    std::copy_n(base_.data() + c0, walking, pos);  // the roots
    while (walking > 0) {
      // One level of every tree still walking. A tree on a leaf records its class and
      // leaves the walk, the others go down one level and stay (in place: kept <= t).
      // No branch: which way a tree goes is as good as random, and a mispredicted
      // branch would also stop the other trees' loads of this level.
      std::size_t kept = 0;
      for (std::size_t t = 0; t < walking; ++t) {
        const std::uint32_t at = pos[t];
        const Node nd = nodes[at];
        std::uint32_t leaf = std::isnan(nd.threshold) ? 1u : 0u;
        std::uint32_t left = -static_cast<std::uint32_t>(x[nd.link & 0xFF] <= nd.threshold);
        // Hide that these are 0/1 and 0/~0 from the optimiser, which would turn them
        // back into branches (GCC 12 does).
        __asm__("" : "+r"(leaf), "+r"(left));
        label[done] = static_cast<std::uint8_t>(nd.link);
        done += leaf;
        const std::uint32_t next = ((at + 1) & left) | ((nd.link >> 8) & ~left);
        pos[kept] = next;
        kept += 1 - leaf;
        // Fetched while the other trees take this level: the load of the next level is
        // then a hit instead of a miss the whole walk waits on.
        __builtin_prefetch(nodes + next);
      }
      walking = kept;
    }
    for (std::size_t t = 0; t < done; ++t) ++counts[label[t]];
  }
}

}  // namespace yf
