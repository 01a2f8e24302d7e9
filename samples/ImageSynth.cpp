#include "samples/ImageSynth.hpp"

#include <algorithm>
#include <cmath>

#include "samples/Random.hpp"

namespace yf::samples {
namespace {

constexpr double kPi = 3.14159265358979323846;
constexpr int kSuper = 3;  // 3x3 samples a pixel: anti-aliased edges, sub-pixel truth

// One planted defect, in wafer millimetres.
struct Planted {
  enum Kind { particle, scratch, cluster, chip } kind = particle;
  double level = 0;                 // grey level (particle, cluster) or factor (scratch)
  std::vector<double> cx, cy, r;    // discs (particle: 1, cluster: several, chip: 1)
  double x0 = 0, y0 = 0, x1 = 0, y1 = 0, half_width = 0;  // scratch segment
  double bx0 = 0, by0 = 0, bx1 = 0, by1 = 0;              // bounding box, mm
};

bool inside(const Planted& p, double x, double y) {
  if (x < p.bx0 || x > p.bx1 || y < p.by0 || y > p.by1) return false;
  if (p.kind == Planted::scratch) {
    const double dx = p.x1 - p.x0, dy = p.y1 - p.y0;
    const double len2 = dx * dx + dy * dy;
    double t = ((x - p.x0) * dx + (y - p.y0) * dy) / len2;
    t = std::clamp(t, 0.0, 1.0);
    const double ex = x - (p.x0 + t * dx), ey = y - (p.y0 + t * dy);
    return ex * ex + ey * ey <= p.half_width * p.half_width;
  }
  for (std::size_t i = 0; i < p.cx.size(); ++i) {
    const double ex = x - p.cx[i], ey = y - p.cy[i];
    if (ex * ex + ey * ey <= p.r[i] * p.r[i]) return true;
  }
  return false;
}

void set_bbox(Planted& p) {
  if (p.kind == Planted::scratch) {
    p.bx0 = std::min(p.x0, p.x1) - p.half_width;
    p.bx1 = std::max(p.x0, p.x1) + p.half_width;
    p.by0 = std::min(p.y0, p.y1) - p.half_width;
    p.by1 = std::max(p.y0, p.y1) + p.half_width;
    return;
  }
  p.bx0 = p.by0 = 1e300;
  p.bx1 = p.by1 = -1e300;
  for (std::size_t i = 0; i < p.cx.size(); ++i) {
    p.bx0 = std::min(p.bx0, p.cx[i] - p.r[i]);
    p.bx1 = std::max(p.bx1, p.cx[i] + p.r[i]);
    p.by0 = std::min(p.by0, p.cy[i] - p.r[i]);
    p.by1 = std::max(p.by1, p.cy[i] + p.r[i]);
  }
}

// The scene: wafer, notch, chips, die pattern, defects, at wafer point (x, y) mm.
class Scene {
 public:
  Scene(const ProductGeometry& g, std::vector<Planted> planted) : g_(g), planted_(std::move(planted)) {
    radius_ = g.wafer_diameter_mm / 2;
    street_ = 0.08 * std::min(g.die_width_mm, g.die_height_mm);
  }

  bool on_wafer(double x, double y) const {
    if (x * x + y * y > radius_ * radius_) return false;
    if (y < -radius_ + kNotchDepthMm - std::abs(x)) return false;  // the notch's V
    for (const Planted& p : planted_)
      if (p.kind == Planted::chip && inside(p, x, y)) return false;
    return true;
  }

  double pattern(double x, double y) const {
    const double w = g_.die_width_mm, h = g_.die_height_mm;
    double u = std::fmod(x - g_.grid_x0_mm, w);
    if (u < 0) u += w;
    double v = std::fmod(g_.grid_y0_mm - y, h);
    if (v < 0) v += h;
    const double s2 = street_ / 2;
    if (u < s2 || u >= w - s2 || v < s2 || v >= h - s2) return kStreetLevel;
    const double a = u / w, b = v / h;
    if (a >= 0.12 && a < 0.55 && b >= 0.12 && b < 0.5) return 170;  // memory array
    if (a >= 0.62 && a < 0.88 && b >= 0.16 && b < 0.84) return 95;   // logic
    if (b >= 0.6 && b < 0.8 && a >= 0.12 && a < 0.55) return 140;    // analog block
    if (b >= 0.88 && b < 0.92 && a >= 0.1 && a < 0.9) return 205;    // pad row
    return 120;
  }

  double level(double x, double y) const {
    if (!on_wafer(x, y)) return kBackgroundLevel;
    double v = pattern(x, y);
    for (const Planted& p : planted_) {
      if (p.kind == Planted::chip || !inside(p, x, y)) continue;
      v = (p.kind == Planted::scratch) ? v * p.level : p.level;
    }
    return v;
  }

 private:
  const ProductGeometry& g_;
  std::vector<Planted> planted_;
  double radius_ = 0, street_ = 0;
};

// Area (mm^2) and centroid of a planted defect, by sampling a fine grid over its box;
// for a chip only the part on the wafer disk counts (what is missing from the wafer).
void measure(const Planted& p, double radius, double step, double& area, double& cx, double& cy) {
  area = cx = cy = 0;
  for (double y = p.by0 + step / 2; y < p.by1; y += step)
    for (double x = p.bx0 + step / 2; x < p.bx1; x += step) {
      if (!inside(p, x, y)) continue;
      if (p.kind == Planted::chip && x * x + y * y > radius * radius) continue;
      area += step * step;
      cx += x * step * step;
      cy += y * step * step;
    }
  if (area > 0) {
    cx /= area;
    cy /= area;
  }
}

std::vector<Planted> plant(const ProductGeometry& g, double s, Rng& rng, std::vector<TruthImageDefect>& truth) {
  std::vector<Planted> out;
  const double R = g.wafer_diameter_mm / 2;
  auto random_point = [&](double rmax) {
    const double r = rmax * std::sqrt(rng.uniform()), t = rng.uniform(0, 2 * kPi);
    return std::pair<double, double>{r * std::cos(t), r * std::sin(t)};
  };
  // Particles: 3-10 px across, dark or bright.
  const int particles = rng.between(6, 12);
  for (int i = 0; i < particles; ++i) {
    Planted p;
    p.kind = Planted::particle;
    auto [x, y] = random_point(R - 6);
    p.cx = {x};
    p.cy = {y};
    p.r = {rng.uniform(3.0, 10.0) * s / 2};
    p.level = rng.chance(0.5) ? 20 : 240;
    out.push_back(p);
  }
  // Scratch: a long thin straight line, darker than what it crosses.
  if (rng.chance(0.5)) {
    Planted p;
    p.kind = Planted::scratch;
    auto [x, y] = random_point(R * 0.6);
    const double len = rng.uniform(60, 250) * s, t = rng.uniform(0, kPi);
    p.x0 = x - len / 2 * std::cos(t);
    p.y0 = y - len / 2 * std::sin(t);
    p.x1 = x + len / 2 * std::cos(t);
    p.y1 = y + len / 2 * std::sin(t);
    p.half_width = rng.uniform(0.8, 1.2) * s;
    p.level = 0.4;
    out.push_back(p);
  }
  // Cluster: a dark blotch of 5-9 overlapping discs.
  if (rng.chance(0.5)) {
    Planted p;
    p.kind = Planted::cluster;
    auto [x, y] = random_point(R * 0.75);
    const int n = rng.between(5, 9);
    for (int k = 0; k < n; ++k) {
      const double d = rng.uniform(0, 12) * s, t = rng.uniform(0, 2 * kPi);
      p.cx.push_back(x + d * std::cos(t));
      p.cy.push_back(y + d * std::sin(t));
      p.r.push_back(rng.uniform(3, 8) * s);
    }
    p.level = 35;
    out.push_back(p);
  }
  // Edge chips: bites out of the rim, away from the notch.
  const int chips = rng.between(0, 2);
  for (int i = 0; i < chips; ++i) {
    Planted p;
    p.kind = Planted::chip;
    const double t = rng.uniform(-kPi / 2 + 0.3, 3 * kPi / 2 - 0.3);  // not within ~17 deg of the notch
    p.cx = {R * std::cos(t)};
    p.cy = {R * std::sin(t)};
    p.r = {rng.uniform(3, 8) * s};
    out.push_back(p);
  }
  for (Planted& p : out) {
    set_bbox(p);
    double area = 0, cx = 0, cy = 0;
    measure(p, R, s / 8, area, cx, cy);
    TruthImageDefect t;
    static const char* kinds[] = {"particle", "scratch", "cluster", "edge_chip"};
    t.kind = kinds[p.kind];
    t.x_mm = std::round(cx * 1000) / 1000;
    t.y_mm = std::round(cy * 1000) / 1000;
    t.size_um = std::round(std::sqrt(4 * area / kPi) * 1e5) / 100;
    const double ext = (p.kind == Planted::scratch) ? std::hypot(p.x1 - p.x0, p.y1 - p.y0) + 2 * p.half_width
                                                    : std::max(p.bx1 - p.bx0, p.by1 - p.by0);
    t.length_um = std::round(ext * 1e5) / 100;
    truth.push_back(t);
  }
  return out;
}

}  // namespace

FlatField render_tool_flat(int width, int height, std::uint64_t tool_seed) {
  Rng rng(tool_seed);
  // Vignetting centred off the image centre, and a linear tilt.
  const double cx = width * rng.uniform(0.4, 0.6), cy = height * rng.uniform(0.4, 0.6);
  const double depth = rng.uniform(0.18, 0.28);
  const double tilt = rng.uniform(0.03, 0.07), tilt_angle = rng.uniform(0, 2 * kPi);
  const double half = 0.5 * std::max(width, height);
  FlatField f;
  f.width = width;
  f.height = height;
  f.values.resize(static_cast<std::size_t>(width) * static_cast<std::size_t>(height));
  for (int y = 0; y < height; ++y)
    for (int x = 0; x < width; ++x) {
      const double dx = (x - cx) / half, dy = (y - cy) / half;
      const double v = 1.0 - depth * (dx * dx + dy * dy) +
                       tilt * ((x - width / 2.0) / half * std::cos(tilt_angle) + (y - height / 2.0) / half * std::sin(tilt_angle));
      // Quantised to 1/4096: a smooth profile then compresses ~10x (exactly representable in float).
      f.values[static_cast<std::size_t>(y) * width + x] = static_cast<float>(std::round(v * 4096) / 4096);
    }
  return f;
}

RenderedWafer render_wafer_image(const ProductGeometry& g, int width, int height, const ImageOptics& optics,
                                 const FlatField& flat, std::uint64_t seed, const RenderOptions& o) {
  Rng rng(seed);
  RenderedWafer out;
  const double s = optics.mm_per_px * (1 + rng.uniform(-o.scale_jitter, o.scale_jitter));
  const double rot = optics.rotation_deg + rng.uniform(-o.rotation_jitter_deg, o.rotation_jitter_deg);
  const double cx = (width - 1) / 2.0 + rng.uniform(-o.max_offset_px, o.max_offset_px);
  const double cy = (height - 1) / 2.0 + rng.uniform(-o.max_offset_px, o.max_offset_px);
  out.truth = {cx, cy, g.wafer_diameter_mm / 2 / s, s, rot};

  Rng defect_rng(splitmix64(seed ^ 0xD3FEC7ull));
  std::vector<Planted> planted;
  if (o.defects) planted = plant(g, s, defect_rng, out.defects);
  const Scene scene(g, std::move(planted));

  // Image (u, v) -> wafer (x, y): undo the y flip, then rotate by -rot.
  const double th = rot * kPi / 180, c = std::cos(th), sn = std::sin(th);
  const double R = g.wafer_diameter_mm / 2;
  Rng noise(splitmix64(seed ^ 0x7015Eull));
  out.image.width = width;
  out.image.height = height;
  out.image.pixels.resize(static_cast<std::size_t>(width) * static_cast<std::size_t>(height));
  const bool has_flat = flat.width == width && flat.height == height;
  for (int v = 0; v < height; ++v)
    for (int u = 0; u < width; ++u) {
      double sum = 0;
      // Far from the wafer, every sample is background.
      const double pxr = std::hypot(u - cx, v - cy) * s;
      if (pxr > R + 2 * s) {
        sum = kBackgroundLevel * kSuper * kSuper;
      } else {
        for (int j = 0; j < kSuper; ++j)
          for (int i = 0; i < kSuper; ++i) {
            const double xp = (u - 0.5 + (i + 0.5) / kSuper - cx) * s;
            const double yp = -(v - 0.5 + (j + 0.5) / kSuper - cy) * s;
            sum += scene.level(c * xp + sn * yp, -sn * xp + c * yp);
          }
      }
      const std::size_t k = static_cast<std::size_t>(v) * width + u;
      double val = sum / (kSuper * kSuper) * (has_flat ? flat.values[k] : 1.0) + noise.normal(0, o.noise_sigma);
      out.image.pixels[k] = static_cast<std::uint8_t>(std::clamp(std::lround(val), 0L, 255L));
    }
  return out;
}

}  // namespace yf::samples
