#pragma once
// 8-connected components of a sparse binary mask, as runs of pixels: what
// extract_blobs needs of cv::connectedComponentsWithStats (which component each
// pixel is in, each component's box) without its whole-image label image and
// per-pixel statistics. On the die-to-die growth mask (a few thousand pixels in
// millions) OpenCV's call cost 13-16 % of a whole image run: it writes a 32-bit
// label for every pixel and updates the background's statistics at every one
// (docs/performance.md, "Follow-up: images5"). Here the empty parts of the mask
// are skipped sixteen bytes at a time and only the runs are stored.
//
// The labels are OpenCV's own (cv::connectedComponentsWithStats(mask, labels,
// stats, centroids, 8, CV_32S), whose block-based labelling - Spaghetti - numbers
// the components in the order of their first 2x2 pixel block in raster order:
// block rows (y / 2) top to bottom, in each the blocks (x / 2) left to right), so a
// caller's results do not change with the labeller. Tests compare both on random masks.
#include <opencv2/core/mat.hpp>

#include <vector>

namespace yf {

struct MaskRun {
  int row = 0;    // image row
  int begin = 0;  // columns [begin, end) of the row, every one non-zero
  int end = 0;
  int label = 0;  // 1 .. count - 1
};

struct MaskComponents {
  int count = 1;                // labels, the background (0) included, as OpenCV returns it
  std::vector<MaskRun> runs;    // every run of non-zero pixels, in raster order
  std::vector<cv::Rect> boxes;  // bounding box of each label (boxes[0]: empty)
  // Scratch kept from call to call (union-find parents, the components' order keys).
  std::vector<int> parent;
  std::vector<long long> first_block;
  std::vector<int> order;
};

// Labels the non-zero pixels of a CV_8UC1 mask into `out` (its previous contents dropped).
void label_mask_components(const cv::Mat& mask, MaskComponents& out);

}  // namespace yf
