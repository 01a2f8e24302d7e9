// Images through DatasetWriter and DatasetReader: the reader hands over the stored
// chunk (no decompression under the HDF5 lock) and decode_image() restores the pixels.
#include <catch2/catch.hpp>
#include <algorithm>
#include <cmath>
#include <cstddef>
#include <cstdint>
#include <filesystem>
#include <fstream>
#include <limits>
#include <sstream>
#include <string>
#include <thread>
#include <utility>
#include <vector>

#include "../samples/RawH5.hpp"
#include "io/DatasetReader.hpp"
#include "io/DefectsCsv.hpp"
#include "io/ResultsH5Writer.hpp"
#include "io/ToolCalibrationFile.hpp"
#include "io/DatasetWriter.hpp"
#include "stages/ImageDecode.hpp"
#include "support/MiniDataset.hpp"
#include "support/Products.hpp"
#include "support/TempDir.hpp"

#include <zlib.h>

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

// `size` bytes deflated with zlib at `level`, as HDF5's deflate filter stores a chunk.
std::vector<std::uint8_t> deflated(const std::uint8_t* data, std::size_t size, int level) {
  std::vector<std::uint8_t> out(compressBound(static_cast<uLong>(size)));
  uLongf n = static_cast<uLongf>(out.size());
  REQUIRE(compress2(out.data(), &n, data, static_cast<uLong>(size), level) == Z_OK);
  out.resize(n);
  return out;
}

// A w x h float32 flat of tool KLA-01 as the pipeline's reader leaves it: one stored chunk.
void store_flat(StoredFlat& stored, int w, int h, ImageEncoding encoding, std::vector<std::uint8_t> chunk) {
  stored.where = "/calibration/KLA-01/flat";
  stored.chunk.width = w;
  stored.chunk.height = h;
  stored.chunk.element_size = 4;
  stored.chunk.encoding = encoding;
  stored.chunk.bytes = std::move(chunk);
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
  CHECK_FALSE(cal.stored_flat);
  CHECK(r.tables()->image_count == 2);
  {
    // The pipeline's reader leaves a compressed flat as stored (its one chunk), decoded on
    // first use to the same values; an uncompressed one is read as before.
    DatasetReader::Options defer;
    defer.defer_flat_decode = true;
    DatasetReader deferred(path, defer);
    const auto& dcal = deferred.tables()->calibrations.at("KLA-01");
    CHECK(dcal.has_flat);
    if (gzip > 0) {
      CHECK_FALSE(dcal.flat);
      REQUIRE(dcal.stored_flat);
      CHECK(dcal.stored_flat->chunk.encoding == ImageEncoding::deflate_shuffle);
      CHECK(dcal.stored_flat->chunk.bytes.size() < 4800u);  // still compressed
      const FlatView decoded = decoded_flat(*dcal.stored_flat);
      CHECK(std::vector<float>(decoded.values, decoded.values + flat.values.size()) == flat.values);
      CHECK(decoded_flat(*dcal.stored_flat).width == 40);
    } else {
      REQUIRE(dcal.flat);
      CHECK(dcal.flat->values == flat.values);
      CHECK_FALSE(dcal.stored_flat);
    }
  }

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

// The build uses libdeflate when libdeflate-dev is installed, zlib otherwise; both are
// compiled in every build so that the fallback is tested too, against zlib's own
// compressor and against each other.
TEST_CASE("images: zlib and libdeflate inflate the same bytes and reject the same corrupt chunks", "[io][images]") {
  std::vector<std::uint8_t> pixels(300 * 170);
  std::uint32_t x = 12345;
  for (std::size_t i = 0; i < pixels.size(); ++i) {
    x = x * 1664525u + 1013904223u;
    pixels[i] = static_cast<std::uint8_t>(i % 7 == 0 ? (x >> 24) : 100 + (i / 300) % 50);  // noise on a ramp
  }
  uLongf packed_size = compressBound(static_cast<uLong>(pixels.size()));
  std::vector<std::uint8_t> packed(packed_size);
  REQUIRE(compress2(packed.data(), &packed_size, pixels.data(), static_cast<uLong>(pixels.size()), 6) == Z_OK);
  packed.resize(packed_size);
  REQUIRE(packed.size() < pixels.size());

  std::vector<std::uint8_t> out(pixels.size(), 0);
  inflate_exact_zlib(packed, out.data(), out.size());
  CHECK(out == pixels);
  if (have_libdeflate()) {
    std::fill(out.begin(), out.end(), 0);
    inflate_exact_libdeflate(packed, out.data(), out.size());
    CHECK(out == pixels);
  }

  std::vector<std::uint8_t> truncated(packed.begin(), packed.begin() + static_cast<std::ptrdiff_t>(packed.size() / 2));
  std::vector<std::uint8_t> garbage = packed;
  garbage[2] ^= 0xFF;  // the first deflate block's header
  garbage[3] ^= 0x5A;
  std::vector<std::uint8_t> too_small(pixels.size() - 1), too_big(pixels.size() + 1);
  auto both = [&](auto&& check) {
    check(&inflate_exact_zlib);
    if (have_libdeflate()) check(&inflate_exact_libdeflate);
  };
  using Inflater = void (*)(const std::vector<std::uint8_t>&, std::uint8_t*, std::size_t);
  both([&](Inflater inflate) {
    CHECK_THROWS_WITH(inflate(truncated, out.data(), out.size()), Contains("images") && Contains("corrupt"));
    CHECK_THROWS_WITH(inflate(garbage, out.data(), out.size()), Contains("images") && Contains("corrupt"));
    CHECK_THROWS_WITH(inflate(packed, too_small.data(), too_small.size()), Contains("output larger than the image"));
    CHECK_THROWS_WITH(inflate(packed, too_big.data(), too_big.size()),
                      Contains("inflates to 51000 bytes, expected 51001"));
  });
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
  // Element size 4 (float32) is interleaved sixteen elements at a time: sizes with whole
  // blocks, a tail of elements and a partial element, against the byte-wise shuffle.
  for (const std::size_t size : {64u, 151u, 4096u + 8u + 2u}) {
    std::vector<std::uint8_t> v(size), shuffled(size), restored(size);
    for (std::size_t i = 0; i < size; ++i) v[i] = static_cast<std::uint8_t>((i * 37 + i / 7) & 0xFF);
    shuffle_bytes(v.data(), shuffled.data(), size, 4);
    unshuffle_bytes(shuffled.data(), restored.data(), size, 4);
    INFO("size " << size);
    CHECK(restored == v);
    CHECK(shuffled[1] == v[4]);  // byte 0 of element 1 (the shuffle as HDF5 stores it)
  }
}

TEST_CASE("images: a stored flat field decoded once, the same values, errors for every caller", "[io][images]") {
  // 37 x 11 values (407: whole 16-element blocks and a tail) compressed as HDF5 stores a
  // flat: shuffled (4-byte elements) then deflated, and deflated alone.
  const int w = 37, h = 11;
  std::vector<float> values(static_cast<std::size_t>(w * h));
  for (std::size_t i = 0; i < values.size(); ++i) values[i] = 0.75f + static_cast<float>(i) / 1024.0f;
  const std::size_t bytes = values.size() * sizeof(float);
  const auto* raw = reinterpret_cast<const std::uint8_t*>(values.data());
  for (const ImageEncoding encoding : {ImageEncoding::deflate_shuffle, ImageEncoding::deflate}) {
    std::vector<std::uint8_t> plain(raw, raw + bytes), shuffled(bytes);
    shuffle_bytes(plain.data(), shuffled.data(), bytes, 4);
    StoredFlat stored;
    store_flat(stored, w, h, encoding,
               encoding == ImageEncoding::deflate_shuffle ? deflated(shuffled.data(), bytes, 4) : deflated(raw, bytes, 4));
    FlatView first, second;
    std::thread a([&] { first = decoded_flat(stored); });
    std::thread b([&] { second = decoded_flat(stored); });
    a.join();
    b.join();
    CHECK(first.values == second.values);  // decoded once, shared
    REQUIRE(first.values != nullptr);
    CHECK(first.width == w);
    CHECK(first.height == h);
    CHECK(std::vector<float>(first.values, first.values + values.size()) == values);
  }
  // A corrupt chunk: the reader's message for an unreadable flat, to every caller.
  StoredFlat broken;
  store_flat(broken, w, h, ImageEncoding::deflate_shuffle, {1, 2, 3, 4, 5});
  CHECK_THROWS_WITH(decoded_flat(broken), "images: /calibration/KLA-01/flat: cannot read (corrupt?)");
  CHECK_THROWS_WITH(decoded_flat(broken), "images: /calibration/KLA-01/flat: cannot read (corrupt?)");
}

TEST_CASE("images: a stored flat field decoded by several threads at once, band by band", "[io][images]") {
  // 1100 x 1001 values: three bands of 2^19 values for the threads to share (the last one
  // partial, and ending in a tail that is no whole 16-element block). Five threads ask at
  // once; each gets the same values, in one place, equal to the original. The inflater
  // inflates into the scratch it brings when it is large enough, into memory of its own
  // otherwise (none, or one byte short); the values never depend on which.
  const int w = 1100, h = 1001;
  std::vector<float> values(static_cast<std::size_t>(w) * h);
  for (std::size_t i = 0; i < values.size(); ++i)
    values[i] = 0.5f + static_cast<float>((i * 2654435761u) % 100000u) / 100000.0f;
  const std::size_t bytes = values.size() * sizeof(float);
  const auto* raw = reinterpret_cast<const std::uint8_t*>(values.data());
  std::vector<std::uint8_t> shuffled(bytes);
  shuffle_bytes(raw, shuffled.data(), bytes, 4);
  const std::vector<std::uint8_t> shuffled_chunk = deflated(shuffled.data(), bytes, 1), plain_chunk = deflated(raw, bytes, 1);
  for (const ImageEncoding encoding : {ImageEncoding::deflate_shuffle, ImageEncoding::deflate})
    for (const std::size_t scratch_bytes : {bytes, bytes - 1, std::size_t{0}}) {
      CAPTURE(encoding == ImageEncoding::deflate ? "deflate" : "shuffle + deflate", scratch_bytes);
      StoredFlat stored;
      store_flat(stored, w, h, encoding, encoding == ImageEncoding::deflate_shuffle ? shuffled_chunk : plain_chunk);
      constexpr int kThreads = 5;
      std::vector<std::vector<std::uint8_t>> scratch(kThreads, std::vector<std::uint8_t>(scratch_bytes, 0xAB));
      std::vector<FlatView> got(kThreads);
      std::vector<std::thread> threads;
      for (int t = 0; t < kThreads; ++t)
        threads.emplace_back([&, t] { got[t] = decoded_flat(stored, scratch[t].data(), scratch[t].size()); });
      for (std::thread& t : threads) t.join();
      for (const FlatView& v : got) {
        CHECK(v.values == got[0].values);
        CHECK(v.width == w);
        CHECK(v.height == h);
      }
      REQUIRE(got[0].values != nullptr);
      CHECK(std::equal(values.begin(), values.end(), got[0].values));
      // Asked again later: the same values, the scratch not used.
      std::vector<std::uint8_t> later(bytes, 0xCD);
      CHECK(decoded_flat(stored, later.data(), later.size()).values == got[0].values);
      CHECK(std::all_of(later.begin(), later.end(), [](std::uint8_t b) { return b == 0xCD; }));
    }
  // A corrupt chunk, asked for by several threads at once: every one gets the reader's message.
  StoredFlat broken;
  store_flat(broken, w, h, ImageEncoding::deflate_shuffle,
             std::vector<std::uint8_t>(shuffled_chunk.begin(), shuffled_chunk.begin() + 1000));
  std::vector<std::string> errors(4);
  std::vector<std::thread> threads;
  for (std::size_t t = 0; t < errors.size(); ++t)
    threads.emplace_back([&, t] {
      try {
        decoded_flat(broken);
      } catch (const std::runtime_error& e) {
        errors[t] = e.what();
      }
    });
  for (std::thread& t : threads) t.join();
  for (const std::string& e : errors) CHECK(e == "images: /calibration/KLA-01/flat: cannot read (corrupt?)");
}

namespace {

WaferResult result_with_defects() {
  WaferResult r;
  r.source_file = "a.h5";
  r.meta.wafer_id = "W1";
  r.meta.product = "P1";
  ReportedDefect tool;
  tool.x_mm = 1.5;
  tool.y_mm = -2.25;
  tool.size_um = 12.345;
  tool.class_id = 3;
  tool.die_col = 2;
  tool.die_row = 1;
  tool.killer = true;
  const double nan = std::numeric_limits<double>::quiet_NaN();
  tool.area_um2 = tool.contrast = tool.elongation = tool.orientation_deg = nan;
  ReportedDefect img;
  img.source = DefectSource::image;
  img.x_mm = -10;
  img.y_mm = 20.5;
  img.size_um = 950;
  img.class_id = kImageDefectClass;
  img.kind = "scratch";
  img.area_um2 = 708821.9;
  img.contrast = -41.5;
  img.elongation = 12.25;
  img.orientation_deg = 33;
  r.defect_list = {tool, img};
  ImageCalibrationReport c;
  c.center_x_px = 511.5;
  c.mm_per_px = 0.32;
  c.cut_off = true;
  c.warnings = "w1; w2";
  r.image = c;
  return r;
}

}  // namespace

TEST_CASE("outputs: defects.csv lists tool and image defects with their source", "[io][images]") {
  std::ostringstream out;
  write_defects_csv_header(out);
  write_defects_csv_rows(out, result_with_defects());
  WaferResult failed = result_with_defects();
  failed.ok = false;
  write_defects_csv_rows(out, failed);  // a failed wafer has no defect rows
  CHECK(out.str() ==
        "source_file,wafer_id,source,x_mm,y_mm,size_um,class_id,kind,die_col,die_row,killer,area_um2,contrast,"
        "elongation,orientation_deg\n"
        "a.h5,W1,tool,1.5000,-2.2500,12.35,3,,2,1,1,,,,\n"
        "a.h5,W1,image,-10.0000,20.5000,950.00,-1,scratch,,,0,708821.9,-41.50,12.250,33.00\n");
}

TEST_CASE("outputs: results.h5 /defects and /image_calibration", "[io][images]") {
  yf::test::TempDir tmp;
  const auto path = std::filesystem::path(tmp.file("results.h5"));
  {
    ResultsH5Writer w(path);
    WaferResult plain;
    plain.source_file = "a.h5";
    plain.meta.wafer_id = "W0";
    w.append(plain);  // no defects, no image
    w.append(result_with_defects());
    w.finish();
  }
  using namespace yf::rawh5;
  Id f = open_file(path.string());
  REQUIRE(rows(f, "/defects") == 2);
  CHECK(read_ints(f, "/defects", "wafer_row") == std::vector<std::int64_t>{1, 1});
  CHECK(read_strings(f, "/defects", "source") == std::vector<std::string>{"tool", "image"});
  CHECK(read_strings(f, "/defects", "kind") == std::vector<std::string>{"", "scratch"});
  CHECK(read_ints(f, "/defects", "class_id") == std::vector<std::int64_t>{3, -1});
  CHECK(read_ints(f, "/defects", "die_col") == std::vector<std::int64_t>{2, -1});
  CHECK(read_ints(f, "/defects", "killer") == std::vector<std::int64_t>{1, 0});
  const auto size = read_reals(f, "/defects", "size_um");
  CHECK(size[1] == 950);
  CHECK(std::isnan(read_reals(f, "/defects", "contrast")[0]));
  REQUIRE(rows(f, "/image_calibration") == 1);
  CHECK(read_ints(f, "/image_calibration", "wafer_row") == std::vector<std::int64_t>{1});
  CHECK(read_reals(f, "/image_calibration", "center_x_px")[0] == 511.5);
  CHECK(read_ints(f, "/image_calibration", "cut_off") == std::vector<std::int64_t>{1});
  CHECK(read_strings(f, "/image_calibration", "warnings") == std::vector<std::string>{"w1; w2"});
}

TEST_CASE("tool calibration file: written, read back, flat evaluated, malformed files named", "[io][images]") {
  yf::test::TempDir tmp;
  ToolCalibrationRecord r;
  r.tool = "KLA-02";
  r.product = "P300A";
  r.image_width = 5;
  r.image_height = 3;
  r.mm_per_px = 0.3192;
  r.rotation_deg = 0.321;
  r.images = 8;
  r.flat_degree = 1;
  r.flat_coefficients = {1.0, 0.25, -0.5};  // 1 + 0.25 Y - 0.5 X  (order: i=0: j=0,1; i=1: j=0)
  write_tool_calibration_file(tmp.file("t.yml"), {r});
  const auto back = read_tool_calibration_file(tmp.file("t.yml"));
  REQUIRE(back.size() == 1);
  CHECK(back[0].tool == "KLA-02");
  CHECK(back[0].mm_per_px == 0.3192);
  CHECK(back[0].flat_coefficients == r.flat_coefficients);
  const auto cals = to_tool_calibrations(back);
  const FlatField& flat = *cals.at("KLA-02").flat;
  REQUIRE(flat.width == 5);
  // Pixel (x, y) -> X = x/2 - 1, Y = y - 1: (0, 0) -> 1 - 0.25 + 0.5 = 1.25; (4, 2) -> 1 + 0.25 - 0.5 = 0.75.
  CHECK(flat.values[0] == Approx(1.25));
  CHECK(flat.values[2 * 5 + 4] == Approx(0.75));
  CHECK(flat.values[1 * 5 + 2] == Approx(1.0));

  auto bad = [&](const std::string& text, const std::string& what) {
    std::ofstream(tmp.file("b.yml")) << text;
    CHECK_THROWS_WITH(read_tool_calibration_file(tmp.file("b.yml")), Contains("b.yml") && Contains(what));
  };
  bad("format: other\n", "format");
  bad("format: yieldflow-tool-calibration\nformat_version: 1\ntools:\n  - tool: T\n    image_width: 5\n", "tools[0].image_height: missing");
  bad("format: yieldflow-tool-calibration\nformat_version: 1\ntools:\n  - {tool: T, image_width: 5, image_height: 3, "
      "mm_per_px: -1, rotation_deg: 0}\n",
      "tools[0].mm_per_px");
  bad("format: yieldflow-tool-calibration\nformat_version: 1\ntools:\n  - {tool: T, image_width: 5, image_height: 3, "
      "mm_per_px: 1, rotation_deg: 0, flat: {degree: 2, coefficients: [1, 2]}}\n",
      "2 values, degree 2 needs 6");
}
