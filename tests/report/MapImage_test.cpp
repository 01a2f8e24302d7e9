// Die maps as PNG: decoded again with OpenCV, each die's block has the colour of its verdict.
#include <catch2/catch.hpp>

#include <opencv2/imgcodecs.hpp>

#include <cmath>

#include "core/WaferResult.hpp"
#include "io/report/MapImage.hpp"

using namespace yf;
using namespace yf::report;

namespace {

Rgb pixel(const cv::Mat& img, int x, int y) {
  auto v = img.at<cv::Vec3b>(y, x);
  return {v[2], v[1], v[0]};
}

// Centre pixel of die (r, c) for a cell size: 1 px border, pitch cell + 1.
Rgb die_pixel(const cv::Mat& img, int r, int c, int cell) {
  return pixel(img, 1 + c * (cell + 1) + cell / 2, 1 + r * (cell + 1) + cell / 2);
}

}  // namespace

TEST_CASE("report: verdict bits pick the die colour", "[report]") {
  const std::uint8_t product = kDieProduct, tested = kDieTested, pass = kDieSortPass, killed = kDieKilled;
  CHECK(classify_die(0) == DieColour::none);
  CHECK(classify_die(tested | product | pass) == DieColour::pass);
  CHECK(classify_die(tested | pass) == DieColour::pass);  // edge ring: tested, not a product die
  CHECK(classify_die(tested | product) == DieColour::fail);
  CHECK(classify_die(tested | product | killed) == DieColour::killed_fail);
  CHECK(classify_die(tested | product | pass | killed) == DieColour::killed_pass);
  CHECK(classify_die(product) == DieColour::untested);
  CHECK(classify_die(product | killed) == DieColour::killed_fail);
}

TEST_CASE("report: wafer_map_png draws each die in its colour", "[report]") {
  const std::uint8_t ok = kDieProduct | kDieTested | kDieSortPass, bad = kDieProduct | kDieTested;
  std::vector<std::uint8_t> v = {0, ok, bad, ok, bad | kDieKilled, 0};  // 2 rows x 3 cols
  std::vector<std::uint8_t> png = wafer_map_png(v, 2, 3, 4);
  REQUIRE(png.size() > 8);
  CHECK(png[1] == 'P');
  CHECK(png[2] == 'N');
  CHECK(png[3] == 'G');
  cv::Mat img = cv::imdecode(png, cv::IMREAD_COLOR);
  REQUIRE(img.cols == 1 + 3 * 5);
  REQUIRE(img.rows == 1 + 2 * 5);
  CHECK(die_pixel(img, 0, 0, 4) == Rgb{255, 255, 255});
  CHECK(die_pixel(img, 0, 1, 4) == die_colour(DieColour::pass));
  CHECK(die_pixel(img, 0, 2, 4) == die_colour(DieColour::fail));
  CHECK(die_pixel(img, 1, 1, 4) == die_colour(DieColour::killed_fail));
  CHECK(pixel(img, 0, 0) == Rgb{255, 255, 255});  // the gap stays white
  CHECK(pixel(img, 5, 3) == Rgb{255, 255, 255});
  // Every pixel: dies are the 4 x 4 blocks at 1 + 5 * index, everything else stays white.
  int wrong = 0;
  for (int y = 0; y < img.rows; ++y)
    for (int x = 0; x < img.cols; ++x) {
      const int r = (y - 1) / 5, c = (x - 1) / 5;
      const bool in_die = y >= 1 && x >= 1 && (y - 1) % 5 < 4 && (x - 1) % 5 < 4;
      const Rgb want = in_die ? die_colour(classify_die(v[static_cast<std::size_t>(r * 3 + c)])) : Rgb{255, 255, 255};
      wrong += pixel(img, x, y) != want;
    }
  CHECK(wrong == 0);
  // Same input, same bytes.
  CHECK(wafer_map_png(v, 2, 3, 4) == png);
  CHECK_THROWS_AS(wafer_map_png(v, 3, 3, 4), std::invalid_argument);
}

TEST_CASE("report: rate_map_png colours rates against the maximum, blank where no die", "[report]") {
  std::vector<double> rates = {0.0, 0.1, 0.2, std::nan("")};
  cv::Mat img = cv::imdecode(rate_map_png(rates, 2, 2, 3, 0.2), cv::IMREAD_COLOR);
  REQUIRE(img.cols == 1 + 2 * 4);
  CHECK(die_pixel(img, 0, 0, 3) == fail_rate_colour(0));
  CHECK(die_pixel(img, 0, 1, 3) == fail_rate_colour(0.5));
  CHECK(die_pixel(img, 1, 0, 3) == fail_rate_colour(1));
  CHECK(die_pixel(img, 1, 1, 3) == Rgb{255, 255, 255});
}

TEST_CASE("report: cell_size_for fits the longer side", "[report]") {
  CHECK(cell_size_for(25, 30, 180) == 5);   // 180 / 30 - 1
  CHECK(cell_size_for(200, 200, 180) == 2); // never below 2
}
