#include "io/report/PngWriter.hpp"

#include <png.h>
#include <zlib.h>

#include <csetjmp>
#include <cstring>
#include <new>
#include <stdexcept>
#include <string>

namespace yf::report {
namespace {

// libpng reports errors by longjmp. Everything it can jump over is plain C data:
// the output vector and the row pointers belong to encode_png's frame, which the
// jump never leaves, and the callbacks below hold no object with a destructor when
// they call png_error.
struct ErrorText {
  char message[256] = "unknown libpng error";
};

void on_error(png_structp png, png_const_charp message) {
  auto* text = static_cast<ErrorText*>(png_get_error_ptr(png));
  std::strncpy(text->message, message ? message : "unknown libpng error", sizeof text->message - 1);
  text->message[sizeof text->message - 1] = '\0';
  png_longjmp(png, 1);
}

void on_warning(png_structp, png_const_charp) {}  // nothing libpng warns about here matters to a die map

void append(png_structp png, png_bytep data, std::size_t size) {
  auto* out = static_cast<std::vector<std::uint8_t>*>(png_get_io_ptr(png));
  bool grown = true;
  try {
    out->insert(out->end(), data, data + size);
  } catch (const std::bad_alloc&) {
    grown = false;
  }
  if (!grown) png_error(png, "out of memory for the encoded image");
}

void flush(png_structp) {}

// The whole libpng conversation; false (message in the error pointer) when libpng failed.
// No C++ object lives in this frame, so the longjmp back into it skips no destructor.
bool write(png_structp png, png_infop info, const PngImage& image, png_bytepp rows,
           std::vector<std::uint8_t>* out) {
  if (setjmp(png_jmpbuf(png))) return false;
  png_set_write_fn(png, out, append, flush);
  // As OpenCV 4.6's PngEncoder with IMWRITE_PNG_COMPRESSION 9: an explicit level
  // switches it to Z_DEFAULT_STRATEGY (libpng alone would choose Z_FILTERED).
  png_set_compression_level(png, 9);
  png_set_compression_strategy(png, Z_DEFAULT_STRATEGY);
  png_set_IHDR(png, info, static_cast<png_uint_32>(image.width), static_cast<png_uint_32>(image.height), 8,
               image.pixels == PngPixels::grey ? PNG_COLOR_TYPE_GRAY : PNG_COLOR_TYPE_RGB, PNG_INTERLACE_NONE,
               PNG_COMPRESSION_TYPE_DEFAULT, PNG_FILTER_TYPE_DEFAULT);
  png_write_info(png, info);
  if (image.pixels == PngPixels::bgr) png_set_bgr(png);
  png_write_image(png, rows);
  png_write_end(png, info);
  return true;
}

}  // namespace

std::vector<std::uint8_t> encode_png(const PngImage& image) {
  const std::size_t channels = image.pixels == PngPixels::grey ? 1 : 3;
  // PNG allows 2^31 - 1 per side; the row-pointer table bounds us long before that.
  if (image.data == nullptr || image.width <= 0 || image.height <= 0 || image.width > (1 << 24) ||
      image.height > (1 << 24) || image.stride < static_cast<std::size_t>(image.width) * channels)
    throw std::invalid_argument("PNG encoding: bad image (" + std::to_string(image.width) + " x " +
                                std::to_string(image.height) + " pixels, " + std::to_string(channels) +
                                " channels, row stride " + std::to_string(image.stride) + " bytes)");
  // libpng takes non-const row pointers but only reads through them when writing.
  std::vector<png_bytep> rows(static_cast<std::size_t>(image.height));
  for (std::size_t y = 0; y < rows.size(); ++y) rows[y] = const_cast<png_bytep>(image.data + y * image.stride);
  std::vector<std::uint8_t> out;

  ErrorText error;
  png_structp png = png_create_write_struct(PNG_LIBPNG_VER_STRING, &error, on_error, on_warning);
  if (png == nullptr) throw std::runtime_error("PNG encoding: libpng could not start (out of memory?)");
  png_infop info = png_create_info_struct(png);
  const bool ok = info != nullptr && write(png, info, image, rows.data(), &out);
  png_destroy_write_struct(&png, info ? &info : nullptr);
  if (!ok) throw std::runtime_error(std::string("PNG encoding failed: ") + (info ? error.message : "out of memory"));
  return out;
}

}  // namespace yf::report
