#include "stages/ImageDecode.hpp"

#include <zlib.h>
#ifdef YF_HAVE_LIBDEFLATE
#include <libdeflate.h>
#endif

#include <emmintrin.h>

#include <algorithm>
#include <cstring>
#include <limits>
#include <mutex>
#include <stdexcept>
#include <string>
#include <vector>

namespace yf {

void shuffle_bytes(const std::uint8_t* in, std::uint8_t* out, std::size_t size, std::size_t e) {
  if (e <= 1) {
    std::memcpy(out, in, size);
    return;
  }
  const std::size_t n = size / e;
  for (std::size_t i = 0; i < n; ++i)
    for (std::size_t b = 0; b < e; ++b) out[b * n + i] = in[i * e + b];
  std::memcpy(out + n * e, in + n * e, size - n * e);  // HDF5 leaves a partial element as is
}

void unshuffle_bytes(const std::uint8_t* in, std::uint8_t* out, std::size_t size, std::size_t e) {
  if (e <= 1) {
    std::memcpy(out, in, size);
    return;
  }
  const std::size_t n = size / e;
  std::size_t i = 0;
  if (e == 4) {
    // Float32 (a flat field): sixteen elements at a time, the four byte planes interleaved
    // in SSE2 registers (the same bytes).
    const std::uint8_t *p0 = in, *p1 = in + n, *p2 = in + 2 * n, *p3 = in + 3 * n;
    for (; i + 16 <= n; i += 16) {
      const __m128i b0 = _mm_loadu_si128(reinterpret_cast<const __m128i*>(p0 + i));
      const __m128i b1 = _mm_loadu_si128(reinterpret_cast<const __m128i*>(p1 + i));
      const __m128i b2 = _mm_loadu_si128(reinterpret_cast<const __m128i*>(p2 + i));
      const __m128i b3 = _mm_loadu_si128(reinterpret_cast<const __m128i*>(p3 + i));
      const __m128i lo01 = _mm_unpacklo_epi8(b0, b1), hi01 = _mm_unpackhi_epi8(b0, b1);
      const __m128i lo23 = _mm_unpacklo_epi8(b2, b3), hi23 = _mm_unpackhi_epi8(b2, b3);
      auto* o = reinterpret_cast<__m128i*>(out + i * 4);
      _mm_storeu_si128(o, _mm_unpacklo_epi16(lo01, lo23));
      _mm_storeu_si128(o + 1, _mm_unpackhi_epi16(lo01, lo23));
      _mm_storeu_si128(o + 2, _mm_unpacklo_epi16(hi01, hi23));
      _mm_storeu_si128(o + 3, _mm_unpackhi_epi16(hi01, hi23));
    }
  }
  for (; i < n; ++i)
    for (std::size_t b = 0; b < e; ++b) out[i * e + b] = in[b * n + i];
  std::memcpy(out + n * e, in + n * e, size - n * e);
}

void inflate_exact_zlib(const std::vector<std::uint8_t>& in, std::uint8_t* out, std::size_t out_size) {
  z_stream z{};
  if (inflateInit(&z) != Z_OK) throw std::runtime_error("images: zlib inflateInit failed");
  z.next_in = const_cast<Bytef*>(in.data());
  z.avail_in = static_cast<uInt>(in.size());
  z.next_out = out;
  z.avail_out = static_cast<uInt>(out_size);
  const int rc = inflate(&z, Z_FINISH);
  const std::size_t produced = out_size - z.avail_out;
  inflateEnd(&z);
  if (rc != Z_STREAM_END)
    throw std::runtime_error("images: corrupt compressed chunk (zlib " + std::string(rc == Z_BUF_ERROR ? "output larger than the image" : "error " + std::to_string(rc)) + ")");
  if (produced != out_size)
    throw std::runtime_error("images: chunk inflates to " + std::to_string(produced) + " bytes, expected " +
                             std::to_string(out_size));
}

bool have_libdeflate() {
#ifdef YF_HAVE_LIBDEFLATE
  return true;
#else
  return false;
#endif
}

void inflate_exact_libdeflate(const std::vector<std::uint8_t>& in, std::uint8_t* out, std::size_t out_size) {
#ifdef YF_HAVE_LIBDEFLATE
  // libdeflate is a whole-buffer decoder giving zlib's bytes in about half zlib's time;
  // one decompressor per thread, kept.
  struct Decompressor {
    libdeflate_decompressor* d = libdeflate_alloc_decompressor();
    ~Decompressor() { libdeflate_free_decompressor(d); }
  };
  thread_local Decompressor dec;
  if (dec.d == nullptr) throw std::runtime_error("images: libdeflate: out of memory");
  std::size_t produced = 0;
  const libdeflate_result rc = libdeflate_zlib_decompress(dec.d, in.data(), in.size(), out, out_size, &produced);
  if (rc == LIBDEFLATE_INSUFFICIENT_SPACE)
    throw std::runtime_error("images: corrupt compressed chunk (zlib output larger than the image)");
  if (rc != LIBDEFLATE_SUCCESS) throw std::runtime_error("images: corrupt compressed chunk (bad zlib data)");
  if (produced != out_size)
    throw std::runtime_error("images: chunk inflates to " + std::to_string(produced) + " bytes, expected " +
                             std::to_string(out_size));
#else
  (void)in;
  (void)out;
  (void)out_size;
  throw std::logic_error("inflate_exact_libdeflate: built without libdeflate");
#endif
}

namespace {

// Inflates exactly `out_size` bytes; anything else is a corrupt chunk.
void inflate_exact(const std::vector<std::uint8_t>& in, std::uint8_t* out, std::size_t out_size) {
  if (have_libdeflate())
    inflate_exact_libdeflate(in, out, out_size);
  else
    inflate_exact_zlib(in, out, out_size);
}

}  // namespace

void decode_image(const EncodedImage& image, std::uint8_t* out, std::size_t out_size) {
  if (image.width <= 0 || image.height <= 0) throw std::runtime_error("images: empty image");
  const std::size_t want = static_cast<std::size_t>(image.width) * static_cast<std::size_t>(image.height);
  if (out_size != want) throw std::logic_error("decode_image: output buffer of the wrong size");
  if (image.bytes.size() > std::numeric_limits<uInt>::max() || want > std::numeric_limits<uInt>::max())
    throw std::runtime_error("images: chunk larger than 4 GiB");
  switch (image.encoding) {
    case ImageEncoding::raw:
      if (image.bytes.size() != want)
        throw std::runtime_error("images: " + std::to_string(image.bytes.size()) + " bytes for a " +
                                 std::to_string(image.width) + "x" + std::to_string(image.height) + " image");
      std::memcpy(out, image.bytes.data(), want);
      return;
    case ImageEncoding::deflate:
      inflate_exact(image.bytes, out, want);
      return;
    case ImageEncoding::deflate_shuffle:
      if (image.element_size <= 1) {  // uint8: shuffle moves nothing
        inflate_exact(image.bytes, out, want);
      } else {
        std::vector<std::uint8_t> tmp(want);
        inflate_exact(image.bytes, tmp.data(), want);
        unshuffle_bytes(tmp.data(), out, want, image.element_size);
      }
      return;
  }
  throw std::logic_error("decode_image: unknown encoding");
}

const FlatField& decoded_flat(const StoredFlat& stored) {
  std::call_once(stored.decoded_once, [&] {
    try {
      const EncodedImage& c = stored.chunk;
      if (c.width <= 0 || c.height <= 0 || c.element_size != sizeof(float)) throw std::runtime_error("not float32");
      auto flat = std::make_shared<FlatField>();
      flat->width = c.width;
      flat->height = c.height;
      const std::size_t values = static_cast<std::size_t>(c.width) * static_cast<std::size_t>(c.height);
      flat->values.resize(values);
      auto* out = reinterpret_cast<std::uint8_t*>(flat->values.data());
      const std::size_t bytes = values * sizeof(float);
      if (c.bytes.size() > std::numeric_limits<uInt>::max() || bytes > std::numeric_limits<uInt>::max())
        throw std::runtime_error("chunk larger than 4 GiB");
      if (c.encoding == ImageEncoding::deflate) {
        inflate_exact(c.bytes, out, bytes);
      } else if (c.encoding == ImageEncoding::deflate_shuffle) {
        std::vector<std::uint8_t> tmp(bytes);
        inflate_exact(c.bytes, tmp.data(), bytes);
        unshuffle_bytes(tmp.data(), out, bytes, sizeof(float));
      } else {
        throw std::runtime_error("unexpected encoding");
      }
      stored.decoded = std::move(flat);
    } catch (const std::exception&) {
      stored.error = stored.where + ": cannot read (corrupt?)";
    }
  });
  if (!stored.decoded) throw std::runtime_error("images: " + stored.error);
  return *stored.decoded;
}

GrayImage decode_image(const EncodedImage& image) {
  GrayImage g;
  g.width = image.width;
  g.height = image.height;
  g.pixels.resize(static_cast<std::size_t>(std::max(0, image.width)) * static_cast<std::size_t>(std::max(0, image.height)));
  decode_image(image, g.pixels.data(), g.pixels.size());
  return g;
}

}  // namespace yf
