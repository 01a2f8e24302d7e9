#include "samples/PatternSynth.hpp"

#include <algorithm>
#include <cmath>
#include <functional>
#include <numbers>
#include <stdexcept>
#include <string>
#include <vector>

#include "samples/Random.hpp"
#include "stages/PatternClassifier.hpp"

namespace yf {
namespace {

constexpr double kPi = std::numbers::pi;

double smoothstep(double e0, double e1, double x) {
  const double t = std::clamp((x - e0) / (e1 - e0), 0.0, 1.0);
  return t * t * (3 - 2 * t);
}

// Distance between two angles, in [0, pi].
double angle_gap(double a, double b) {
  const double d = std::fmod(std::fabs(a - b), 2 * kPi);
  return d > kPi ? 2 * kPi - d : d;
}

// A die's centre in wafer radii (x right, y up) and its depth from the rim in dies.
struct Die {
  double x, y, rho, theta, depth_dies;
};

// Fail probability of the pattern at a die, in [0, 1], drawn once per map.
using Field = std::function<double(const Die&)>;

// An angular window of total width `span` centred on `centre` (soft edges); span >= 2 pi
// is the whole circle. Rings and donuts in real maps are often broken.
double window(double theta, double centre, double span) {
  if (span >= 2 * kPi) return 1.0;
  const double half = span / 2, soft = 0.15;
  return 1.0 - smoothstep(half - soft, half + soft, angle_gap(theta, centre));
}

Field center(samples::Rng& g) {
  const double off = g.uniform(0, 0.12), dir = g.uniform(-kPi, kPi);
  const double cx = off * std::cos(dir), cy = off * std::sin(dir);
  const double a = g.uniform(0.1, 0.45), stretch = g.uniform(0.8, 1.25), rot = g.uniform(0, kPi);
  const double soft = g.uniform(0.02, 0.1), level = g.uniform(0.5, 1.0);
  return [=](const Die& d) {
    const double dx = d.x - cx, dy = d.y - cy;
    const double u = (dx * std::cos(rot) + dy * std::sin(rot)) * stretch, v = (-dx * std::sin(rot) + dy * std::cos(rot)) / stretch;
    return level * (1 - smoothstep(a - soft, a + soft, std::hypot(u, v)));
  };
}

Field donut(samples::Rng& g) {
  const double mid = g.uniform(0.3, 0.65), half = std::min(g.uniform(0.07, 0.2), mid - 0.15);
  const double span = g.chance(0.5) ? 2 * kPi : g.uniform(1.2 * kPi, 2 * kPi), at = g.uniform(-kPi, kPi);
  const double level = g.uniform(0.5, 1.0);
  return [=](const Die& d) {
    return level * (1 - smoothstep(half - 0.03, half + 0.03, std::fabs(d.rho - mid))) * window(d.theta, at, span);
  };
}

Field edge_ring(samples::Rng& g) {
  const double dies = g.uniform(1.0, 3.5);  // thickness from the rim, in dies
  const double span = g.chance(0.6) ? 2 * kPi : g.uniform(1.3 * kPi, 2 * kPi), at = g.uniform(-kPi, kPi);
  const double level = g.uniform(0.7, 1.0);
  return [=](const Die& d) { return d.depth_dies < dies ? level * window(d.theta, at, span) : 0.0; };
}

Field edge_loc(samples::Rng& g) {
  const double at = g.uniform(-kPi, kPi), level = g.uniform(0.6, 1.0);
  if (g.chance(0.5)) {  // a band along the rim
    const double span = g.uniform(0.2 * kPi, 0.6 * kPi), depth = g.uniform(0.05, 0.3), dies = g.uniform(1.0, 2.0);
    return [=](const Die& d) {
      return (1 - d.rho < depth || d.depth_dies < dies) ? level * window(d.theta, at, span) : 0.0;
    };
  }
  const double r = g.uniform(0.12, 0.4), cx = std::cos(at) * g.uniform(0.9, 1.05), cy = std::sin(at) * g.uniform(0.9, 1.05);
  return [=](const Die& d) { return level * (1 - smoothstep(0.8 * r, 1.1 * r, std::hypot(d.x - cx, d.y - cy))); };
}

Field loc(samples::Rng& g, const PatternSynthOptions& o) {
  const double r0 = g.uniform(o.loc_rho_min, o.loc_rho_max), t0 = g.uniform(-kPi, kPi), a = g.uniform(0.05, 0.2);
  const double cx = r0 * std::cos(t0), cy = r0 * std::sin(t0);
  const double stretch = g.uniform(1.0, 2.0), rot = g.uniform(0, kPi), level = g.uniform(0.6, 1.0);
  return [=](const Die& d) {
    const double dx = d.x - cx, dy = d.y - cy;
    const double u = (dx * std::cos(rot) + dy * std::sin(rot)) / stretch, v = (-dx * std::sin(rot) + dy * std::cos(rot)) * stretch;
    return level * (1 - smoothstep(0.7 * a, 1.1 * a, std::hypot(u, v)));
  };
}

// A gently curved stroke (quadratic Bezier), one or two dies wide, often broken.
Field scratch(samples::Rng& g, double die) {
  const double r0 = 0.6 * std::sqrt(g.uniform()), t0 = g.uniform(-kPi, kPi), dir = g.uniform(-kPi, kPi);
  const double len = g.uniform(0.4, 1.8), bend = g.uniform(-0.2, 0.2) * len;
  const double sx = r0 * std::cos(t0) - len / 2 * std::cos(dir), sy = r0 * std::sin(t0) - len / 2 * std::sin(dir);
  const double ex = sx + len * std::cos(dir), ey = sy + len * std::sin(dir);
  const double mx = (sx + ex) / 2 - bend * std::sin(dir), my = (sy + ey) / 2 + bend * std::cos(dir);
  std::vector<double> px, py;
  for (int i = 0; i <= 24; ++i) {
    const double t = i / 24.0;
    px.push_back((1 - t) * (1 - t) * sx + 2 * (1 - t) * t * mx + t * t * ex);
    py.push_back((1 - t) * (1 - t) * sy + 2 * (1 - t) * t * my + t * t * ey);
  }
  const double half = die * g.uniform(0.5, 1.1), level = g.uniform(0.6, 1.0);
  return [=](const Die& d) {
    double best = 1e9;
    for (std::size_t i = 0; i + 1 < px.size(); ++i) {
      const double dx = px[i + 1] - px[i], dy = py[i + 1] - py[i], l2 = dx * dx + dy * dy;
      const double t = l2 > 0 ? std::clamp(((d.x - px[i]) * dx + (d.y - py[i]) * dy) / l2, 0.0, 1.0) : 0.0;
      best = std::min(best, std::hypot(d.x - px[i] - t * dx, d.y - py[i] - t * dy));
    }
    return best < half ? level : 0.0;
  };
}

Field uniform_level(double level) {
  return [=](const Die&) { return level; };
}

}  // namespace

FailMap synthesize_pattern_map(int class_id, std::uint64_t seed) { return synthesize_pattern_map(class_id, seed, {}); }

FailMap synthesize_pattern_map(int class_id, std::uint64_t seed, const PatternSynthOptions& options) {
  if (class_id < 0 || static_cast<std::size_t>(class_id) >= pattern_classes().size())
    throw std::invalid_argument("synthesize_pattern_map: class id " + std::to_string(class_id));
  const std::string& name = pattern_classes()[static_cast<std::size_t>(class_id)];
  samples::Rng g(seed);
  // The grid: die pitch in wafer radii, square to clearly oblong dies.
  const double dw = 2.0 / g.uniform(20, 90), dh = dw * g.uniform(0.75, 1.35), die = 0.5 * (dw + dh);
  const int cols = static_cast<int>(std::ceil(2.0 / dw)), rows = static_cast<int>(std::ceil(2.0 / dh));
  // Scattered fails under every pattern, more on the outermost dies as on nearly every
  // real wafer (so that a slightly worse rim is not yet an edge ring). WM-811K's
  // patterned wafers carry 0-25% of them (median ~12%); its 'none' wafers 1-10%.
  const double background = name == "none" ? g.uniform(0.003, 0.1) : g.uniform(0.0, 0.22);
  const double rim = g.uniform(0.0, 0.15);

  Field field;
  if (name == "Center") field = center(g);
  else if (name == "Donut") field = donut(g);
  else if (name == "Edge-Ring") field = edge_ring(g);
  else if (name == "Edge-Loc") field = edge_loc(g);
  else if (name == "Loc") field = loc(g, options);
  else if (name == "Scratch") field = scratch(g, die);
  else if (name == "Random") field = uniform_level(g.uniform(0.2, 0.6));
  else if (name == "Near-full") field = uniform_level(g.uniform(0.75, 0.98));
  else field = uniform_level(0.0);

  FailMap m{rows, cols, std::vector<DieState>(static_cast<std::size_t>(rows) * cols, DieState::none)};
  for (int r = 0; r < rows; ++r)
    for (int c = 0; c < cols; ++c) {
      const double x0 = -cols * dw / 2 + c * dw, y1 = rows * dh / 2 - r * dh;
      // A die is on the wafer when its four corners are.
      bool inside = true;
      for (double x : {x0, x0 + dw})
        for (double y : {y1 - dh, y1}) inside = inside && x * x + y * y < 1.0;
      if (!inside) continue;
      Die d;
      d.x = x0 + dw / 2, d.y = y1 - dh / 2;
      d.rho = std::hypot(d.x, d.y), d.theta = std::atan2(d.y, d.x);
      d.depth_dies = (1.0 - d.rho) / die;
      const double base = d.depth_dies < 1.5 ? background + rim * (1 - background) : background;
      const double p = 1 - (1 - base) * (1 - std::clamp(field(d), 0.0, 1.0));
      m.cells[static_cast<std::size_t>(r) * cols + c] = g.chance(p) ? DieState::fail : DieState::pass;
    }
  return m;
}

}  // namespace yf
