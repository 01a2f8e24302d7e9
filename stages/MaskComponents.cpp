// 8-connected components of a sparse mask, as runs (stages/MaskComponents.hpp).
#include "stages/MaskComponents.hpp"

#include <emmintrin.h>

#include <algorithm>
#include <cstdint>
#include <stdexcept>

namespace yf {
namespace {

// The first column at or after x (below n) whose byte is non-zero (zero_wanted false) or
// zero (true); n if none. Sixteen bytes at a time (SSE2, the x86-64 baseline).
int next_column(const std::uint8_t* row, int x, int n, bool zero_wanted) {
  const __m128i zero = _mm_setzero_si128();
  for (; x + 16 <= n; x += 16) {
    const auto z = static_cast<unsigned>(
        _mm_movemask_epi8(_mm_cmpeq_epi8(_mm_loadu_si128(reinterpret_cast<const __m128i*>(row + x)), zero)));
    const unsigned hits = zero_wanted ? z : ~z & 0xFFFFu;
    if (hits != 0) return x + __builtin_ctz(hits);
  }
  while (x < n && (row[x] == 0) != zero_wanted) ++x;
  return x;
}

int root_of(std::vector<int>& parent, int i) {
  while (parent[static_cast<std::size_t>(i)] != i) {
    const int up = parent[static_cast<std::size_t>(parent[static_cast<std::size_t>(i)])];
    parent[static_cast<std::size_t>(i)] = up;
    i = up;
  }
  return i;
}

}  // namespace

void label_mask_components(const cv::Mat& mask, MaskComponents& out) {
  if (mask.type() != CV_8UC1) throw std::invalid_argument("label_mask_components: the mask must be CV_8UC1");
  std::vector<MaskRun>& runs = out.runs;
  std::vector<int>& parent = out.parent;
  runs.clear();
  parent.clear();
  // Pass 1: the runs, row by row, each a node joined to the runs of the row above that it
  // touches (8-connected: their columns overlap or meet diagonally). A component's root is
  // its smallest node.
  std::size_t above_begin = 0, above_end = 0;
  for (int r = 0; r < mask.rows; ++r) {
    const std::uint8_t* p = mask.ptr<std::uint8_t>(r);
    const std::size_t row_begin = runs.size();
    std::size_t j = above_begin;
    for (int x = next_column(p, 0, mask.cols, false); x < mask.cols; x = next_column(p, x, mask.cols, false)) {
      const int end = next_column(p, x + 1, mask.cols, true);
      const int node = static_cast<int>(runs.size());
      runs.push_back({r, x, end, node});
      parent.push_back(node);
      // Runs above whose last pixel lies left of x - 1 touch neither this run nor any later one.
      while (j < above_end && runs[j].end < x) ++j;
      for (std::size_t k = j; k < above_end && runs[k].begin <= end; ++k) {
        const int a = root_of(parent, node), b = root_of(parent, static_cast<int>(k));
        if (a != b) parent[static_cast<std::size_t>(std::max(a, b))] = std::min(a, b);
      }
      x = end;
    }
    above_begin = row_begin;
    above_end = runs.size();
  }
  // Pass 2: OpenCV's numbering - by each component's first 2x2 block in raster order
  // (its smallest (y / 2, x / 2); a run's smallest is its first pixel's).
  const std::size_t n = runs.size();
  std::vector<long long>& first = out.first_block;
  first.assign(n, 0);
  std::vector<int>& order = out.order;
  order.clear();
  for (std::size_t i = 0; i < n; ++i) {
    const int root = root_of(parent, static_cast<int>(i));
    runs[i].label = root;
    const long long key = (static_cast<long long>(runs[i].row >> 1) << 32) | static_cast<long long>(runs[i].begin >> 1);
    if (root == static_cast<int>(i)) {
      first[i] = key;
      order.push_back(root);
    } else {
      first[static_cast<std::size_t>(root)] = std::min(first[static_cast<std::size_t>(root)], key);
    }
  }
  std::sort(order.begin(), order.end(), [&](int a, int b) {
    return first[static_cast<std::size_t>(a)] < first[static_cast<std::size_t>(b)];
  });
  // The final label of each root in parent[root] (roots are no longer followed).
  for (std::size_t k = 0; k < order.size(); ++k) parent[static_cast<std::size_t>(order[k])] = static_cast<int>(k) + 1;
  out.count = static_cast<int>(order.size()) + 1;
  out.boxes.assign(static_cast<std::size_t>(out.count), cv::Rect());
  std::vector<cv::Point> lo(static_cast<std::size_t>(out.count)), hi(static_cast<std::size_t>(out.count));
  std::vector<char> seen(static_cast<std::size_t>(out.count), 0);
  for (MaskRun& run : runs) {
    run.label = parent[static_cast<std::size_t>(run.label)];
    const auto l = static_cast<std::size_t>(run.label);
    if (!seen[l]) {
      seen[l] = 1;
      lo[l] = {run.begin, run.row};
      hi[l] = {run.end - 1, run.row};
    } else {
      lo[l].x = std::min(lo[l].x, run.begin);
      hi[l].x = std::max(hi[l].x, run.end - 1);
      hi[l].y = run.row;  // rows come in order
    }
  }
  for (std::size_t l = 1; l < out.boxes.size(); ++l)
    out.boxes[l] = cv::Rect(lo[l].x, lo[l].y, hi[l].x - lo[l].x + 1, hi[l].y - lo[l].y + 1);
}

}  // namespace yf
