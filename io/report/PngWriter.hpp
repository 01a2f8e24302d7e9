#pragma once
// 8-bit PNG encoding through libpng, for the report's die maps. It replaces
// cv::imencode so that `yieldflow` need not load OpenCV's imgcodecs, whose
// dependency tree (GDAL, GDCM, ...) costs every process start ~60 ms.
//
// The settings are the ones cv::imencode(".png", img, {IMWRITE_PNG_COMPRESSION, 9})
// gives libpng (zlib level 9, Z_DEFAULT_STRATEGY, libpng's adaptive row filters, no
// ancillary chunks), so with the same libpng and zlib the bytes are the same as
// OpenCV's and report.html did not change when the encoder did.
#include <cstddef>
#include <cstdint>
#include <vector>

namespace yf::report {

// How the bytes of one pixel are laid out in memory.
enum class PngPixels { grey, rgb, bgr };

struct PngImage {
  const std::uint8_t* data = nullptr;  // the first row
  int width = 0, height = 0;
  std::size_t stride = 0;              // bytes from one row to the next (>= width * channels)
  PngPixels pixels = PngPixels::rgb;
};

// Throws std::invalid_argument for an empty or inconsistent image (sizes, stride,
// null data) and std::runtime_error naming libpng's message when encoding fails.
std::vector<std::uint8_t> encode_png(const PngImage& image);

}  // namespace yf::report
