// `yieldflow calibrate` and `run --calibration` end to end on the committed image wafers
// (samples/data/images-000.h5: tool KLA-01, whose planted scale and rotation are in /truth).
#include <catch2/catch.hpp>

#include <sys/wait.h>

#include <cmath>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <sstream>
#include <string>

#include "TestPaths.hpp"
#include "io/DatasetReader.hpp"
#include "io/ToolCalibrationFile.hpp"
#include "support/TempDir.hpp"

namespace fs = std::filesystem;
using Catch::Matchers::Contains;

namespace {

struct Outcome {
  int status = -1;
  std::string output;
};

Outcome run_yieldflow(const std::string& args, const yf::test::TempDir& dir) {
  const fs::path log = dir.path() / "calibrate.log";
  const std::string cmd = std::string(YF_EXE) + " " + args + " > " + log.string() + " 2>&1";
  const int raw = std::system(cmd.c_str());
  std::ifstream in(log);
  std::stringstream ss;
  ss << in.rdbuf();
  return {WIFEXITED(raw) ? WEXITSTATUS(raw) : -1, ss.str()};
}

const std::string kImages = (fs::path(yf::test::kSamplesDir) / "images-000.h5").string();

}  // namespace

TEST_CASE("calibrate: a tool's scale, rotation and flat field from its images, run takes the file",
          "[app][images]") {
  yf::test::TempDir dir;
  const std::string yml = (dir.path() / "kla01.yml").string();
  Outcome o = run_yieldflow("calibrate --tool KLA-01 -o " + yml + " " + kImages, dir);
  INFO(o.output);
  REQUIRE(o.status == 0);
  const auto records = yf::read_tool_calibration_file(yml);
  REQUIRE(records.size() == 1);
  const yf::ToolCalibrationRecord& r = records[0];
  CHECK(r.tool == "KLA-01");
  CHECK(r.images == 4);
  CHECK(r.image_width == 1024);
  // The median of the planted per-wafer values (the generator's truth), independently read.
  std::vector<double> scale, rotation;
  for (const auto& t : yf::read_truth_images(kImages)) {
    scale.push_back(t.mm_per_px);
    rotation.push_back(t.rotation_deg);
  }
  std::sort(scale.begin(), scale.end());
  std::sort(rotation.begin(), rotation.end());
  CHECK(r.mm_per_px == Approx((scale[1] + scale[2]) / 2).epsilon(2e-4));
  CHECK(std::abs(r.rotation_deg - (rotation[1] + rotation[2]) / 2) < 0.03);
  CHECK(r.flat_degree == 4);
  // The fitted flat against the tool's own (the generator's) at the image centre region.
  yf::DatasetReader reader(kImages);
  const auto& truth_flat = *reader.tables()->calibrations.at("KLA-01").flat;
  const auto fitted = yf::to_tool_calibrations(records).at("KLA-01").flat;
  double worst = 0, mean_t = 0, mean_f = 0;
  int n = 0;
  for (int y = 256; y < 768; y += 32)
    for (int x = 256; x < 768; x += 32, ++n) {
      mean_t += truth_flat.values[static_cast<std::size_t>(y * 1024 + x)];
      mean_f += fitted->values[static_cast<std::size_t>(y * 1024 + x)];
    }
  for (int y = 256; y < 768; y += 32)
    for (int x = 256; x < 768; x += 32) {
      const std::size_t k = static_cast<std::size_t>(y * 1024 + x);
      worst = std::max(worst, std::abs(fitted->values[k] / (mean_f / n) - truth_flat.values[k] / (mean_t / n)));
    }
  CHECK(worst < 0.03);

  o = run_yieldflow("run -q --no-patterns --calibration " + yml + " -o " + (dir.path() / "out").string() + " " + kImages, dir);
  INFO(o.output);
  CHECK(o.status == 0);
  CHECK(fs::exists(dir.path() / "out" / "defects.csv"));
}

TEST_CASE("calibrate: no image of the tool, and a malformed calibration file", "[app][images]") {
  yf::test::TempDir dir;
  Outcome o = run_yieldflow("calibrate --tool NOPE -o " + (dir.path() / "x.yml").string() + " " + kImages, dir);
  CHECK(o.status == 1);
  CHECK_THAT(o.output, Contains("no usable image of tool NOPE"));
  CHECK_FALSE(fs::exists(dir.path() / "x.yml"));
  std::ofstream(dir.path() / "bad.yml") << "format: yieldflow-tool-calibration\nformat_version: 2\ntools: []\n";
  o = run_yieldflow("run -q --calibration " + (dir.path() / "bad.yml").string() + " -o " + (dir.path() / "o").string() +
                        " " + kImages,
                    dir);
  CHECK(o.status == 2);
  CHECK_THAT(o.output, Contains("bad.yml: format_version: must be 1"));
}
