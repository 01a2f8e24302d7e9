// calibration/: transforms, circle fits, and whole-image calibration against the
// planted truth of rendered wafers (samples/ImageSynth.hpp).
#include <catch2/catch.hpp>
#include <cmath>
#include <opencv2/imgproc.hpp>

#include "calibration/CircleFit.hpp"
#include "calibration/FlatFieldEstimate.hpp"
#include "calibration/ImageCalibrator.hpp"
#include "calibration/WaferCalibration.hpp"
#include "samples/ImageSynth.hpp"
#include "samples/SampleGenerator.hpp"

using namespace yf;
using namespace yf::calib;
using Catch::Matchers::Contains;

namespace {

const ProductGeometry& product(const std::string& name) {
  static const std::vector<ProductGeometry> all = sample_products();
  for (const auto& p : all)
    if (p.name == name) return p;
  throw std::logic_error("no product " + name);
}

cv::Mat as_mat(const GrayImage& g) {
  return cv::Mat(g.height, g.width, CV_8UC1, const_cast<std::uint8_t*>(g.pixels.data())).clone();
}

double angle_diff(double a, double b) { return std::remainder(a - b, 360.0); }

}  // namespace

TEST_CASE("calibration: pixel <-> wafer mm transforms", "[calibration]") {
  WaferCalibration c{500, 400, 1000, 0.15, 0};
  // Hand values: no rotation, y flipped.
  CHECK(px_to_mm(c, {500, 400}).x == Approx(0).margin(1e-12));
  CHECK(px_to_mm(c, {600, 400}).x == Approx(15));
  CHECK(px_to_mm(c, {500, 300}).y == Approx(15));  // up in the image is +y on the wafer
  // 90 degrees counter-clockwise: wafer +x appears pointing up in the image.
  c.rotation_deg = 90;
  const cv::Point2d p = mm_to_px(c, {15, 0});
  CHECK(p.x == Approx(500).margin(1e-9));
  CHECK(p.y == Approx(300).margin(1e-9));
  // Round trip at an odd angle.
  c.rotation_deg = 0.37;
  for (double x : {-140.0, -3.3, 0.0, 77.7})
    for (double y : {-120.0, 0.5, 149.0}) {
      const cv::Point2d back = px_to_mm(c, mm_to_px(c, {x, y}));
      CHECK(back.x == Approx(x).margin(1e-9));
      CHECK(back.y == Approx(y).margin(1e-9));
    }
}

TEST_CASE("calibration: robust circle fit rejects a notch and chips", "[calibration]") {
  std::vector<cv::Point2d> pts;
  const double cx = 512.3, cy = 498.7, r = 470.25;
  for (int k = 0; k < 720; ++k) {
    const double a = 2 * CV_PI * k / 720;
    double rr = r + 0.1 * std::sin(7.0 * k);  // +-0.1 px of deterministic jitter
    if (k >= 178 && k <= 182) rr -= 6;        // notch
    if (k >= 400 && k <= 406) rr -= 4;        // chip
    pts.emplace_back(cx + rr * std::cos(a), cy + rr * std::sin(a));
  }
  const Circle alg = fit_circle_algebraic(pts);
  CHECK(std::abs(alg.r - r) < 0.2);  // biased by the notch and chip, but close
  const RobustCircle fit = fit_circle_robust(pts);
  CHECK(fit.circle.cx == Approx(cx).margin(0.01));
  CHECK(fit.circle.cy == Approx(cy).margin(0.01));
  CHECK(fit.circle.r == Approx(r).margin(0.01));
  CHECK(fit.outliers >= 12);
  CHECK(fit.outliers <= 20);
  CHECK(fit.rms < 0.1);
  CHECK(fit.max_abs <= 0.11);
}

TEST_CASE("calibration: planted centre, scale and rotation recovered on rendered wafers", "[calibration]") {
  struct Case {
    const char* product;
    double mm_per_px, rotation_deg;
    std::uint64_t seed;
  };
  // 1024 px images as the committed samples (~0.32 / 0.21 mm/px), and a larger rotation.
  const Case cases[] = {{"P300A", 0.3185, 0.0, 11}, {"P300C", 0.3191, 0.35, 12}, {"P200B", 0.2123, 0.5, 13},
                        {"P300A", 0.3179, -0.2, 14}, {"P300C", 0.3185, 3.0, 15}};
  const FlatField flat = samples::render_tool_flat(1024, 1024, 99);
  for (const Case& k : cases) {
    const samples::RenderedWafer r =
        samples::render_wafer_image(product(k.product), 1024, 1024, {k.mm_per_px, k.rotation_deg}, flat, k.seed);
    INFO(k.product << " seed " << k.seed);
    const ImageCalibration cal = calibrate_image(as_mat(r.image), product(k.product).wafer_diameter_mm,
                                                 {k.mm_per_px, k.rotation_deg});
    CHECK(std::abs(cal.wafer.center_x_px - r.truth.center_x_px) < 0.2);
    CHECK(std::abs(cal.wafer.center_y_px - r.truth.center_y_px) < 0.2);
    CHECK(std::abs(cal.wafer.radius_px - r.truth.radius_px) < 0.2);
    CHECK(std::abs(cal.wafer.mm_per_px / r.truth.mm_per_px - 1) < 5e-4);
    CHECK(std::abs(angle_diff(cal.wafer.rotation_deg, r.truth.rotation_deg)) < 0.05);
    CHECK(cal.notch_found);
    CHECK(std::abs(angle_diff(cal.notch_rotation_deg, r.truth.rotation_deg)) < 1.0);
    CHECK(cal.residuals.rms_px < 0.3);
    CHECK(cal.residuals.outliers > 0);  // at least the notch
    CHECK_FALSE(cal.cut_off);
  }
}

TEST_CASE("calibration: without any hint the notch settles the rotation", "[calibration]") {
  const FlatField flat = samples::render_tool_flat(768, 768, 5);
  samples::RenderOptions o;
  o.defects = false;  // no chips to mistake for the notch
  const samples::RenderedWafer r = samples::render_wafer_image(product("P300A"), 768, 768, {0.425, 1.3}, flat, 21, o);
  const ImageCalibration cal = calibrate_image(as_mat(r.image), 300);
  CHECK(cal.notch_found);
  CHECK(std::abs(angle_diff(cal.wafer.rotation_deg, r.truth.rotation_deg)) < 0.05);
  CHECK(std::abs(cal.wafer.center_x_px - r.truth.center_x_px) < 0.2);
}

TEST_CASE("calibration: flat field of a tool from its images", "[calibration]") {
  const FlatField truth = samples::render_tool_flat(512, 512, 7);
  std::vector<cv::Mat> images;
  std::vector<WaferCalibration> cals;
  for (std::uint64_t s = 1; s <= 4; ++s) {
    const samples::RenderedWafer r = samples::render_wafer_image(product("P300C"), 512, 512, {0.637, 0.2}, truth, s);
    images.push_back(as_mat(r.image));
    cals.push_back({r.truth.center_x_px, r.truth.center_y_px, r.truth.radius_px, r.truth.mm_per_px, r.truth.rotation_deg});
  }
  const cv::Mat flat = estimate_flat_field(images, cals);
  REQUIRE(flat.size() == cv::Size(512, 512));
  // Compare shapes (both normalised to their mean over the central wafer area).
  double se = 0, st = 0;
  int n = 0;
  for (int y = 96; y < 416; y += 8)
    for (int x = 96; x < 416; x += 8) {
      se += flat.at<float>(y, x);
      st += truth.values[static_cast<std::size_t>(y * 512 + x)];
      ++n;
    }
  double worst = 0;
  for (int y = 96; y < 416; y += 8)
    for (int x = 96; x < 416; x += 8) {
      const double a = flat.at<float>(y, x) / (se / n), b = truth.values[static_cast<std::size_t>(y * 512 + x)] / (st / n);
      worst = std::max(worst, std::abs(a - b));
    }
  CHECK(worst < 0.03);
}

TEST_CASE("calibration: bad images fail with a clear message", "[calibration]") {
  CHECK_THROWS_WITH(calibrate_image(cv::Mat(), 300), Contains("images: empty image"));
  CHECK_THROWS_WITH(calibrate_image(cv::Mat(256, 256, CV_8UC1, cv::Scalar(90)), 300), Contains("constant image"));
  CHECK_THROWS_WITH(calibrate_image(cv::Mat(256, 256, CV_8UC1, cv::Scalar(255)), 300), Contains("constant"));
  cv::Mat sat(256, 256, CV_8UC1, cv::Scalar(255));
  sat(cv::Rect(0, 0, 40, 40)) = 0;
  CHECK_THROWS_WITH(calibrate_image(sat, 300), Contains("saturated"));
  CHECK_THROWS_WITH(calibrate_image(cv::Mat(256, 256, CV_16UC1, cv::Scalar(9)), 300), Contains("8-bit single-channel"));
  CHECK_THROWS_WITH(calibrate_image(cv::Mat(256, 256, CV_8UC3, cv::Scalar(9)), 300), Contains("8-bit single-channel"));
  CHECK_THROWS_WITH(calibrate_image(cv::Mat(16, 300, CV_8UC1, cv::Scalar(9)), 300), Contains("too small"));
  // Noise only: no wafer.
  cv::Mat noise(256, 256, CV_8UC1);
  cv::randu(noise, 0, 40);
  CHECK_THROWS_WITH(calibrate_image(noise, 300), Contains("no wafer in view") || Contains("edge not found"));
  // A small bright blob is not a wafer.
  cv::Mat speck(256, 256, CV_8UC1, cv::Scalar(10));
  cv::circle(speck, {128, 128}, 4, cv::Scalar(200), cv::FILLED);
  CHECK_THROWS_WITH(calibrate_image(speck, 300), Contains("no wafer in view"));
  // A wafer mostly outside the image.
  const FlatField none;
  samples::RenderOptions far;
  far.max_offset_px = 0;
  samples::RenderedWafer r = samples::render_wafer_image(product("P300A"), 512, 512, {0.9, 0}, none, 3, far);
  cv::Mat m = as_mat(r.image);
  cv::Mat cut(512, 512, CV_8UC1, cv::Scalar(12));
  m(cv::Rect(0, 0, 150, 512)).copyTo(cut(cv::Rect(362, 0, 150, 512)));  // only the left rim, at the right border
  CHECK_THROWS_WITH(calibrate_image(cut, 300), Contains("cut off"));
}

TEST_CASE("calibration: a wafer slightly cut off at the border is a documented degraded result", "[calibration]") {
  const FlatField none;
  samples::RenderOptions o;
  o.max_offset_px = 0;
  o.defects = false;
  // 0.3 mm/px: radius 500 px in a 960 px image, centred: ~40 px of each side cut off.
  const samples::RenderedWafer r = samples::render_wafer_image(product("P300C"), 960, 1100, {0.3, 0.1}, none, 8, o);
  const ImageCalibration cal = calibrate_image(as_mat(r.image), 300, {0.3, 0.1});
  CHECK(cal.cut_off);
  CHECK_FALSE(cal.warnings.empty());
  CHECK(std::abs(cal.wafer.center_x_px - r.truth.center_x_px) < 0.5);
  CHECK(std::abs(cal.wafer.center_y_px - r.truth.center_y_px) < 0.5);
  CHECK(std::abs(angle_diff(cal.wafer.rotation_deg, r.truth.rotation_deg)) < 0.05);
}

TEST_CASE("calibration: kept and lent buffers give the same calibration, image after image", "[calibration]") {
  // The image stage keeps a GridRotationBuffers per worker and lends the halves' refinement
  // the memory of its comparison images; buffers too small to lend, a lent block large enough,
  // and another image size in between must all give exactly the fresh result.
  const FlatField flat_a = samples::render_tool_flat(768, 768, 5);
  const FlatField flat_b = samples::render_tool_flat(640, 600, 6);
  const samples::RenderedWafer a = samples::render_wafer_image(product("P300A"), 768, 768, {0.425, 0.4}, flat_a, 31);
  const samples::RenderedWafer b = samples::render_wafer_image(product("P300A"), 640, 600, {0.51, -0.3}, flat_b, 32);
  const ImageCalibration fresh_a = calibrate_image(as_mat(a.image), 300), fresh_b = calibrate_image(as_mat(b.image), 300);
  auto same = [](const ImageCalibration& got, const ImageCalibration& want) {
    CHECK(got.wafer.rotation_deg == want.wafer.rotation_deg);
    CHECK(got.wafer.center_x_px == want.wafer.center_x_px);
    CHECK(got.wafer.radius_px == want.wafer.radius_px);
    CHECK(got.grid_sharpness == want.grid_sharpness);
  };
  GridRotationBuffers kept;
  same(calibrate_image(as_mat(a.image), 300, {}, kept), fresh_a);
  same(calibrate_image(as_mat(b.image), 300, {}, kept), fresh_b);
  same(calibrate_image(as_mat(a.image), 300, {}, kept), fresh_a);
  CHECK_FALSE(kept.halves.empty());  // its own buffers, kept
  GridRotationBuffers lent;
  lent.halves_lent = cv::Mat(768, 768, CV_32F, cv::Scalar(-7));  // large enough: used
  lent.halves_slow_lent = cv::Mat(8, 8, CV_32F);                 // too small: its own instead
  same(calibrate_image(as_mat(a.image), 300, {}, lent), fresh_a);
  same(calibrate_image(as_mat(b.image), 300, {}, lent), fresh_b);
  CHECK(lent.halves.empty());  // never needed its own
  CHECK_FALSE(lent.halves_slow.empty());
  GridRotationBuffers not_float;
  not_float.halves_lent = cv::Mat(768, 768, CV_8U);  // not float: not used
  same(calibrate_image(as_mat(a.image), 300, {}, not_float), fresh_a);
  CHECK_FALSE(not_float.halves.empty());
}
