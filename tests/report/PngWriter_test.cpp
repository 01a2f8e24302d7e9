// encode_png (io/report/PngWriter.hpp): the header fields by the PNG spec, a pixel-exact
// round trip through an independent decoder (OpenCV's imgcodecs), and the same bytes
// as the cv::imencode call the report used before (so report.html did not change).
#include <catch2/catch.hpp>

#include <opencv2/imgcodecs.hpp>

#include <cstdint>
#include <stdexcept>
#include <vector>

#include "io/report/PngWriter.hpp"

using yf::report::encode_png;
using yf::report::PngImage;
using yf::report::PngPixels;

namespace {

// A deterministic pattern with smooth areas, edges and noise, so every PNG row filter
// gets chosen somewhere. channels 1 or 3; `stride` >= width * channels, the padding
// filled with bytes that must not appear in the image.
struct Pixels {
  int width, height, channels;
  std::size_t stride;
  std::vector<std::uint8_t> bytes;

  Pixels(int w, int h, int c, std::size_t pad = 0)
      : width(w), height(h), channels(c), stride(static_cast<std::size_t>(w * c) + pad),
        bytes(stride * static_cast<std::size_t>(h), 0xA5) {
    std::uint32_t lcg = 12345;
    for (int y = 0; y < h; ++y)
      for (int x = 0; x < w; ++x)
        for (int k = 0; k < c; ++k) {
          lcg = lcg * 1664525u + 1013904223u;
          const int smooth = (x * 7 + y * 3 + k * 50) & 0xFF, noisy = static_cast<int>(lcg >> 24);
          at(x, y, k) = static_cast<std::uint8_t>(((x / 5 + y / 3) % 3 == 0) ? noisy : smooth);
        }
  }
  std::uint8_t& at(int x, int y, int k) {
    return bytes[static_cast<std::size_t>(y) * stride + static_cast<std::size_t>(x * channels + k)];
  }
  PngImage image(PngPixels p) const { return {bytes.data(), width, height, stride, p}; }
};

std::uint32_t be32(const std::vector<std::uint8_t>& b, std::size_t at) {
  return (std::uint32_t{b[at]} << 24) | (std::uint32_t{b[at + 1]} << 16) | (std::uint32_t{b[at + 2]} << 8) | b[at + 3];
}

}  // namespace

TEST_CASE("encode_png: signature and IHDR as the PNG spec lays them out", "[report][png]") {
  Pixels rgb(13, 7, 3);
  const std::vector<std::uint8_t> png = encode_png(rgb.image(PngPixels::rgb));
  REQUIRE(png.size() > 33);
  const std::vector<std::uint8_t> signature = {0x89, 'P', 'N', 'G', '\r', '\n', 0x1A, '\n'};
  CHECK(std::vector<std::uint8_t>(png.begin(), png.begin() + 8) == signature);
  CHECK(be32(png, 8) == 13);  // IHDR length
  CHECK(std::string(png.begin() + 12, png.begin() + 16) == "IHDR");
  CHECK(be32(png, 16) == 13);  // width
  CHECK(be32(png, 20) == 7);   // height
  CHECK(png[24] == 8);         // bit depth
  CHECK(png[25] == 2);         // colour type 2: RGB
  CHECK(png[28] == 0);         // not interlaced
  // The file ends with an empty IEND chunk and its CRC (AE 42 60 82).
  const std::vector<std::uint8_t> iend = {0, 0, 0, 0, 'I', 'E', 'N', 'D', 0xAE, 0x42, 0x60, 0x82};
  CHECK(std::vector<std::uint8_t>(png.end() - 12, png.end()) == iend);

  Pixels grey(5, 3, 1);
  const std::vector<std::uint8_t> g = encode_png(grey.image(PngPixels::grey));
  CHECK(g[25] == 0);  // colour type 0: grey
}

TEST_CASE("encode_png: grey images decode to the same pixels", "[report][png]") {
  for (auto [w, h, pad] : {std::tuple{1, 1, 0}, {7, 5, 0}, {33, 17, 3}, {257, 129, 0}}) {
    Pixels p(w, h, 1, static_cast<std::size_t>(pad));
    const cv::Mat decoded = cv::imdecode(encode_png(p.image(PngPixels::grey)), cv::IMREAD_UNCHANGED);
    REQUIRE(decoded.type() == CV_8UC1);
    REQUIRE(decoded.cols == w);
    REQUIRE(decoded.rows == h);
    int differ = 0;
    for (int y = 0; y < h; ++y)
      for (int x = 0; x < w; ++x) differ += decoded.at<std::uint8_t>(y, x) != p.at(x, y, 0);
    CHECK(differ == 0);
  }
}

TEST_CASE("encode_png: RGB and BGR images decode to the same pixels", "[report][png]") {
  for (auto [w, h, pad] : {std::tuple{1, 1, 0}, {13, 7, 0}, {31, 3, 5}, {301, 97, 1}}) {
    Pixels p(w, h, 3, static_cast<std::size_t>(pad));
    // OpenCV decodes to B, G, R: an RGB source lands reversed, a BGR one as it is.
    const cv::Mat from_rgb = cv::imdecode(encode_png(p.image(PngPixels::rgb)), cv::IMREAD_UNCHANGED);
    const cv::Mat from_bgr = cv::imdecode(encode_png(p.image(PngPixels::bgr)), cv::IMREAD_UNCHANGED);
    REQUIRE(from_rgb.type() == CV_8UC3);
    REQUIRE(from_bgr.type() == CV_8UC3);
    REQUIRE(from_rgb.size() == cv::Size(w, h));
    REQUIRE(from_bgr.size() == cv::Size(w, h));
    int differ = 0;
    for (int y = 0; y < h; ++y)
      for (int x = 0; x < w; ++x) {
        const cv::Vec3b a = from_rgb.at<cv::Vec3b>(y, x), b = from_bgr.at<cv::Vec3b>(y, x);
        differ += a != cv::Vec3b(p.at(x, y, 2), p.at(x, y, 1), p.at(x, y, 0));
        differ += b != cv::Vec3b(p.at(x, y, 0), p.at(x, y, 1), p.at(x, y, 2));
      }
    CHECK(differ == 0);
  }
}

TEST_CASE("encode_png: the bytes cv::imencode wrote for the report (level 9)", "[report][png]") {
  // Both go through Debian 12's libpng 1.6 and zlib with the same settings, so the
  // report's embedded PNGs (and report.html) are byte for byte what they were.
  const std::vector<int> level9 = {cv::IMWRITE_PNG_COMPRESSION, 9};
  for (auto [w, h] : {std::pair{1, 1}, {16, 11}, {181, 181}, {257, 129}}) {
    Pixels colour(w, h, 3), grey(w, h, 1);
    std::vector<std::uint8_t> cv_colour, cv_grey;
    REQUIRE(cv::imencode(".png", cv::Mat(h, w, CV_8UC3, colour.bytes.data()), cv_colour, level9));
    REQUIRE(cv::imencode(".png", cv::Mat(h, w, CV_8UC1, grey.bytes.data()), cv_grey, level9));
    CHECK(encode_png(colour.image(PngPixels::bgr)) == cv_colour);
    CHECK(encode_png(grey.image(PngPixels::grey)) == cv_grey);
  }
}

TEST_CASE("encode_png: bad images are refused, not encoded", "[report][png]") {
  Pixels p(4, 3, 3);
  PngImage ok = p.image(PngPixels::rgb);
  PngImage bad = ok;
  bad.data = nullptr;
  CHECK_THROWS_AS(encode_png(bad), std::invalid_argument);
  bad = ok;
  bad.width = 0;
  CHECK_THROWS_AS(encode_png(bad), std::invalid_argument);
  bad = ok;
  bad.height = -1;
  CHECK_THROWS_AS(encode_png(bad), std::invalid_argument);
  bad = ok;
  bad.stride = 11;  // < 4 * 3
  CHECK_THROWS_AS(encode_png(bad), std::invalid_argument);
  CHECK_NOTHROW(encode_png(ok));
}
