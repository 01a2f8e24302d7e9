// Building blocks of stages/ImageDetection.hpp on tiny hand-made difference
// images whose blobs are known by construction.
#include <catch2/catch.hpp>
#include <cmath>
#include <limits>
#include <opencv2/imgproc.hpp>

#include "stages/ImageDetection.hpp"

using yf::DefectShape;
using yf::DetectionOptions;
using yf::ImageDefect;

namespace {

cv::Mat zeros(int w = 64, int h = 48) { return cv::Mat::zeros(h, w, CV_32F); }

}  // namespace

TEST_CASE("robust_sigma: 1.4826 * MAD, mask and NaN respected", "[ImageDetection]") {
  // 1 2 3 4 100: median 3, |x - 3| = 2 1 0 1 97, median 1.
  cv::Mat v = (cv::Mat_<float>(1, 5) << 1, 2, 3, 4, 100);
  CHECK(yf::robust_sigma(v) == Approx(1.4826));
  // Masking out 100 and 4: 1 2 3 -> median 2, |x - 2| = 1 0 1 -> 1.
  cv::Mat m = (cv::Mat_<std::uint8_t>(1, 5) << 1, 1, 1, 0, 0);
  CHECK(yf::robust_sigma(v, m) == Approx(1.4826));
  // NaN is skipped like a masked pixel: 1 2 3 NaN NaN.
  cv::Mat w = (cv::Mat_<float>(1, 5) << 1, 2, 3, std::numeric_limits<float>::quiet_NaN(),
               std::numeric_limits<float>::quiet_NaN());
  CHECK(yf::robust_sigma(w) == Approx(1.4826));
  // +-inf skipped too, row by row (a whole finite row is taken at once): 1 2 3 4 100 and
  // 5 6 7 -> median 4.5, |x - 4.5| = 3.5 2.5 1.5 0.5 95.5 0.5 1.5 2.5 -> median 2.
  const float inf = std::numeric_limits<float>::infinity();
  cv::Mat two = (cv::Mat_<float>(2, 5) << 1, 2, 3, 4, 100, inf, 5, -inf, 6, 7);
  CHECK(yf::robust_sigma(two) == Approx(1.4826 * 2));
  CHECK(yf::robust_sigma(zeros()) == 0);
  CHECK(yf::robust_sigma(v, cv::Mat::zeros(1, 5, CV_8U)) == 0);
  CHECK_THROWS_AS(yf::robust_sigma(cv::Mat::zeros(4, 4, CV_8U)), yf::ImageDetectionError);
}

TEST_CASE("robust_sigma: Gaussian noise of known sigma, also when subsampled", "[ImageDetection]") {
  cv::Mat n(1200, 1100, CV_32F);  // > 1M pixels: the subsampling path
  cv::RNG rng(3);
  rng.fill(n, cv::RNG::NORMAL, 10.0, 4.0);
  CHECK(yf::robust_sigma(n) == Approx(4.0).epsilon(0.02));
}

TEST_CASE("tolerant_difference: only what leaves the reference's local range counts", "[ImageDetection]") {
  // Reference: an edge 10 | 50 between columns 2 and 3.
  cv::Mat ref = (cv::Mat_<float>(1, 6) << 10, 10, 10, 50, 50, 50);
  // The same edge moved by one column, plus a +30 bump at column 5 and a -5 dip at 0.
  cv::Mat img = (cv::Mat_<float>(1, 6) << 5, 10, 50, 50, 50, 80);
  cv::Mat plain = yf::tolerant_difference(img, ref, 0);
  CHECK(plain.at<float>(0, 2) == 40);  // the moved edge: a plain difference sees it
  cv::Mat tol = yf::tolerant_difference(img, ref, 1);
  // Column 0: range [10, 10] -> 5 - 10 = -5. Column 2: range [10, 50] -> 0.
  // Column 5: range [50, 50] -> 30.
  const float want[] = {-5, 0, 0, 0, 0, 30};
  for (int c = 0; c < 6; ++c) CHECK(tol.at<float>(0, c) == want[c]);
  CHECK_THROWS_AS(yf::tolerant_difference(img, zeros(), 1), yf::ImageDetectionError);
  CHECK_THROWS_AS(yf::tolerant_difference(img, ref, -1), yf::ImageDetectionError);
}

TEST_CASE("extract_blobs: a disc, its sub-pixel centre, area, contrast and shape", "[ImageDetection]") {
  cv::Mat d = zeros();
  // A 3x3 square of +20 centred on (20, 15), and one pixel brighter on its
  // right: weighted centre x = (9*20*20 + 10*21... ) computed below.
  d(cv::Rect(19, 14, 3, 3)).setTo(20);
  d.at<float>(15, 22) = 20;  // makes it 10 px, centre shifted right
  DetectionOptions o;
  const auto blobs = yf::extract_blobs(d, 1.0, cv::Mat(), cv::Mat(), o);
  REQUIRE(blobs.size() == 1);
  const ImageDefect& b = blobs[0];
  // x: (3 * 19 + 3 * 20 + 3 * 21 + 22) / 10 = 20.2; y: symmetric about 15.
  CHECK(b.center_px.x == Approx(20.2));
  CHECK(b.center_px.y == Approx(15.0));
  CHECK(b.area_px == 10);
  CHECK(b.eq_diameter_px == Approx(std::sqrt(40.0 / 3.14159265358979)));
  CHECK(b.contrast == Approx(20));
  CHECK(b.peak_snr == Approx(20));
  CHECK(b.shape == DefectShape::particle);
  CHECK(b.bbox == cv::Rect(19, 14, 4, 3));
  CHECK(b.die_index == -1);
  // Negative contrast is found the same way and reported negative.
  const auto dark = yf::extract_blobs(-d, 1.0, cv::Mat(), cv::Mat(), o);
  REQUIRE(dark.size() == 1);
  CHECK(dark[0].contrast == Approx(-20));
}

TEST_CASE("extract_blobs: hysteresis grows a seed over weaker neighbours, no seed no blob", "[ImageDetection]") {
  cv::Mat d = zeros();
  // Blob A: one pixel at 6 sigma, four neighbours at 4 sigma (above grow 3, below seed 5).
  d.at<float>(10, 10) = 6;
  d.at<float>(10, 11) = d.at<float>(10, 9) = d.at<float>(9, 10) = d.at<float>(11, 10) = 4;
  // Blob B: five pixels at 4 sigma, none seeds.
  d(cv::Rect(40, 30, 5, 1)).setTo(4);
  DetectionOptions o;
  o.close_radius_px = 0;
  auto blobs = yf::extract_blobs(d, 1.0, cv::Mat(), cv::Mat(), o);
  REQUIRE(blobs.size() == 1);
  CHECK(blobs[0].area_px == 5);
  CHECK(blobs[0].center_px.x == Approx(10));
  // With a single threshold (grow = seed) only the seed pixel passes: below min area.
  o.grow_k_sigma = o.k_sigma;
  CHECK(yf::extract_blobs(d, 1.0, cv::Mat(), cv::Mat(), o).empty());
  o.min_area_px = 1;
  blobs = yf::extract_blobs(d, 1.0, cv::Mat(), cv::Mat(), o);
  REQUIRE(blobs.size() == 1);
  CHECK(blobs[0].area_px == 1);
}

TEST_CASE("extract_blobs: per-pixel sigma and the valid mask", "[ImageDetection]") {
  cv::Mat d = zeros();
  d(cv::Rect(10, 10, 3, 3)).setTo(8);
  d(cv::Rect(40, 10, 3, 3)).setTo(8);
  // Where the local sigma is 4, 8 is only 2 sigma: not a defect.
  cv::Mat s(d.size(), CV_32F, cv::Scalar(1));
  s(cv::Rect(35, 5, 15, 15)).setTo(4);
  DetectionOptions o;
  auto blobs = yf::extract_blobs(d, 1.0, s, cv::Mat(), o);
  REQUIRE(blobs.size() == 1);
  CHECK(blobs[0].center_px.x == Approx(11));
  // Outside the valid region nothing is found.
  cv::Mat valid = cv::Mat::zeros(d.size(), CV_8U);
  valid(cv::Rect(30, 0, 34, 48)).setTo(255);
  CHECK(yf::extract_blobs(d, 1.0, cv::Mat(), valid, o).size() == 1);
  CHECK(yf::extract_blobs(d, 1.0, s, valid, o).empty());
  // The sigma floor: sigma 0 would make any bit a defect.
  cv::Mat tiny = zeros();
  tiny(cv::Rect(5, 5, 3, 3)).setTo(1);  // 1 grey level: 2 floor sigmas
  CHECK(yf::extract_blobs(tiny, 0.0, cv::Mat(), cv::Mat(), o).empty());
}

TEST_CASE("extract_blobs: a 1-px line is a scratch with its length and angle", "[ImageDetection]") {
  cv::Mat d = zeros(80, 80);
  // 30 px diagonal from (10, 60) up-right to (39, 31): 45 degrees counter-clockwise on screen.
  for (int i = 0; i < 30; ++i) d.at<float>(60 - i, 10 + i) = 12;
  DetectionOptions o;
  auto blobs = yf::extract_blobs(d, 1.0, cv::Mat(), cv::Mat(), o);
  REQUIRE(blobs.size() == 1);
  const ImageDefect& b = blobs[0];
  CHECK(b.shape == DefectShape::scratch);
  CHECK(b.orientation_deg == Approx(45).margin(0.5));
  // 30 pixels sqrt(2) apart (a closing with the 3x3 cross adds no corner):
  // length sqrt(12 * variance along the line) = 30 * sqrt(2).
  CHECK(b.length_px == Approx(30 * std::sqrt(2.0)).epsilon(0.05));
  CHECK(b.center_px.x == Approx(24.5).margin(0.3));
  CHECK(b.center_px.y == Approx(45.5).margin(0.3));
  // A horizontal line: 0 degrees; a vertical one: 90.
  cv::Mat h = zeros(80, 80);
  h(cv::Rect(5, 20, 40, 1)).setTo(12);
  blobs = yf::extract_blobs(h, 1.0, cv::Mat(), cv::Mat(), o);
  REQUIRE(blobs.size() == 1);
  CHECK(blobs[0].orientation_deg == Approx(0).margin(0.01));
  CHECK(blobs[0].elongation == Approx(40).epsilon(0.01));  // sqrt((40^2/12) / (1/12))
  CHECK(blobs[0].length_px == Approx(40).epsilon(0.01));
  cv::Mat v = h.t();
  blobs = yf::extract_blobs(v, 1.0, cv::Mat(), cv::Mat(), o);
  REQUIRE(blobs.size() == 1);
  CHECK(blobs[0].orientation_deg == Approx(90).margin(0.01));
}

TEST_CASE("extract_blobs: a scratch in pieces is joined, unrelated blobs are not", "[ImageDetection]") {
  cv::Mat d = zeros(120, 60);
  // A horizontal scratch y = 20 from x 5..104 with two 6-px gaps.
  d(cv::Rect(5, 20, 30, 1)).setTo(12);
  d(cv::Rect(41, 20, 30, 1)).setTo(12);
  d(cv::Rect(77, 20, 28, 1)).setTo(12);
  // Off the line by 10 px and pointing elsewhere: stays alone.
  d(cv::Rect(50, 30, 1, 20)).setTo(12);
  DetectionOptions o;
  auto blobs = yf::extract_blobs(d, 1.0, cv::Mat(), cv::Mat(), o);
  REQUIRE(blobs.size() == 2);
  const ImageDefect& s = blobs[0].area_px == 88 ? blobs[0] : blobs[1];
  CHECK(s.area_px == 88);
  CHECK(s.shape == DefectShape::scratch);
  CHECK(s.bbox == cv::Rect(5, 20, 100, 1));
  o.merge_gap_px = 0;
  CHECK(yf::extract_blobs(d, 1.0, cv::Mat(), cv::Mat(), o).size() == 4);
}

TEST_CASE("extract_blobs: a large blob is a cluster, classify_shape thresholds", "[ImageDetection]") {
  cv::Mat d = zeros(80, 80);
  cv::circle(d, cv::Point(40, 40), 9, cv::Scalar(-15), cv::FILLED);  // ~250 px
  DetectionOptions o;
  auto blobs = yf::extract_blobs(d, 1.0, cv::Mat(), cv::Mat(), o);
  REQUIRE(blobs.size() == 1);
  CHECK(blobs[0].shape == DefectShape::cluster);
  CHECK(blobs[0].center_px.x == Approx(40).margin(1e-9));
  CHECK(blobs[0].elongation == Approx(1).margin(0.02));

  ImageDefect b;
  b.area_px = 20;
  b.elongation = 5;
  b.length_px = 20;
  CHECK(yf::classify_shape(b, o) == DefectShape::scratch);
  b.length_px = 10;  // elongated but short
  CHECK(yf::classify_shape(b, o) == DefectShape::particle);
  b.area_px = 400;
  CHECK(yf::classify_shape(b, o) == DefectShape::cluster);
  CHECK(std::string(yf::to_string(DefectShape::edge)) == "edge");
}

TEST_CASE("extract_blobs: too many blobs is an error, not thousands of defects", "[ImageDetection]") {
  cv::Mat d = zeros(64, 64);
  for (int y = 2; y < 64; y += 4)
    for (int x = 2; x < 64; x += 4) d(cv::Rect(x, y, 2, 2)).setTo(10);
  DetectionOptions o;
  o.max_defects = 50;
  o.close_radius_px = 0;  // a closing would join the 2-px gaps
  CHECK_THROWS_WITH(yf::extract_blobs(d, 1.0, cv::Mat(), cv::Mat(), o), Catch::Contains("more than 50 blobs"));
}

TEST_CASE("DetectionOptions::validate names the bad field", "[ImageDetection]") {
  DetectionOptions o;
  CHECK_NOTHROW(o.validate());
  o.grow_k_sigma = 6;  // above k_sigma
  CHECK_THROWS_WITH(o.validate(), Catch::Contains("grow_k_sigma"));
  o = {};
  o.k_sigma = std::numeric_limits<double>::quiet_NaN();
  CHECK_THROWS_WITH(o.validate(), Catch::Contains("k_sigma"));
  o = {};
  o.min_area_px = 0;
  CHECK_THROWS_WITH(o.validate(), Catch::Contains("min_area_px"));
  o = {};
  o.min_noise_sigma = 0;
  CHECK_THROWS_WITH(o.validate(), Catch::Contains("min_noise_sigma"));
  cv::Mat d = zeros();
  o = {};
  CHECK_THROWS_AS(yf::extract_blobs(cv::Mat(), 1.0, cv::Mat(), cv::Mat(), o), yf::ImageDetectionError);
  CHECK_THROWS_AS(yf::extract_blobs(cv::Mat::zeros(4, 4, CV_8U), 1.0, cv::Mat(), cv::Mat(), o),
                  yf::ImageDetectionError);
  CHECK_THROWS_AS(yf::extract_blobs(d, -1.0, cv::Mat(), cv::Mat(), o), yf::ImageDetectionError);
  CHECK_THROWS_AS(yf::extract_blobs(d, 1.0, zeros(3, 3), cv::Mat(), o), yf::ImageDetectionError);
}

TEST_CASE("extract_blobs: a sigma map and mask (four pixels at a time) give what the plain sigma gives",
          "[ImageDetection]") {
  // Noise with discs of several strengths, NaN and infinite pixels, odd width (a scalar
  // tail on every row): a constant sigma map and an all-valid mask must find the same
  // blobs, to the last bit of every feature, as the global sigma without them.
  cv::Mat diff(61, 103, CV_32F);
  cv::RNG rng(3);
  rng.fill(diff, cv::RNG::NORMAL, 0, 1);
  cv::circle(diff, {20, 20}, 3, 9.0, -1);
  cv::circle(diff, {60, 30}, 2, -6.0, -1);
  cv::circle(diff, {90, 45}, 4, 7.0, -1);
  diff(cv::Rect(30, 40, 20, 15)).setTo(0);
  cv::circle(diff, {40, 47}, 3, 4.0, -1);  // grows (> 3 sigma) but never seeds (< 5): no blob
  diff.at<float>(5, 7) = std::numeric_limits<float>::quiet_NaN();
  diff.at<float>(40, 101) = std::numeric_limits<float>::infinity();
  diff.at<float>(21, 21) = -std::numeric_limits<float>::infinity();
  DetectionOptions o;
  const double sigma = 1.0;
  const auto plain = yf::extract_blobs(diff, sigma, cv::Mat(), cv::Mat(), o);
  const auto mapped = yf::extract_blobs(diff, sigma, cv::Mat(diff.size(), CV_32F, cv::Scalar(sigma)),
                                        cv::Mat(diff.size(), CV_8U, cv::Scalar(255)), o);
  REQUIRE(plain.size() >= 3);
  for (const auto& b : plain) CHECK(cv::norm(b.center_px - cv::Point2d(40, 47)) > 5);
  REQUIRE(mapped.size() == plain.size());
  for (std::size_t i = 0; i < plain.size(); ++i) {
    CHECK(mapped[i].center_px == plain[i].center_px);
    CHECK(mapped[i].area_px == plain[i].area_px);
    CHECK(mapped[i].contrast == plain[i].contrast);
    CHECK(mapped[i].peak_snr == plain[i].peak_snr);
    CHECK(mapped[i].bbox == plain[i].bbox);
  }
}

TEST_CASE("extract_blobs: a map of factors and its scale give the blobs of the scaled map", "[ImageDetection]") {
  // The die-to-die comparison hands extract_blobs its spread factors and the noise sigma
  // instead of a scaled copy (factor * sigma as cv::Mat computes it): the product must be
  // the same float, and so must every blob.
  cv::RNG rng(4711);
  cv::Mat factor(96, 128, CV_32F), diff(96, 128, CV_32F);
  rng.fill(factor, cv::RNG::UNIFORM, 1.0, 6.0);
  rng.fill(diff, cv::RNG::NORMAL, 0.0, 2.0);
  cv::circle(diff, {40, 30}, 3, cv::Scalar(60), -1);
  cv::line(diff, {70, 60}, {110, 80}, cv::Scalar(-45), 1);
  diff.at<float>(5, 5) = std::numeric_limits<float>::quiet_NaN();
  factor.at<float>(50, 20) = std::numeric_limits<float>::quiet_NaN();
  cv::Mat valid(diff.size(), CV_8U, cv::Scalar(255));
  valid(cv::Rect(0, 0, 128, 4)).setTo(0);
  const double sigma = GENERATE(0.7311, 2.0, 3.14159);
  const cv::Mat scaled = factor * sigma;
  for (int r = 0; r < factor.rows; ++r)
    for (int c = 0; c < factor.cols; ++c) {
      const float want = scaled.at<float>(r, c), got = factor.at<float>(r, c) * static_cast<float>(sigma);
      if (std::isnan(want)) {
        CHECK(std::isnan(got));
      } else if (want != got) {
        FAIL("factor * sigma at (" << r << ", " << c << "): " << want << " != " << got);
      }
    }
  const DetectionOptions o;
  const auto want = yf::extract_blobs(diff, sigma, scaled, valid, o);
  yf::BlobBuffers buffers;
  for (int again = 0; again < 2; ++again) {  // kept buffers: the same blobs the second time
    const auto got = yf::extract_blobs(diff, sigma, factor, static_cast<float>(sigma), valid, o, buffers);
    REQUIRE(got.size() == want.size());
    for (std::size_t i = 0; i < got.size(); ++i) {
      CHECK(got[i].center_px == want[i].center_px);
      CHECK(got[i].area_px == want[i].area_px);
      CHECK(got[i].peak_snr == want[i].peak_snr);
      CHECK(got[i].contrast == want[i].contrast);
      CHECK(got[i].bbox == want[i].bbox);
    }
  }
  REQUIRE(want.size() >= 2);  // the disc and the line at least
}
