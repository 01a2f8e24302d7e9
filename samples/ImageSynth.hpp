#pragma once
// Full-wafer images for the sample generator (samples/data/README.md, "Images"):
// the product's die pattern with streets, the wafer disk on a dark background with
// the notch at the bottom, the tool's illumination profile, sensor noise, the
// tool's scale and rotation plus a small per-wafer jitter, a random offset, and
// planted defects (particles, scratches, clusters, edge chips) recorded as truth.
// Pure computation, deterministic from the seeds; its geometry code is its own
// (independent of calibration/ and stages/, so that truth can check them).
#include <cstdint>
#include <vector>

#include "core/ProductGeometry.hpp"
#include "core/WaferImage.hpp"
#include "io/DatasetWriter.hpp"

namespace yf::samples {

// A tool's nominal optics for images of a given size.
struct ImageOptics {
  double mm_per_px = 0;
  double rotation_deg = 0;  // counter-clockwise
};

// The tool's illumination profile: a smooth vignetting with a tilt, ~0.7..1.05,
// deterministic from `tool_seed`.
FlatField render_tool_flat(int width, int height, std::uint64_t tool_seed);

struct RenderedWafer {
  GrayImage image;
  ImageTruth truth;
  std::vector<TruthImageDefect> defects;
};

struct RenderOptions {
  double noise_sigma = 2.0;     // sensor noise, grey levels
  double max_offset_px = 15;    // wafer centre within +-this of the image centre
  double scale_jitter = 0.002;  // relative, per wafer
  double rotation_jitter_deg = 0.15;
  bool defects = true;
};

// Renders one wafer of `product` as the tool sees it.
RenderedWafer render_wafer_image(const ProductGeometry& product, int width, int height, const ImageOptics& optics,
                                 const FlatField& flat, std::uint64_t seed, const RenderOptions& options = {});

// Grey levels of the rendered scene (before illumination and noise), for tests.
inline constexpr double kBackgroundLevel = 12;
inline constexpr double kStreetLevel = 55;
// Notch: a 90-degree V cut 2 mm deep at the bottom of the wafer (-y).
inline constexpr double kNotchDepthMm = 2.0;

}  // namespace yf::samples
