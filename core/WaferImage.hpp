#pragma once
// A wafer's full-wafer image as it travels through the pipeline, without OpenCV:
// the reader hands over the chunk exactly as stored in /images (still compressed),
// and the image stage decodes it on a worker thread (stages/ImageDecode.hpp), so
// that inflating never runs behind HDF5's library lock.
#include <cstdint>
#include <memory>
#include <mutex>
#include <string>
#include <vector>

namespace yf {

// 8-bit grayscale pixels, row-major, width * height bytes. Pixel (col, row) has its
// centre at image coordinates (x, y) = (col, row): x right, y down (OpenCV's convention).
struct GrayImage {
  int width = 0;
  int height = 0;
  std::vector<std::uint8_t> pixels;
  bool empty() const { return width <= 0 || height <= 0 || pixels.empty(); }
};

// How the bytes of an EncodedImage are stored. `deflate_shuffle` is HDF5's filter
// pipeline shuffle -> deflate (decoded as inflate -> unshuffle).
enum class ImageEncoding : std::uint8_t { raw, deflate, deflate_shuffle };

// One image as read from the file. `raw` holds already decoded pixels (the reader's
// fallback for layouts and filters it does not decode itself).
struct EncodedImage {
  int width = 0;
  int height = 0;
  ImageEncoding encoding = ImageEncoding::raw;
  std::uint32_t element_size = 1;  // shuffle's element size (1 for uint8: a no-op)
  std::vector<std::uint8_t> bytes;
};

// A tool's illumination profile (/calibration/<tool>/flat): relative brightness per
// pixel, row-major float, ~1 on average over the wafer.
struct FlatField {
  int width = 0;
  int height = 0;
  std::vector<float> values;
  bool empty() const { return width <= 0 || height <= 0 || values.empty(); }
};

// The state of a stored flat's decode, shared by the wafers of its tool (defined and used
// only by stages/ImageDecode.cpp, decoded_flat).
struct FlatDecode;

// A flat field as stored in the file, still compressed (one chunk of width x height
// float32 little-endian values, deflate or shuffle + deflate), for a reader told not to
// decode it: the pipeline's, which would otherwise inflate 16-64 MB under HDF5's lock,
// one thread only, before the first wafer starts (docs/performance.md, "Follow-up:
// images5"). Decoded once, by the wafers that need it while it is not yet decoded (the
// first inflates, the others help lay out the values; docs/performance.md, "Follow-up:
// images6"), the later ones using the result: the only mutable part, under the mutex.
struct StoredFlat {
  EncodedImage chunk;  // element_size 4
  std::string where;   // "FILE: /calibration/<tool>/flat", for the error message
  mutable std::mutex decode_mutex;
  mutable std::shared_ptr<FlatDecode> decode;  // made by the first decoded_flat call
};

}  // namespace yf
