#pragma once
// The boundary between `yieldflow` and its image-file module (app/ImageFilesModule.cpp,
// libyf_image_files.so beside the executable). The module is the only code of the
// command that links OpenCV's imgcodecs; `yieldflow` dlopens it on first use
// (app/ImageFiles.hpp) so that a process which never reads an image file does not
// load imgcodecs' ~120 shared libraries.
//
// The functions are extern "C" (looked up by name with dlsym) but pass C++ objects:
// both sides are built from this tree in one build, against the same libopencv_core
// and libstdc++, and kImageFilesAbi guards against a module left from another build.
// No exception crosses the boundary: each function returns a status.
#include <cstddef>
#include <cstdint>
#include <vector>

namespace cv {
class Mat;
}

namespace yf {

// Bumped whenever a signature or a meaning below changes.
inline constexpr int kImageFilesAbi = 1;

enum ImageFilesStatus : int {
  kImageFilesOk = 0,
  kImageFilesUnreadable = 1,  // read: missing, unreadable, or no decoder knows the format (message empty)
  kImageFilesFailed = 2,      // a decoder or encoder failed; the message says why
};

}  // namespace yf

extern "C" {
// kImageFilesAbi of the module.
using yf_image_files_abi_fn = int();
// cv::imread(path, cv::IMREAD_UNCHANGED) into *image; a message of at most
// message_size - 1 bytes (NUL-terminated) on kImageFilesFailed.
using yf_image_files_read_fn = int(const char* path, cv::Mat* image, char* message, std::size_t message_size);
// cv::imencode(extension, *image, *bytes) (extension such as ".png").
using yf_image_files_encode_fn = int(const char* extension, const cv::Mat* image, std::vector<std::uint8_t>* bytes,
                                     char* message, std::size_t message_size);
}

#define YF_IMAGE_FILES_ABI_SYMBOL "yf_image_files_abi"
#define YF_IMAGE_FILES_READ_SYMBOL "yf_image_files_read"
#define YF_IMAGE_FILES_ENCODE_SYMBOL "yf_image_files_encode"
