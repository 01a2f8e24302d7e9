// `yieldflow detect` end to end on the real SEM pairs of ../shared/data/images
// (where their defects are, and how that was established without this code:
// tests/stages/ReferencePair_test.cpp), the annotated image and exit statuses.
#include <catch2/catch.hpp>

#include <sys/wait.h>

#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <opencv2/imgcodecs.hpp>
#include <sstream>
#include <string>

#include "TestPaths.hpp"
#include "support/TempDir.hpp"

namespace fs = std::filesystem;
using Catch::Matchers::Contains;

namespace {

struct Outcome {
  int status = -1;
  std::string out, err;
};

std::string slurp(const fs::path& p) {
  std::ifstream in(p);
  std::stringstream ss;
  ss << in.rdbuf();
  return ss.str();
}

Outcome detect(const std::string& args, const yf::test::TempDir& dir) {
  const fs::path out = dir / "stdout.txt", err = dir / "stderr.txt";
  const std::string cmd = std::string(YF_EXE) + " detect " + args + " > " + out.string() + " 2> " + err.string();
  const int raw = std::system(cmd.c_str());
  return {WIFEXITED(raw) ? WEXITSTATUS(raw) : -1, slurp(out), slurp(err)};
}

std::string sem(const std::string& name) { return std::string(yf::test::kSharedDataDir) + "/images/" + name; }

}  // namespace

TEST_CASE("detect: case 1 lists the particle and the notch, writes the annotated PNG", "[app][detect]") {
  yf::test::TempDir dir;
  const fs::path png = dir / "case1.png";
  const auto r = detect("--reference " + sem("case1_reference_image.tif") + " " + sem("case1_inspected_image.tif") +
                            " -o " + png.string(),
                        dir);
  REQUIRE(r.status == 0);
  CHECK_THAT(r.out, Contains("2 defects"));
  // Rows: "#  x_px  y_px ..."; the particle first (strongest), ~(148, 332).
  std::istringstream rows(r.out.substr(r.out.find("shape\n") + 6));
  int index = 0;
  double x = 0, y = 0;
  rows >> index >> x >> y;
  CHECK(index == 1);
  CHECK(std::abs(x - 148) < 4);
  CHECK(std::abs(y - 332) < 4);
  const cv::Mat annotated = cv::imread(png.string(), cv::IMREAD_UNCHANGED);
  REQUIRE_FALSE(annotated.empty());
  CHECK(annotated.cols == 340);
  CHECK(annotated.rows == 480);
  CHECK(annotated.channels() == 3);
  // The particle's box is drawn in red (BGR 0, 0, 255) around it.
  bool red = false;
  for (int yy = 315; yy < 355 && !red; ++yy)
    for (int xx = 125; xx < 170 && !red; ++xx) red = annotated.at<cv::Vec3b>(yy, xx) == cv::Vec3b(0, 0, 255);
  CHECK(red);
  // Nothing but the PNG in the folder (the temporary file was renamed).
  int files = 0;
  for (const auto& e : fs::directory_iterator(dir.path())) files += e.path().extension() == ".png";
  CHECK(files == 1);
}

TEST_CASE("detect: case 3 is clean", "[app][detect]") {
  yf::test::TempDir dir;
  const auto r = detect("--reference " + sem("case3_reference_image.tif") + " " + sem("case3_inspected_image.tif"), dir);
  CHECK(r.status == 0);
  CHECK_THAT(r.out, Contains("0 defects"));
}

TEST_CASE("detect: exit statuses for bad input and output", "[app][detect][bad]") {
  yf::test::TempDir dir;
  const std::string case1 = "--reference " + sem("case1_reference_image.tif") + " " + sem("case1_inspected_image.tif");
  // Images of different sizes: the pair cannot be analysed (1), the reason named.
  auto r = detect("--reference " + sem("case3_reference_image.tif") + " " + sem("case1_inspected_image.tif"), dir);
  CHECK(r.status == 1);
  CHECK_THAT(r.err, Contains("same size"));
  // Not an image.
  const fs::path text = dir / "notes.tif";
  std::ofstream(text) << "not an image\n";
  r = detect("--reference " + text.string() + " " + sem("case1_inspected_image.tif"), dir);
  CHECK(r.status == 1);
  CHECK_THAT(r.err, Contains("notes.tif"));
  // A missing file, a bad option value, an unknown output type: usage (2).
  CHECK(detect("--reference " + (dir / "missing.tif") + " " + sem("case1_inspected_image.tif"), dir).status == 2);
  CHECK(detect(case1 + " --k-sigma 0", dir).status == 2);
  r = detect(case1 + " -o " + (dir / "out.weird"), dir);
  CHECK(r.status == 2);
  CHECK_FALSE(fs::exists(dir / "out.weird"));
  // An output that cannot be written: 3.
  CHECK(detect(case1 + " -o " + (dir.path() / "no_such_dir" / "a.png").string(), dir).status == 3);
}
