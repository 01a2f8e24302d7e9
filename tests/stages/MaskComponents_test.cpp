// label_mask_components: hand-drawn masks whose components are counted by hand, and random
// masks of every density against cv::connectedComponentsWithStats (8-connected, CV_32S) -
// the same label at every pixel, the same count and boxes - since extract_blobs' results
// depend on the order of the labels (the scratch pieces are joined in that order).
#include <catch2/catch.hpp>

#include <opencv2/core/utility.hpp>
#include <opencv2/imgproc.hpp>
#include <random>

#include "stages/MaskComponents.hpp"

namespace {

// The runs painted into a label image.
cv::Mat painted(const yf::MaskComponents& m, cv::Size size) {
  cv::Mat labels(size, CV_32S, cv::Scalar(0));
  for (const yf::MaskRun& run : m.runs)
    for (int c = run.begin; c < run.end; ++c) labels.at<int>(run.row, c) = run.label;
  return labels;
}

cv::Mat from_rows(const std::vector<std::string>& rows) {
  cv::Mat m(static_cast<int>(rows.size()), static_cast<int>(rows[0].size()), CV_8U, cv::Scalar(0));
  for (int r = 0; r < m.rows; ++r)
    for (int c = 0; c < m.cols; ++c) m.at<std::uint8_t>(r, c) = rows[static_cast<std::size_t>(r)][static_cast<std::size_t>(c)] == '#' ? 255 : 0;
  return m;
}

}  // namespace

TEST_CASE("label_mask_components: hand-drawn mask", "[detection][components]") {
  // Four components: A (a diagonal staircase: 8-connected only), B (a U whose arms meet
  // at the bottom, so its two tops join late), C (a single pixel below B, a blank row
  // between), D (a run along the right border). Numbered by their first 2x2 block in
  // raster order: A (0, 0), B (0, 2), C (2, 3), D (2, 4) as (y / 2, x / 2).
  const cv::Mat mask = from_rows({
      "#....#.#...",
      ".#...#.#...",
      "..#..###...",
      "...........",
      "......#..##",
  });
  yf::MaskComponents m;
  yf::label_mask_components(mask, m);
  REQUIRE(m.count == 5);  // background + 4
  const cv::Mat labels = painted(m, mask.size());
  const cv::Mat expected = (cv::Mat_<int>(5, 11) << 1, 0, 0, 0, 0, 2, 0, 2, 0, 0, 0,  //
                            0, 1, 0, 0, 0, 2, 0, 2, 0, 0, 0,                          //
                            0, 0, 1, 0, 0, 2, 2, 2, 0, 0, 0,                          //
                            0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0,                          //
                            0, 0, 0, 0, 0, 0, 3, 0, 0, 4, 4);
  CHECK(cv::countNonZero(labels != expected) == 0);
  REQUIRE(m.boxes.size() == 5);
  CHECK(m.boxes[1] == cv::Rect(0, 0, 3, 3));
  CHECK(m.boxes[2] == cv::Rect(5, 0, 3, 3));
  CHECK(m.boxes[3] == cv::Rect(6, 4, 1, 1));
  CHECK(m.boxes[4] == cv::Rect(9, 4, 2, 1));
  // Runs in raster order.
  REQUIRE(m.runs.size() == 10);
  CHECK(m.runs[0].row == 0);
  CHECK(m.runs[0].begin == 0);
  CHECK(m.runs[0].end == 1);
  CHECK(m.runs[7].row == 2);
  CHECK(m.runs[7].begin == 5);
  CHECK(m.runs[7].end == 8);
  CHECK(m.runs[7].label == 2);

  // The order is by 2x2 block, not by pixel: a component starting on row 1 of block row 0
  // at column 2 comes before one starting on row 0 at column 6.
  const cv::Mat late_row = from_rows({
      "......#.",
      "..#.....",
  });
  yf::label_mask_components(late_row, m);
  REQUIRE(m.count == 3);
  CHECK(painted(m, late_row.size()).at<int>(1, 2) == 1);
  CHECK(painted(m, late_row.size()).at<int>(0, 6) == 2);

  // Empty mask: only the background.
  yf::label_mask_components(cv::Mat(7, 33, CV_8U, cv::Scalar(0)), m);
  CHECK(m.count == 1);
  CHECK(m.runs.empty());
  CHECK_THROWS(yf::label_mask_components(cv::Mat(4, 4, CV_32F, cv::Scalar(0)), m));
}

TEST_CASE("label_mask_components: OpenCV's labels, count and boxes on random masks", "[detection][components]") {
  const int threads = cv::getNumThreads();
  cv::setNumThreads(1);  // the pipeline's setting (its image stage runs OpenCV single-threaded)
  std::mt19937 rng(7);
  yf::MaskComponents m;  // reused across masks, as extract_blobs does
  for (const cv::Size size : {cv::Size(1, 1), cv::Size(1, 37), cv::Size(40, 1), cv::Size(17, 16), cv::Size(64, 48),
                              cv::Size(129, 77), cv::Size(300, 211)}) {
    for (const double density : {0.0, 0.003, 0.05, 0.3, 0.55, 0.9, 1.0}) {
      for (int round = 0; round < 3; ++round) {
        cv::Mat mask(size, CV_8U);
        std::bernoulli_distribution on(density);
        for (int r = 0; r < mask.rows; ++r)
          for (int c = 0; c < mask.cols; ++c) mask.at<std::uint8_t>(r, c) = on(rng) ? static_cast<std::uint8_t>(1 + rng() % 255) : 0;
        if (round == 2 && size.area() > 100) {  // long lines and blobs as well as specks
          cv::line(mask, {0, 0}, {size.width - 1, size.height - 1}, cv::Scalar(255), 2);
          cv::circle(mask, {size.width / 2, size.height / 3}, size.height / 4, cv::Scalar(255), -1);
        }
        cv::Mat labels, stats, centroids;
        const int n = cv::connectedComponentsWithStats(mask, labels, stats, centroids, 8, CV_32S);
        yf::label_mask_components(mask, m);
        INFO("size " << size << " density " << density << " round " << round);
        REQUIRE(m.count == n);
        CHECK(cv::countNonZero(painted(m, size) != labels) == 0);
        for (int i = 1; i < n; ++i) {
          const cv::Rect box(stats.at<int>(i, cv::CC_STAT_LEFT), stats.at<int>(i, cv::CC_STAT_TOP),
                             stats.at<int>(i, cv::CC_STAT_WIDTH), stats.at<int>(i, cv::CC_STAT_HEIGHT));
          CHECK(m.boxes[static_cast<std::size_t>(i)] == box);
        }
      }
    }
  }
  cv::setNumThreads(threads);
}
