#pragma once
// A trained classification forest as plain arrays, voted without OpenCV (issue 6's
// cost target, docs/patterns.md "Classifier"). PatternModel builds it from the OpenCV
// RTrees it loads and checks it against RTrees::getVotes before using it.
//
// Why a layout of its own: in the pipeline the forest is evicted from the caches
// between two wafers, and a tree walk is a chain of dependent loads, each a cache
// miss (OpenCV's nodes and the former 20-byte copy: ~850 KB for 100 trees). Here a
// node is 8 bytes, each tree is laid out depth first (a left child follows its
// parent), and the trees are walked in lockstep, one level of every tree at a time,
// without a branch: the loads of a level are independent and overlap, and no
// mispredicted left/right branch stalls the walk.
#include <cstdint>
#include <optional>
#include <vector>

namespace yf {

class PatternForest {
 public:
  // One node of a tree as the trainer keeps it (OpenCV DTrees::Node with its Split),
  // nodes of all trees in one array, in any order. An inner node (var >= 0) sends a
  // row left when x[var] <= threshold, else right; a leaf (var < 0) votes `label`.
  struct InputNode {
    int var = -1;
    float threshold = 0;
    int left = -1, right = -1;
    int label = 0;
  };

  // Nullopt when the trees cannot be laid out here (a tree of more than 65,536 nodes
  // or deeper than 255 levels, a feature index >= 256 or >= `features`, a label
  // outside [0, classes), a child index out of range, a node reached twice).
  static std::optional<PatternForest> build(const std::vector<InputNode>& nodes, const std::vector<int>& roots,
                                            int features, int classes);

  // Adds one vote per tree to counts[label]; `counts` holds `classes` entries and `x`
  // `features` values. Thread-safe (const, locals only).
  void vote(const float* x, int* counts) const;

  int trees() const { return static_cast<int>(base_.size()); }
  int nodes() const { return static_cast<int>(nodes_.size()); }
  int max_depth() const { return static_cast<int>(active_.size()); }

 private:
  // 8 bytes. Inner node: go to this + step (= +1, the left child) when
  // x[var] <= threshold, else to tree + right. Leaf: var 0, step 0 and right = itself,
  // so that a walk that reached it stays there whichever way x[0] compares; its
  // threshold is the class it votes for (the vote then reads no other array).
  struct Node {
    float threshold;
    std::uint8_t var;
    std::uint8_t step;
    std::uint16_t right;  // index within the tree
  };
  std::vector<Node> nodes_;
  std::vector<std::uint32_t> base_;   // each tree's first node, the deepest tree first
  std::vector<std::uint32_t> active_;  // active_[d]: trees with a leaf deeper than d
};

}  // namespace yf
