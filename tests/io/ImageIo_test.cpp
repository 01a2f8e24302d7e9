// Images through DatasetWriter and DatasetReader: the reader hands over the stored
// chunk (no decompression under the HDF5 lock) and decode_image() restores the pixels.
#include <catch2/catch.hpp>
#include <cstdint>
#include <string>
#include <vector>

#include "io/DatasetReader.hpp"
#include "io/DatasetWriter.hpp"
#include "stages/ImageDecode.hpp"
#include "support/MiniDataset.hpp"
#include "support/Products.hpp"
#include "support/TempDir.hpp"

using namespace yf;
using Catch::Matchers::Contains;

namespace {

GrayImage pattern_image(int w, int h, int seed) {
  GrayImage g;
  g.width = w;
  g.height = h;
  g.pixels.resize(static_cast<std::size_t>(w * h));
  for (int y = 0; y < h; ++y)
    for (int x = 0; x < w; ++x) g.pixels[static_cast<std::size_t>(y * w + x)] = static_cast<std::uint8_t>((x * 7 + y * 13 + seed * 31 + (x * y) % 5) & 0xFF);
  return g;
}

WaferRecord wafer(const std::string& id) {
  WaferRecord w;
  w.meta.wafer_id = id;
  w.meta.lot_id = "L1";
  w.meta.slot = 1;
  w.meta.fab = "F";
  w.meta.tool = "KLA-01";
  w.meta.product = "P1";
  w.meta.step = "S";
  return w;
}

}  // namespace

TEST_CASE("images: written, read as stored chunks, decoded to the same pixels", "[io][images]") {
  yf::test::TempDir tmp;
  const std::string path = tmp.file("img.h5");
  const int gzip = GENERATE(0, 4);
  FlatField flat;
  flat.width = 40;
  flat.height = 30;
  for (int i = 0; i < 1200; ++i) flat.values.push_back(0.5f + static_cast<float>(i) / 4096.0f);
  {
    DatasetWriter w(path, {StringKind::fixed, gzip});
    w.add_product(yf::test::tiny_product());
    w.set_calibration("KLA-01", 0.25, 0.5, &flat);
    WaferRecord a = wafer("W1");
    a.image = pattern_image(40, 30, 1);
    w.append_wafer(a);
    w.append_wafer(wafer("W2"));  // no image
    WaferRecord c = wafer("W3");
    c.image = pattern_image(40, 30, 2);
    w.append_wafer(c);
    WaferRecord bad = wafer("W4");
    bad.image = pattern_image(41, 30, 3);
    CHECK_THROWS_WITH(w.append_wafer(bad), Contains("W4") && Contains("41x30") && Contains("40x30"));
    w.finish();
  }
  DatasetReader r(path);
  const auto& cal = r.tables()->calibrations.at("KLA-01");
  CHECK(cal.mm_per_px == 0.25);
  REQUIRE(cal.flat);
  CHECK(cal.flat->width == 40);
  CHECK(cal.flat->height == 30);
  CHECK(cal.flat->values == flat.values);
  CHECK(r.tables()->image_count == 2);

  WaferJob j1 = r.read_wafer(0), j2 = r.read_wafer(1), j3 = r.read_wafer(2);
  REQUIRE(j1.error.empty());
  CHECK(j1.meta.image_row == 0);
  CHECK(j2.meta.image_row == -1);
  CHECK(j3.meta.image_row == 1);
  REQUIRE(j1.image);
  CHECK_FALSE(j2.image);
  REQUIRE(j3.image);
  CHECK(j1.image->encoding == (gzip > 0 ? ImageEncoding::deflate_shuffle : ImageEncoding::raw));
  if (gzip > 0) CHECK(j1.image->bytes.size() < 1200u);  // still compressed
  CHECK(decode_image(*j1.image).pixels == pattern_image(40, 30, 1).pixels);
  CHECK(decode_image(*j3.image).pixels == pattern_image(40, 30, 2).pixels);
}

TEST_CASE("images: a contiguous /images (no chunks) is read decoded", "[io][images]") {
  yf::test::TempDir tmp;
  yf::test::MiniDataset d;
  d.images = 2;
  d.image_h = 6;
  d.image_w = 9;
  d.add_wafer("W1").image_row = 1;
  d.write(tmp.file("m.h5"));
  DatasetReader r(tmp.file("m.h5"));
  WaferJob j = r.read_wafer(0);
  REQUIRE(j.error.empty());
  REQUIRE(j.image);
  CHECK(j.image->encoding == ImageEncoding::raw);
  GrayImage g = decode_image(*j.image);
  CHECK(g.width == 9);
  CHECK(g.height == 6);
  CHECK(g.pixels == std::vector<std::uint8_t>(54, 128));  // MiniDataset fills with 128
}

TEST_CASE("images: decode_image rejects corrupt or wrongly sized chunks", "[io][images]") {
  EncodedImage e;
  e.width = 4;
  e.height = 4;
  e.encoding = ImageEncoding::deflate;
  e.bytes = {1, 2, 3, 4, 5};
  CHECK_THROWS_WITH(decode_image(e), Contains("images") && Contains("corrupt"));
  e.encoding = ImageEncoding::raw;
  CHECK_THROWS_WITH(decode_image(e), Contains("5 bytes for a 4x4 image"));
  e.width = 0;
  CHECK_THROWS_WITH(decode_image(e), Contains("empty"));
}

TEST_CASE("images: unshuffle inverts HDF5's shuffle for any element size", "[io][images]") {
  std::vector<std::uint8_t> in(23);
  for (std::size_t i = 0; i < in.size(); ++i) in[i] = static_cast<std::uint8_t>(i);
  // Element size 4: bytes 0..3 of each element grouped; the 3 trailing bytes stay.
  std::vector<std::uint8_t> sh(23), back(23);
  shuffle_bytes(in.data(), sh.data(), 23, 4);
  CHECK(sh[0] == 0);
  CHECK(sh[1] == 4);   // byte 0 of element 1
  CHECK(sh[5] == 1);   // byte 1 of element 0
  CHECK(sh[22] == 22);
  unshuffle_bytes(sh.data(), back.data(), 23, 4);
  CHECK(back == in);
}
