#include "stages/ImageDecode.hpp"

#include <zlib.h>
#ifdef YF_HAVE_LIBDEFLATE
#include <libdeflate.h>
#endif

#include <emmintrin.h>

#include <algorithm>
#include <condition_variable>
#include <memory>
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

namespace {

// Elements [from, to) of HDF5's unshuffle of 4-byte elements (`n` in all): sixteen at a
// time, the four byte planes interleaved in SSE2 registers (the same bytes).
void unshuffle4_range(const std::uint8_t* in, std::uint8_t* out, std::size_t n, std::size_t from, std::size_t to) {
  const std::uint8_t *p0 = in, *p1 = in + n, *p2 = in + 2 * n, *p3 = in + 3 * n;
  std::size_t i = from;
  for (; i + 16 <= to; i += 16) {
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
  for (; i < to; ++i)
    for (std::size_t b = 0; b < 4; ++b) out[i * 4 + b] = in[b * n + i];
}

}  // namespace

void unshuffle_bytes(const std::uint8_t* in, std::uint8_t* out, std::size_t size, std::size_t e) {
  if (e <= 1) {
    std::memcpy(out, in, size);
    return;
  }
  const std::size_t n = size / e;
  if (e == 4) {
    unshuffle4_range(in, out, n, 0, n);  // float32 (a flat field)
  } else {
    for (std::size_t i = 0; i < n; ++i)
      for (std::size_t b = 0; b < e; ++b) out[i * e + b] = in[b * n + i];
  }
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

// The decode of a stored flat (core/WaferImage.hpp), under StoredFlat::decode_mutex. The
// values are laid out in bands of kFlatBand elements, each band in one of the states below;
// a band is written by one thread at a time (claimed under the mutex), and unshuffled only
// once the inflate is done and nobody is touching it.
struct FlatDecode {
  static constexpr std::size_t kFlatBand = std::size_t{1} << 19;  // 2 MB of floats
  enum Band : std::uint8_t { untouched, touching, touched, unshuffling };
  std::condition_variable changed;  // a band or the inflate finished
  bool started = false;             // someone inflates (or failed to start)
  bool inflated = false;            // the shuffled bytes are in `shuffled`
  bool done = false;                // every value in place
  std::string error;                // set instead of done when it does not decode
  std::size_t n = 0;                // values
  std::unique_ptr<float[]> values;  // not zeroed: every value is written
  std::unique_ptr<std::uint8_t[]> own_scratch;  // the inflated bytes, when the inflater brought none
  const std::uint8_t* shuffled = nullptr;
  std::vector<Band> bands;          // shuffle + deflate only (deflate alone inflates in place)
  std::size_t bands_unshuffled = 0;
};

FlatView decoded_flat(const StoredFlat& stored, std::uint8_t* scratch, std::size_t scratch_size) {
  std::unique_lock<std::mutex> lock(stored.decode_mutex);
  if (!stored.decode) stored.decode = std::make_shared<FlatDecode>();
  FlatDecode& d = *stored.decode;
  const EncodedImage& c = stored.chunk;
  auto finish = [&] {  // under the lock
    d.done = true;
    d.own_scratch.reset();
    d.shuffled = nullptr;
    d.changed.notify_all();
  };
  for (;;) {
    if (d.done) return {c.width, c.height, d.values.get()};
    if (!d.error.empty()) throw std::runtime_error("images: " + d.error);
    if (!d.started) {
      // This thread inflates: into the values themselves (deflate alone), or into scratch
      // to be unshuffled band by band.
      d.started = true;
      const bool shuffled = c.encoding == ImageEncoding::deflate_shuffle;
      std::uint8_t* target = nullptr;
      std::size_t bytes = 0;
      try {
        if (c.width <= 0 || c.height <= 0 || c.element_size != sizeof(float)) throw std::runtime_error("not float32");
        if (c.encoding != ImageEncoding::deflate && !shuffled) throw std::runtime_error("unexpected encoding");
        d.n = static_cast<std::size_t>(c.width) * static_cast<std::size_t>(c.height);
        bytes = d.n * sizeof(float);
        if (c.bytes.size() > std::numeric_limits<uInt>::max() || bytes > std::numeric_limits<uInt>::max())
          throw std::runtime_error("chunk larger than 4 GiB");
        d.values.reset(new float[d.n]);  // default-initialised: no pages touched here
        if (shuffled) {
          if (scratch == nullptr || scratch_size < bytes) {
            d.own_scratch.reset(new std::uint8_t[bytes]);
            scratch = d.own_scratch.get();
          }
          target = scratch;
          d.bands.assign((d.n + FlatDecode::kFlatBand - 1) / FlatDecode::kFlatBand, FlatDecode::untouched);
        } else {
          target = reinterpret_cast<std::uint8_t*>(d.values.get());
        }
      } catch (const std::exception&) {
        d.error = stored.where + ": cannot read (corrupt?)";
        d.changed.notify_all();
        continue;
      }
      lock.unlock();
      bool ok = true;
      try {
        inflate_exact(c.bytes, target, bytes);
      } catch (const std::exception&) {
        ok = false;
      }
      lock.lock();
      if (!ok) {
        d.error = stored.where + ": cannot read (corrupt?)";
        d.own_scratch.reset();  // read only after an inflate; the values stay (a helper may be touching them)
        d.changed.notify_all();
      } else if (!shuffled) {
        finish();
      } else {
        d.inflated = true;
        d.shuffled = target;
        d.changed.notify_all();
      }
      continue;
    }
    // Helping: after the inflate a free band to unshuffle, before it a band to fault in
    // (its pages are then written by the unshuffle without the kernel's help).
    auto claimable = [&](FlatDecode::Band b) {
      return b == FlatDecode::untouched || (d.inflated && b == FlatDecode::touched);
    };
    const auto next = std::find_if(d.bands.begin(), d.bands.end(), claimable);
    const auto band = static_cast<std::size_t>(next - d.bands.begin());
    if (band == d.bands.size()) {
      d.changed.wait(lock);  // nothing to claim: the inflate, or others' bands, to finish
      continue;
    }
    const std::size_t from = band * FlatDecode::kFlatBand, to = std::min(d.n, from + FlatDecode::kFlatBand);
    auto* out = reinterpret_cast<std::uint8_t*>(d.values.get());
    if (d.inflated) {
      d.bands[band] = FlatDecode::unshuffling;
      const std::uint8_t* in = d.shuffled;
      lock.unlock();
      unshuffle4_range(in, out, d.n, from, to);
      lock.lock();
      if (++d.bands_unshuffled == d.bands.size()) finish();
    } else {
      d.bands[band] = FlatDecode::touching;
      lock.unlock();
      std::memset(out + from * sizeof(float), 0, (to - from) * sizeof(float));
      lock.lock();
      d.bands[band] = FlatDecode::touched;
      d.changed.notify_all();  // an unshuffle may be waiting for it
    }
  }
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
