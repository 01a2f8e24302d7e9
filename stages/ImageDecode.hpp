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

// A flat field the reader left compressed (core/WaferImage.hpp, StoredFlat), decoded the
// first time it is asked for (by whichever thread asks first; the others wait for that
// one and share the result). Throws std::runtime_error ("images: <where>: cannot read
// (corrupt?)", the message of a flat that failed to read in the reader) when it does not
// decode, to every caller.
const FlatField& decoded_flat(const StoredFlat& stored);

// HDF5's shuffle filter and its inverse, for any element size (exposed for tests).
void shuffle_bytes(const std::uint8_t* in, std::uint8_t* out, std::size_t size, std::size_t element_size);
void unshuffle_bytes(const std::uint8_t* in, std::uint8_t* out, std::size_t size, std::size_t element_size);

}  // namespace yf
