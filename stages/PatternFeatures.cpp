#include "stages/PatternFeatures.hpp"

#include <algorithm>
#include <array>
#include <cmath>
#include <numbers>
#include <stdexcept>

#include <opencv2/imgproc.hpp>

namespace yf {
namespace {

constexpr int kRings = 8;         // equal-area rings of the normalised radius
constexpr int kSectors = 8;       // octants around the wafer centre
constexpr int kAngles = 18;       // line-evidence projections, every 10 degrees
constexpr double kTan22_5 = 0.41421356237309503;

// Feature order = pattern_feature_names() order. Append new ones at the end of a group
// freely: a model records the names it was trained on and refuses another list.
enum Feature : int {
  kDensity,
  kRing0,
  kShape0 = kRing0 + kRings,  // ring density / sum of ring densities: the profile's shape
  kCentreDensity = kShape0 + kRings,
  kMiddleDensity,
  kEdgeDensity,
  kLayer1Density,  // outermost die of the map (4-neighbour distance 1 to "no die")
  kLayer2Density,
  kInnerDensity,  // distance >= 3
  kSectorMax,
  kSectorMin,
  kSectorStd,
  kOuterSectorMax,
  kOuterSectorMin,
  kOuterSectorStd,
  kOuterCoverage,
  kFailRhoMean,
  kFailRhoStd,
  kComp1Area,
  kComp1Share,
  kComp1Rho,
  kComp1Eccentricity,
  kComp1Length,
  kComp1Width,
  kComp1RadialAlign,
  kComp1Solidity,
  kComp1RhoMin,
  kComp1RhoMax,
  kComp1AngularCover,
  kComp1EdgeShare,
  kComp2Area,
  kComp2Rho,
  kComp2Length,
  kComp2Width,
  kBigComponents,
  kClusteredShare,
  kLineLength,
  kLineShare,
  kLineZ,
  kNeighbourFail,
  kClustering,
  kIsolatedExcess,
  kFeatureCount
};

std::vector<std::string> make_names() {
  std::vector<std::string> n(kFeatureCount);
  n[kDensity] = "density";
  for (int k = 0; k < kRings; ++k) {
    n[static_cast<std::size_t>(kRing0 + k)] = "ring" + std::to_string(k);
    n[static_cast<std::size_t>(kShape0 + k)] = "ring_shape" + std::to_string(k);
  }
  const std::pair<Feature, const char*> rest[] = {
      {kCentreDensity, "centre_density"},   {kMiddleDensity, "middle_density"},
      {kEdgeDensity, "edge_density"},       {kLayer1Density, "layer1_density"},
      {kLayer2Density, "layer2_density"},   {kInnerDensity, "inner_density"},
      {kSectorMax, "sector_max"},           {kSectorMin, "sector_min"},
      {kSectorStd, "sector_std"},           {kOuterSectorMax, "outer_sector_max"},
      {kOuterSectorMin, "outer_sector_min"}, {kOuterSectorStd, "outer_sector_std"},
      {kOuterCoverage, "outer_coverage"},   {kFailRhoMean, "fail_rho_mean"},
      {kFailRhoStd, "fail_rho_std"},        {kComp1Area, "comp1_area"},
      {kComp1Share, "comp1_share"},         {kComp1Rho, "comp1_rho"},
      {kComp1Eccentricity, "comp1_eccentricity"}, {kComp1Length, "comp1_length"},
      {kComp1Width, "comp1_width"},         {kComp1RadialAlign, "comp1_radial_align"},
      {kComp1Solidity, "comp1_solidity"},   {kComp1RhoMin, "comp1_rho_min"},
      {kComp1RhoMax, "comp1_rho_max"},      {kComp1AngularCover, "comp1_angular_cover"},
      {kComp1EdgeShare, "comp1_edge_share"}, {kComp2Area, "comp2_area"},
      {kComp2Rho, "comp2_rho"},             {kComp2Length, "comp2_length"},
      {kComp2Width, "comp2_width"},         {kBigComponents, "big_components"},
      {kClusteredShare, "clustered_share"}, {kLineLength, "line_length"},
      {kLineShare, "line_share"},           {kLineZ, "line_z"},
      {kNeighbourFail, "neighbour_fail"},   {kClustering, "clustering"},
      {kIsolatedExcess, "isolated_excess"}};
  for (const auto& [f, name] : rest) n[static_cast<std::size_t>(f)] = name;
  return n;
}

double ratio(double num, double den) { return den > 0 ? num / den : 0.0; }

// Octant 0..7 counter-clockwise from +u, and the 16-sector refinement, without atan2
// (which alone would cost more than the rest of the per-die loop).
int octant(double u, double v) {
  if (v >= 0) {
    if (u >= 0) return u >= v ? 0 : 1;
    return -u <= v ? 2 : 3;
  }
  if (u < 0) return -u >= -v ? 4 : 5;
  return u <= -v ? 6 : 7;
}
int sector16(double u, double v) {
  const int o = octant(u, v);
  const double au = std::fabs(u), av = std::fabs(v);
  const double t = std::max(au, av) > 0 ? std::min(au, av) / std::max(au, av) : 0.0;
  const bool upper = (o % 2 == 0) ? t > kTan22_5 : t <= kTan22_5;
  return 2 * o + (upper ? 1 : 0);
}

// Mean, standard deviation, min and max of densities of the bins that hold dies.
struct Spread {
  double max = 0, min = 0, std = 0;
};
template <std::size_t N>
Spread spread(const std::array<int, N>& fails, const std::array<int, N>& dies) {
  Spread s;
  double sum = 0, sum2 = 0;
  int n = 0;
  s.min = 1;
  for (std::size_t i = 0; i < N; ++i) {
    if (dies[i] == 0) continue;
    const double d = static_cast<double>(fails[i]) / dies[i];
    sum += d;
    sum2 += d * d;
    s.max = std::max(s.max, d);
    s.min = std::min(s.min, d);
    ++n;
  }
  if (n == 0) return {};
  const double mean = sum / n;
  s.std = std::sqrt(std::max(0.0, sum2 / n - mean * mean));
  return s;
}

// Second moments of one component in normalised wafer coordinates.
struct Blob {
  int label = -1;
  int area = 0;
  double su = 0, sv = 0, suu = 0, svv = 0, suv = 0;
  double rho_min = 1e9, rho_max = 0;
  unsigned sectors = 0;  // 16-sector bitmask
  int edge = 0;          // pixels in the two outermost die layers
};

struct Shape {
  double rho = 0, ecc = 0, length = 0, width = 0, align = 0.5;
};

// Eigen-analysis of a blob's covariance. `scale` converts normalised units to dies.
Shape shape_of(const Blob& b, double scale) {
  Shape s;
  if (b.area == 0) return s;
  const double n = b.area;
  const double mu = b.su / n, mv = b.sv / n;
  // A die is a unit square, not a point: add its own variance (1/12 die^2) so that a
  // one-die-wide line has a width of one die.
  const double pix = 1.0 / (12.0 * scale * scale);
  const double a = b.suu / n - mu * mu + pix, c = b.svv / n - mv * mv + pix, d = b.suv / n - mu * mv;
  const double half = 0.5 * (a + c), diff = std::sqrt(0.25 * (a - c) * (a - c) + d * d);
  const double l1 = half + diff, l2 = std::max(half - diff, 0.0);
  s.rho = std::hypot(mu, mv);
  s.ecc = l1 > 0 ? std::sqrt(std::max(0.0, 1.0 - l2 / l1)) : 0.0;
  s.length = std::sqrt(12.0 * l1);           // wafer radii
  s.width = std::sqrt(12.0 * l2) * scale;    // dies
  if (s.rho > 0.1) {
    const double theta = 0.5 * std::atan2(2 * d, a - c);
    s.align = std::fabs(std::cos(theta) * mu / s.rho + std::sin(theta) * mv / s.rho);
  }
  return s;
}

}  // namespace

const std::vector<std::string>& pattern_feature_names() {
  static const std::vector<std::string> names = make_names();
  return names;
}

std::vector<float> pattern_features(const FailMap& map) {
  if (map.rows < 0 || map.cols < 0 ||
      map.cells.size() != static_cast<std::size_t>(map.rows) * static_cast<std::size_t>(map.cols))
    throw std::invalid_argument("pattern_features: map of " + std::to_string(map.rows) + " x " +
                                std::to_string(map.cols) + " has " + std::to_string(map.cells.size()) + " cells");
  std::vector<double> f(kFeatureCount, 0.0);
  const int rows = map.rows, cols = map.cols;
  auto is_die = [&](int c, int r) { return map.at(c, r) != DieState::none; };

  // --- frame: centre and half-extents of the die mask (grid units), so that every
  // position below is in wafer radii whatever the grid and die aspect ---
  int minc = cols, maxc = -1, minr = rows, maxr = -1, n_dies = 0, n_fail = 0;
  for (int r = 0; r < rows; ++r)
    for (int c = 0; c < cols; ++c) {
      const DieState s = map.at(c, r);
      if (s == DieState::none) continue;
      ++n_dies;
      n_fail += s == DieState::fail;
      minc = std::min(minc, c), maxc = std::max(maxc, c), minr = std::min(minr, r), maxr = std::max(maxr, r);
    }
  std::vector<float> out(kFeatureCount, 0.0f);
  if (n_dies == 0) return out;
  const double cx = 0.5 * (minc + maxc + 1), cy = 0.5 * (minr + maxr + 1);
  const double rx = 0.5 * (maxc - minc + 1), ry = 0.5 * (maxr - minr + 1);
  const double scale = 0.5 * (rx + ry);  // dies per wafer radius
  auto u_of = [&](int c) { return (c + 0.5 - cx) / rx; };
  auto v_of = [&](int r) { return (cy - (r + 0.5)) / ry; };  // up is +v
  const double p = static_cast<double>(n_fail) / n_dies;
  f[kDensity] = p;

  // --- padded grids: fail mask (for OpenCV) and 4-neighbour distance to "no die" ---
  const int W = cols + 2, H = rows + 2;
  cv::Mat fail(H, W, CV_8U, cv::Scalar(0));
  std::vector<std::uint8_t> dist(static_cast<std::size_t>(W) * H, 0);
  auto D = [&](int c, int r) -> std::uint8_t& { return dist[static_cast<std::size_t>(r + 1) * W + (c + 1)]; };
  for (int r = 0; r < rows; ++r)
    for (int c = 0; c < cols; ++c) {
      if (!is_die(c, r)) continue;
      fail.at<std::uint8_t>(r + 1, c + 1) = map.at(c, r) == DieState::fail ? 1 : 0;
      D(c, r) = static_cast<std::uint8_t>(std::min(std::min<int>(D(c, r - 1), D(c - 1, r)) + 1, 255));
    }
  for (int r = rows - 1; r >= 0; --r)
    for (int c = cols - 1; c >= 0; --c)
      if (is_die(c, r))
        D(c, r) = static_cast<std::uint8_t>(std::min<int>({D(c, r), D(c, r + 1) + 1, D(c + 1, r) + 1}));

  // --- one pass over the dies: profiles, regions, layers, joins, neighbourhoods ---
  std::array<int, kRings> ring_n{}, ring_f{};
  std::array<int, kSectors> sec_n{}, sec_f{}, osec_n{}, osec_f{};
  std::array<int, 3> region_n{}, region_f{}, layer_n{}, layer_f{};
  double rho_sum = 0, rho_sum2 = 0;
  int joins_ff = 0, joins_fp = 0, isolated = 0;
  cv::Mat clean(H, W, CV_8U, cv::Scalar(0));  // fails with at least one failing 8-neighbour
  for (int r = 0; r < rows; ++r) {
    const std::uint8_t* up = fail.ptr<std::uint8_t>(r);
    const std::uint8_t* mid = fail.ptr<std::uint8_t>(r + 1);
    const std::uint8_t* down = fail.ptr<std::uint8_t>(r + 2);
    std::uint8_t* cl = clean.ptr<std::uint8_t>(r + 1);
    const double v = v_of(r);
    for (int c = 0; c < cols; ++c) {
      if (!is_die(c, r)) continue;
      const double u = u_of(c), rho2 = u * u + v * v, rho = std::sqrt(rho2);
      const bool fl = mid[c + 1] != 0;
      const int ring = std::min(kRings - 1, static_cast<int>(rho2 * kRings));
      const int oct = octant(u, v);
      const int region = rho < 0.35 ? 0 : (rho < 0.8 ? 1 : 2);
      const int layer = std::min<int>(D(c, r), 3) - 1;
      ++ring_n[static_cast<std::size_t>(ring)], ++sec_n[static_cast<std::size_t>(oct)];
      ++region_n[static_cast<std::size_t>(region)], ++layer_n[static_cast<std::size_t>(layer)];
      if (rho2 > 0.6) ++osec_n[static_cast<std::size_t>(oct)];
      if (!fl) continue;
      ++ring_f[static_cast<std::size_t>(ring)], ++sec_f[static_cast<std::size_t>(oct)];
      ++region_f[static_cast<std::size_t>(region)], ++layer_f[static_cast<std::size_t>(layer)];
      if (rho2 > 0.6) ++osec_f[static_cast<std::size_t>(oct)];
      rho_sum += rho, rho_sum2 += rho2;
      // Joins with the right and lower neighbours count each 4-neighbour pair once.
      if (c + 1 < cols && is_die(c + 1, r)) (mid[c + 2] ? joins_ff : joins_fp)++;
      if (r + 1 < rows && is_die(c, r + 1)) (down[c + 1] ? joins_ff : joins_fp)++;
      const int nb8 = up[c] + up[c + 1] + up[c + 2] + mid[c] + mid[c + 2] + down[c] + down[c + 1] + down[c + 2];
      if (nb8 == 0)
        ++isolated;
      else
        cl[c + 1] = 1;
    }
  }
  // The fail-pass joins counted above start at a fail; add those that start at a pass.
  for (int r = 0; r < rows; ++r)
    for (int c = 0; c < cols; ++c) {
      if (map.at(c, r) != DieState::pass) continue;
      if (c + 1 < cols && map.at(c + 1, r) == DieState::fail) ++joins_fp;
      if (r + 1 < rows && map.at(c, r + 1) == DieState::fail) ++joins_fp;
    }

  double ring_sum = 0;
  for (int k = 0; k < kRings; ++k) {
    const double d = ratio(ring_f[static_cast<std::size_t>(k)], ring_n[static_cast<std::size_t>(k)]);
    f[static_cast<std::size_t>(kRing0 + k)] = d;
    ring_sum += d;
  }
  for (int k = 0; k < kRings; ++k)
    f[static_cast<std::size_t>(kShape0 + k)] = ratio(f[static_cast<std::size_t>(kRing0 + k)], ring_sum);
  for (int k = 0; k < 3; ++k) {
    f[static_cast<std::size_t>(kCentreDensity + k)] = ratio(region_f[static_cast<std::size_t>(k)], region_n[static_cast<std::size_t>(k)]);
    f[static_cast<std::size_t>(kLayer1Density + k)] = ratio(layer_f[static_cast<std::size_t>(k)], layer_n[static_cast<std::size_t>(k)]);
  }
  const Spread all = spread(sec_f, sec_n), outer = spread(osec_f, osec_n);
  f[kSectorMax] = all.max, f[kSectorMin] = all.min, f[kSectorStd] = all.std;
  f[kOuterSectorMax] = outer.max, f[kOuterSectorMin] = outer.min, f[kOuterSectorStd] = outer.std;
  // How much of the rim is as bad as its worst octant: ~1 for a ring, 1/8..3/8 for an edge spot.
  int hot = 0, rim = 0;
  for (int k = 0; k < kSectors; ++k) {
    if (osec_n[static_cast<std::size_t>(k)] == 0) continue;
    ++rim;
    hot += ratio(osec_f[static_cast<std::size_t>(k)], osec_n[static_cast<std::size_t>(k)]) >= 0.5 * outer.max;
  }
  f[kOuterCoverage] = outer.max > 0 ? ratio(hot, rim) : 0.0;
  if (n_fail > 0) {
    const double mean = rho_sum / n_fail;
    f[kFailRhoMean] = mean;
    f[kFailRhoStd] = std::sqrt(std::max(0.0, rho_sum2 / n_fail - mean * mean));
  }
  const double cond = ratio(2.0 * joins_ff, 2.0 * joins_ff + joins_fp);
  f[kNeighbourFail] = cond;
  f[kClustering] = n_fail > 0 ? cond - p : 0.0;
  f[kIsolatedExcess] = n_fail > 0 ? ratio(isolated, n_fail) - std::pow(1.0 - p, 8) : 0.0;

  // --- failing regions: the two largest 8-connected components of the cleaned mask ---
  cv::Mat labels, stats, centroids;
  const int n_labels = n_fail > 0 ? cv::connectedComponentsWithStats(clean, labels, stats, centroids, 8, CV_32S) : 1;
  std::array<Blob, 2> blob;
  const int big = std::max(3, static_cast<int>(0.01 * n_dies));
  int big_count = 0, clustered = 0;
  for (int l = 1; l < n_labels; ++l) {
    const int area = stats.at<int>(l, cv::CC_STAT_AREA);
    if (area >= big) ++big_count, clustered += area;
    if (area > blob[0].area) {
      blob[1] = blob[0];
      blob[0] = Blob{l, area};
    } else if (area > blob[1].area) {
      blob[1] = Blob{l, area};
    }
  }
  f[kBigComponents] = big_count;
  f[kClusteredShare] = ratio(clustered, n_fail);
  std::vector<cv::Point> points;  // the largest component's dies, for its convex hull
  if (blob[0].area > 0) {
    points.reserve(static_cast<std::size_t>(blob[0].area));
    for (int r = 0; r < rows; ++r) {
      const int* lr = labels.ptr<int>(r + 1);
      for (int c = 0; c < cols; ++c) {
        const int l = lr[c + 1];
        if (l == 0 || (l != blob[0].label && l != blob[1].label)) continue;
        Blob& b = l == blob[0].label ? blob[0] : blob[1];
        const double u = u_of(c), v = v_of(r), rho = std::hypot(u, v);
        b.su += u, b.sv += v, b.suu += u * u, b.svv += v * v, b.suv += u * v;
        b.rho_min = std::min(b.rho_min, rho), b.rho_max = std::max(b.rho_max, rho);
        b.sectors |= 1u << sector16(u, v);
        b.edge += D(c, r) <= 2;
        if (l == blob[0].label) points.emplace_back(c, r);
      }
    }
    const Shape s1 = shape_of(blob[0], scale);
    f[kComp1Area] = ratio(blob[0].area, n_dies);
    f[kComp1Share] = ratio(blob[0].area, n_fail);
    f[kComp1Rho] = s1.rho, f[kComp1Eccentricity] = s1.ecc, f[kComp1Length] = s1.length;
    f[kComp1Width] = s1.width, f[kComp1RadialAlign] = s1.align;
    f[kComp1RhoMin] = blob[0].rho_min, f[kComp1RhoMax] = blob[0].rho_max;
    f[kComp1AngularCover] = __builtin_popcount(blob[0].sectors) / 16.0;
    f[kComp1EdgeShare] = ratio(blob[0].edge, blob[0].area);
    // Solidity against the hull of the dies' squares (hull through their centres,
    // grown by half a die: area + perimeter/2 + 1), so that a straight line is solid.
    std::vector<cv::Point> hull;
    cv::convexHull(points, hull);
    const double hull_area = cv::contourArea(hull) + 0.5 * cv::arcLength(hull, true) + 1.0;
    f[kComp1Solidity] = std::min(1.0, blob[0].area / hull_area);
  }
  if (blob[1].area > 0) {
    const Shape s2 = shape_of(blob[1], scale);
    f[kComp2Area] = ratio(blob[1].area, n_dies);
    f[kComp2Rho] = s2.rho, f[kComp2Length] = s2.length, f[kComp2Width] = s2.width;
  }

  // --- line evidence: a Radon transform of the cleaned interior fails. A scratch is a
  // narrow spike in one projection; a blob or a random map varies smoothly. The two
  // outermost die layers are left out: a ring's tangent would look like a line. ---
  const int half = static_cast<int>(std::ceil(1.5 * scale)) + 4;
  const int bins = 2 * half + 1;
  std::vector<int> hist(static_cast<std::size_t>(kAngles) * bins, 0);
  static const auto trig = [] {
    std::array<std::pair<double, double>, kAngles> t{};
    for (int k = 0; k < kAngles; ++k)
      t[static_cast<std::size_t>(k)] = {std::cos(k * std::numbers::pi / kAngles), std::sin(k * std::numbers::pi / kAngles)};
    return t;
  }();
  int interior = 0;
  for (int r = 0; r < rows; ++r) {
    const std::uint8_t* cl = clean.ptr<std::uint8_t>(r + 1);
    for (int c = 0; c < cols; ++c) {
      if (!cl[c + 1] || D(c, r) < 3) continue;
      ++interior;
      const double x = u_of(c) * scale, y = v_of(r) * scale;  // dies, aspect-corrected
      for (int k = 0; k < kAngles; ++k) {
        const auto [co, si] = trig[static_cast<std::size_t>(k)];
        const int b = std::clamp(static_cast<int>(std::floor(x * co + y * si + 0.5)) + half, 0, bins - 1);
        ++hist[static_cast<std::size_t>(k) * bins + b];
      }
    }
  }
  double best = 0, best_z = 0;
  for (int k = 0; k < kAngles && interior > 0; ++k) {
    const int* h = &hist[static_cast<std::size_t>(k) * bins];
    auto band = [&](int b) { return (b >= 0 && b + 1 < bins) ? h[b] + h[b + 1] : 0; };
    for (int b = 0; b + 1 < bins; ++b) {
      const double side = 0.5 * (band(b - 3) + band(b + 3));
      const double spike = band(b) - side;
      best = std::max(best, spike);
      best_z = std::max(best_z, spike / std::sqrt(side + 1.0));
    }
  }
  f[kLineLength] = best / (2.0 * scale);
  f[kLineShare] = ratio(best, interior);
  f[kLineZ] = best_z;

  for (int i = 0; i < kFeatureCount; ++i)
    out[static_cast<std::size_t>(i)] = std::isfinite(f[static_cast<std::size_t>(i)]) ? static_cast<float>(f[static_cast<std::size_t>(i)]) : 0.0f;
  return out;
}

}  // namespace yf

namespace yf {

FailMap fail_map_from_masks(int rows, int cols, const std::vector<std::uint8_t>& present,
                            const std::vector<std::uint8_t>& failed) {
  const std::size_t n = static_cast<std::size_t>(std::max(rows, 0)) * static_cast<std::size_t>(std::max(cols, 0));
  if (rows < 0 || cols < 0 || present.size() != n || failed.size() != n)
    throw std::invalid_argument("fail_map_from_masks: masks of " + std::to_string(present.size()) + " and " +
                                std::to_string(failed.size()) + " cells for a " + std::to_string(rows) + " x " +
                                std::to_string(cols) + " map");
  FailMap m{rows, cols, std::vector<DieState>(n, DieState::none)};
  for (std::size_t i = 0; i < n; ++i)
    if (present[i]) m.cells[i] = failed[i] ? DieState::fail : DieState::pass;
  return m;
}

FailMap fail_map_from_bins(const BinMap& binmap, const DatasetTables& tables) {
  const std::size_t n = static_cast<std::size_t>(std::max(binmap.rows, 0)) * static_cast<std::size_t>(std::max(binmap.cols, 0));
  if (binmap.bins.size() != n)
    throw std::invalid_argument("fail_map_from_bins: " + std::to_string(binmap.bins.size()) + " bins for a " +
                                std::to_string(binmap.rows) + " x " + std::to_string(binmap.cols) + " map");
  FailMap m{binmap.rows, binmap.cols, std::vector<DieState>(n, DieState::none)};
  for (std::size_t i = 0; i < n; ++i) {
    const std::int16_t bin = binmap.bins[i];
    if (bin >= 0) m.cells[i] = tables.is_pass_bin(bin) ? DieState::pass : DieState::fail;
  }
  return m;
}

}  // namespace yf
