#include "samples/WaferSynth.hpp"

#include <algorithm>
#include <cmath>
#include <numeric>
#include <set>
#include <stdexcept>

#include "samples/Random.hpp"

namespace yf::samples {
namespace {

constexpr double kPi = 3.14159265358979323846;

// Why a tested die failed. Decides its bin and whether inspection saw a killer defect.
enum class Cause { pass, baseline, pattern, excursion };

enum class Pattern { none, random, center, edge_ring, edge_loc, loc, scratch, donut, near_full };

Pattern parse_pattern(const std::string& name) {
  static const std::pair<const char*, Pattern> table[] = {
      {"none", Pattern::none},         {"random", Pattern::random},     {"center", Pattern::center},
      {"edge-ring", Pattern::edge_ring}, {"edge-loc", Pattern::edge_loc}, {"loc", Pattern::loc},
      {"scratch", Pattern::scratch},   {"donut", Pattern::donut},       {"near-full", Pattern::near_full}};
  for (const auto& [n, p] : table)
    if (name == n) return p;
  throw std::invalid_argument("samples: unknown pattern \"" + name + "\"");
}

// Fail bins 3..8 drawn with these weights, per cause / pattern.
const std::vector<double>& fail_bin_weights(Cause cause, Pattern p) {
  //                                          3    4    5    6    7    8
  static const std::vector<double> baseline{1, 1, 1, 1, 2, 1};
  static const std::vector<double> excursion{0, 0, 2, 0, 0, 5};
  static const std::vector<double> center{0, 0, 6, 2, 0, 1};
  static const std::vector<double> edge{0, 5, 0, 0, 1, 3};
  static const std::vector<double> edge_loc{2, 4, 0, 0, 0, 1};
  static const std::vector<double> loc{3, 2, 0, 0, 2, 0};
  static const std::vector<double> scratch{6, 2, 0, 0, 0, 0};
  static const std::vector<double> donut{0, 0, 2, 5, 0, 0};
  static const std::vector<double> near_full{1, 1, 1, 0, 5, 0};
  if (cause == Cause::baseline) return baseline;
  if (cause == Cause::excursion) return excursion;
  switch (p) {
    case Pattern::center: return center;
    case Pattern::edge_ring: return edge;
    case Pattern::edge_loc: return edge_loc;
    case Pattern::loc: return loc;
    case Pattern::scratch: return scratch;
    case Pattern::donut: return donut;
    case Pattern::near_full: return near_full;
    default: return baseline;
  }
}

// Probability that inspection caught a killer defect in a failed product die.
double capture_probability(Cause cause, Pattern p) {
  if (cause == Cause::baseline) return 0.55;
  if (cause == Cause::excursion) return 0.15;  // a parametric excursion: mostly invisible
  switch (p) {
    case Pattern::random: return 0.55;
    case Pattern::center: return 0.25;
    case Pattern::edge_ring: return 0.45;
    case Pattern::edge_loc: return 0.5;
    case Pattern::loc: return 0.7;
    case Pattern::scratch: return 0.9;
    case Pattern::donut: return 0.35;
    case Pattern::near_full: return 0.4;
    default: return 0.55;
  }
}

double smoothstep(double edge0, double edge1, double x) {
  const double t = std::clamp((x - edge0) / (edge1 - edge0), 0.0, 1.0);
  return t * t * (3 - 2 * t);
}

double angle_distance(double a, double b) {
  double d = std::fmod(std::fabs(a - b), 2 * kPi);
  return d > kPi ? 2 * kPi - d : d;
}

// The parameters of one wafer's pattern, drawn once; fail_probability() is then a
// pure function of the die centre.
struct PatternModel {
  Pattern kind = Pattern::none;
  double radius = 150;  // wafer radius, mm
  double level = 0;     // fail probability inside the pattern
  double a = 0, b = 0;  // radii (fractions of the wafer radius) or angles
  double cx = 0, cy = 0;
  double width = 0;                   // scratch: half-width in mm
  std::vector<double> px, py;         // scratch: polyline

  PatternModel(Pattern p, const ProductGeometry& g, Rng& rng) : kind(p), radius(g.wafer_diameter_mm / 2) {
    switch (p) {
      case Pattern::none: break;
      case Pattern::random: level = rng.uniform(0.12, 0.25); break;
      case Pattern::center:
        level = rng.uniform(0.8, 0.95);
        a = rng.uniform(0.22, 0.4);
        break;
      case Pattern::edge_ring:
        level = rng.uniform(0.75, 0.92);
        a = rng.uniform(0.8, 0.88);
        break;
      case Pattern::edge_loc:
        level = rng.uniform(0.8, 0.95);
        a = rng.uniform(0.68, 0.8);                  // inner radius
        b = rng.uniform(20, 45) * kPi / 180;         // half-angle
        cx = rng.uniform(-kPi, kPi);                 // centre angle
        break;
      case Pattern::loc: {
        level = rng.uniform(0.85, 0.97);
        const double r = rng.uniform(0.15, 0.65) * radius, t = rng.uniform(-kPi, kPi);
        cx = r * std::cos(t);
        cy = r * std::sin(t);
        a = rng.uniform(0.1, 0.18) * radius;  // cluster radius, mm
        break;
      }
      case Pattern::scratch: {
        level = 0.92;
        // A gently curved stroke (quadratic Bezier) through a point of the inner wafer.
        const double r0 = 0.55 * radius * std::sqrt(rng.uniform()), t0 = rng.uniform(-kPi, kPi);
        const double dir = rng.uniform(-kPi, kPi), len = rng.uniform(0.6, 1.2) * radius;
        const double sx = r0 * std::cos(t0) - len / 2 * std::cos(dir), sy = r0 * std::sin(t0) - len / 2 * std::sin(dir);
        const double ex = sx + len * std::cos(dir), ey = sy + len * std::sin(dir);
        const double bend = rng.uniform(-0.15, 0.15) * len;
        const double mx = (sx + ex) / 2 - bend * std::sin(dir), my = (sy + ey) / 2 + bend * std::cos(dir);
        for (int i = 0; i <= 48; ++i) {
          const double t = i / 48.0;
          px.push_back((1 - t) * (1 - t) * sx + 2 * (1 - t) * t * mx + t * t * ex);
          py.push_back((1 - t) * (1 - t) * sy + 2 * (1 - t) * t * my + t * t * ey);
        }
        width = 0.5 * std::max(g.die_width_mm, g.die_height_mm);
        break;
      }
      case Pattern::donut:
        level = rng.uniform(0.75, 0.9);
        a = rng.uniform(0.33, 0.48);
        b = a + rng.uniform(0.15, 0.25);
        break;
      case Pattern::near_full: level = rng.uniform(0.85, 0.97); break;
    }
  }

  double fail_probability(double x, double y) const {
    const double rho = std::hypot(x, y) / radius;
    switch (kind) {
      case Pattern::none: return 0;
      case Pattern::random:
      case Pattern::near_full: return level;
      case Pattern::center: return level * (1 - smoothstep(a - 0.06, a + 0.06, rho));
      case Pattern::edge_ring: return level * smoothstep(a - 0.03, a + 0.03, rho);
      case Pattern::edge_loc: {
        const double ang = angle_distance(std::atan2(y, x), cx);
        return level * smoothstep(a - 0.03, a + 0.03, rho) * (1 - smoothstep(b * 0.8, b * 1.2, ang));
      }
      case Pattern::loc: {
        const double d = std::hypot(x - cx, y - cy);
        return level * (1 - smoothstep(0.6 * a, 1.15 * a, d));
      }
      case Pattern::scratch: return distance_to_stroke(x, y) < width ? level : 0;
      case Pattern::donut:
        return level * smoothstep(a - 0.04, a + 0.04, rho) * (1 - smoothstep(b - 0.04, b + 0.04, rho));
    }
    return 0;
  }

  double distance_to_stroke(double x, double y) const {
    double best = 1e300;
    for (std::size_t i = 0; i + 1 < px.size(); ++i) {
      const double dx = px[i + 1] - px[i], dy = py[i + 1] - py[i];
      const double len2 = dx * dx + dy * dy;
      double t = len2 > 0 ? ((x - px[i]) * dx + (y - py[i]) * dy) / len2 : 0;
      t = std::clamp(t, 0.0, 1.0);
      best = std::min(best, std::hypot(x - (px[i] + t * dx), y - (py[i] + t * dy)));
    }
    return best;
  }
};

double round_to(double v, double step) { return std::round(v / step) * step; }

std::int32_t killer_class(Pattern p, Cause cause, Rng& rng) {
  if (cause == Cause::pattern && p == Pattern::scratch) return 2;  // SCRATCH
  static const std::vector<double> w{6, 3, 1};                      // PARTICLE, BRIDGE, 99 (not in the table)
  static const std::int32_t ids[] = {1, 3, 99};
  return ids[rng.weighted(w)];
}

bool corners_inside(const ProductGeometry& g, int col, int row, double radius) {
  const double x0 = g.grid_x0_mm + col * g.die_width_mm, x1 = x0 + g.die_width_mm;
  const double y1 = g.grid_y0_mm - row * g.die_height_mm, y0 = y1 - g.die_height_mm;
  const double r2 = radius * radius;
  for (double x : {x0, x1})
    for (double y : {y0, y1})
      if (!(x * x + y * y < r2)) return false;
  return true;
}

}  // namespace

DieLayout::DieLayout(const ProductGeometry& g) : geometry(g) {
  const std::size_t n = static_cast<std::size_t>(g.cols) * static_cast<std::size_t>(g.rows);
  tested.assign(n, 0);
  product.assign(n, 0);
  const double radius = g.wafer_diameter_mm / 2;
  for (int r = 0; r < g.rows; ++r)
    for (int c = 0; c < g.cols; ++c) {
      if (corners_inside(g, c, r, radius)) {
        tested[index(c, r)] = 1;
        ++tested_count;
      }
      if (corners_inside(g, c, r, radius - g.edge_exclusion_mm)) {
        product[index(c, r)] = 1;
        ++product_count;
      }
    }
}

bool DieLayout::touches_product_die(double x, double y) const {
  const ProductGeometry& g = geometry;
  const int c = static_cast<int>(std::floor((x - g.grid_x0_mm) / g.die_width_mm));
  const int r = static_cast<int>(std::floor((g.grid_y0_mm - y) / g.die_height_mm));
  constexpr double eps = 1e-6;
  for (int rr = r - 1; rr <= r + 1; ++rr)
    for (int cc = c - 1; cc <= c + 1; ++cc) {
      if (cc < 0 || rr < 0 || cc >= g.cols || rr >= g.rows || !product[index(cc, rr)]) continue;
      const double x0 = g.grid_x0_mm + cc * g.die_width_mm, x1 = x0 + g.die_width_mm;
      const double y1 = g.grid_y0_mm - rr * g.die_height_mm, y0 = y1 - g.die_height_mm;
      if (x >= x0 - eps && x <= x1 + eps && y >= y0 - eps && y <= y1 + eps) return true;
    }
  return false;
}

SynthWafer synthesize_wafer(const DieLayout& layout, const std::string& pattern_name, bool excursion,
                            bool with_defects, std::uint64_t map_seed, std::uint64_t defect_seed) {
  const ProductGeometry& g = layout.geometry;
  const Pattern pattern = parse_pattern(pattern_name);
  const double radius = g.wafer_diameter_mm / 2;
  SynthWafer out;
  out.truth.pattern = (excursion && pattern == Pattern::none) ? "random" : pattern_name;

  // --- the bin map ---
  Rng rng(map_seed);
  const double baseline = rng.uniform(0.015, 0.05);
  const double excursion_level = excursion ? rng.uniform(0.10, 0.16) : 0.0;
  const PatternModel model(pattern, g, rng);
  std::vector<Cause> cause(layout.tested.size(), Cause::pass);
  out.binmap.rows = g.rows;
  out.binmap.cols = g.cols;
  out.binmap.bins.assign(layout.tested.size(), -1);
  std::int64_t good = 0;
  for (int r = 0; r < g.rows; ++r)
    for (int c = 0; c < g.cols; ++c) {
      const std::size_t i = layout.index(c, r);
      if (!layout.tested[i]) continue;
      Cause why = Cause::pass;
      if (rng.chance(model.fail_probability(layout.center_x(c), layout.center_y(r))))
        why = Cause::pattern;
      else if (excursion && rng.chance(excursion_level))
        why = Cause::excursion;
      else if (rng.chance(baseline))
        why = Cause::baseline;
      cause[i] = why;
      if (why == Cause::pass) {
        out.binmap.bins[i] = rng.chance(0.06) ? 2 : 1;
        ++good;
      } else {
        out.binmap.bins[i] = static_cast<std::int16_t>(3 + rng.weighted(fail_bin_weights(why, pattern)));
      }
    }
  out.truth.good_dies = good;
  out.truth.tested_dies = layout.tested_count;
  out.truth.killed_dies = 0;
  if (!with_defects) return out;

  // --- the defect list ---
  Rng drng(defect_seed);
  std::vector<TruthDefect> planted;
  std::vector<std::int32_t> classes;
  auto plant = [&](double x, double y, double size, std::int32_t cls, const char* kind) {
    planted.push_back({round_to(x, 0.001), round_to(y, 0.001), round_to(size, 0.01), kind});
    classes.push_back(cls);
  };
  // Killer defects: strictly inside failing product dies (5%..95% of the pitch, so a
  // point never sits on a die border), counted per die as they are placed.
  std::int64_t killed = 0;
  for (int r = 0; r < g.rows; ++r)
    for (int c = 0; c < g.cols; ++c) {
      const std::size_t i = layout.index(c, r);
      if (cause[i] == Cause::pass || !layout.product[i]) continue;
      if (!drng.chance(capture_probability(cause[i], pattern))) continue;
      const int n = 1 + (drng.chance(0.2) ? drng.between(1, 2) : 0);
      for (int k = 0; k < n; ++k) {
        const double x = g.grid_x0_mm + (c + drng.uniform(0.05, 0.95)) * g.die_width_mm;
        const double y = g.grid_y0_mm - (r + drng.uniform(0.05, 0.95)) * g.die_height_mm;
        const std::int32_t cls = killer_class(pattern, cause[i], drng);
        const double size = cls == 2 ? std::exp(drng.normal(std::log(8.0), 0.5))
                                     : std::clamp(std::exp(drng.normal(0.0, 0.6)), 0.2, 20.0);
        plant(x, y, size, cls, "killer");
      }
      ++killed;
    }
  // Nuisance defects: anywhere on the wafer, non-killer classes.
  static const std::vector<double> nuisance_w{2, 3, 2, 2};
  static const std::int32_t nuisance_ids[] = {0, 4, 5, 6};  // UNCLASSIFIED, RESIDUE, COLOR_VARIATION, PIT
  const int nuisance = drng.poisson(drng.uniform(40, 120) * (radius / 150) * (radius / 150));
  for (int k = 0; k < nuisance; ++k) {
    const double rr = 0.98 * radius * std::sqrt(drng.uniform()), t = drng.uniform(-kPi, kPi);
    const double size = std::clamp(std::exp(drng.normal(std::log(0.25), 0.4)), 0.05, 2.0);
    plant(rr * std::cos(t), rr * std::sin(t), size, nuisance_ids[drng.weighted(nuisance_w)], "nuisance");
  }
  // Edge defects: near the wafer edge, never in or on a product die (some of killer
  // classes: they must kill nothing there).
  static const std::vector<double> edge_w{5, 3, 2};
  static const std::int32_t edge_ids[] = {7, 1, 0};  // EDGE_CHIP, PARTICLE, UNCLASSIFIED
  const int edge = drng.poisson(drng.uniform(2, 8));
  for (int k = 0; k < edge; ++k) {
    for (int attempt = 0; attempt < 50; ++attempt) {
      const double rr = drng.uniform(radius - 5.0, radius - 0.3), t = drng.uniform(-kPi, kPi);
      const double x = round_to(rr * std::cos(t), 0.001), y = round_to(rr * std::sin(t), 0.001);
      if (layout.touches_product_die(x, y)) continue;
      const double size = std::clamp(std::exp(drng.normal(std::log(12.0), 0.7)), 1.0, 200.0);
      plant(x, y, size, edge_ids[drng.weighted(edge_w)], "edge");
      break;
    }
  }

  // Scan order: top to bottom, left to right (ties by planting order).
  std::vector<std::size_t> order(planted.size());
  std::iota(order.begin(), order.end(), std::size_t{0});
  std::sort(order.begin(), order.end(), [&](std::size_t a, std::size_t b) {
    if (planted[a].y_mm != planted[b].y_mm) return planted[a].y_mm > planted[b].y_mm;
    if (planted[a].x_mm != planted[b].x_mm) return planted[a].x_mm < planted[b].x_mm;
    return a < b;
  });
  out.defects.reserve(order.size());
  out.truth.defects.reserve(order.size());
  for (std::size_t i : order) {
    const TruthDefect& d = planted[i];
    out.defects.push_back({d.x_mm, d.y_mm, d.size_um, classes[i]});
    out.truth.defects.push_back(d);
  }
  out.truth.killed_dies = killed;
  return out;
}

std::vector<BinDef> sample_bins() {
  return {{1, "PASS", true},     {2, "PASS_SLOW", true},  {3, "OPEN", false},       {4, "SHORT", false},
          {5, "LEAKAGE", false}, {6, "IDDQ", false},      {7, "FUNCTIONAL", false}, {8, "PARAMETRIC", false}};
}

std::vector<DefectClass> sample_defect_classes() {
  // Class 99 (a tool code missing from this table) also occurs: it counts as killer.
  return {{0, "UNCLASSIFIED", false}, {1, "PARTICLE", true}, {2, "SCRATCH", true},
          {3, "BRIDGE", true},        {4, "RESIDUE", false}, {5, "COLOR_VARIATION", false},
          {6, "PIT", false},          {7, "EDGE_CHIP", true}};
}

}  // namespace yf::samples
