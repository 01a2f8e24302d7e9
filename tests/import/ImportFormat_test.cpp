// Format detection from content on every real file of ../shared/data, gzip-wrapped
// files, either STDF byte order, and unknown content.
#include <catch2/catch.hpp>
#include <zlib.h>

#include <fstream>
#include <string>

#include "TestPaths.hpp"
#include "io/import/ImportFormat.hpp"
#include "support/TempDir.hpp"

using yf::import::ImportFormat;

namespace {
std::string data(const std::string& name) { return std::string(yf::test::kSharedDataDir) + "/" + name; }
}  // namespace

TEST_CASE("detect_format: every shared file by its content", "[detect][real]") {
  for (const char* f : {"klarf/amat_complus_v1.1.001", "klarf/ati_wind_v1.2.001", "klarf/altatech_v1.2_nodefects.klarf",
                        "klarf/parser_fixtures/simple12.klarf", "klarf/parser_fixtures/simple18.klarf",
                        "klarf/parser_fixtures/klarfWithImagelist.klarf", "klarf/parser_fixtures/bad12.klarf"}) {
    INFO(f);
    CHECK(yf::import::detect_format(data(f)) == ImportFormat::klarf);
  }
  CHECK(yf::import::detect_format(data("stdf/lot2.stdf.gz")) == ImportFormat::stdf);  // gzip, big-endian FAR
  CHECK(yf::import::detect_format(data("stdf/lot3.stdf.gz")) == ImportFormat::stdf);
  CHECK(yf::import::detect_format(data("maps/e142_G6P139.xml")) == ImportFormat::e142);
  CHECK(yf::import::detect_format(data("maps/e142_example_inconsistent_header.xml")) == ImportFormat::e142);
  CHECK(yf::import::detect_format(data("maps/g85_example_inconsistent_header.xml")) == ImportFormat::g85);
  CHECK(yf::import::detect_format(data("maps/sinf_S67608.inf")) == ImportFormat::sinf);
  CHECK(yf::import::detect_format(data("wm811k/labelled_dev.jsonl")) == ImportFormat::wm811k);
  CHECK(yf::import::detect_format(data("wm811k/lots_first100.jsonl")) == ImportFormat::wm811k);
}

TEST_CASE("detect_format_from_head: STDF in both byte orders, KLARF after a BOM, unknown content", "[detect]") {
  using yf::import::detect_format_from_head;
  // FAR: REC_LEN 2, REC_TYP 0, REC_SUB 10, CPU_TYPE, STDF_VER 4.
  CHECK(detect_format_from_head(std::string("\x00\x02\x00\x0a\x01\x04", 6)) == ImportFormat::stdf);  // big-endian
  CHECK(detect_format_from_head(std::string("\x02\x00\x00\x0a\x02\x04", 6)) == ImportFormat::stdf);  // little-endian
  CHECK(!detect_format_from_head(std::string("\x02\x00\x00\x0a\x02\x03", 6)));  // STDF V3
  CHECK(detect_format_from_head("\xEF\xBB\xBF" "FileVersion 1 2;\n") == ImportFormat::klarf);
  CHECK(detect_format_from_head("  Record   FileRecord \"1.8\"\n{") == ImportFormat::klarf);
  CHECK(detect_format_from_head("<?xml version=\"1.0\"?>\n<!-- c -->\n<semi:Map>") == ImportFormat::g85);
  CHECK(!detect_format_from_head("<?xml version=\"1.0\"?>\n<html>"));
  CHECK(!detect_format_from_head("RecordFileRecord"));
  CHECK(!detect_format_from_head("{\"a\": 1}\n"));
  CHECK(!detect_format_from_head(""));
  CHECK(!detect_format_from_head("wafer,x,y\n1,2,3\n"));
}

TEST_CASE("detect_format: a gzip-wrapped KLARF, an unknown file fails naming it", "[detect]") {
  yf::test::TempDir dir;
  const std::string gz = dir / "k.gz";
  gzFile f = gzopen(gz.c_str(), "wb");
  REQUIRE(f);
  const std::string text = "FileVersion 1 1;\nEndOfFile;\n";
  gzwrite(f, text.data(), static_cast<unsigned>(text.size()));
  gzclose(f);
  CHECK(yf::import::detect_format(gz) == ImportFormat::klarf);

  const std::string csv = dir / "x.csv";
  std::ofstream(csv) << "a,b\n1,2\n";
  CHECK_THROWS_WITH(yf::import::detect_format(csv), Catch::Contains("x.csv: not a file of a known format"));
  CHECK_THROWS_WITH(yf::import::detect_format(dir / "missing"), Catch::Contains("missing: cannot open"));
}

TEST_CASE("format names", "[detect]") {
  for (ImportFormat f : yf::import::all_formats()) CHECK(yf::import::parse_format_name(yf::import::format_name(f)) == f);
  CHECK(yf::import::parse_format_name("KLARF") == ImportFormat::klarf);
  CHECK(!yf::import::parse_format_name("csv"));
}
