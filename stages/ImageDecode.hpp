#pragma once
// Decodes an image chunk as the reader fetched it from /images (core/WaferImage.hpp):
// zlib inflate, then HDF5's unshuffle. Runs on a pipeline worker, never under the
// HDF5 lock: that is what lets -jN decompress N images at once.
#include <cstddef>
#include <cstdint>
#include <vector>

#include "core/WaferImage.hpp"

namespace yf {

// Writes width * height pixels to `out`. Throws std::runtime_error ("images: ...")
// when the bytes do not inflate, or inflate to a size other than width * height.
void decode_image(const EncodedImage& image, std::uint8_t* out, std::size_t out_size);

GrayImage decode_image(const EncodedImage& image);

// The two inflaters decode_image chooses between: libdeflate when the build has it
// (half zlib's time), zlib otherwise. Both are exposed so that tests check the one a
// build without libdeflate-dev would use, and that both agree, byte for byte and on errors.
bool have_libdeflate();
void inflate_exact_zlib(const std::vector<std::uint8_t>& in, std::uint8_t* out, std::size_t out_size);
void inflate_exact_libdeflate(const std::vector<std::uint8_t>& in, std::uint8_t* out, std::size_t out_size);

// A decoded flat field: width x height float values, row-major, owned by the StoredFlat it
// was decoded from (valid as long as that lives).
struct FlatView {
  int width = 0;
  int height = 0;
  const float* values = nullptr;
};

// A flat field the reader left compressed (core/WaferImage.hpp, StoredFlat), decoded the
// first time it is asked for; later calls return the same values. The threads that ask
// while it is being decoded share the work rather than wait idle: the first inflates it,
// the others meanwhile fault in the pages of the values band by band (fresh memory costs
// the kernel more than the inflate: docs/performance.md, "Follow-up: images6"), then all
// unshuffle bands of it; each returns when every band is done. The inflater inflates into
// `scratch` when it holds width * height * 4 bytes (memory the caller is about to use
// anyway: no fresh pages for a temporary; other threads read it, so the caller must not
// touch it before this returns), else into memory of its own. Throws std::runtime_error
// ("images: <where>: cannot read (corrupt?)", the message of a flat that failed to read
// in the reader) when it does not decode, to every caller.
FlatView decoded_flat(const StoredFlat& stored, std::uint8_t* scratch = nullptr, std::size_t scratch_size = 0);

// HDF5's shuffle filter and its inverse, for any element size (exposed for tests).
void shuffle_bytes(const std::uint8_t* in, std::uint8_t* out, std::size_t size, std::size_t element_size);
void unshuffle_bytes(const std::uint8_t* in, std::uint8_t* out, std::size_t size, std::size_t element_size);

}  // namespace yf
