#pragma once
// A hand-made image of a die grid for the detection tests and benchmarks: a
// repeating die pattern (sharp-edged lines and pads, streets) rendered by area
// sampling at a sub-pixel origin and a small rotation, Gaussian sensor noise,
// and planted defects whose true centre and size are known by construction.
#include <opencv2/core.hpp>
#include <opencv2/imgproc.hpp>

#include <algorithm>
#include <cmath>
#include <numbers>
#include <vector>

namespace yf::test {

struct PlantedDefect {
  enum Kind { disc, line, ellipse } kind = disc;
  cv::Point2d center;     // image pixels (pixel centres at integers)
  double a = 1.5;         // disc/ellipse: radius (ellipse: along its axis); line: half length
  double b = 1.5;         // ellipse: other radius; line: half width
  double angle_deg = 0;   // line/ellipse axis, counter-clockwise on screen
  double contrast = 30;   // grey levels added
};

struct SyntheticDieImage {
  cv::Size image_size{640, 512};
  cv::Size2d pitch{72.5, 56.25};   // die step, px
  cv::Point2d grid_origin{9.3, 7.6};  // upper-left corner of die (0, 0)
  double angle_deg = 0.3;
  double noise_sigma = 3.0;
  int supersample = 4;             // area sampling: sub-pixel edges are grey, as in a camera
  unsigned seed = 12345;
  std::vector<PlantedDefect> defects;

  // Die-frame point (u, v) -> image, the convention of yf::DieCells.
  cv::Point2d to_image(double u, double v) const {
    const double a = angle_deg * std::numbers::pi / 180, c = std::cos(a), s = std::sin(a);
    return {grid_origin.x + c * u + s * v, grid_origin.y - s * u + c * v};
  }

  // The grey level of the die pattern at die-frame point (u, v) of one die cell.
  static float pattern(double u, double v, cv::Size2d pitch) {
    const double street = 8;
    if (u >= pitch.width - street || v >= pitch.height - street) return 70.f;  // street
    if (v >= 6 && v < 9 && u >= 5 && u < 55) return 160.f;                  // horizontal line
    if (v >= 14 && v < 16 && u >= 5 && u < 40) return 150.f;                 // thin line
    if (u >= 44 && u < 48 && v >= 12 && v < 42) return 40.f;                 // vertical bar
    if (u >= 8 && u < 24 && v >= 24 && v < 40) return 190.f;                 // pad
    if (u >= 52 && u < 60 && v >= 30 && v < 36) return 130.f;                // small pad
    return 100.f;
  }

  cv::Mat render() const {
    const int ss = supersample;
    const double a = angle_deg * std::numbers::pi / 180, c = std::cos(a), s = std::sin(a);
    cv::Mat big(image_size.height * ss, image_size.width * ss, CV_32F);
    for (int r = 0; r < big.rows; ++r) {
      float* p = big.ptr<float>(r);
      for (int col = 0; col < big.cols; ++col) {
        // Sub-sample centre in image pixels (pixel (i, j) spans [j-0.5, j+0.5)).
        const double x = (col + 0.5) / ss - 0.5, y = (r + 0.5) / ss - 0.5;
        const double dx = x - grid_origin.x, dy = y - grid_origin.y;
        double u = c * dx - s * dy, v = s * dx + c * dy;
        u -= std::floor(u / pitch.width) * pitch.width;
        v -= std::floor(v / pitch.height) * pitch.height;
        float value = pattern(u, v, pitch);
        for (const auto& d : defects) value += static_cast<float>(covers(d, x, y) ? d.contrast : 0.0);
        p[col] = value;
      }
    }
    cv::Mat img;
    cv::resize(big, img, image_size, 0, 0, cv::INTER_AREA);
    cv::Mat noise(img.size(), CV_32F);
    cv::RNG rng(seed);
    rng.fill(noise, cv::RNG::NORMAL, 0.0, noise_sigma);
    return img + noise;
  }

  // Origins of every die wholly inside the image.
  std::vector<cv::Point2d> whole_die_origins(cv::Size die) const {
    std::vector<cv::Point2d> out;
    for (int j = -2; j < 100; ++j)
      for (int i = -2; i < 100; ++i) {
        const cv::Point2d o = to_image(i * pitch.width, j * pitch.height);
        bool inside = true;
        for (auto [u, v] : {std::pair{0.0, 0.0}, {die.width - 1.0, 0.0}, {0.0, die.height - 1.0},
                            {die.width - 1.0, die.height - 1.0}}) {
          const cv::Point2d p = to_image(i * pitch.width + u, j * pitch.height + v);
          inside = inside && p.x >= 0 && p.y >= 0 && p.x <= image_size.width - 1 && p.y <= image_size.height - 1;
        }
        if (inside) out.push_back(o);
      }
    return out;
  }

  static bool covers(const PlantedDefect& d, double x, double y) {
    const double dx = x - d.center.x, dy = y - d.center.y, reach = std::max(d.a, d.b);
    if (std::abs(dx) > reach || std::abs(dy) > reach) return false;  // cheap reject
    const double t = d.angle_deg * std::numbers::pi / 180;
    const double along = dx * std::cos(t) - dy * std::sin(t), across = dx * std::sin(t) + dy * std::cos(t);
    switch (d.kind) {
      case PlantedDefect::disc: return dx * dx + dy * dy <= d.a * d.a;
      case PlantedDefect::line: return std::abs(along) <= d.a && std::abs(across) <= d.b;
      case PlantedDefect::ellipse: return (along * along) / (d.a * d.a) + (across * across) / (d.b * d.b) <= 1;
    }
    return false;
  }
};

}  // namespace yf::test
