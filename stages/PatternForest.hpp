#pragma once
// A trained classification forest as plain arrays, voted without OpenCV (issue 6's
// cost target, docs/patterns.md "Classifier"). The trainer builds it from OpenCV's
// RTrees and checks it against RTrees::getVotes; the model file stores these arrays,
// and loading one checks them (from_arrays) so that no file can make a walk leave its
// tree or loop.
//
// Why a layout of its own: in the pipeline the forest is evicted from the caches
// between two wafers, and a tree walk is a chain of dependent loads, each a cache
// miss (OpenCV's nodes and the former 20-byte copy: ~850 KB for 100 trees). Here a
// node is 8 bytes, each tree is laid out depth first (a left child follows its
// parent), and the trees are walked in lockstep, one level of every tree at a time,
// without a branch, each tree's next node prefetched while the others take their
// step: the loads of a level overlap, and no mispredicted left/right branch stalls
// the walk. A tree leaves the walk at its leaf. In the pipeline (caches swept by the
// rest of a wafer's work) a vote of the shipped 100 trees costs ~3.3 us against
// ~10-12 us for the former per-tree walk (docs/patterns.md, "Speed").
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

  // Nullopt when the trees cannot be laid out here (more than 2^24 nodes, a tree deeper
  // than kMaxDepth levels, more classes than features, a feature index >= `features` (at
  // most 256), a label outside [0, classes), a child index out of range, a node reached twice).
  static std::optional<PatternForest> build(const std::vector<InputNode>& nodes, const std::vector<int>& roots,
                                            int features, int classes);

  static constexpr int kMaxDepth = 255;  // levels below a root; keeps a walk's length bounded

  // The arrays a vote walks, as the model file stores them. Node i: `thresholds[i]`
  // (NaN for a leaf) and `links[i]` = low 8 bits the feature it compares (a leaf: its
  // class), upper 24 bits its right child (a leaf: i itself); its left child is i + 1.
  // Tree t is nodes [roots[t], roots[t + 1]) (the last ends with the array), depth first.
  struct Arrays {
    std::vector<float> thresholds;
    std::vector<std::uint32_t> links;
    std::vector<std::uint32_t> roots;
  };
  Arrays arrays() const;
  // Takes arrays read from a file after checking everything the walk relies on: equal
  // sizes, 1 to 2^24 - 1 nodes, roots starting at 0 and increasing, in every tree each
  // child inside the tree and after its node (so no cycle), every node but the root the
  // child of exactly one node, features < `features` (at most 256), classes < `classes`
  // (at most `features`), depth <= kMaxDepth. Throws std::invalid_argument naming the
  // field ("links[12]: ...") otherwise.
  static PatternForest from_arrays(Arrays arrays, int features, int classes);

  // Adds one vote per tree to counts[label]; `counts` holds `classes` entries and `x`
  // `features` values. Thread-safe (const, locals only).
  void vote(const float* x, int* counts) const;

  // Asks for every tree's root node in the cache, so that the first level of a vote
  // that follows a while later (after the features) does not wait on memory (~0.25 us
  // a bench wafer; the top three levels instead cost more than they saved).
  void prefetch_roots() const {
    for (const std::uint32_t r : base_) __builtin_prefetch(nodes_.data() + r);
  }

  int trees() const { return static_cast<int>(base_.size()); }
  int nodes() const { return static_cast<int>(nodes_.size()); }
  int max_depth() const { return depth_; }  // of the deepest leaf (a root alone: 0)

 private:
  // 8 bytes. Inner node: go to the next node (its left child) when x[var] <= threshold,
  // else to node `right`; link = var | right << 8. Leaf: threshold NaN, so that every
  // comparison fails and the walk goes "right" to the leaf itself and stays there;
  // link = class | itself << 8 (the class, < features, is also a valid x index).
  struct Node {
    float threshold;
    std::uint32_t link;
  };
  std::vector<Node> nodes_;
  std::vector<std::uint32_t> base_;   // each tree's root
  int depth_ = 0;
};

}  // namespace yf
