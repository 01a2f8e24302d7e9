// detect_die_to_die on synthetic die grids (tests/support/SyntheticDies.hpp):
// the planted defects' positions, sizes and kinds are known by construction.
#include <catch2/catch.hpp>
#include <cmath>
#include <numbers>

#include "stages/ImageDetection.hpp"
#include "support/SyntheticDies.hpp"

using yf::DefectShape;
using yf::ImageDefect;
using yf::test::PlantedDefect;
using yf::test::SyntheticDieImage;

namespace {

// Die cells of a synthetic image: die_size = ceil(pitch), so the dies tile it.
yf::DieCells cells_of(const SyntheticDieImage& s) {
  yf::DieCells c;
  c.pitch_px = s.pitch;
  c.die_size_px = cv::Size(static_cast<int>(std::ceil(s.pitch.width)), static_cast<int>(std::ceil(s.pitch.height)));
  c.angle_deg = s.angle_deg;
  c.origins_px = s.whole_die_origins(c.die_size_px);
  return c;
}

// A point of die (i, j) of the grid in image pixels, die-frame (u, v).
cv::Point2d in_die(const SyntheticDieImage& s, int i, int j, double u, double v) {
  return s.to_image(i * s.pitch.width + u, j * s.pitch.height + v);
}

const ImageDefect* nearest(const std::vector<ImageDefect>& found, cv::Point2d p) {
  const ImageDefect* best = nullptr;
  for (const auto& d : found)
    if (best == nullptr || cv::norm(d.center_px - p) < cv::norm(best->center_px - p)) best = &d;
  return best;
}

}  // namespace

TEST_CASE("die-to-die: a 3 px particle, a scratch and a cluster, nothing else", "[DieToDie]") {
  // Three grid placements: rotated both ways and square, other noise each time.
  const double angle = GENERATE(0.3, 0.0, -1.2);
  const unsigned seed = GENERATE(1u, 7u);
  SyntheticDieImage s;
  s.angle_deg = angle;
  s.seed = seed;
  // Particle: 3 px across, +30 (10 noise sigmas), in the flat middle of die
  // (1, 2) (die-frame u 34, v 30 is 10 px from the nearest pattern edge).
  const cv::Point2d particle = in_die(s, 1, 2, 34.2, 30.6);
  // Scratch: 40 x 1.5 px at 30 degrees, +30, crossing lines, a bar and a pad.
  const cv::Point2d scratch(420.2, 300.4);
  // Cluster: a 24 x 16 px ellipse (~300 px), -25, across a die corner.
  const cv::Point2d cluster(150.5, 400.2);
  s.defects = {{PlantedDefect::disc, particle, 1.5, 1.5, 0, 30},
               {PlantedDefect::line, scratch, 20, 0.75, 30, 30},
               {PlantedDefect::ellipse, cluster, 12, 8, 20, -25}};
  const yf::DieCells cells = cells_of(s);
  const auto result = yf::detect_die_to_die(s.render(), cells, yf::DetectionOptions{});

  CHECK(result.dies_compared == static_cast<int>(cells.origins_px.size()));
  CHECK(result.dies_skipped == 0);
  CHECK(result.noise_sigma == Approx(s.noise_sigma).epsilon(0.2));
  REQUIRE(result.defects.size() == 3);

  const ImageDefect* p = nearest(result.defects, particle);
  CHECK(cv::norm(p->center_px - particle) < 0.5);
  CHECK(p->shape == DefectShape::particle);
  CHECK(p->contrast > 10);
  CHECK(p->eq_diameter_px < 4);
  // Its die: (1, 2) of the grid, whose origin is listed in cells.
  REQUIRE(p->die_index >= 0);
  CHECK(cv::norm(cells.origins_px[static_cast<std::size_t>(p->die_index)] - in_die(s, 1, 2, 0, 0)) < 1e-9);

  const ImageDefect* c = nearest(result.defects, cluster);
  CHECK(cv::norm(c->center_px - cluster) < 0.5);
  CHECK(c->shape == DefectShape::cluster);
  CHECK(c->contrast < -10);
  CHECK(c->area_px == Approx(std::numbers::pi * 12 * 8).epsilon(0.2));

  // The scratch's pieces (cut where it crosses pattern edges) come back as one.
  const ImageDefect* k = nearest(result.defects, scratch);
  CHECK(k->shape == DefectShape::scratch);
  CHECK(k->orientation_deg == Approx(30).margin(3));
  CHECK(k->length_px == Approx(40).margin(6));
  // Centre: on the line within 0.5 px; along it, pieces lost at pattern edges
  // move it by a few px.
  const double t = 30 * std::numbers::pi / 180;
  const cv::Point2d along(std::cos(t), -std::sin(t)), d = k->center_px - scratch;
  CHECK(std::abs(d.x * along.y - d.y * along.x) < 0.5);
  CHECK(std::abs(d.dot(along)) < 3);
}

TEST_CASE("die-to-die: what every die has is pattern, what two of them have is not", "[DieToDie]") {
  SyntheticDieImage s;
  yf::DieCells cells = cells_of(s);
  // The same disc in every die: part of the pattern, nothing to report.
  for (int j = 0; j < 10; ++j)
    for (int i = 0; i < 10; ++i) s.defects.push_back({PlantedDefect::disc, in_die(s, i, j, 34, 30), 2.5, 2.5, 0, 40});
  auto result = yf::detect_die_to_die(s.render(), cells, yf::DetectionOptions{});
  CHECK(result.defects.empty());
  // In two dies only: two defects.
  s.defects = {{PlantedDefect::disc, in_die(s, 2, 3, 34, 30), 2.5, 2.5, 0, 40},
               {PlantedDefect::disc, in_die(s, 5, 1, 34, 30), 2.5, 2.5, 0, 40}};
  result = yf::detect_die_to_die(s.render(), cells, yf::DetectionOptions{});
  REQUIRE(result.defects.size() == 2);
  for (const auto& d : result.defects) CHECK(d.shape == DefectShape::particle);
}

TEST_CASE("die-to-die: no noise, no defects, no detections (the sigma floor)", "[DieToDie]") {
  SyntheticDieImage s;
  s.noise_sigma = 0;
  const auto result = yf::detect_die_to_die(s.render(), cells_of(s), yf::DetectionOptions{});
  CHECK(result.defects.empty());
  CHECK(result.noise_sigma < 1);
}

TEST_CASE("die-to-die: dies outside the image are skipped, fewer than 3 is an error", "[DieToDie]") {
  SyntheticDieImage s;
  s.image_size = cv::Size(240, 130);  // 3 x 2 whole dies
  const cv::Mat image = s.render();
  yf::DieCells cells = cells_of(s);
  REQUIRE(cells.origins_px.size() == 6);
  cells.origins_px.push_back({-30, 5});   // sticks out on the left
  cells.origins_px.push_back({200, 90});  // sticks out at the bottom right
  const auto result = yf::detect_die_to_die(image, cells, yf::DetectionOptions{});
  CHECK(result.dies_compared == 6);
  CHECK(result.dies_skipped == 2);
  CHECK(result.defects.empty());

  cells.origins_px.resize(2);
  CHECK_THROWS_WITH(yf::detect_die_to_die(image, cells, yf::DetectionOptions{}),
                    Catch::Contains("2 whole dies") && Catch::Contains("at least 3"));
  cells.origins_px.clear();
  CHECK_THROWS_AS(yf::detect_die_to_die(image, cells, yf::DetectionOptions{}), yf::ImageDetectionError);
}

TEST_CASE("die-to-die: 8-bit input, and bad images or cells are clear errors", "[DieToDie]") {
  SyntheticDieImage s;
  s.image_size = cv::Size(240, 130);
  s.defects = {{PlantedDefect::disc, in_die(s, 1, 1, 34, 30), 2, 2, 0, 50}};
  const cv::Mat image = s.render();
  const yf::DieCells cells = cells_of(s);
  cv::Mat u8;
  image.convertTo(u8, CV_8U);
  const auto result = yf::detect_die_to_die(u8, cells, yf::DetectionOptions{});
  REQUIRE(result.defects.size() == 1);
  CHECK(cv::norm(result.defects[0].center_px - in_die(s, 1, 1, 34, 30)) < 0.5);

  const yf::DetectionOptions o;
  CHECK_THROWS_WITH(yf::detect_die_to_die(cv::Mat(), cells, o), Catch::Contains("empty"));
  cv::Mat color;
  cv::cvtColor(u8, color, cv::COLOR_GRAY2BGR);
  CHECK_THROWS_WITH(yf::detect_die_to_die(color, cells, o), Catch::Contains("3 channels"));
  CHECK_THROWS_WITH(yf::detect_die_to_die(cv::Mat::zeros(130, 240, CV_64F), cells, o),
                    Catch::Contains("pixel type"));
  yf::DieCells bad = cells;
  bad.die_size_px = cv::Size(3, 40);
  CHECK_THROWS_WITH(yf::detect_die_to_die(image, bad, o), Catch::Contains("die_size_px"));
  bad = cells;
  bad.angle_deg = std::nan("");
  CHECK_THROWS_WITH(yf::detect_die_to_die(image, bad, o), Catch::Contains("angle_deg"));
  // A NaN die (outside a flat field's support) is skipped, not compared.
  cv::Mat with_nan = image.clone();
  with_nan.at<float>(20, 20) = std::nanf("");
  const auto partial = yf::detect_die_to_die(with_nan, cells, o);
  CHECK(partial.dies_skipped == 1);
  CHECK(partial.dies_compared == 5);
}

TEST_CASE("die-to-die: the edge-tolerant comparison finds a particle in its die, nothing else", "[DieToDie]") {
  // die_edge_tolerance_px > 0 takes the other comparison path (each die's box resampled whole,
  // the reference's local range); the same owned pixels, the same blobs.
  const double angle = GENERATE(0.3, -1.2);
  SyntheticDieImage s;
  s.angle_deg = angle;
  const cv::Point2d particle = in_die(s, 2, 1, 34.2, 30.6);
  s.defects = {{PlantedDefect::disc, particle, 2.0, 2.0, 0, 35}};
  const yf::DieCells cells = cells_of(s);
  yf::DetectionOptions o;
  o.die_edge_tolerance_px = 1;
  const auto result = yf::detect_die_to_die(s.render(), cells, o);
  CHECK(result.dies_compared == static_cast<int>(cells.origins_px.size()));
  CHECK(result.noise_sigma == Approx(s.noise_sigma).epsilon(0.2));
  REQUIRE(result.defects.size() == 1);
  const ImageDefect& p = result.defects[0];
  CHECK(cv::norm(p.center_px - particle) < 0.5);
  CHECK(p.contrast > 10);
  REQUIRE(p.die_index >= 0);
  CHECK(cv::norm(cells.origins_px[static_cast<std::size_t>(p.die_index)] - in_die(s, 2, 1, 0, 0)) < 1e-9);
}

TEST_CASE("die-to-die: buffers kept from image to image give each image's own result", "[DieToDie]") {
  // Two grids of other die sizes on images of other sizes, both comparison paths: with one
  // DieToDieBuffers for all the calls, in an order that makes every buffer change size,
  // each result equals the one from fresh buffers.
  SyntheticDieImage a;
  a.defects = {{PlantedDefect::disc, in_die(a, 1, 2, 34.2, 30.6), 1.5, 1.5, 0, 30}};
  SyntheticDieImage b;
  b.image_size = {560, 600};
  b.pitch = {61.7, 66.4};
  b.angle_deg = -0.8;
  b.seed = 99;
  b.defects = {{PlantedDefect::line, {300.2, 250.4}, 20, 0.75, 30, 30},
               {PlantedDefect::disc, in_die(b, 2, 3, 20.5, 40.1), 2.0, 2.0, 0, -35}};
  const cv::Mat image_a = a.render(), image_b = b.render();
  const yf::DieCells cells_a = cells_of(a), cells_b = cells_of(b);
  yf::DetectionOptions plain, tolerant;
  tolerant.die_edge_tolerance_px = 1;
  auto same = [](const yf::DieToDieResult& got, const yf::DieToDieResult& want) {
    CHECK(got.noise_sigma == want.noise_sigma);
    CHECK(got.dies_compared == want.dies_compared);
    CHECK(got.max_die_shift_px == want.max_die_shift_px);
    REQUIRE(got.defects.size() == want.defects.size());
    for (std::size_t i = 0; i < got.defects.size(); ++i) {
      CHECK(got.defects[i].center_px == want.defects[i].center_px);
      CHECK(got.defects[i].area_px == want.defects[i].area_px);
      CHECK(got.defects[i].contrast == want.defects[i].contrast);
      CHECK(got.defects[i].peak_snr == want.defects[i].peak_snr);
      CHECK(got.defects[i].die_index == want.defects[i].die_index);
    }
  };
  const auto fresh_a = yf::detect_die_to_die(image_a, cells_a, plain);
  const auto fresh_b = yf::detect_die_to_die(image_b, cells_b, plain);
  const auto fresh_bt = yf::detect_die_to_die(image_b, cells_b, tolerant);
  REQUIRE(fresh_a.defects.size() == 1);
  REQUIRE(!fresh_b.defects.empty());
  yf::DieToDieBuffers buffers;
  same(yf::detect_die_to_die(image_b, cells_b, plain, buffers), fresh_b);
  same(yf::detect_die_to_die(image_a, cells_a, plain, buffers), fresh_a);
  same(yf::detect_die_to_die(image_b, cells_b, tolerant, buffers), fresh_bt);
  same(yf::detect_die_to_die(image_b, cells_b, plain, buffers), fresh_b);
  same(yf::detect_die_to_die(image_a, cells_a, plain, buffers), fresh_a);
  CHECK(buffers.dies.empty());  // the dies' frames lay in the comparison's `plain` image
  // Frames the `plain` image cannot hold (here: it is a view into a wider image, not
  // continuous) go to a buffer of their own: the same results.
  for (const yf::DetectionOptions& options : {plain, tolerant}) {
    yf::DieToDieBuffers apart;
    apart.plain = cv::Mat(image_b.rows, image_b.cols + 7, CV_32F, cv::Scalar(1e4))(cv::Rect(3, 0, image_b.cols, image_b.rows));
    REQUIRE_FALSE(apart.plain.isContinuous());
    same(yf::detect_die_to_die(image_b, cells_b, options, apart), options.die_edge_tolerance_px > 0 ? fresh_bt : fresh_b);
    CHECK(apart.dies.size() >= cells_b.origins_px.size() * 4 * 4);
  }
}

TEST_CASE("die-to-die: the read spans, by hand and as the pixels it reads", "[DieToDie]") {
  // By hand: angle 0, dies 10 x 8 px. A die at (20, 30): its sampled frame runs over die
  // columns -2 .. 11 and rows -2 .. 9, i.e. image x 18 .. 31, y 28 .. 39; registration (1.5
  // px), the bicubic footprint (2) and a pixel of rounding widen it by 4.5: columns
  // floor(13.5) = 13 .. ceil(35.5) = 36 on rows floor(23.5) = 23 .. ceil(43.5) = 44.
  yf::DieCells cells;
  cells.die_size_px = {10, 8};
  cells.origins_px = {{20, 30}};
  std::vector<cv::Vec2i> spans = yf::die_to_die_read_spans(cells, {100, 60});
  REQUIRE(spans.size() == 60);
  for (int r = 0; r < 60; ++r) {
    INFO("row " << r);
    const cv::Vec2i s = spans[static_cast<std::size_t>(r)];
    if (r >= 23 && r <= 44) {
      CHECK(s == cv::Vec2i(13, 36));
    } else {
      CHECK(s[0] > s[1]);
    }
  }
  // A second die at (60.5, 34): x 58.5 .. 71.5 -> columns 54 .. 76 on rows 27 .. 48 (the
  // union of a row is one span: 13 .. 76 where both dies are); a third at (1, 50) is cut at
  // the image's left and bottom edges: x -1 .. 12, y 48 .. 59 -> columns 0 .. ceil(16.5) = 17
  // on rows floor(43.5) = 43 .. 59.
  cells.origins_px = {{20, 30}, {60.5, 34}, {1, 50}};
  spans = yf::die_to_die_read_spans(cells, {100, 60});
  CHECK(spans[23] == cv::Vec2i(13, 36));
  CHECK(spans[27] == cv::Vec2i(13, 76));
  CHECK(spans[43] == cv::Vec2i(0, 76));
  CHECK(spans[44] == cv::Vec2i(0, 76));
  CHECK(spans[45] == cv::Vec2i(0, 76));
  CHECK(spans[48] == cv::Vec2i(0, 76));
  CHECK(spans[49] == cv::Vec2i(0, 17));
  CHECK(spans[59] == cv::Vec2i(0, 17));
  CHECK(spans[22][0] > spans[22][1]);

  // As the pixels read: a rotated grid of which only the dies near the centre are listed
  // (like a wafer's); every pixel outside the spans overwritten gives the same result.
  SyntheticDieImage s;
  s.image_size = {560, 600};
  s.pitch = {61.7, 66.4};
  s.angle_deg = -0.8;
  s.seed = 5;
  s.defects = {{PlantedDefect::disc, {280.3, 300.6}, 2.0, 2.0, 0, -35}};
  const cv::Mat image = s.render();
  yf::DieCells round = cells_of(s);
  std::vector<cv::Point2d> kept;
  for (const cv::Point2d& o : round.origins_px)
    if (cv::norm(o + cv::Point2d(30, 33) - cv::Point2d(280, 300)) < 200) kept.push_back(o);
  round.origins_px = kept;
  REQUIRE(kept.size() >= 20);
  spans = yf::die_to_die_read_spans(round, image.size());
  cv::Mat spoiled = image.clone();
  int outside = 0;
  for (int r = 0; r < spoiled.rows; ++r)
    for (int c = 0; c < spoiled.cols; ++c)
      if (c < spans[static_cast<std::size_t>(r)][0] || c > spans[static_cast<std::size_t>(r)][1]) {
        spoiled.at<float>(r, c) = 1e4f;
        ++outside;
      }
  CHECK(outside > spoiled.rows * spoiled.cols / 4);
  const auto want = yf::detect_die_to_die(image, round, yf::DetectionOptions{});
  const auto got = yf::detect_die_to_die(spoiled, round, yf::DetectionOptions{});
  REQUIRE(!want.defects.empty());
  CHECK(got.noise_sigma == want.noise_sigma);
  CHECK(got.max_die_shift_px == want.max_die_shift_px);
  REQUIRE(got.defects.size() == want.defects.size());
  for (std::size_t i = 0; i < got.defects.size(); ++i) {
    CHECK(got.defects[i].center_px == want.defects[i].center_px);
    CHECK(got.defects[i].contrast == want.defects[i].contrast);
  }
}
