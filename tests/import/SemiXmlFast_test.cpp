// The E142 importer's two readings: the fast scanner (SemiXmlFast) against libxml2
// (SemiXml), on every real E142 file in ../shared/data/maps and on hand-made edge
// cases. Where the fast scanner reads a file it must give exactly what libxml2 gives
// (products, bins, wafers, warnings with their lines, or the same error); where it
// declines, import_e142 must still give libxml2's result.
#include <catch2/catch.hpp>
#include <filesystem>
#include <fstream>

#include "TestPaths.hpp"
#include "import/RecordingSink.hpp"
#include "io/import/SemiMapImporter.hpp"
#include "core/SimdLevel.hpp"
#include "support/TempDir.hpp"

using yf::import::ImportError;
using yf::test::RecordingSink;

namespace {

struct Outcome {
  RecordingSink sink;
  std::string error;  // empty: imported
  std::optional<std::string> declined;
};

Outcome by_libxml2(const std::string& path) {
  Outcome o;
  try {
    yf::import::import_e142_libxml2(path, {}, o.sink);
  } catch (const ImportError& e) {
    o.error = e.what();
  }
  return o;
}
Outcome by_fast(const std::string& path) {
  Outcome o;
  try {
    o.declined = yf::import::import_e142_fast(path, {}, o.sink);
  } catch (const ImportError& e) {
    o.error = e.what();
  }
  return o;
}
Outcome by_default(const std::string& path) {
  Outcome o;
  try {
    yf::import::import_e142(path, {}, o.sink);
  } catch (const ImportError& e) {
    o.error = e.what();
  }
  return o;
}

void require_same(const Outcome& a, const Outcome& b) {
  REQUIRE(a.error == b.error);
  if (!a.error.empty()) return;
  CHECK(a.sink.warnings == b.sink.warnings);
  REQUIRE(a.sink.products.size() == b.sink.products.size());
  for (std::size_t i = 0; i < a.sink.products.size(); ++i) CHECK(a.sink.products[i] == b.sink.products[i]);
  REQUIRE(a.sink.bins.size() == b.sink.bins.size());
  for (std::size_t i = 0; i < a.sink.bins.size(); ++i) {
    CHECK(a.sink.bins[i].bin == b.sink.bins[i].bin);
    CHECK(a.sink.bins[i].name == b.sink.bins[i].name);
    CHECK(a.sink.bins[i].pass == b.sink.bins[i].pass);
  }
  REQUIRE(a.sink.wafers.size() == b.sink.wafers.size());
  for (std::size_t i = 0; i < a.sink.wafers.size(); ++i) {
    const auto &x = a.sink.wafers[i], &y = b.sink.wafers[i];
    CHECK(x.meta.wafer_id == y.meta.wafer_id);
    CHECK(x.meta.lot_id == y.meta.lot_id);
    CHECK(x.meta.slot == y.meta.slot);
    CHECK(x.meta.product == y.meta.product);
    CHECK(x.meta.timestamp == y.meta.timestamp);
    REQUIRE(x.binmap.has_value() == y.binmap.has_value());
    if (x.binmap) {
      CHECK(x.binmap->cols == y.binmap->cols);
      CHECK(x.binmap->rows == y.binmap->rows);
      CHECK(x.binmap->bins == y.binmap->bins);
    }
  }
}

// Both readings of one file: the fast one reads it (expect_fast) or declines it, and
// import_e142 gives libxml2's result either way.
// Both SIMD levels (SimdLevel.hpp): the scanner's and the decoder's AVX2 loops and their
// portable twins must read alike.
void check_file(const std::string& path, bool expect_fast) {
  INFO(path);
  const Outcome safe = by_libxml2(path);
  for (const auto level : {yf::SimdLevel::avx2, yf::SimdLevel::sse2}) {
    yf::ScopedSimdLevel force(level);
    INFO("SIMD level " << static_cast<int>(yf::simd_level()));
    const Outcome fast = by_fast(path), chosen = by_default(path);
    require_same(chosen, safe);
    if (expect_fast) {
      INFO("declined: " << fast.declined.value_or("-"));
      REQUIRE_FALSE(fast.declined);
      require_same(fast, safe);
    } else {
      CHECK(fast.declined);
    }
  }
}

std::string write(const yf::test::TempDir& dir, const std::string& name, const std::string& text) {
  std::ofstream(dir / name, std::ios::binary) << text;
  return dir / name;
}

// A small E142 file; the pieces are replaced by the cases below.
struct Doc {
  std::string decl = "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n";
  std::string root_open = "<MapData xmlns=\"urn:semi-org:xsd.E142-1.V1005.SubstrateMap\">";
  std::string root_close = "</MapData>";
  std::string p;  // element prefix, e.g. "e:"
  std::string lot = "LOT1";
  std::string substrate_id = "S1";
  std::string map_attrs = "SubstrateType=\"Wafer\" SubstrateId=\"S1\" Orientation=\"0\" LayoutSpecifier=\"W/D\"";
  std::string bincodemap_attrs = "BinType=\"HexaDecimal\" NullBin=\"FF\"";
  std::string defs = "<BinDefinition BinCode=\"01\" BinQuality=\"Pass\" BinCount=\"3\"/>"
                     "<BinDefinition BinCode=\"0A\" BinQuality=\"Fail\" BinCount=\"2\" BinDescription=\"fail A\"/>";
  std::vector<std::string> rows = {"<BinCode>010AFF</BinCode>", "<BinCode>FF0101</BinCode>"};
  std::string between = "\n";  // between rows
  std::string nl = "\n";

  std::string text() const {
    const std::string& n = nl;
    std::string t = decl + root_open + n + "<" + p + "Layouts><" + p +
                    "Layout LayoutId=\"W\" TopLevel=\"true\" DefaultUnits=\"mm\"><" + p + "Dimension X=\"1\" Y=\"1\"/><" +
                    p + "DeviceSize X=\"150\" Y=\"150\"/></" + p + "Layout>" + n + "<" + p +
                    "Layout LayoutId=\"D\" DefaultUnits=\"um\"><" + p + "Dimension X=\"3\" Y=\"2\"/><" + p +
                    "DeviceSize X=\"5000\" Y=\"4000\"/><" + p + "ProductId>P1</" + p + "ProductId></" + p + "Layout></" +
                    p + "Layouts>" + n + "<" + p + "Substrates><" + p + "Substrate SubstrateId=\"" + substrate_id + "\"><" +
                    p + "LotId>" + lot + "</" + p + "LotId><" + p + "GoodDevices>3</" + p + "GoodDevices></" + p +
                    "Substrate></" + p + "Substrates>" + n + "<" + p + "SubstrateMaps><" + p + "SubstrateMap " + map_attrs +
                    ">" + n + "<" + p + "Overlay><" + p + "BinCodeMap " + bincodemap_attrs + ">" + n + "<" + p +
                    "BinDefinitions>" + defs + "</" + p + "BinDefinitions>" + n;
    for (const auto& r : rows) t += r + between;
    t += "</" + p + "BinCodeMap></" + p + "Overlay></" + p + "SubstrateMap></" + p + "SubstrateMaps>" + n +
         root_close + n;
    return t;
  }
};

}  // namespace

TEST_CASE("E142 fast reading equals libxml2's on every real E142 file", "[SemiXmlFast][real]") {
  const std::string dir = std::string(yf::test::kSharedDataDir) + "/maps";
  int files = 0;
  for (const auto& e : std::filesystem::directory_iterator(dir)) {
    const std::string name = e.path().filename().string();
    if (name.rfind("e142", 0) != 0) continue;
    check_file(e.path().string(), true);
    ++files;
  }
  CHECK(files >= 2);
}

TEST_CASE("E142 fast reading equals libxml2's on the subset's variations", "[SemiXmlFast]") {
  yf::test::TempDir dir;
  std::vector<std::pair<std::string, Doc>> cases;
  cases.emplace_back("plain", Doc{});
  {
    Doc d;  // entities and character references in attributes and texts
    d.substrate_id = "S&amp;1&#x41;&#66;&lt;&gt;&quot;&apos;";
    d.map_attrs = "SubstrateId=\"S&amp;1&#x41;&#66;&lt;&gt;&quot;&apos;\" LayoutSpecifier=\"W/D\"";
    d.lot = "L&lt;1&gt; &#233;t&#xE9;";
    cases.emplace_back("entities", d);
  }
  {
    Doc d;  // comments between elements, in the BinCodeMap, before and after the root
    d.decl += "<!-- written by hand -->\n";
    d.root_close += "\n<!-- after the root -->";
    d.between = "\n<!-- a row -->\n";
    d.defs = "<!-- bins -->" + d.defs + "<!---->";
    cases.emplace_back("comments", d);
  }
  {
    Doc d;  // attributes in another order, single quotes, blanks around '=', a tag over lines
    d.map_attrs = "LayoutSpecifier = 'W/D'\n   Orientation='0'\tSubstrateId = \"S1\"\n SubstrateType='Wafer' ";
    d.bincodemap_attrs = "\n NullBin='FF'\n  BinType=\"HexaDecimal\"\n";
    d.defs = "<BinDefinition BinCount='3' BinQuality = \"Pass\"\n BinCode=\"01\" />"
             "<BinDefinition\nBinDescription='fail A' BinQuality='Fail' BinCode='0A' BinCount='2'/>";
    cases.emplace_back("attributes", d);
  }
  {
    Doc d;  // the V0105 namespace
    d.root_open = "<MapData xmlns=\"urn:semiorg:xsd.E142-1.V0105.SubstrateMap\">";
    cases.emplace_back("V0105", d);
  }
  for (const char* ns : {"urn:semi-org:xsd.E142-1.V1005.SubstrateMap", "urn:semiorg:xsd.E142-1.V0105.SubstrateMap"}) {
    Doc d;  // prefixed elements
    d.p = "e142:";
    d.root_open = std::string("<e142:MapData xmlns:e142=\"") + ns + "\" xmlns:xsi=\"http://www.w3.org/2001/XMLSchema-instance\">";
    d.root_close = "</e142:MapData>";
    for (auto& r : d.rows) r = "<e142:BinCode>" + r.substr(9, r.size() - 19) + "</e142:BinCode>";
    d.defs = "<e142:BinDefinition BinCode=\"01\" BinQuality=\"Pass\"/>";
    cases.emplace_back(std::string("prefixed ") + ns, d);
  }
  {
    Doc d;  // CRLF line ends, a BOM, no XML declaration
    d.decl = "\xEF\xBB\xBF";
    d.nl = "\r\n";
    d.between = "\r\n";
    d.lot = "LOT\r\n1";
    d.rows = {"<BinCode>\r\n  010AFF  \r\n</BinCode>", "<BinCode>\tFF0101</BinCode>"};
    cases.emplace_back("crlf", d);
  }
  {
    Doc d;  // UTF-8 beyond ASCII in attributes and texts; tabs and newlines in attribute values
    d.map_attrs = "SubstrateId=\"S1\" LayoutSpecifier=\"W/D\" MapVersion=\"09/28/2022 \xE4\xB8\x8B\xE5\x8D\x88 04:25\"";
    d.defs = "<BinDefinition BinCode=\"01\" BinQuality=\"Pass\" BinDescription=\"good\tdie\nA \xC3\xA9\xF0\x9F\x98\x80\"/>";
    d.lot = "\xE6\x89\xB9 1";
    cases.emplace_back("utf8", d);
  }
  {
    Doc d;  // header counts that disagree: warnings with their lines
    d.defs = "<BinDefinition BinCode=\"01\" BinQuality=\"Pass\" BinCount=\"7\"/>\n\n"
             "<BinDefinition BinCode=\"0A\" BinQuality=\"Fail\" BinCount=\"9\"/>";
    d.rows.push_back("<BinCode>0101</BinCode>");
    cases.emplace_back("warnings", d);
  }
  {
    Doc d;  // empty elements, an empty row, a second overlay
    d.rows.insert(d.rows.begin() + 1, "<BinCode/>");
    d.rows.push_back("<BinCode></BinCode>");
    cases.emplace_back("empty rows", d);
  }
  {
    Doc d;  // a bad code: both readings give the same error (file and line)
    d.rows[1] = "<BinCode>FF01ZZ</BinCode>";
    cases.emplace_back("bad code", d);
  }
  {
    // Rows that are not bare packed hex codes (read through text(), not text_if): character
    // references, lower case, separators, then packed rows after them in the same map.
    Doc d;
    d.rows = {"<BinCode>&#x30;1&#48;A ff</BinCode>", "<BinCode>0a,01 FF</BinCode>", "<BinCode>FF0101</BinCode>",
              "<BinCode>0a0aff</BinCode>"};
    cases.emplace_back("rows text_if leaves to text()", d);
  }
  for (int at : {0, 15, 16, 31, 32, 33, 63, 64, 65, 95, 127, 128}) {
    // A long text with a reference, a tab or a line end at each edge of the scanner's
    // 16-, 32- and 64-byte steps.
    Doc d;
    const char* special = at % 3 == 0 ? "&amp;" : at % 3 == 1 ? "\t" : "\n";
    d.lot = std::string(static_cast<std::size_t>(at), 'L') + special + std::string(140, 'M');
    cases.emplace_back("long text, special at " + std::to_string(at), d);
  }
  {
    Doc d;  // an odd number of hex digits: the same error from both readings
    d.rows[1] = "<BinCode>FF010</BinCode>";
    cases.emplace_back("odd row", d);
  }
  {
    Doc d;  // a Decimal map: packed rows of digits are not hex codes
    d.bincodemap_attrs = "BinType=\"Decimal\" NullBin=\"255\"";
    d.defs = "<BinDefinition BinCode=\"001\" BinQuality=\"Pass\"/><BinDefinition BinCode=\"010\" BinQuality=\"Fail\"/>";
    d.rows = {"<BinCode>001010255</BinCode>", "<BinCode>255001001</BinCode>"};
    cases.emplace_back("decimal", d);
  }
  for (const auto& [name, d] : cases) {
    INFO(name);
    check_file(write(dir, "ok.xml", d.text()), true);
  }
}

TEST_CASE("E142 fast reading declines what is outside its subset, and libxml2 reads it", "[SemiXmlFast]") {
  yf::test::TempDir dir;
  std::vector<std::pair<std::string, std::string>> cases;
  auto with = [&](const std::string& name, auto edit) {
    Doc d;
    edit(d);
    cases.emplace_back(name, d.text());
  };
  with("CDATA row", [](Doc& d) { d.rows[0] = "<BinCode><![CDATA[010AFF]]></BinCode>"; });
  with("CDATA lot", [](Doc& d) { d.lot = "<![CDATA[L<1>]]>"; });
  with("comment in a row", [](Doc& d) { d.rows[0] = "<BinCode>010A<!-- x -->FF</BinCode>"; });
  with("DOCTYPE", [](Doc& d) { d.decl += "<!DOCTYPE MapData [<!ENTITY lot \"LOT9\">]>\n"; });
  with("DOCTYPE entity", [](Doc& d) {
    d.decl += "<!DOCTYPE MapData [<!ENTITY lot \"LOT9\">]>\n";
    d.lot = "&lot;";
  });
  with("latin-1", [](Doc& d) {
    d.decl = "<?xml version=\"1.0\" encoding=\"ISO-8859-1\"?>\n";
    d.lot = "L\xE9";
  });
  with("processing instruction", [](Doc& d) { d.between = "\n<?writer pause?>\n"; });
  with("child in a row", [](Doc& d) { d.rows[0] = "<BinCode>01<b/>0AFF</BinCode>"; });
  with("undeclared prefix", [](Doc& d) { d.p = "e:"; });
  with("relative namespace", [](Doc& d) { d.root_open = "<MapData xmlns=\"E142\">"; });
  with("invalid UTF-8", [](Doc& d) { d.lot = "L\xC3("; });
  with("control byte", [](Doc& d) { d.lot = "L\x01"; });
  with("vertical tab around a row", [](Doc& d) { d.rows[0] = "<BinCode>\x0B" "010AFF</BinCode>"; });
  with("NUL in a row", [](Doc& d) { d.rows[1] = std::string("<BinCode>FF01") + '\0' + "1</BinCode>"; });
  with("mismatched tags", [](Doc& d) { d.rows[0] = "<BinCode>010AFF</Bincode>"; });
  with("unknown entity", [](Doc& d) { d.lot = "L&nbsp;1"; });
  with("]]> in a text", [](Doc& d) { d.lot = "L]]>1"; });
  with("junk after the root", [](Doc& d) { d.root_close += "<MapData/>"; });
  with("duplicate attribute", [](Doc& d) { d.bincodemap_attrs += " NullBin=\"FF\""; });
  with("XML 1.1", [](Doc& d) { d.decl = "<?xml version=\"1.1\"?>\n"; });
  Doc cut;
  std::string truncated = cut.text();
  truncated.resize(truncated.size() / 2);
  cases.emplace_back("truncated", truncated);
  cases.emplace_back("empty", "");
  cases.emplace_back("garbage", "\x01\x02garbage<<<");
  for (const auto& [name, text] : cases) {
    INFO(name);
    check_file(write(dir, "declined.xml", text), false);
  }
}

TEST_CASE("E142 fast reading: rows across the 1 MiB read buffer and many wafers", "[SemiXmlFast]") {
  // 40 wafers of 100 rows of 700 codes (~5.6 MB): tags and rows straddle every
  // buffer boundary somewhere; both readings agree wafer by wafer.
  yf::test::TempDir dir;
  std::string t = "<?xml version=\"1.0\"?>\n<MapData xmlns=\"urn:semi-org:xsd.E142-1.V1005.SubstrateMap\">\n"
                  "<Layouts><Layout LayoutId=\"D\"><Dimension X=\"700\" Y=\"100\"/></Layout></Layouts><SubstrateMaps>\n";
  for (int w = 0; w < 40; ++w) {
    t += "<SubstrateMap SubstrateId=\"W" + std::to_string(w) + "\"><Overlay><BinCodeMap BinType=\"HexaDecimal\" NullBin=\"FF\">"
         "<BinDefinitions><BinDefinition BinCode=\"01\" BinQuality=\"Pass\"/></BinDefinitions>\n";
    for (int r = 0; r < 100; ++r) {
      t += "<BinCode>";
      for (int c = 0; c < 700; ++c) t += (c * 7 + r * 3 + w) % 11 == 0 ? "FF" : (c + r + w) % 5 == 0 ? "02" : "01";
      t += "</BinCode>\n";
    }
    t += "</BinCodeMap></Overlay></SubstrateMap>\n";
  }
  t += "</SubstrateMaps></MapData>\n";
  check_file(write(dir, "big.xml", t), true);
}

namespace {

// Every call a sink receives, in order, as text (the bins of a wafer's map included).
struct CallLog : yf::import::ImportSink {
  std::string text;
  int wafers = 0;
  void add_product(const yf::ProductGeometry& p) override {
    text += "product " + p.name + " " + std::to_string(p.cols) + "x" + std::to_string(p.rows) + "\n";
  }
  void add_defect_classes(const std::vector<yf::DefectClass>& c) override {
    text += "classes " + std::to_string(c.size()) + "\n";
  }
  void add_bins(const std::vector<yf::BinDef>& bins) override {
    for (const auto& b : bins) text += "bin " + std::to_string(b.bin) + " " + b.name + (b.pass ? " pass\n" : " fail\n");
  }
  void add_wafer(yf::WaferRecord w) override {
    ++wafers;
    text += "wafer " + w.meta.wafer_id + " " + w.meta.lot_id;
    if (w.binmap)
      for (auto b : w.binmap->bins) text += " " + std::to_string(b);
    text += "\n";
  }
  void warning(const std::string& where, const std::string& message) override {
    text += "warning " + where + ": " + message + "\n";
  }
};

// n wafers of two rows; wafer `odd` (if any) holds a row the fast reading declines.
std::string wafers_file(int n, int odd) {
  std::string t = "<?xml version=\"1.0\"?>\n<MapData xmlns=\"urn:semi-org:xsd.E142-1.V1005.SubstrateMap\">\n"
                  "<Layouts><Layout LayoutId=\"D\"><Dimension X=\"3\" Y=\"2\"/></Layout></Layouts><SubstrateMaps>\n";
  for (int w = 0; w < n; ++w) {
    t += "<SubstrateMap SubstrateId=\"W" + std::to_string(w) + "\"><Overlay><BinCodeMap BinType=\"HexaDecimal\" "
         "NullBin=\"FF\"><BinDefinitions><BinDefinition BinCode=\"01\" BinQuality=\"Pass\" BinCount=\"9\"/>"
         "</BinDefinitions>\n";
    t += w == odd ? "<BinCode><![CDATA[0102FF]]></BinCode>\n" : "<BinCode>0102FF</BinCode>\n";
    t += "<BinCode>" + std::string(w % 2 ? "FF0101" : "010101") + "</BinCode>\n</BinCodeMap></Overlay></SubstrateMap>\n";
  }
  return t + "</SubstrateMaps></MapData>\n";
}

}  // namespace

TEST_CASE("E142: a file the fast reading declines after some wafers: libxml2's calls, each once, in order",
          "[SemiXmlFast]") {
  yf::test::TempDir dir;
  // Wafer 3 of 5 holds CDATA: the fast reading has delivered wafers 0-2 (and their
  // warnings: BinCount 9 is wrong) when it declines.
  const std::string path = write(dir, "late.xml", wafers_file(5, 3));
  CallLog safe, fast, chosen;
  yf::import::import_e142_libxml2(path, {}, safe);
  REQUIRE(safe.wafers == 5);
  REQUIRE(yf::import::import_e142_fast(path, {}, fast).has_value());  // declined
  CHECK(fast.wafers == 3);
  // What the fast reading delivered before declining is the start of libxml2's calls...
  REQUIRE(safe.text.compare(0, fast.text.size(), fast.text) == 0);
  // ...so the default reading (fast, then libxml2 skipping those calls) gives libxml2's calls.
  yf::import::import_e142(path, {}, chosen);
  CHECK(chosen.wafers == 5);
  CHECK(chosen.text == safe.text);
}

TEST_CASE("E142: an error of the destination sink ends the import (no second reading)", "[SemiXmlFast]") {
  yf::test::TempDir dir;
  const std::string path = write(dir, "five.xml", wafers_file(5, -1));
  struct Refusing : CallLog {
    void add_wafer(yf::WaferRecord w) override {
      CallLog::add_wafer(std::move(w));
      if (wafers == 2) throw ImportError("destination: no room for a second wafer");
    }
  } sink;
  REQUIRE_THROWS_WITH(yf::import::import_e142(path, {}, sink), "destination: no room for a second wafer");
  CHECK(sink.wafers == 2);  // not read again past the refused wafer
}
