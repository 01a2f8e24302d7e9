// The image-file module of `detect` (app/ImageFiles.hpp): loaded from its path, the
// clear error for a missing or wrong module (directly and through the CLI: exit 3),
// and the point of it all: the yieldflow executable does not load imgcodecs.
#include <catch2/catch.hpp>

#include <sys/wait.h>

#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <opencv2/imgcodecs.hpp>
#include <sstream>
#include <string>

#include "TestPaths.hpp"
#include "app/ImageFiles.hpp"
#include "support/TempDir.hpp"

namespace fs = std::filesystem;
using Catch::Matchers::Contains;

namespace {

std::string slurp(const fs::path& p) {
  std::ifstream in(p);
  std::stringstream ss;
  ss << in.rdbuf();
  return ss.str();
}

std::string sem(const std::string& name) { return std::string(yf::test::kSharedDataDir) + "/images/" + name; }

std::string load_error(const fs::path& module) {
  try {
    yf::ImageFiles files(module);
  } catch (const yf::ImageFilesModuleError& e) {
    return e.what();
  }
  return "(loaded)";
}

}  // namespace

TEST_CASE("image files: a missing or wrong module is a clear error naming it", "[app][image_files]") {
  yf::test::TempDir dir;
  const fs::path missing = dir.path() / "no_such_module.so";
  std::string e = load_error(missing);
  CHECK_THAT(e, Contains(missing.string()));
  CHECK_THAT(e, Contains("No such file"));
  // Not a shared library at all (longer than an ELF header, so the loader reads one).
  const fs::path text = dir.path() / "libyf_image_files.so";
  std::ofstream(text) << std::string(4096, 'x');
  e = load_error(text);
  CHECK_THAT(e, Contains(text.string()));
  CHECK_THAT(e, Contains("ELF"));
  // A real shared library that is not the module: its function is named.
  e = load_error(YF_NOT_A_MODULE_LIB);
  CHECK_THAT(e, Contains(YF_NOT_A_MODULE_LIB));
  CHECK_THAT(e, Contains("yf_image_files_abi"));
}

TEST_CASE("image files: the module reads TIFFs and encodes PNGs as OpenCV does", "[app][image_files]") {
  const yf::ImageFiles files(YF_IMAGE_FILES_MODULE_FILE);
  for (const char* name : {"case1_inspected_image.tif", "case3_reference_image.tif"}) {
    const yf::ImageFiles::ReadResult r = files.read(sem(name));
    REQUIRE(r.status == yf::kImageFilesOk);
    const cv::Mat direct = cv::imread(sem(name), cv::IMREAD_UNCHANGED);
    REQUIRE(r.image.size() == direct.size());
    REQUIRE(r.image.type() == direct.type());
    CHECK(cv::norm(r.image, direct, cv::NORM_INF) == 0);
  }
  yf::test::TempDir dir;
  const fs::path text = dir.path() / "notes.tif";
  std::ofstream(text) << "not an image\n";
  CHECK(files.read(text.string()).status == yf::kImageFilesUnreadable);
  CHECK(files.read((dir.path() / "missing.tif").string()).image.empty());

  cv::Mat colour(9, 11, CV_8UC3);
  cv::randu(colour, 0, 256);
  std::vector<std::uint8_t> png;
  REQUIRE(files.encode(".png", colour, png));
  const cv::Mat back = cv::imdecode(png, cv::IMREAD_UNCHANGED);
  REQUIRE(back.size() == colour.size());
  CHECK(cv::norm(back, colour, cv::NORM_INF) == 0);
  std::string message;
  CHECK_FALSE(files.encode(".weird", colour, png, &message));
  CHECK_FALSE(message.empty());
}

TEST_CASE("image files: detect without its module exits 3 naming the module", "[app][image_files]") {
  yf::test::TempDir dir;
  const fs::path module = dir.path() / "gone" / "libyf_image_files.so";
  const fs::path out = dir.path() / "annotated.png";
  const std::string cmd = "YF_IMAGE_FILES_MODULE=" + module.string() + " " + YF_EXE + " detect --reference " +
                          sem("case1_reference_image.tif") + " " + sem("case1_inspected_image.tif") + " -o " +
                          out.string() + " > " + (dir / "stdout.txt") + " 2> " + (dir / "stderr.txt");
  const int raw = std::system(cmd.c_str());
  REQUIRE(WIFEXITED(raw));
  CHECK(WEXITSTATUS(raw) == 3);
  const std::string err = slurp(dir.path() / "stderr.txt");
  CHECK_THAT(err, Contains(module.string()));
  CHECK_THAT(err, Contains("image-file module"));
  CHECK(slurp(dir.path() / "stdout.txt").empty());
  CHECK_FALSE(fs::exists(out));
}

TEST_CASE("image files: the yieldflow executable does not load imgcodecs", "[app][image_files]") {
  // LD_TRACE_LOADED_OBJECTS makes the dynamic loader list what it would load and stop
  // (what ldd does): OpenCV's core is there, its imgcodecs is not.
  yf::test::TempDir dir;
  const std::string cmd = "LD_TRACE_LOADED_OBJECTS=1 " + std::string(YF_EXE) + " > " + (dir / "libs.txt");
  REQUIRE(std::system(cmd.c_str()) == 0);
  const std::string libs = slurp(dir.path() / "libs.txt");
  CHECK_THAT(libs, Contains("libopencv_core"));
  CHECK_THAT(libs, !Contains("libopencv_imgcodecs"));
  CHECK_THAT(libs, !Contains("libgdal"));
}
