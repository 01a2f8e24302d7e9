// libyf_image_files.so: OpenCV's image-file codecs (TIFF 8/16-bit, PNG, JPEG, BMP, ...)
// for `yieldflow detect`, behind the extern "C" functions of app/ImageFilesAbi.hpp.
// Built as a MODULE so that only a process that reads or writes image files loads
// imgcodecs and its dependency tree.
#include <opencv2/core.hpp>
#include <opencv2/imgcodecs.hpp>

#include <cstring>
#include <exception>

#include "app/ImageFilesAbi.hpp"

#define YF_EXPORT extern "C" __attribute__((visibility("default")))

namespace {

void copy_message(const char* text, char* message, std::size_t message_size) {
  if (message == nullptr || message_size == 0) return;
  std::strncpy(message, text, message_size - 1);
  message[message_size - 1] = '\0';
}

}  // namespace

YF_EXPORT int yf_image_files_abi() { return yf::kImageFilesAbi; }

YF_EXPORT int yf_image_files_read(const char* path, cv::Mat* image, char* message, std::size_t message_size) {
  try {
    *image = cv::imread(path, cv::IMREAD_UNCHANGED);
    return image->empty() ? yf::kImageFilesUnreadable : yf::kImageFilesOk;
  } catch (const std::exception& e) {  // cv::Exception is one
    copy_message(e.what(), message, message_size);
  } catch (...) {
    copy_message("unknown error", message, message_size);
  }
  return yf::kImageFilesFailed;
}

YF_EXPORT int yf_image_files_encode(const char* extension, const cv::Mat* image, std::vector<std::uint8_t>* bytes,
                                    char* message, std::size_t message_size) {
  try {
    if (cv::imencode(extension, *image, *bytes)) return yf::kImageFilesOk;
    copy_message("the encoder refused the image", message, message_size);
  } catch (const std::exception& e) {
    copy_message(e.what(), message, message_size);
  } catch (...) {
    copy_message("unknown error", message, message_size);
  }
  return yf::kImageFilesFailed;
}
