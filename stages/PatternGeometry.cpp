#include "stages/PatternGeometry.hpp"

#include <algorithm>
#include <array>
#include <cmath>
#include <limits>
#include <numbers>

namespace yf::pattern_detail {
namespace {

constexpr int kAngles = 32;  // projections every 5.6 degrees: 0, 45, 90 and 135 among them
constexpr double kTan22_5 = 0.41421356237309503;

int find_root(std::vector<int>& parent, int x) {
  while (parent[static_cast<std::size_t>(x)] != x) {
    parent[static_cast<std::size_t>(x)] = parent[static_cast<std::size_t>(parent[static_cast<std::size_t>(x)])];
    x = parent[static_cast<std::size_t>(x)];
  }
  return x;
}

void unite(std::vector<int>& parent, int a, int b) {
  a = find_root(parent, a), b = find_root(parent, b);
  if (a != b) parent[static_cast<std::size_t>(std::max(a, b))] = std::min(a, b);
}

using P = GridPoint;
long cross(const P& o, const P& a, const P& b) { return (a.x - o.x) * (b.y - o.y) - (a.y - o.y) * (b.x - o.x); }

// Area of the convex hull of a set of unit squares given by their centres, grown by
// half a die (hull area + perimeter / 2 + 1, exact for convex sets of squares' centres
// up to the corners), so that a straight line or a filled disc has solidity ~1.
// `pts` are sorted by (x, y): Andrew's monotone chain, in `h` (the caller's buffer).
double hull_area(const std::vector<P>& pts, std::vector<P>& h) {
  if (pts.empty()) return 0;
  h.resize(2 * pts.size());
  std::size_t k = 0;
  for (const P& p : pts) {
    while (k >= 2 && cross(h[k - 2], h[k - 1], p) <= 0) --k;
    h[k++] = p;
  }
  for (std::size_t i = pts.size() - 1, t = k + 1; i-- > 0;) {
    while (k >= t && cross(h[k - 2], h[k - 1], pts[i]) <= 0) --k;
    h[k++] = pts[i];
  }
  h.resize(k > 1 ? k - 1 : k);
  double area2 = 0, perimeter = 0;
  for (std::size_t i = 0; i < h.size(); ++i) {
    const P& a = h[i];
    const P& b = h[(i + 1) % h.size()];
    area2 += static_cast<double>(a.x * b.y - b.x * a.y);
    perimeter += std::hypot(static_cast<double>(b.x - a.x), static_cast<double>(b.y - a.y));
  }
  return std::fabs(area2) / 2 + perimeter / 2 + 1;
}

}  // namespace

int sector16(double u, double v) {
  // Octant 0..7 counter-clockwise from +u, then which half of it.
  int o;
  if (v >= 0)
    o = u >= 0 ? (u >= v ? 0 : 1) : (-u <= v ? 2 : 3);
  else
    o = u < 0 ? (-u >= -v ? 4 : 5) : (u <= -v ? 6 : 7);
  const double au = std::fabs(u), av = std::fabs(v), hi = std::max(au, av);
  const double t = hi > 0 ? std::min(au, av) / hi : 0.0;
  const bool upper = (o % 2 == 0) ? t > kTan22_5 : t <= kTan22_5;
  return 2 * o + (upper ? 1 : 0);
}

Regions find_regions(const Frame& f, const std::vector<std::uint8_t>& mask, std::span<const int> pixels, int big,
                     RegionBuffers& buffers) {
  Regions out;
  if (pixels.empty()) return out;
  std::vector<int>& labels = buffers.labels;
  std::vector<int>& parent = buffers.parent;
  std::vector<BlobSums>& blobs = buffers.blobs;
  const int W = f.W;
  if (labels.size() != mask.size()) labels.assign(mask.size(), 0);
  parent.assign(1, 0);
  // Pass 1: provisional labels from the already-scanned neighbours, Wu's decision tree
  // (SAUF): N, when labelled, is already joined to NW, NE and W, so only the two cases
  // without it can meet two different labels.
  int* lab = labels.data();
  for (const int i : pixels) {
    const int n = lab[i - W], nw = lab[i - W - 1], ne = lab[i - W + 1], w = lab[i - 1];
    int l;
    if (n) {
      l = n;
    } else if (nw) {
      l = nw;
      if (ne) unite(parent, nw, ne);
    } else if (ne) {
      l = ne;
      if (w) unite(parent, ne, w);
    } else if (w) {
      l = w;
    } else {
      l = static_cast<int>(parent.size());
      parent.push_back(l);
    }
    lab[i] = l;
  }
  // Every label's parent has a smaller number: one pass in order resolves them all.
  for (std::size_t l = 1; l < parent.size(); ++l) parent[l] = parent[static_cast<std::size_t>(parent[l])];
  // Pass 2: sums per root, in integers (exact in any order). Pixels come in scan order,
  // so runs of one component are summed in registers and added to its sums at the end
  // of the run: a dense map is a few long runs instead of a chain of dependent updates
  // in memory per pixel.
  blobs.assign(parent.size(), BlobSums{});
  {
    BlobSums run;
    int current = 0;  // label 0 is no component: its sums are never read
    auto flush = [&] {
      BlobSums& b = blobs[static_cast<std::size_t>(current)];
      b.a += run.a, b.b += run.b, b.aa += run.aa, b.bb += run.bb, b.ab += run.ab;
      b.area += run.area, b.edge += run.edge, b.sectors |= run.sectors;
      b.rho_min = std::min(b.rho_min, run.rho_min), b.rho_max = std::max(b.rho_max, run.rho_max);
      run = BlobSums{};
    };
    for (const int i : pixels) {
      const int root = parent[static_cast<std::size_t>(lab[i])];
      labels[static_cast<std::size_t>(i)] = root;
      if (root != current) flush(), current = root;
      const std::int64_t a = f.u2[static_cast<std::size_t>(f.col[static_cast<std::size_t>(i)])];
      const std::int64_t b = f.v2[static_cast<std::size_t>(f.row[static_cast<std::size_t>(i)])];
      const float rho = f.rho[static_cast<std::size_t>(i)];
      ++run.area;
      run.a += a, run.b += b, run.aa += a * a, run.bb += b * b, run.ab += a * b;
      run.rho_min = std::min(run.rho_min, rho), run.rho_max = std::max(run.rho_max, rho);
      run.sectors |= 1u << f.sector[static_cast<std::size_t>(i)];
      run.edge += f.dist[static_cast<std::size_t>(i)] <= 2;
    }
    flush();
  }
  int first = 0, second = 0;
  for (std::size_t l = 1; l < blobs.size(); ++l) {
    const int area = blobs[l].area;
    if (area == 0) continue;
    if (area >= big) ++out.big_count, out.big_area += area;
    if (area > blobs[static_cast<std::size_t>(first)].area) {
      second = first;
      first = static_cast<int>(l);
    } else if (area > blobs[static_cast<std::size_t>(second)].area) {
      second = static_cast<int>(l);
    }
  }
  auto moments = [&](const BlobSums& s) {
    Blob m;
    m.area = s.area;
    const double du = f.u_den, dv = f.v_den;
    m.su = static_cast<double>(s.a) / du, m.sv = static_cast<double>(s.b) / dv;
    m.suu = static_cast<double>(s.aa) / (du * du), m.svv = static_cast<double>(s.bb) / (dv * dv);
    m.suv = static_cast<double>(s.ab) / (du * dv);
    m.rho_min = s.rho_min, m.rho_max = s.rho_max;
    m.sectors = s.sectors, m.edge = s.edge;
    return m;
  };
  if (first > 0) out.first = moments(blobs[static_cast<std::size_t>(first)]);
  if (second > 0) out.second = moments(blobs[static_cast<std::size_t>(second)]);
  // The hull of a set of grid cells is that of each row's leftmost and rightmost cell;
  // `pixels` is in scan order, so these come sorted by (row, column).
  std::vector<P>& ends = buffers.ends;
  ends.clear();
  int row = -1;
  for (const int i : pixels) {
    if (labels[static_cast<std::size_t>(i)] != first) continue;
    const P p{f.row[static_cast<std::size_t>(i)], f.col[static_cast<std::size_t>(i)]};
    if (p.x != row) {
      ends.push_back(p), ends.push_back(p), row = static_cast<int>(p.x);
    } else {
      ends.back() = p;
    }
  }
  for (const int i : pixels) labels[static_cast<std::size_t>(i)] = 0;  // all zero again for the next map
  ends.erase(std::unique(ends.begin(), ends.end(), [](const P& a, const P& b) { return a.x == b.x && a.y == b.y; }),
             ends.end());
  if (out.first.area > 0) out.solidity = std::min(1.0, out.first.area / hull_area(ends, buffers.hull));
  return out;
}

Shape shape_of(const Blob& b, double scale) {
  Shape s;
  if (b.area == 0) return s;
  const double n = b.area, mu = b.su / n, mv = b.sv / n;
  // A die is a unit square, not a point: add its own variance (1/12 die^2) so that a
  // one-die-wide line is one die wide.
  const double pix = 1.0 / (12.0 * scale * scale);
  const double a = b.suu / n - mu * mu + pix, c = b.svv / n - mv * mv + pix, d = b.suv / n - mu * mv;
  const double half = 0.5 * (a + c), diff = std::sqrt(0.25 * (a - c) * (a - c) + d * d);
  const double l1 = half + diff, l2 = std::max(half - diff, 0.0);
  s.rho = std::hypot(mu, mv);
  s.ecc = l1 > 0 ? std::sqrt(std::max(0.0, 1.0 - l2 / l1)) : 0.0;
  s.length = std::sqrt(12.0 * l1);         // wafer radii
  s.width = std::sqrt(12.0 * l2) * scale;  // dies
  if (s.rho > 0.1) {
    const double theta = 0.5 * std::atan2(2 * d, a - c);
    s.align = std::fabs(std::cos(theta) * mu / s.rho + std::sin(theta) * mv / s.rho);
  }
  return s;
}

LineScore line_score(std::span<const float> x, std::span<const float> y, double radius_dies, LineBuffers& buffers) {
  std::vector<int>& hist = buffers.hist;
  std::vector<int>& bins_of = buffers.bins;
  LineScore out;
  if (x.empty()) return out;
  static const auto trig = [] {
    std::array<std::array<float, kAngles>, 2> t{};
    for (int k = 0; k < kAngles; ++k) {
      t[0][static_cast<std::size_t>(k)] = static_cast<float>(std::cos(k * std::numbers::pi / kAngles));
      t[1][static_cast<std::size_t>(k)] = static_cast<float>(std::sin(k * std::numbers::pi / kAngles));
    }
    return t;
  }();
  const int half = static_cast<int>(std::ceil(1.5 * radius_dies)) + 4, bins = 2 * half + 1;
  // The histogram stays all zero between calls (the bins set here are cleared below).
  const std::size_t hist_size = static_cast<std::size_t>(kAngles) * static_cast<std::size_t>(bins);
  if (hist.size() < hist_size) hist.assign(hist_size, 0);
  // |projection| <= sqrt(2) * radius_dies < half, so truncation after the offset is floor.
  const float offset = static_cast<float>(half) + 0.5f;
  // Every angle of one point at a time: the bin arithmetic vectorises, and successive
  // increments go to different histograms instead of waiting on each other. Each
  // point's bins are kept (point-major) to visit and clear only those of a sparse map.
  // The range of bins per angle comes from the extreme projections: the bin is a
  // non-decreasing function of the projection (truncation, then clamping), so the bin
  // of the smallest projection is the smallest bin.
  bins_of.resize(x.size() * kAngles);
  std::array<float, kAngles> pmin, pmax;
  pmin.fill(std::numeric_limits<float>::infinity()), pmax.fill(-std::numeric_limits<float>::infinity());
  for (std::size_t i = 0; i < x.size(); ++i) {
    int* b = &bins_of[i * kAngles];
    for (std::size_t k = 0; k < kAngles; ++k) {
      const float p = x[i] * trig[0][k] + y[i] * trig[1][k] + offset;
      pmin[k] = std::min(pmin[k], p), pmax[k] = std::max(pmax[k], p);
      b[k] = std::clamp(static_cast<int>(p), 0, bins - 1);
    }
    for (std::size_t k = 0; k < kAngles; ++k) ++hist[k * static_cast<std::size_t>(bins) + static_cast<std::size_t>(b[k])];
  }
  std::array<int, kAngles> lo, hi;
  for (std::size_t k = 0; k < kAngles; ++k)
    lo[k] = std::clamp(static_cast<int>(pmin[k]), 0, bins - 1), hi[k] = std::clamp(static_cast<int>(pmax[k]), 0, bins - 1);
  // In integers: 2 x spike = 2 x band - (the two side bands), and the largest
  // spike^2 / (side + 1) by cross-multiplication, with one square root at the end.
  std::int64_t best2 = 0, z_num = 0, z_den = 1;
  const std::size_t n = x.size();
  // Band j (bins j and j + 1; 0 unless 0 <= j <= bins - 2) of the angle at hand, for j
  // from lo - 4 to hi + 3, at band[j - lo + 4]: zeros around the bands that can hold a
  // point, so that a side band three away needs no bounds check.
  std::vector<int>& band_buf = buffers.band;
  if (band_buf.size() < static_cast<std::size_t>(bins) + 8) band_buf.resize(static_cast<std::size_t>(bins) + 8);
  for (std::size_t k = 0; k < kAngles; ++k) {
    const int* h = &hist[k * static_cast<std::size_t>(bins)];
    auto band = [&](int j) { return (j >= 0 && j + 1 < bins) ? h[j] + h[j + 1] : 0; };
    auto consider = [&](int here, int sides) {
      const std::int64_t spike2 = 2 * here - sides;
      if (spike2 <= 0) return;
      best2 = std::max(best2, spike2);
      const std::int64_t den = 2 * sides + 4;  // 4 (side + 1)
      if (spike2 * spike2 * z_den > z_num * den) z_num = spike2 * spike2, z_den = den;
    };
    // A sparse map visits the two bands of each point (a band seen twice changes
    // nothing: both comparisons are strict maxima), a dense one every band in range.
    if (2 * n < static_cast<std::size_t>(hi[k] - lo[k] + 2)) {
      auto visit = [&](int j) {
        const int here = band(j);
        if (here != 0) consider(here, band(j - 3) + band(j + 3));
      };
      for (std::size_t i = 0; i < n; ++i) {
        const int b = bins_of[i * kAngles + k];
        if (b >= 1) visit(b - 1);
        if (b + 1 < bins) visit(b);
      }
    } else {
      const int j0 = std::max(lo[k] - 1, 0), j1 = std::min(hi[k], bins - 2);  // the bands that can hold a point
      if (j0 > j1) continue;
      int* B = band_buf.data() + 3 - j0;  // B[j] for j0 - 3 <= j <= j1 + 3
      for (int j = j0 - 3; j < j0; ++j) B[j] = 0;
      for (int j = j0; j <= j1; ++j) B[j] = h[j] + h[j + 1];
      for (int j = j1 + 1; j <= j1 + 3; ++j) B[j] = 0;
      for (int j = j0; j <= j1; ++j)
        if (B[j] != 0) consider(B[j], B[j - 3] + B[j + 3]);
    }
  }
  // Leave the histogram all zero for the next call: each point's bins, or each angle's
  // range of bins (all that can hold a point), whichever is fewer.
  std::size_t ranges = 0;
  for (std::size_t k = 0; k < kAngles; ++k) ranges += static_cast<std::size_t>(hi[k] - lo[k] + 1);
  if (n * kAngles < ranges) {
    for (std::size_t i = 0; i < n; ++i)
      for (std::size_t k = 0; k < kAngles; ++k)
        hist[k * static_cast<std::size_t>(bins) + static_cast<std::size_t>(bins_of[i * kAngles + k])] = 0;
  } else {
    for (std::size_t k = 0; k < kAngles; ++k) {
      const auto from = hist.begin() + static_cast<std::ptrdiff_t>(k * static_cast<std::size_t>(bins) + static_cast<std::size_t>(lo[k]));
      std::fill(from, from + (hi[k] - lo[k] + 1), 0);
    }
  }
  out.excess = 0.5 * static_cast<double>(best2);
  out.z = std::sqrt(static_cast<double>(z_num) / static_cast<double>(z_den));
  return out;
}

}  // namespace yf::pattern_detail
