// The DefectList reader's fast path (rows scanned in place) and its general path
// (one token at a time) must read the same rows whatever the layout: random files
// with the columns in a random order, values split over lines at random, tabs and
// runs of spaces, CRLF line ends, NA sizes, IMAGELIST entries, statements tools put
// inside lists (TiffFileName, FILENAME) between values, and the closing ';' on the
// last row's line or on a line of its own. Each defect's expected position and size
// are worked out from the text written, parsed by strtod (not by the importer).
#include <catch2/catch.hpp>

#include <algorithm>
#include <cstdio>
#include <cstdlib>
#include <fstream>
#include <random>
#include <string>
#include <vector>

#include "CollectSink.hpp"
#include "io/import/KlarfImporter.hpp"
#include "support/TempDir.hpp"

using yf::test::CollectSink;

namespace {

struct Expected {
  double x_mm, y_mm, size_um;
  int class_id;
};

std::string number_text(std::mt19937_64& rng, double v) {
  char buf[64];
  switch (rng() % 4) {
    case 0: std::snprintf(buf, sizeof buf, "%.6e", v); break;
    case 1: std::snprintf(buf, sizeof buf, "%g", v); break;
    case 2: std::snprintf(buf, sizeof buf, "%.3f", v); break;
    default: std::snprintf(buf, sizeof buf, "%.17g", v); break;
  }
  return buf;
}

}  // namespace

TEST_CASE("KLARF DefectList: any layout reads the same rows (random files)", "[klarf][layout]") {
  const std::vector<std::string> names = {"DEFECTID", "XREL",        "YREL", "XINDEX",   "YINDEX",
                                          "XSIZE",    "YSIZE",       "DSIZE", "CLASSNUMBER", "IMAGELIST",
                                          "ROUGHBINNUMBER"};
  for (std::uint64_t seed = 1; seed <= 12; ++seed) {
    std::mt19937_64 rng(seed);
    std::vector<std::string> cols = names;
    std::shuffle(cols.begin(), cols.end(), rng);
    const int crlf = static_cast<int>(rng() % 2);
    const std::string nl = crlf ? "\r\n" : "\n";
    auto sep = [&]() -> std::string {
      switch (rng() % 12) {
        case 0: return nl;
        case 1: return "\t";
        case 2: return "   ";
        case 3: return " " + nl + "  ";
        case 4: return rng() % 4 == 0 ? (" " + nl + "TiffFileName img" + std::to_string(rng() % 9) + ".tif;" + nl) : " ";
        default: return " ";
      }
    };
    std::string text = "FileVersion 1 2;" + nl + "LotID \"L\";" + nl + "SampleSize 1 300;" + nl +
                       "OrientationMarkLocation DOWN;" + nl + "DiePitch 1000 1000;" + nl + "DieOrigin 0 0;" + nl +
                       "WaferID \"W\";" + nl + "SampleCenterLocation 0 0;" + nl + "DefectRecordSpec " +
                       std::to_string(cols.size());
    for (const auto& c : cols) text += " " + c;
    text += ";" + nl + "DefectList" + nl;
    std::vector<Expected> expected;
    const int rows = 200;
    for (int r = 0; r < rows; ++r) {
      const double xrel = static_cast<double>(rng() % 999000) / 1000.0 + 0.5, yrel = static_cast<double>(rng() % 999000) / 1000.0 + 0.5;
      const int xi = static_cast<int>(rng() % 200) - 100, yi = static_cast<int>(rng() % 200) - 100;
      const double xs = static_cast<double>(rng() % 5000) / 100.0, ys = static_cast<double>(rng() % 5000) / 100.0;
      const bool na = rng() % 4 == 0;
      const double ds = static_cast<double>(rng() % 900) / 10.0;
      const int cls = static_cast<int>(rng() % 50);
      const int images = static_cast<int>(rng() % 3);
      std::string xrel_t = number_text(rng, xrel), yrel_t = number_text(rng, yrel), xs_t = number_text(rng, xs),
                  ys_t = number_text(rng, ys), ds_t = na ? (rng() % 2 ? "NA" : "na") : number_text(rng, ds);
      Expected e{};
      e.x_mm = xi + std::strtod(xrel_t.c_str(), nullptr) / 1000.0;
      e.y_mm = yi + std::strtod(yrel_t.c_str(), nullptr) / 1000.0;
      e.size_um = na ? std::max(std::strtod(xs_t.c_str(), nullptr), std::strtod(ys_t.c_str(), nullptr))
                     : std::strtod(ds_t.c_str(), nullptr);
      e.class_id = cls;
      expected.push_back(e);
      for (std::size_t k = 0; k < cols.size(); ++k) {
        const std::string& c = cols[k];
        std::string v;
        if (c == "DEFECTID") v = std::to_string(r + 1);
        else if (c == "XREL") v = xrel_t;
        else if (c == "YREL") v = yrel_t;
        else if (c == "XINDEX") v = std::to_string(xi);
        else if (c == "YINDEX") v = std::to_string(yi);
        else if (c == "XSIZE") v = xs_t;
        else if (c == "YSIZE") v = ys_t;
        else if (c == "DSIZE") v = ds_t;
        else if (c == "CLASSNUMBER") v = std::to_string(cls);
        else if (c == "ROUGHBINNUMBER") v = rng() % 5 == 0 ? "NA" : std::to_string(rng() % 7);
        else {  // IMAGELIST: a count, then (image, type) pairs
          v = std::to_string(images);
          for (int m = 0; m < images; ++m) v += sep() + std::to_string(m + 1) + sep() + "0";
        }
        text += v;
        if (k + 1 < cols.size()) text += sep();
      }
      if (r + 1 < rows) text += rng() % 3 == 0 ? sep() : nl;
    }
    text += (rng() % 2 ? ";" : nl + ";") + nl + "EndOfFile;" + nl;

    yf::test::TempDir dir;
    const std::string path = dir / "layout.klarf";
    std::ofstream(path, std::ios::binary) << text;
    CollectSink sink;
    yf::import::import_klarf(path, {}, sink);
    INFO("seed " << seed);
    REQUIRE(sink.wafers.size() == 1);
    const auto& got = sink.wafers[0].defects;
    REQUIRE(got.size() == expected.size());
    for (std::size_t k = 0; k < got.size(); ++k) {
      INFO("row " << k + 1);
      CHECK(got[k].x_mm == Approx(expected[k].x_mm).margin(1e-9));
      CHECK(got[k].y_mm == Approx(expected[k].y_mm).margin(1e-9));
      CHECK(got[k].size_um == Approx(expected[k].size_um).margin(1e-9));
      CHECK(got[k].class_id == expected[k].class_id);
    }
  }
}
