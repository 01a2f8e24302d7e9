#include "app/ImageFiles.hpp"

#include <dlfcn.h>

#include <cstdlib>
#include <mutex>
#include <optional>

namespace yf {
namespace {

constexpr std::size_t kMessageSize = 512;

std::string dl_error() {
  const char* e = dlerror();
  return e ? e : "unknown dynamic-loader error";
}

[[noreturn]] void fail(const std::filesystem::path& module, const std::string& what) {
  throw ImageFilesModuleError("cannot use the image-file module " + module.string() +
                              " (it reads and writes image files for `detect`): " + what);
}

template <class Fn>
Fn* symbol(void* handle, const char* name, const std::filesystem::path& module) {
  dlerror();  // clear a stale message
  void* p = dlsym(handle, name);
  if (p == nullptr) fail(module, std::string("function ") + name + " missing: " + dl_error());
  return reinterpret_cast<Fn*>(p);
}

}  // namespace

std::filesystem::path image_files_module_path() {
  if (const char* env = std::getenv("YF_IMAGE_FILES_MODULE"); env != nullptr && *env != '\0') return env;
  std::error_code ec;
  const std::filesystem::path exe = std::filesystem::read_symlink("/proc/self/exe", ec);
  if (ec) return YF_IMAGE_FILES_MODULE_NAME;  // no /proc: the bare name, looked up in the library path
  return exe.parent_path() / YF_IMAGE_FILES_MODULE_NAME;
}

ImageFiles::ImageFiles(const std::filesystem::path& module) : path_(module) {
  void* handle = dlopen(module.c_str(), RTLD_NOW | RTLD_LOCAL);
  if (handle == nullptr) fail(module, dl_error());
  try {
    auto* abi = symbol<yf_image_files_abi_fn>(handle, YF_IMAGE_FILES_ABI_SYMBOL, module);
    if (const int v = abi(); v != kImageFilesAbi)
      fail(module, "it is from another build (interface version " + std::to_string(v) + ", this program needs " +
                       std::to_string(kImageFilesAbi) + ")");
    read_ = symbol<yf_image_files_read_fn>(handle, YF_IMAGE_FILES_READ_SYMBOL, module);
    encode_ = symbol<yf_image_files_encode_fn>(handle, YF_IMAGE_FILES_ENCODE_SYMBOL, module);
  } catch (...) {
    dlclose(handle);
    throw;
  }
  // The handle is never closed: unloading OpenCV's codec libraries mid-process gains nothing.
}

const ImageFiles& ImageFiles::shared() {
  static std::mutex mutex;
  static std::optional<ImageFiles> loaded;
  std::lock_guard lock(mutex);
  if (!loaded) loaded.emplace(image_files_module_path());
  return *loaded;
}

ImageFiles::ReadResult ImageFiles::read(const std::string& path) const {
  ReadResult r;
  char message[kMessageSize] = "";
  r.status = static_cast<ImageFilesStatus>(read_(path.c_str(), &r.image, message, sizeof message));
  if (r.status != kImageFilesOk) {
    r.image.release();
    r.message = message;
  }
  return r;
}

bool ImageFiles::encode(const std::string& extension, const cv::Mat& image, std::vector<std::uint8_t>& bytes,
                        std::string* message) const {
  char text[kMessageSize] = "";
  const bool ok = encode_(extension.c_str(), &image, &bytes, text, sizeof text) == kImageFilesOk;
  if (!ok && message) *message = text;
  return ok;
}

}  // namespace yf
