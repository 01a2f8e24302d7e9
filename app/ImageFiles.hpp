#pragma once
// Image files (TIFF, PNG, JPEG, ...) for `yieldflow detect`, through the module
// libyf_image_files.so (app/ImageFilesAbi.hpp), loaded on first use: the executable
// itself does not link OpenCV's imgcodecs, whose dependency tree (GDAL, GDCM, ...,
// ~120 libraries) would cost every invocation ~60 ms to load.
#include <cstdint>
#include <filesystem>
#include <stdexcept>
#include <string>
#include <vector>

#include <opencv2/core.hpp>

#include "app/ImageFilesAbi.hpp"

namespace yf {

// The module could not be used: missing, not loadable (a dependency missing, not a
// shared library), a function missing, or from another build. Names the module's path.
struct ImageFilesModuleError : std::runtime_error {
  using std::runtime_error::runtime_error;
};

// Where the module is: $YF_IMAGE_FILES_MODULE when set (tests, relocated installs),
// else libyf_image_files.so in the folder of the running executable (/proc/self/exe).
std::filesystem::path image_files_module_path();

class ImageFiles {
 public:
  // dlopens `module` and checks its functions and ABI; throws ImageFilesModuleError.
  // RTLD_NOW: a missing library or symbol is this error, not a loader abort at the
  // first call (binding now rather than lazily costs detect ~12 M instructions, 2 %).
  // The module stays loaded until the process exits.
  explicit ImageFiles(const std::filesystem::path& module);

  // The module at image_files_module_path(), loaded by the first call (thread-safe);
  // a failed load throws again on every call.
  static const ImageFiles& shared();

  struct ReadResult {
    cv::Mat image;               // as stored (8/16-bit, float, 1-4 channels); empty on failure
    ImageFilesStatus status = kImageFilesOk;
    std::string message;         // the decoder's message on kImageFilesFailed
  };
  // cv::imread(path, cv::IMREAD_UNCHANGED).
  ReadResult read(const std::string& path) const;
  // cv::imencode(extension, image); false (and *message) when it cannot.
  bool encode(const std::string& extension, const cv::Mat& image, std::vector<std::uint8_t>& bytes,
              std::string* message = nullptr) const;

  const std::filesystem::path& path() const { return path_; }

 private:
  std::filesystem::path path_;
  yf_image_files_read_fn* read_ = nullptr;
  yf_image_files_encode_fn* encode_ = nullptr;
};

}  // namespace yf
