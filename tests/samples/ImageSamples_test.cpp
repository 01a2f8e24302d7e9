// Rendered wafer images (samples/ImageSynth): the committed image samples, the truth the
// renderer records, and detection + calibration scored against that truth with the
// issue's targets (docs/detection.md has the method and the full figures).
#include <catch2/catch.hpp>
#include <cmath>
#include <filesystem>
#include <string>
#include <vector>

#include "RawH5.hpp"
#include "TestPaths.hpp"
#include "io/DatasetReader.hpp"
#include "samples/ImageEvaluation.hpp"
#include "samples/ImageSynth.hpp"
#include "samples/SampleGenerator.hpp"
#include "stages/ImageDecode.hpp"
#include "support/TempDir.hpp"

namespace fs = std::filesystem;
using namespace yf;

namespace {

SampleOptions image_options(const fs::path& dir, int wafers, int first_lot, int size = 1024) {
  SampleOptions o;
  o.seed = 7;
  o.wafers = wafers;
  o.images = wafers;
  o.image_size = size;
  o.files = 1;
  o.first_lot = first_lot;
  o.file_prefix = "images";
  o.out_dir = dir.string();
  return o;
}

}  // namespace

TEST_CASE("samples: the committed image samples are what `yieldflow samples --seed 7 --wafers 4 --images 4 "
          "--files 1 --first-lot 10 --prefix images` writes",
          "[samples][images]") {
  yf::test::TempDir d;
  const auto paths = generate_samples(image_options(d.path(), 4, 10));
  REQUIRE(paths.size() == 1);
  const fs::path committed = fs::path(yf::test::kSamplesDir) / "images-000.h5";
  INFO("regenerate with: yieldflow samples --seed 7 --wafers 4 --images 4 --files 1 --first-lot 10 --prefix images "
       "-o samples/data");
  REQUIRE(fs::exists(committed));
  CHECK(yf::rawh5::file_bytes(paths[0]) == yf::rawh5::file_bytes(committed.string()));
  CHECK(fs::file_size(committed) < 4u * 1024 * 1024);
}

TEST_CASE("samples: a rendered image agrees with its recorded truth", "[samples][images]") {
  yf::test::TempDir d;
  const auto paths = generate_samples(image_options(d.path(), 2, 11, 512));  // lot 11: FAB7, P200B
  DatasetReader r(paths[0]);
  const auto truth = read_truth_images(paths[0]);
  const auto planted = read_truth_image_defects(paths[0]);
  REQUIRE(truth.size() == 2);
  REQUIRE(r.tables()->image_count == 2);
  for (const ImageTruthRow& t : truth) {
    WaferJob job = r.read_wafer(static_cast<std::size_t>(t.wafer_row));
    REQUIRE(job.image);
    CHECK(job.meta.image_row == t.image_row);
    const GrayImage img = decode_image(*job.image);
    const auto& cal = r.tables()->calibrations.at(job.meta.tool);
    REQUIRE(cal.flat);
    // Scale: the product's diameter over the planted radius; the nominal is within the jitter.
    CHECK(t.radius_px * t.mm_per_px == Approx(100.0));
    CHECK(std::abs(t.mm_per_px / cal.mm_per_px - 1) <= 0.002 + 1e-12);
    CHECK(std::abs(t.rotation_deg - cal.rotation_deg) <= 0.15 + 1e-12);
    auto at = [&](double x, double y) {
      return img.pixels[static_cast<std::size_t>(std::lround(y)) * 512 + static_cast<std::size_t>(std::lround(x))];
    };
    // Background beyond the rim, wafer inside it (at 10 directions).
    for (int k = 0; k < 10; ++k) {
      const double a = 0.3 + k * 0.6;
      CHECK(at(t.center_x_px + (t.radius_px + 4) * std::cos(a), t.center_y_px + (t.radius_px + 4) * std::sin(a)) < 25);
    }
    // The notch: at the bottom (image +y when unrotated), 1 px inside the circle, is background.
    const double th = t.rotation_deg * 3.14159265358979 / 180;
    const double nx = t.center_x_px + (t.radius_px - 1.5) * std::sin(th), ny = t.center_y_px + (t.radius_px - 1.5) * std::cos(th);
    CHECK(at(nx, ny) < 25);
  }
  // Every kind is planted over the two wafers' truth, with sizes of 3 px and more.
  int particles = 0;
  for (const auto& p : planted) {
    CHECK(p.size_um > 0);
    if (p.kind == "particle") {
      ++particles;
      const double px = p.size_um / 1000 / truth[static_cast<std::size_t>(p.wafer_row)].mm_per_px;
      CHECK(px >= 2.9);
      CHECK(px <= 10.1);
    }
  }
  CHECK(particles >= 12);
}

TEST_CASE("images: detection and calibration meet the issue's targets on image wafers with truth",
          "[samples][images][quality]") {
  // The 4 committed FAB14 wafers (P300C) and 6 generated FAB7 wafers (P200B, other tools).
  yf::test::TempDir d;
  const auto fab7 = generate_samples(image_options(d.path(), 6, 11));
  const std::vector<std::string> files{(fs::path(yf::test::kSamplesDir) / "images-000.h5").string(), fab7[0]};
  const ImageEvaluation ev = evaluate_images(files, {});
  INFO(ev.report());
  CHECK(ev.wafers == 10);
  CHECK(ev.failed == 0);
  CHECK(ev.at_least_3px.planted >= 80);
  CHECK(ev.at_least_3px.recall() >= 0.95);
  CHECK(ev.false_per_wafer() <= 0.2);
  for (const auto& [tool, y] : ev.yield_by_tool) {
    INFO(tool);
    CHECK(std::abs(y.found_yield() - y.truth_yield()) <= 0.005);
  }
  for (double e : ev.center_error_px) CHECK(e <= 0.2);
  for (double e : ev.rotation_error_deg) CHECK(std::abs(e) <= 0.05);
}
