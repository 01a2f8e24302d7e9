#include "stages/PatternFeatures.hpp"

#include <algorithm>
#include <array>
#include <cmath>
#include <numbers>
#include <span>
#include <stdexcept>

#if defined(__SSE2__)
#include <emmintrin.h>
#endif

#include "stages/PatternGeometry.hpp"
#include "stages/SortYieldStage.hpp"

namespace yf {
namespace {

using namespace pattern_detail;

constexpr int kRings = 8;         // equal-area rings of the normalised radius
constexpr int kSectors = 8;       // octants around the wafer centre
constexpr int kPolarRings = 4;    // the coarse polar picture: equal-area rings x octants
constexpr int kPolar = kPolarRings * kSectors;

// Feature order = pattern_feature_names() order. Append new ones at the end of a group
// freely: a model records the names it was trained on and refuses another list.
enum Feature : int {
  kDensity,
  kRing0,
  kShape0 = kRing0 + kRings,  // ring density / sum of ring densities: the profile's shape
  kCentreDensity = kShape0 + kRings,
  kMiddleDensity,
  kEdgeDensity,
  kLayer1Density,  // the dies that touch the outside (8-neighbour distance 1 to "no die")
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
  // Fail density on a 4-ring x 8-octant polar grid, turned so that the worst octant
  // comes first and mirrored so that the worse of its neighbours comes second: a
  // rotation- and reflection-invariant thumbnail of the map.
  kPolar0,
  // The rim (two outermost die layers) in 16 sectors: the share of sectors that fail
  // badly and the longest run of them, which is what tells a ring, a half ring and an
  // edge spot apart.
  kRimHot = kPolar0 + kPolar,
  kRimRun,
  kRimMax,
  kRimMin,
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
  for (int r = 0; r < kPolarRings; ++r)
    for (int k = 0; k < kSectors; ++k)
      n[static_cast<std::size_t>(kPolar0 + r * kSectors + k)] = "polar_r" + std::to_string(r) + "_s" + std::to_string(k);
  n[kRimHot] = "rim_hot", n[kRimRun] = "rim_run", n[kRimMax] = "rim_max", n[kRimMin] = "rim_min";
  return n;
}

double ratio(double num, double den) { return den > 0 ? num / den : 0.0; }

// Maps of more cells than this are pooled in k x k blocks (the smallest k that brings
// them to at most this many cells) before the features are taken. Densities keep every
// die: a block carries its dies and fails, and the profiles (rings, octants, regions,
// rim, polar grid) add those counts, so they stay what they are at full resolution.
// The shape of the fails (joins, isolated fails, regions, the line score) is read on
// the pooled map, a block failing when at least half its dies fail: a one-die-wide line
// along a row keeps 2 fails of 4, scattered single fails drop out as on a coarser grid.
// Every per-die step then costs a k^2-th. 3,000 cells (~55 x 55) keeps most WM-811K maps
// die by die and pooled maps at 750 cells or more; pooling from 1,600 cells cost 4-5
// points of accuracy on the real maps (docs/patterns.md, "Features" and "Speed").
constexpr std::size_t kPoolAbove = 3000;

int octant(double u, double v) {
  if (v >= 0) return u >= 0 ? (u >= v ? 0 : 1) : (-u <= v ? 2 : 3);
  return u < 0 ? (-u >= -v ? 4 : 5) : (u <= -v ? 6 : 7);
}

// Max, min and standard deviation of the densities of the bins that hold dies.
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
    sum += d, sum2 += d * d, ++n;
    s.max = std::max(s.max, d), s.min = std::min(s.min, d);
  }
  if (n == 0) return {};
  const double mean = sum / n;
  s.std = std::sqrt(std::max(0.0, sum2 / n - mean * mean));
  return s;
}

// Everything that depends only on where the dies are, not on which fail: the frame,
// the layer distances and each die's bins with the dies counted per bin. The pipeline
// classifies wafer after wafer of one product, so every thread keeps the last one and
// reuses it while the die mask stays the same (then only the fails are visited).
struct Code {
  std::uint8_t ring, oct, region, layer, polar, rim;  // rim = 16 sector, or 255 off the rim
  std::uint8_t rim_bin;                               // rim, or 16 (a bin nobody reads) off the rim
  bool outer;
};
struct DieGeometry {
  Frame frame;
  std::vector<std::uint8_t> mask;  // padded: 1 = a (pooled) die cell
  std::vector<std::uint16_t> count;  // padded: dies per cell (1 unpooled), the cache's key
  std::vector<Code> code;          // padded
  std::vector<float> line_x, line_y;  // padded: the cell's position in dies (the line score's points)
  int dies = 0;                    // dies (every die of a pooled block)
  int cells = 0, interior = 0;     // die cells, and those three or more layers in
  std::array<int, kRings> ring{};
  std::array<int, kSectors> sec{}, osec{};
  std::array<int, 3> region{}, layer{};
  std::array<int, kPolar> polar{};
  std::array<int, 16> rim{};
};

void build_geometry(DieGeometry& g, int rows, int cols, const std::vector<std::uint16_t>& count) {
  Frame& fr = g.frame;
  fr.rows = rows, fr.cols = cols, fr.W = cols + 2, fr.H = rows + 2;
  const int W = fr.W;
  const std::size_t cells = static_cast<std::size_t>(fr.W) * fr.H;
  g.dies = g.cells = g.interior = 0;
  g.count = count;
  g.ring = {}, g.sec = {}, g.osec = {}, g.region = {}, g.layer = {}, g.polar = {}, g.rim = {};
  g.mask.assign(cells, 0);
  int minc = cols, maxc = -1, minr = rows, maxr = -1;
  for (int r = 0; r < rows; ++r)
    for (int c = 0; c < cols; ++c)
      if (count[static_cast<std::size_t>((r + 1) * W + c + 1)]) {
        g.mask[static_cast<std::size_t>((r + 1) * W + c + 1)] = 1;
        minc = std::min(minc, c), maxc = std::max(maxc, c), minr = std::min(minr, r), maxr = std::max(maxr, r);
      }
  // Centre and half-extents of the die mask: positions in wafer radii whatever the grid
  // size and die aspect.
  const double cx = 0.5 * (minc + maxc + 1), cy = 0.5 * (minr + maxr + 1);
  const double rx = 0.5 * (maxc - minc + 1), ry = 0.5 * (maxr - minr + 1);
  fr.scale = 0.5 * (rx + ry);
  fr.u.resize(static_cast<std::size_t>(fr.W));
  fr.v.resize(static_cast<std::size_t>(fr.H));
  for (int c = 0; c < fr.W; ++c) fr.u[static_cast<std::size_t>(c)] = (c - 0.5 - cx) / rx;  // padded column c = grid c - 1
  for (int r = 0; r < fr.H; ++r) fr.v[static_cast<std::size_t>(r)] = (cy - (r - 0.5)) / ry;
  // The same as exact fractions, for the regions' integer moments: u = (2c - 2 - minc -
  // maxc) / (maxc - minc + 1), v alike.
  fr.u2.resize(static_cast<std::size_t>(fr.W)), fr.v2.resize(static_cast<std::size_t>(fr.H));
  for (int c = 0; c < fr.W; ++c) fr.u2[static_cast<std::size_t>(c)] = 2 * c - 2 - minc - maxc;
  for (int r = 0; r < fr.H; ++r) fr.v2[static_cast<std::size_t>(r)] = minr + maxr + 2 - 2 * r;
  fr.u_den = maxc - minc + 1, fr.v_den = maxr - minr + 1;
  // 8-neighbour (chessboard) distance to "no die", a forward and a backward pass: layer 1
  // is every die that touches the outside, corners included, so that the staircase of
  // dies along a diagonal stretch of the rim is one layer deep as it is on the axes.
  fr.dist.assign(cells, 0);
  std::uint8_t* D = fr.dist.data();
  const std::uint8_t* m = g.mask.data();
  for (std::size_t i = W + 1; i + W + 1 < cells; ++i)
    if (m[i]) D[i] = static_cast<std::uint8_t>(std::min(std::min({D[i - W - 1], D[i - W], D[i - W + 1], D[i - 1]}) + 1, 255));
  for (std::size_t i = cells - W - 2; i > static_cast<std::size_t>(W); --i)
    if (m[i])
      D[i] = static_cast<std::uint8_t>(std::min<int>({D[i], D[i + 1] + 1, D[i + W - 1] + 1, D[i + W] + 1, D[i + W + 1] + 1}));
  fr.rho.assign(cells, 0.0f);
  fr.row.resize(cells), fr.col.resize(cells);
  for (std::size_t i = 0; i < cells; ++i)
    fr.row[i] = static_cast<std::int32_t>(i / static_cast<std::size_t>(W)),
    fr.col[i] = static_cast<std::int32_t>(i % static_cast<std::size_t>(W));
  fr.sector.assign(cells, 0);
  g.code.assign(cells, Code{});
  g.line_x.assign(cells, 0.0f);
  g.line_y.assign(cells, 0.0f);
  for (int r = 1; r <= rows; ++r)
    for (int c = 1; c <= cols; ++c) {
      const auto i = static_cast<std::size_t>(r * W + c);
      if (!m[i]) continue;
      const double u = fr.u[static_cast<std::size_t>(c)], v = fr.v[static_cast<std::size_t>(r)], rho2 = u * u + v * v;
      fr.rho[i] = static_cast<float>(std::sqrt(rho2));
      g.line_x[i] = static_cast<float>(fr.u[static_cast<std::size_t>(c)] * fr.scale);
      g.line_y[i] = static_cast<float>(fr.v[static_cast<std::size_t>(r)] * fr.scale);
      fr.sector[i] = static_cast<std::uint8_t>(sector16(u, v));
      Code& k = g.code[i];
      k.ring = static_cast<std::uint8_t>(std::min(kRings - 1, static_cast<int>(rho2 * kRings)));
      k.oct = static_cast<std::uint8_t>(octant(u, v));
      k.region = static_cast<std::uint8_t>(rho2 < 0.35 * 0.35 ? 0 : (rho2 < 0.8 * 0.8 ? 1 : 2));
      k.layer = static_cast<std::uint8_t>(std::min<int>(D[i], 3) - 1);
      k.polar = static_cast<std::uint8_t>(std::min(kPolarRings - 1, static_cast<int>(rho2 * kPolarRings)) * kSectors + k.oct);
      k.rim = k.layer <= 1 ? fr.sector[i] : 255;
      k.rim_bin = k.rim != 255 ? k.rim : 16;
      k.outer = rho2 > 0.6;
      const int n = count[i];
      g.dies += n, ++g.cells, g.interior += D[i] >= 3;
      g.ring[k.ring] += n, g.sec[k.oct] += n, g.region[k.region] += n, g.layer[k.layer] += n, g.polar[k.polar] += n;
      if (k.outer) g.osec[k.oct] += n;
      if (k.rim != 255) g.rim[k.rim] += n;
    }
}

// Totals of a pooled map: every die and fail, and the (pooled) die and failing cells.
struct PoolCounts {
  int dies = 0, fails = 0, cells = 0, failing = 0;
};

// A block of d dies and fl fails of `area` cells -> padded cell i: a die cell when at
// least half the block is on the wafer, failing when at least half its dies fail.
inline void emit_block(std::size_t i, int d, int fl, int area, std::uint8_t* st, std::uint16_t* dc, std::uint16_t* fc,
                       PoolCounts& n) {
  const bool die = 2 * d >= area;
  const bool failing = die && 2 * fl >= d;
  st[i] = static_cast<std::uint8_t>(die ? (failing ? 2 : 1) : 0);
  dc[i] = static_cast<std::uint16_t>(die ? d : 0);
  fc[i] = static_cast<std::uint16_t>(die ? fl : 0);
  n.dies += die ? d : 0, n.fails += die ? fl : 0, n.cells += die, n.failing += failing;
}

// 2 x 2 pooling, the pipeline's case (the bench product's 55 x 60 maps): eight blocks at
// a time in SSE2 (x86-64's baseline, so no run-time check), the rest one block at a
// time with emit_block(); the same integers either way. The scalar loops written for
// any block size cost ~40 k instructions a bench map, this ~5 k.
void pool_2x2(const std::int8_t* in, int map_rows, int map_cols, int W, std::uint8_t* st, std::uint16_t* dc,
              std::uint16_t* fc, PoolCounts& n) {
  const int rows = (map_rows + 1) / 2, full = map_cols / 2;  // full-width blocks; a last 1-column one after them
  auto die = [](std::int8_t x) { return x >= 0 ? 1 : 0; };  // -1 none, 0 pass, 1 fail
  auto fail = [](std::int8_t x) { return x == 1 ? 1 : 0; };
#if defined(__SSE2__)
  const __m128i one8 = _mm_set1_epi8(1), none8 = _mm_set1_epi8(-1), low = _mm_set1_epi16(0x00FF);
  const __m128i one16 = _mm_set1_epi16(1);
  __m128i acc_dies = _mm_setzero_si128(), acc_fails = acc_dies, acc_cells = acc_dies, acc_failing = acc_dies;
#endif
  for (int r = 0; r < rows; ++r) {
    const int bh = std::min(2, map_rows - 2 * r);
    const std::int8_t* row0 = in + static_cast<std::size_t>(2 * r) * map_cols;
    const std::int8_t* row1 = bh == 2 ? row0 + map_cols : nullptr;
    const std::size_t base = static_cast<std::size_t>(r + 1) * W + 1;
    int c = 0;
#if defined(__SSE2__)
    // Lanes stay far below 2^15: at most 4 a block and 3,000 / 8 blocks a lane.
    const __m128i area_minus_1 = _mm_set1_epi16(static_cast<short>(2 * bh - 1));
    for (; c + 8 <= full; c += 8) {
      const __m128i a = _mm_loadu_si128(reinterpret_cast<const __m128i*>(row0 + 2 * c));
      __m128i d8 = _mm_and_si128(_mm_cmpgt_epi8(a, none8), one8);
      __m128i f8 = _mm_and_si128(_mm_cmpeq_epi8(a, one8), one8);
      if (row1) {
        const __m128i b = _mm_loadu_si128(reinterpret_cast<const __m128i*>(row1 + 2 * c));
        d8 = _mm_add_epi8(d8, _mm_and_si128(_mm_cmpgt_epi8(b, none8), one8));
        f8 = _mm_add_epi8(f8, _mm_and_si128(_mm_cmpeq_epi8(b, one8), one8));
      }
      // Each block's two columns are a byte pair: their sum in a 16-bit lane.
      const __m128i d = _mm_add_epi16(_mm_and_si128(d8, low), _mm_srli_epi16(d8, 8));
      const __m128i f = _mm_add_epi16(_mm_and_si128(f8, low), _mm_srli_epi16(f8, 8));
      const __m128i is_die = _mm_cmpgt_epi16(_mm_slli_epi16(d, 1), area_minus_1);  // 2d >= area
      const __m128i is_failing = _mm_and_si128(is_die, _mm_cmpgt_epi16(_mm_slli_epi16(f, 1), _mm_sub_epi16(d, one16)));
      const __m128i dv = _mm_and_si128(d, is_die), fv = _mm_and_si128(f, is_die);
      const __m128i die1 = _mm_and_si128(is_die, one16), failing1 = _mm_and_si128(is_failing, one16);
      _mm_storeu_si128(reinterpret_cast<__m128i*>(dc + base + c), dv);
      _mm_storeu_si128(reinterpret_cast<__m128i*>(fc + base + c), fv);
      _mm_storel_epi64(reinterpret_cast<__m128i*>(st + base + c), _mm_packus_epi16(_mm_add_epi16(die1, failing1), dv));
      acc_dies = _mm_add_epi16(acc_dies, dv), acc_fails = _mm_add_epi16(acc_fails, fv);
      acc_cells = _mm_add_epi16(acc_cells, die1), acc_failing = _mm_add_epi16(acc_failing, failing1);
    }
#endif
    for (; c < full; ++c) {
      int d = die(row0[2 * c]) + die(row0[2 * c + 1]), fl = fail(row0[2 * c]) + fail(row0[2 * c + 1]);
      if (row1) d += die(row1[2 * c]) + die(row1[2 * c + 1]), fl += fail(row1[2 * c]) + fail(row1[2 * c + 1]);
      emit_block(base + c, d, fl, 2 * bh, st, dc, fc, n);
    }
    if (2 * full < map_cols) {
      const int last = map_cols - 1;
      int d = die(row0[last]), fl = fail(row0[last]);
      if (row1) d += die(row1[last]), fl += fail(row1[last]);
      emit_block(base + full, d, fl, bh, st, dc, fc, n);
    }
  }
#if defined(__SSE2__)
  auto sum = [](__m128i v) {
    alignas(16) std::uint16_t lanes[8];
    _mm_store_si128(reinterpret_cast<__m128i*>(lanes), v);
    int t = 0;
    for (const std::uint16_t x : lanes) t += x;
    return t;
  };
  n.dies += sum(acc_dies), n.fails += sum(acc_fails), n.cells += sum(acc_cells), n.failing += sum(acc_failing);
#endif
}

// The working memory of a PatternWorkspace: after the first maps nothing is allocated.
struct Scratch {
  // A few die layouts: the pipeline alternates a wafer's sort map (tested dies) and
  // its kill map (product dies), and a file may hold several products.
  std::array<DieGeometry, 4> geo;
  std::size_t next = 0;             // the entry replaced on a miss
  std::vector<std::uint16_t> dies;   // padded: dies per cell of the map at hand (0/1 unpooled)
  std::vector<std::uint16_t> fails;  // padded: fails per cell
  std::vector<std::uint8_t> state;   // padded: 0 no die, 1 pass, 2 fail (a pooled block: half its dies)
  std::vector<std::uint16_t> acc_d, acc_f;  // pooling: dies and fails down each column of a band
  std::vector<std::uint8_t> clean;  // padded: a fail with at least one failing 8-neighbour
  std::vector<std::uint8_t> nb;     // padded x 3: failing 4-neighbours, failing 8-neighbours, 4-neighbour dies
  int rows = -1, cols = -1;         // the map size the padded buffers below are laid out for
  std::vector<int> fail_cells, pixels;
  RegionBuffers regions;
  LineBuffers lines;
  std::vector<float> lx, ly;
};

}  // namespace

struct PatternWorkspace::Impl {
  Scratch s;
};

PatternWorkspace::PatternWorkspace() : impl_(std::make_unique<Impl>()) {}
PatternWorkspace::~PatternWorkspace() = default;
PatternWorkspace::PatternWorkspace(PatternWorkspace&&) noexcept = default;
PatternWorkspace& PatternWorkspace::operator=(PatternWorkspace&&) noexcept = default;

const std::vector<std::string>& pattern_feature_names() {
  static const std::vector<std::string> names = make_names();
  return names;
}

std::vector<float> pattern_features(const FailMap& map) {
  thread_local PatternWorkspace workspace;
  std::vector<float> out(kFeatureCount);
  pattern_features(map, workspace, out.data());
  return out;
}

void pattern_features(const FailMap& map, PatternWorkspace& workspace, float* out) {
  if (map.rows < 0 || map.cols < 0 ||
      map.cells.size() != static_cast<std::size_t>(map.rows) * static_cast<std::size_t>(map.cols))
    throw std::invalid_argument("pattern_features: map of " + std::to_string(map.rows) + " x " +
                                std::to_string(map.cols) + " has " + std::to_string(map.cells.size()) + " cells");
  std::array<double, kFeatureCount> f{};
  std::fill(out, out + kFeatureCount, 0.0f);
  // The block size: the smallest one that brings the map to kPoolAbove cells or fewer.
  int block = 1;
  while (block < 255 && static_cast<std::size_t>((map.rows + block - 1) / block) * static_cast<std::size_t>((map.cols + block - 1) / block) >
                        kPoolAbove)
    ++block;
  const int rows = (map.rows + block - 1) / block, cols = (map.cols + block - 1) / block, W = cols + 2;
  const std::size_t cells = static_cast<std::size_t>(cols + 2) * static_cast<std::size_t>(rows + 2);
  Scratch& s = workspace.impl().s;
  // The buffers keep their zeros between maps of one size: the padding is never
  // written, the interior is overwritten below, and `clean`, `labels` and `hist` are
  // put back to zero where they were set (a sparse map then costs little more than
  // its fails).
  if (s.rows != rows || s.cols != cols) {
    s.rows = rows, s.cols = cols;
    s.state.assign(cells, 0), s.dies.assign(cells, 0), s.fails.assign(cells, 0), s.clean.assign(cells, 0);
  }
  std::uint8_t* st = s.state.data();
  std::uint16_t* dc = s.dies.data();
  std::uint16_t* fc = s.fails.data();
  int n_dies = 0, n_fail = 0;    // every die and fail of the map
  int n_cells = 0, n_bfail = 0;  // (pooled) die cells and failing cells: the shape's units
  static_assert(static_cast<int>(DieState::none) == -1 && static_cast<int>(DieState::fail) == 1);
  if (block == 1) {
    for (int r = 0; r < rows; ++r) {
      // Branch-free (the compiler vectorises it): none/pass/fail -1/0/1 -> 0/1/2.
      const auto* row = reinterpret_cast<const std::int8_t*>(&map.cells[static_cast<std::size_t>(r) * cols]);
      const std::size_t base = static_cast<std::size_t>(r + 1) * W + 1;
      for (int c = 0; c < cols; ++c) {
        const auto x = static_cast<std::uint8_t>(row[c] + 1);
        st[base + c] = x;
        dc[base + c] = x != 0;
        fc[base + c] = x == 2;
        n_dies += x != 0, n_fail += x == 2;
      }
    }
    n_cells = n_dies, n_bfail = n_fail;
  } else if (block == 2) {
    PoolCounts n;
    pool_2x2(reinterpret_cast<const std::int8_t*>(map.cells.data()), map.rows, map.cols, W, st, dc, fc, n);
    n_dies = n.dies, n_fail = n.fails, n_cells = n.cells, n_bfail = n.failing;
  } else {
    PoolCounts n;
    // A band of `block` rows at a time: first its dies and fails summed down each column
    // (contiguous, vectorised), then across each block's columns.
    s.acc_d.assign(static_cast<std::size_t>(map.cols) + 1, 0), s.acc_f.assign(static_cast<std::size_t>(map.cols) + 1, 0);
    std::uint16_t* __restrict vd = s.acc_d.data();
    std::uint16_t* __restrict vf = s.acc_f.data();
    const auto* __restrict in = reinterpret_cast<const std::int8_t*>(map.cells.data());
    const int full = map.cols / block;  // blocks of `block` columns; a last narrower one after them
    for (int r = 0; r < rows; ++r) {
      const int r0 = r * block, bh = std::min(block, map.rows - r0);
      const std::int8_t* __restrict row = in + static_cast<std::size_t>(r0) * map.cols;
      for (int c = 0; c < map.cols; ++c) {  // -1/0/1: a die is (x + 2) >> 1, a fail (x + 1) >> 1
        vd[c] = static_cast<std::uint16_t>((row[c] + 2) >> 1);
        vf[c] = static_cast<std::uint16_t>((row[c] + 1) >> 1);
      }
      for (int j = 1; j < bh; ++j) {
        row += map.cols;
        for (int c = 0; c < map.cols; ++c) {
          vd[c] = static_cast<std::uint16_t>(vd[c] + ((row[c] + 2) >> 1));
          vf[c] = static_cast<std::uint16_t>(vf[c] + ((row[c] + 1) >> 1));
        }
      }
      const std::size_t base = static_cast<std::size_t>(r + 1) * W + 1;
      for (int c = 0; c < full; ++c) {
        int d = 0, fl = 0;
        for (int j = c * block; j < (c + 1) * block; ++j) d += vd[j], fl += vf[j];
        emit_block(base + c, d, fl, block * bh, st, dc, fc, n);
      }
      if (full < cols) {
        int d = 0, fl = 0;
        for (int j = full * block; j < map.cols; ++j) d += vd[j], fl += vf[j];
        emit_block(base + full, d, fl, (map.cols - full * block) * bh, st, dc, fc, n);
      }
    }
    n_dies = n.dies, n_fail = n.fails, n_cells = n.cells, n_bfail = n.failing;
  }
  if (n_cells == 0) return;
  DieGeometry* hit = nullptr;
  for (DieGeometry& e : s.geo)
    if (e.frame.rows == rows && e.frame.cols == cols && e.count == s.dies) hit = &e;
  if (!hit) {
    hit = &s.geo[s.next];
    s.next = (s.next + 1) % s.geo.size();
    build_geometry(*hit, rows, cols, s.dies);
  }
  const DieGeometry& g = *hit;
  const Frame& fr = g.frame;
  const std::uint8_t* D = fr.dist.data();
  const double p = static_cast<double>(n_fail) / n_dies;
  f[kDensity] = p;

  // --- one pass over the fails: profiles, regions, layers, joins, neighbourhoods ---
  std::array<int, kRings> ring_f{};
  std::array<int, kSectors> sec_f{}, osec_f{};
  std::array<int, 3> region_f{}, layer_f{};
  std::array<int, kPolar> polar_f{};
  std::array<int, 17> rim_f{};  // [16]: the cells off the rim, never read
  double rho_sum = 0, rho_sum2 = 0;
  int joins_ff2 = 0, joins_fp = 0;  // fail-fail 4-neighbour pairs counted from both ends
  int interior_clean = 0;
  // Failing 4- and 8-neighbours and 4-neighbour dies of every cell, sixteen cells at a
  // time (SSE2; read only at failing cells below).
  s.nb.resize(3 * cells);
  std::uint8_t* nbf4 = s.nb.data();
  std::uint8_t* nbf8 = nbf4 + cells;
  std::uint8_t* nbd4 = nbf8 + cells;
  for (int r = 1; r <= rows; ++r) {
    int c = 1;
#if defined(__SSE2__)
    const __m128i two = _mm_set1_epi8(2), zero = _mm_setzero_si128(), one = _mm_set1_epi8(1);
    // The last sixteen overlap the ones before when cols is not a multiple of 16 (the
    // same values written twice).
    for (; cols >= 16 && c <= cols; c += 16) {
      const int c0 = std::min(c, cols - 15);
      const std::uint8_t* q0 = st + r * W + c0;
      auto at = [](const std::uint8_t* q) { return _mm_loadu_si128(reinterpret_cast<const __m128i*>(q)); };
      auto fails = [&](const std::uint8_t* q) { return _mm_and_si128(_mm_cmpeq_epi8(at(q), two), one); };
      auto dies = [&](const std::uint8_t* q) { return _mm_andnot_si128(_mm_cmpeq_epi8(at(q), zero), one); };
      const __m128i f4 = _mm_add_epi8(_mm_add_epi8(fails(q0 - 1), fails(q0 + 1)), _mm_add_epi8(fails(q0 - W), fails(q0 + W)));
      const __m128i diag = _mm_add_epi8(_mm_add_epi8(fails(q0 - W - 1), fails(q0 - W + 1)),
                                        _mm_add_epi8(fails(q0 + W - 1), fails(q0 + W + 1)));
      const __m128i d4 = _mm_add_epi8(_mm_add_epi8(dies(q0 - 1), dies(q0 + 1)), _mm_add_epi8(dies(q0 - W), dies(q0 + W)));
      const std::size_t i = static_cast<std::size_t>(r * W + c0);
      _mm_storeu_si128(reinterpret_cast<__m128i*>(nbf4 + i), f4);
      _mm_storeu_si128(reinterpret_cast<__m128i*>(nbf8 + i), _mm_add_epi8(f4, diag));
      _mm_storeu_si128(reinterpret_cast<__m128i*>(nbd4 + i), d4);
    }
#endif
    for (; c <= cols; ++c) {
      const int i = r * W + c;
      const int f4 = (st[i - 1] == 2) + (st[i + 1] == 2) + (st[i - W] == 2) + (st[i + W] == 2);
      nbf4[i] = static_cast<std::uint8_t>(f4);
      nbf8[i] = static_cast<std::uint8_t>(f4 + (st[i - W - 1] == 2) + (st[i - W + 1] == 2) + (st[i + W - 1] == 2) +
                                          (st[i + W + 1] == 2));
      nbd4[i] = static_cast<std::uint8_t>((st[i - 1] != 0) + (st[i + 1] != 0) + (st[i - W] != 0) + (st[i + W] != 0));
    }
  }
  // The cells with a fail, in scan order (the sums below depend on the order), listed
  // eight at a time from a bit mask of those with a fail and a table of its set bits'
  // positions, then visited one after the other. Neither step branches on the map:
  // on a dense map which cells fail, and which of those have a failing neighbour, lie
  // three layers in or have at most four failing neighbours, is as good as random, and
  // the mispredicted branches of a visit that tested them cost more than its work.
  // Per 8-bit mask: the positions of its set bits, then their count (a table: without
  // POPCNT, x86-64's baseline, __builtin_popcount is a library call).
  static constexpr auto kSetBits = [] {
    std::array<std::array<std::uint8_t, 9>, 256> t{};
    for (unsigned m = 0; m < 256; ++m) {
      unsigned k = 0;
      for (unsigned b = 0; b < 8; ++b)
        if (m >> b & 1) t[m][k++] = static_cast<std::uint8_t>(b);
      t[m][8] = static_cast<std::uint8_t>(k);
    }
    return t;
  }();
  if (s.fail_cells.size() < cells + 8) s.fail_cells.resize(cells + 8);  // a group writes all eight slots
  int* fail_cells = s.fail_cells.data();
  int nf = 0;
  for (int r = 1; r <= rows; ++r) {
    int c = 1;
#if defined(__SSE2__)
    const __m128i zero = _mm_setzero_si128();
    for (; c + 8 <= cols + 1; c += 8) {
      const int i0 = r * W + c;
      const __m128i n = _mm_loadu_si128(reinterpret_cast<const __m128i*>(fc + i0));
      const __m128i none = _mm_cmpeq_epi16(n, zero);
      const auto bits = static_cast<unsigned>(~_mm_movemask_epi8(_mm_packs_epi16(none, zero)) & 0xFF);
      const std::uint8_t* at = kSetBits[bits].data();
      for (int b = 0; b < 8; ++b) fail_cells[nf + b] = i0 + at[b];
      nf += at[8];
    }
#endif
    for (; c <= cols; ++c) {
      const int i = r * W + c;
      fail_cells[nf] = i;
      nf += fc[i] != 0;
    }
  }
  // Sized once for the largest map (never shrunk: no zeros written per map).
  if (s.pixels.size() < cells) s.pixels.resize(cells), s.lx.resize(cells), s.ly.resize(cells);
  int* pixels = s.pixels.data();
  float* lx = s.lx.data();
  float* ly = s.ly.data();
  std::uint8_t* clean = s.clean.data();
  const Code* code = g.code.data();
  const float* rho_of = fr.rho.data();
  const float* line_x = g.line_x.data();
  const float* line_y = g.line_y.data();
  int n_pixels = 0, n_line = 0;
  for (int t = 0; t < nf; ++t) {
    const int i = fail_cells[t];
    const int n = fc[i];  // fails in the cell (0/1 unpooled), > 0
    const Code k = code[i];
    ring_f[k.ring] += n, sec_f[k.oct] += n, region_f[k.region] += n, layer_f[k.layer] += n, polar_f[k.polar] += n;
    osec_f[k.oct] += n & -static_cast<int>(k.outer);
    rim_f[k.rim_bin] += n;
    const double rho = rho_of[i];
    rho_sum += n * rho, rho_sum2 += n * rho * rho;
    // The shape is that of the failing cells; the cleaned mask those with a failing
    // 8-neighbour; the line score's points those three or more layers in (a ring's
    // tangent would look like a line) with at most four (the inside of a blob, where a
    // scratch cannot be told apart).
    const int failing = st[i] == 2;
    const int f4 = nbf4[i], nb8 = nbf8[i];
    joins_ff2 += f4 & -failing, joins_fp += (nbd4[i] - f4) & -failing;
    const int is_clean = failing & (nb8 != 0);
    clean[i] = static_cast<std::uint8_t>(is_clean);
    pixels[n_pixels] = i;
    n_pixels += is_clean;
    const int inside = is_clean & (D[i] >= 3);
    interior_clean += inside;
    lx[n_line] = line_x[i], ly[n_line] = line_y[i];
    n_line += inside & (nb8 <= 4);
  }
  const std::span<const int> cleaned(pixels, static_cast<std::size_t>(n_pixels));
  const std::span<const float> line_points_x(lx, static_cast<std::size_t>(n_line)), line_points_y(ly, static_cast<std::size_t>(n_line));
  // Isolated fails (no failing 8-neighbour) are those left out of the cleaned mask.
  const int isolated = n_bfail - n_pixels;

  double ring_sum = 0;
  for (int k = 0; k < kRings; ++k) {
    const double d = ratio(ring_f[static_cast<std::size_t>(k)], g.ring[static_cast<std::size_t>(k)]);
    f[static_cast<std::size_t>(kRing0 + k)] = d;
    ring_sum += d;
  }
  for (int k = 0; k < kRings; ++k)
    f[static_cast<std::size_t>(kShape0 + k)] = ratio(f[static_cast<std::size_t>(kRing0 + k)], ring_sum);
  for (std::size_t k = 0; k < 3; ++k) {
    f[kCentreDensity + k] = ratio(region_f[k], g.region[k]);
    f[kLayer1Density + k] = ratio(layer_f[k], g.layer[k]);
  }
  const Spread all = spread(sec_f, g.sec), outer = spread(osec_f, g.osec);
  f[kSectorMax] = all.max, f[kSectorMin] = all.min, f[kSectorStd] = all.std;
  f[kOuterSectorMax] = outer.max, f[kOuterSectorMin] = outer.min, f[kOuterSectorStd] = outer.std;
  // How much of the outer wafer is as bad as its worst octant: ~1 for a ring, 1/8..3/8
  // for an edge spot.
  int hot = 0, octants = 0;
  for (std::size_t k = 0; k < kSectors; ++k) {
    if (g.osec[k] == 0) continue;
    ++octants;
    hot += ratio(osec_f[k], g.osec[k]) >= 0.5 * outer.max;
  }
  f[kOuterCoverage] = outer.max > 0 ? ratio(hot, octants) : 0.0;
  {
    // A rim sector is hot when clearly worse than the interior: a ring stands out of
    // the scattered fails whatever their level.
    const double threshold = std::max(0.35, 2.0 * f[kInnerDensity]);
    std::array<bool, 16> is_hot{};
    int hot16 = 0, sectors = 0;
    double lo = 1, hi = 0;
    for (std::size_t k = 0; k < 16; ++k) {
      if (g.rim[k] == 0) continue;
      const double d = ratio(rim_f[k], g.rim[k]);
      ++sectors, lo = std::min(lo, d), hi = std::max(hi, d);
      is_hot[k] = d >= threshold;
      hot16 += is_hot[k];
    }
    int run = 0, best_run = 0;
    for (std::size_t k = 0; k < 32; ++k) {  // twice around, for runs across sector 0
      run = is_hot[k % 16] ? run + 1 : 0;
      best_run = std::max(best_run, std::min(run, 16));
    }
    f[kRimHot] = ratio(hot16, sectors);
    f[kRimRun] = best_run / 16.0;
    f[kRimMax] = sectors > 0 ? hi : 0.0;
    f[kRimMin] = sectors > 0 ? lo : 0.0;
  }
  if (n_fail > 0) {
    const double mean = rho_sum / n_fail;
    f[kFailRhoMean] = mean;
    f[kFailRhoStd] = std::sqrt(std::max(0.0, rho_sum2 / n_fail - mean * mean));
  }
  const double cond = ratio(joins_ff2, static_cast<double>(joins_ff2) + joins_fp);
  f[kNeighbourFail] = cond;
  // Against the density of failing cells: independent fails give 0 pooled or not.
  const double bp = static_cast<double>(n_bfail) / n_cells;
  f[kClustering] = n_bfail > 0 ? cond - bp : 0.0;
  f[kIsolatedExcess] = n_bfail > 0 ? ratio(isolated, n_bfail) - std::pow(1.0 - bp, 8) : 0.0;
  {
    std::array<int, kSectors> oct_f{};
    for (std::size_t k = 0; k < kPolar; ++k) oct_f[k % kSectors] += polar_f[k];
    const int first = static_cast<int>(std::max_element(oct_f.begin(), oct_f.end()) - oct_f.begin());
    const int dir = oct_f[static_cast<std::size_t>((first + 1) % kSectors)] >=
                            oct_f[static_cast<std::size_t>((first + kSectors - 1) % kSectors)]
                        ? 1
                        : -1;
    for (int r = 0; r < kPolarRings; ++r)
      for (int j = 0; j < kSectors; ++j) {
        const auto from = static_cast<std::size_t>(r * kSectors + ((first + dir * j) % kSectors + kSectors) % kSectors);
        f[static_cast<std::size_t>(kPolar0 + r * kSectors + j)] = ratio(polar_f[from], g.polar[from]);
      }
  }

  // --- failing regions: the two largest 8-connected components of the cleaned fails ---
  const int big = std::max(3, static_cast<int>(0.01 * n_cells));
  const Regions reg = find_regions(fr, s.clean, cleaned, big, s.regions);
  for (const int i : cleaned) s.clean[static_cast<std::size_t>(i)] = 0;
  f[kBigComponents] = reg.big_count;
  f[kClusteredShare] = ratio(reg.big_area, n_bfail);
  if (reg.first.area > 0) {
    const Shape s1 = shape_of(reg.first, fr.scale);
    f[kComp1Area] = ratio(reg.first.area, n_cells);
    f[kComp1Share] = ratio(reg.first.area, n_bfail);
    f[kComp1Rho] = s1.rho, f[kComp1Eccentricity] = s1.ecc, f[kComp1Length] = s1.length;
    f[kComp1Width] = s1.width, f[kComp1RadialAlign] = s1.align, f[kComp1Solidity] = reg.solidity;
    f[kComp1RhoMin] = reg.first.rho_min, f[kComp1RhoMax] = reg.first.rho_max;
    f[kComp1AngularCover] = __builtin_popcount(reg.first.sectors) / 16.0;
    f[kComp1EdgeShare] = ratio(reg.first.edge, reg.first.area);
  }
  if (reg.second.area > 0) {
    const Shape s2 = shape_of(reg.second, fr.scale);
    f[kComp2Area] = ratio(reg.second.area, n_cells);
    f[kComp2Rho] = s2.rho, f[kComp2Length] = s2.length, f[kComp2Width] = s2.width;
  }

  // --- line evidence: a Radon transform of the cleaned fails that have at most four
  // failing neighbours (a line has two; the inside of a blob up to eight). A scratch is
  // a narrow spike in one projection; a blob's edge or a random map varies smoothly.
  // The two outermost die layers are left out: a ring's tangent would look like a line.
  // Skipped when most of the interior fails: no scratch can be seen there. ---
  const LineScore line = 2 * interior_clean <= g.interior ? line_score(line_points_x, line_points_y, fr.scale, s.lines) : LineScore{};
  f[kLineLength] = line.excess / (2.0 * fr.scale);
  f[kLineShare] = ratio(line.excess, static_cast<double>(n_line));
  f[kLineZ] = line.z;

  for (std::size_t i = 0; i < f.size(); ++i) out[i] = std::isfinite(f[i]) ? static_cast<float>(f[i]) : 0.0f;
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
  const PassBins is_pass(tables);
  FailMap m{binmap.rows, binmap.cols, std::vector<DieState>(n, DieState::none)};
  for (std::size_t i = 0; i < n; ++i) {
    const std::int16_t bin = binmap.bins[i];
    if (bin < 0) continue;
    m.cells[i] = is_pass(bin) ? DieState::pass : DieState::fail;
  }
  return m;
}

}  // namespace yf
