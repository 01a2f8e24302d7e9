#pragma once
// Internal to pattern_features(): the failing regions (8-connected components) of a
// map, their shape, and the line score. Written out rather than taken from OpenCV
// (connectedComponentsWithStats, convexHull): on a 60 x 60 map OpenCV's labelling
// dispatches to parallel_for_ and costs more than all the other features together,
// and the pipeline's budget is a few microseconds a wafer (docs/patterns.md).
#include <cstdint>
#include <span>
#include <vector>

namespace yf::pattern_detail {

// A map on a grid padded by one cell on every side (index = (row + 1) * W + col + 1),
// with positions in wafer radii: u grows to the right, v upwards.
struct Frame {
  int rows = 0, cols = 0, W = 0, H = 0;
  double scale = 1;             // dies per wafer radius (mean of the two half-extents)
  std::vector<double> u, v;     // per padded column / padded row
  // The same positions as integers over a common denominator: u = u2 / u_den, v = v2 /
  // v_den (twice the offset from the centre in dies, over the mask's extent), so that
  // the regions' moments are exact integer sums, whatever the order they are added in.
  std::vector<std::int32_t> u2, v2;
  double u_den = 1, v_den = 1;
  std::vector<std::uint8_t> dist;  // 8-neighbour distance of a die to "no die" (0 off the wafer)
  std::vector<float> rho;          // per padded cell: distance from the centre, radii
  std::vector<std::uint8_t> sector;  // per padded cell: sector16()
  // Per padded cell: its padded row and column (i / W, i % W without a division per
  // failing cell).
  std::vector<std::int32_t> row, col;
};

// The moments of one component (from exact integer sums, see Frame::u2).
struct Blob {
  int area = 0;
  double su = 0, sv = 0, suu = 0, svv = 0, suv = 0;
  double rho_min = 1e9, rho_max = 0;
  unsigned sectors = 0;  // 16 angular sectors around the wafer centre it touches (bitmask)
  int edge = 0;          // dies in the two outermost layers
};

struct Shape {
  double rho = 0, ecc = 0, length = 0, width = 0, align = 0.5;
};

struct Regions {
  Blob first, second;       // the two largest components (area 0 when absent)
  double solidity = 0;      // of the largest: area / area of its convex hull
  int big_count = 0;        // components of at least `big` dies
  int big_area = 0;         // their dies
};

// A cell as (padded row, padded column), for the convex hull.
struct GridPoint {
  long x, y;
};

// Running sums of one component, in integers (Frame::u2, v2): exact, so the moments do
// not depend on the order the pixels are added in (double sums did, in their last bits,
// and a symmetric blob's radial alignment was then that rounding noise).
struct BlobSums {
  std::int64_t a = 0, b = 0, aa = 0, bb = 0, ab = 0;
  int area = 0, edge = 0;
  float rho_min = 1e9f, rho_max = 0;
  unsigned sectors = 0;
};

// find_regions' working buffers, the caller's (kept from map to map: no allocation
// once they have grown).
struct RegionBuffers {
  std::vector<int> labels;  // padded grid size: all zero between calls
  std::vector<int> parent;
  std::vector<BlobSums> blobs;
  std::vector<GridPoint> ends, hull;  // the largest region's row ends, and their hull
};

// Components of the cells where mask != 0 (padded grid of the frame). `pixels` lists
// those cells in scan order.
Regions find_regions(const Frame& f, const std::vector<std::uint8_t>& mask, std::span<const int> pixels, int big,
                     RegionBuffers& buffers);

// Centroid distance, eccentricity, length (radii), width (dies) and alignment of the
// major axis with the radius through the centroid (1 radial, 0 tangential).
Shape shape_of(const Blob& b, double scale);

// 16-sector index of (u, v), counter-clockwise from +u, without atan2.
int sector16(double u, double v);

// The strongest narrow band of a Radon transform of points (x, y in dies): the
// count in a two-die band minus the mean of the bands three dies to either side, and
// that excess over the square root of the side count.
struct LineScore {
  double excess = 0, z = 0;
};
// line_score's working buffers, the caller's: `hist` is all zero between calls.
struct LineBuffers {
  std::vector<int> hist, bins, band;
};
LineScore line_score(std::span<const float> x, std::span<const float> y, double radius_dies, LineBuffers& buffers);

}  // namespace yf::pattern_detail
