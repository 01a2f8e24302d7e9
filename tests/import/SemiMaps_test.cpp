// The SEMI E142 and G85 importers on the real maps and on small maps written here.
#include <catch2/catch.hpp>
#include <fstream>
#include <map>

#include "TestPaths.hpp"
#include "import/RecordingSink.hpp"
#include "io/import/SemiMapImporter.hpp"
#include "support/TempDir.hpp"

using yf::import::ImportError;
using yf::test::RecordingSink;

namespace {

std::string shared(const std::string& rel) { return std::string(yf::test::kSharedDataDir) + "/maps/" + rel; }

RecordingSink e142(const std::string& path) {
  RecordingSink sink;
  yf::import::import_e142(path, {}, sink);
  return sink;
}
RecordingSink g85(const std::string& path) {
  RecordingSink sink;
  yf::import::import_g85(path, {}, sink);
  return sink;
}
template <class F>
std::string error_of(F f, const std::string& path) {
  RecordingSink sink;
  try {
    f(path, yf::import::ImportOptions{}, sink);
  } catch (const ImportError& e) {
    return e.what();
  }
  return "(imported)";
}

std::string write(const yf::test::TempDir& dir, const std::string& name, const std::string& text) {
  std::ofstream(dir / name, std::ios::binary) << text;
  return dir / name;
}

// A small E142 map: `rows` are BinCode elements, `type` the BinType.
std::string e142_text(const std::string& type, const std::string& null_bin, const std::string& defs,
                      const std::vector<std::string>& rows, const std::string& orientation = "0",
                      const std::string& dim = "X=\"3\" Y=\"2\"") {
  std::string t =
      "<?xml version=\"1.0\"?>\n"
      "<MapData xmlns=\"urn:semi-org:xsd.E142-1.V1005.SubstrateMap\">\n"
      "<Layouts><Layout LayoutId=\"W\" TopLevel=\"true\" DefaultUnits=\"mm\"><Dimension X=\"1\" Y=\"1\"/>"
      "<DeviceSize X=\"150\" Y=\"150\"/><ChildLayouts><ChildLayout LayoutId=\"D\"/></ChildLayouts></Layout>\n"
      "<Layout LayoutId=\"D\" DefaultUnits=\"um\"><Dimension " + dim + "/><DeviceSize X=\"5000\" Y=\"4000\"/>"
      "<ProductId>P1</ProductId></Layout></Layouts>\n"
      "<Substrates><Substrate SubstrateId=\"S1\"><LotId>LOT1</LotId><GoodDevices>2</GoodDevices></Substrate></Substrates>\n"
      "<SubstrateMaps><SubstrateMap SubstrateId=\"S1\" Orientation=\"" + orientation +
      "\" LayoutSpecifier=\"W/D\">\n<Overlay><BinCodeMap BinType=\"" + type + "\" NullBin=\"" + null_bin + "\">\n"
      "<BinDefinitions>" + defs + "</BinDefinitions>\n";
  for (const auto& r : rows) t += "<BinCode>" + r + "</BinCode>\n";
  t += "</BinCodeMap></Overlay></SubstrateMap></SubstrateMaps></MapData>\n";
  return t;
}

}  // namespace

// Counts by a Python regex over the file's <BinCode> rows (2 hex characters a
// die): both wafers 47 x 61 = 2867 positions: 2200 x 01, 67 x 62, 4 x 50,
// 596 x 00 (the NullBin); the BinDefinitions' BinCounts say the same, and
// GoodDevices 2200. The 50s (reference dies) sit at columns 5 and 41 of rows 11
// and 47, consistent with ReferenceDevice (6, 50) counted from 1 at the lower
// left, which is how we know the first BinCode row is the top one.
TEST_CASE("E142 G6P139: two 47 x 61 wafers, hex bins, NullBin 00 is no die", "[SemiMaps][real]") {
  const auto s = e142(shared("e142_G6P139.xml"));
  REQUIRE(s.wafers.size() == 2);
  CHECK(s.wafers[0].meta.wafer_id == "G6P139-07B7");
  CHECK(s.wafers[1].meta.wafer_id == "G6P139-08B2");
  for (const auto& w : s.wafers) {
    CHECK(w.meta.lot_id == "G6P139.14");
    CHECK(w.meta.product == "VP9919");
    REQUIRE(w.binmap);
    CHECK(w.binmap->cols == 47);
    CHECK(w.binmap->rows == 61);
    CHECK(RecordingSink::bin_counts(w) == std::map<int, int>{{0x01, 2200}, {0x50, 4}, {0x62, 67}});
    CHECK(w.binmap->at(5, 11) == 0x50);
    CHECK(w.binmap->at(41, 47) == 0x50);
  }
  REQUIRE(s.products.size() == 1);
  CHECK(s.products[0].die_width_mm == 3.9);   // Device layout DeviceSize, mm
  CHECK(s.products[0].die_height_mm == 3.0);
  CHECK(s.products[0].wafer_diameter_mm == 200.0);  // top-level layout DeviceSize
  CHECK(s.bin(0x01)->pass);
  CHECK(s.bin(0x01)->name == "Good die (AVI)");
  CHECK_FALSE(s.bin(0x62)->pass);
  CHECK_FALSE(s.bin(0x50)->pass);
  CHECK(s.bin(0x54));             // defined (8 times, all Fail), on no die
  CHECK(s.bin(0x00) == nullptr);  // the NullBin is no bin
  CHECK(s.warnings.empty());      // every header count agrees with the grid
}

// Counts by a Python regex: 18 rows of 21 hex codes, 161 x 00 and 217 x FF (NullBin);
// its only BinDefinition says BinCount 165 for 00.
TEST_CASE("E142 V0105 example whose BinCount disagrees with the grid: a warning, the grid wins", "[SemiMaps][real]") {
  const auto s = e142(shared("e142_example_inconsistent_header.xml"));
  REQUIRE(s.wafers.size() == 1);
  const auto& w = s.wafers[0];
  CHECK(w.meta.wafer_id.rfind("EVAKRUN1SWJ1_VF0KH4F", 0) == 0);
  CHECK(w.binmap->cols == 21);
  CHECK(w.binmap->rows == 18);
  CHECK(RecordingSink::bin_counts(w) == std::map<int, int>{{0, 161}});
  CHECK(s.warned("e142_example_inconsistent_header.xml: line 13: wafer 'EVAKRUN1SWJ1"));
  CHECK(s.warned("BinCount 165 for bin '00' (code value 0) but the map holds 161"));
  CHECK_FALSE(s.bin(0)->pass);
  CHECK(s.products[0].wafer_diameter_mm == 200.0);  // no sizes in the file: the documented default
}

// Counts by a Python split of the <Row> CDATA: 15 rows of 16 codes, 119 x 001,
// 65 x 000, 56 x 255 (NullBin); the Bin elements say 119 and 116.
TEST_CASE("G85 example whose BinCount disagrees with the grid: a warning, the grid wins", "[SemiMaps][real]") {
  const auto s = g85(shared("g85_example_inconsistent_header.xml"));
  REQUIRE(s.wafers.size() == 1);
  const auto& w = s.wafers[0];
  CHECK(w.meta.wafer_id == "1");
  CHECK(w.meta.product == "g92_MLO_eng_pc");
  CHECK(w.meta.timestamp == 1235562801);  // CreateDate 2009-02-25 11:53:21 UTC
  CHECK(w.binmap->cols == 16);
  CHECK(w.binmap->rows == 15);
  CHECK(RecordingSink::bin_counts(w) == std::map<int, int>{{0, 65}, {1, 119}});
  CHECK(w.binmap->at(6, 0) == 1);  // first row: 6 x 255, then 001
  CHECK(s.warned("g85_example_inconsistent_header.xml: line 5: wafer '1': BinCount 116"));
  CHECK(s.warned("but the map holds 65"));
  CHECK_FALSE(s.warned("BinCount 119"));
  CHECK(s.bin(1)->pass);
  CHECK_FALSE(s.bin(0)->pass);
}

TEST_CASE("E142 BinTypes: Decimal, Ascii, Integer2 and HexaDecimal read the same map", "[SemiMaps]") {
  yf::test::TempDir dir;
  struct Case {
    std::string type, null_bin, pass_code, fail_code;
    std::vector<std::string> rows;
  };
  const std::vector<Case> cases = {
      {"HexaDecimal", "FF", "01", "0A", {"010AFF", "FF0101"}},
      {"Decimal", "255", "001", "010", {"001010255", "255001001"}},
      {"Decimal", "255", "1", "10", {"1 10 255", "255 1 1"}},
      {"Integer2", "FFFF", "0001", "000A", {"0001000AFFFF", "FFFF00010001"}},
  };
  for (const auto& c : cases) {
    INFO(c.type << " " << c.rows[0]);
    const std::string defs = "<BinDefinition BinCode=\"" + c.pass_code + "\" BinQuality=\"Pass\" BinCount=\"3\"/>"
                             "<BinDefinition BinCode=\"" + c.fail_code + "\" BinQuality=\"Fail\" BinCount=\"1\"/>";
    const auto s = e142(write(dir, "m.xml", e142_text(c.type, c.null_bin, defs, c.rows)));
    REQUIRE(s.wafers.size() == 1);
    CHECK(s.wafers[0].binmap->bins == std::vector<std::int16_t>{1, 10, -1, -1, 1, 1});
    CHECK(s.bin(1)->pass);
    CHECK_FALSE(s.bin(10)->pass);
    CHECK(s.warned("GoodDevices 2 but 3 dies in passing bins"));
    CHECK(s.products[0].die_width_mm == 5.0);  // 5000 um
    CHECK(s.products[0].die_height_mm == 4.0);
    CHECK(s.products[0].wafer_diameter_mm == 150.0);
    CHECK(s.products[0].name == "P1");
    CHECK(s.wafers[0].meta.lot_id == "LOT1");
  }
  // Ascii: each character a code, its number the character's code point.
  const std::string defs = "<BinDefinition BinCode=\"A\" BinQuality=\"Pass\"/><BinDefinition BinCode=\"X\" BinQuality=\"Fail\"/>";
  const auto s = e142(write(dir, "a.xml", e142_text("Ascii", ".", defs, {"AX.", ".AA"})));
  CHECK(s.wafers[0].binmap->bins == std::vector<std::int16_t>{'A', 'X', -1, -1, 'A', 'A'});
  CHECK(s.bin('A')->pass);
}

TEST_CASE("E142 header disagreements and orientation", "[SemiMaps]") {
  yf::test::TempDir dir;
  const std::string defs = "<BinDefinition BinCode=\"01\" BinQuality=\"Pass\"/>";
  // Orientation 180: the notch is at the top as drawn; the map turns half a turn.
  // The Dimension says 4 x 2 for a 3 x 2 grid; code 07 has no definition.
  const auto s = e142(write(dir, "o.xml", e142_text("HexaDecimal", "FF", defs, {"0107FF", "FF0101"}, "180",
                                                    "X=\"4\" Y=\"2\"")));
  CHECK(s.wafers[0].binmap->bins == std::vector<std::int16_t>{1, 1, -1, -1, 7, 1});
  CHECK(s.warned("the header says 4 columns, the map has 3"));
  CHECK(s.warned("1 dies of bin code value 7 that no bin definition names: counted as failing"));
  CHECK_FALSE(s.bin(7)->pass);
  // Orientation 90 (notch on the left): a quarter turn anticlockwise.
  const auto q = e142(write(dir, "q.xml", e142_text("HexaDecimal", "FF", defs, {"010203", "040506"}, "90")));
  REQUIRE(q.wafers[0].binmap->cols == 2);
  CHECK(q.wafers[0].binmap->bins == std::vector<std::int16_t>{3, 6, 2, 5, 1, 4});
  CHECK(q.products[0].die_width_mm == 4.0);  // width and height swap with the turn
}

TEST_CASE("G85 several maps in one file, fixed-width hexadecimal rows", "[SemiMaps]") {
  yf::test::TempDir dir;
  const auto s = g85(write(dir, "g.xml",
                           "<Maps>\n"
                           " <Map WaferId=\"A\"><Device ProductId=\"P\" LotId=\"L\" Rows=\"2\" Columns=\"2\" BinType=\"HexaDecimal\" NullBin=\"FF\""
                           " WaferSize=\"200\" DeviceSizeX=\"4000\" DeviceSizeY=\"5000\">\n"
                           "  <Bin BinCode=\"01\" BinQuality=\"Pass\" BinCount=\"2\"/><Bin BinCode=\"1F\" BinQuality=\"Fail\"/>\n"
                           "  <Data><Row>011F</Row><Row>FF01</Row></Data></Device></Map>\n"
                           " <Map WaferId=\"B\"><Device ProductId=\"P\" Rows=\"3\" Columns=\"2\" BinType=\"HexaDecimal\" NullBin=\"FF\">\n"
                           "  <Bin BinCode=\"01\" BinQuality=\"Pass\"/>\n"
                           "  <Data><Row>0101</Row><Row>01FF</Row></Data></Device></Map>\n"
                           "</Maps>\n"));
  REQUIRE(s.wafers.size() == 2);
  CHECK(s.wafers[0].binmap->bins == std::vector<std::int16_t>{1, 31, -1, 1});
  CHECK(s.wafers[1].binmap->bins == std::vector<std::int16_t>{1, 1, 1, -1});
  CHECK(s.wafers[0].meta.lot_id == "L");
  CHECK(s.products.size() == 1);
  CHECK(s.products[0].die_width_mm == 4.0);  // DeviceSizeX above 100: micrometres
  CHECK(s.products[0].wafer_diameter_mm == 200.0);
  CHECK(s.warned("g.xml: line 5: wafer 'B': the header says 3 rows, the map has 2"));
  CHECK(s.warnings.size() == 1);
}

TEST_CASE("SEMI maps: broken files give errors naming the file and the line", "[SemiMaps][errors]") {
  yf::test::TempDir dir;
  const std::string defs = "<BinDefinition BinCode=\"01\" BinQuality=\"Pass\"/>";
  auto text = e142_text("HexaDecimal", "FF", defs, {"0101", "01ZZ"});
  CHECK_THAT(error_of(yf::import::import_e142, write(dir, "bad_code.xml", text)),
             Catch::Contains("bad_code.xml: line 10: 'ZZ' is not a bin code"));
  text = e142_text("HexaDecimal", "FF", defs, {"010", "0101"});
  CHECK_THAT(error_of(yf::import::import_e142, write(dir, "odd.xml", text)),
             Catch::Contains("odd.xml: line 9: a row of 3 characters is not a whole number of 2-character codes"));
  text = e142_text("Octal", "FF", defs, {"01"});
  CHECK_THAT(error_of(yf::import::import_e142, write(dir, "type.xml", text)), Catch::Contains("BinType 'Octal'"));
  text = e142_text("HexaDecimal", "FF", defs, {"0101"});
  text.resize(text.size() / 2);  // truncated mid-document
  CHECK_THAT(error_of(yf::import::import_e142, write(dir, "cut.xml", text)), Catch::Contains("cut.xml: line "));
  CHECK_THAT(error_of(yf::import::import_e142, write(dir, "cut.xml", text)), Catch::Contains("XML error"));
  CHECK_THAT(error_of(yf::import::import_e142, write(dir, "root.xml", "<Maps><Map/></Maps>")),
             Catch::Contains("root.xml: line 1: not a SEMI E142 map"));
  CHECK_THAT(error_of(yf::import::import_g85, write(dir, "root2.xml", "<MapData/>")),
             Catch::Contains("root2.xml: line 1: not a SEMI G85 map"));
  CHECK_THAT(error_of(yf::import::import_e142, write(dir, "junk.xml", "\x01\x02garbage<<<")),
             Catch::Contains("junk.xml: line 1: XML error"));
  CHECK_THAT(error_of(yf::import::import_g85, write(dir, "rows.xml",
                                                    "<Map WaferId=\"1\"><Device Rows=\"x\"/></Map>")),
             Catch::Contains("rows.xml: line 1: Rows: 'x' is not a whole number"));
  CHECK_THAT(error_of(yf::import::import_g85, write(dir, "norows.xml",
                                                    "<Map WaferId=\"1\"><Device BinType=\"Decimal\"></Device></Map>")),
             Catch::Contains("norows.xml: line 1: wafer '1' has no rows"));
  CHECK_THAT(error_of(yf::import::import_e142, (dir.path() / "none.xml").string()), Catch::Contains("none.xml"));
}

#include "io/import/ImportFormat.hpp"

// The registry: every shared sort-map file is detected as its format and imported
// through import_file (the path `yieldflow import` takes).
TEST_CASE("Sort-map files are detected by content and imported through the registry", "[SemiMaps][Stdf][Sinf]") {
  using yf::import::ImportFormat;
  const std::string d = yf::test::kSharedDataDir;
  const std::vector<std::pair<std::string, ImportFormat>> files = {
      {d + "/stdf/lot2.stdf.gz", ImportFormat::stdf},
      {d + "/stdf/lot3.stdf.gz", ImportFormat::stdf},
      {d + "/maps/e142_G6P139.xml", ImportFormat::e142},
      {d + "/maps/e142_example_inconsistent_header.xml", ImportFormat::e142},
      {d + "/maps/g85_example_inconsistent_header.xml", ImportFormat::g85},
      {d + "/maps/sinf_S67608.inf", ImportFormat::sinf},
  };
  for (const auto& [path, format] : files) {
    INFO(path);
    CHECK(yf::import::detect_format(path) == format);
    RecordingSink sink;
    yf::import::import_file(path, format, {}, sink);
    CHECK(!sink.wafers.empty());
  }
}

namespace {

// One physical 3 x 2 map, as drawn (row 0 at the top; FF the NullBin):
//   01 0A FF
//   FF 01 01
// written in a file with the given SubstrateMap attributes and BinCode elements.
std::string e142_convention(const std::string& map_attrs, const std::string& bincodemap_attrs,
                            const std::string& bincodes, const std::string& dim = "<Dimension X=\"3\" Y=\"2\"/>") {
  return "<?xml version=\"1.0\"?>\n<MapData xmlns=\"urn:semi-org:xsd.E142-1.V1005.SubstrateMap\">\n"
         "<Layouts><Layout LayoutId=\"D\">" + dim + "</Layout></Layouts>\n"
         "<SubstrateMaps><SubstrateMap SubstrateId=\"S1\" Orientation=\"0\" " + map_attrs + ">\n"
         "<Overlay><BinCodeMap BinType=\"HexaDecimal\" NullBin=\"FF\" " + bincodemap_attrs + ">\n"
         "<BinDefinitions><BinDefinition BinCode=\"01\" BinQuality=\"Pass\"/><BinDefinition BinCode=\"0A\" BinQuality=\"Fail\"/></BinDefinitions>\n" +
         bincodes + "</BinCodeMap></Overlay></SubstrateMap></SubstrateMaps></MapData>\n";
}

std::string die(int x, int y, const char* code) {
  return "<BinCode X=\"" + std::to_string(x) + "\" Y=\"" + std::to_string(y) + "\">" + code + "</BinCode>\n";
}

}  // namespace

// The coordinates of each die below were worked out by hand from the drawing above
// and the convention's definition (docs/formats.md, "E142 coordinates").
TEST_CASE("E142 one physical map in several coordinate conventions gives one die map", "[SemiMaps][orientation]") {
  yf::test::TempDir dir;
  const std::vector<std::int16_t> drawn = {1, 10, -1, -1, 1, 1};
  const std::string rows = "<BinCode>010AFF</BinCode>\n<BinCode>FF0101</BinCode>\n";
  const std::vector<std::pair<std::string, std::string>> files = {
      // 2DArray maps are the drawing, whatever the coordinate convention says.
      {"2DArray LowerLeft UpRight", e142_convention("OriginLocation=\"LowerLeft\" AxisDirection=\"UpRight\"", "", rows)},
      {"2DArray UpperLeft DownRight", e142_convention("OriginLocation=\"UpperLeft\" AxisDirection=\"DownRight\"", "MapType=\"2DArray\"", rows)},
      {"2DArray UpperRight DownLeft", e142_convention("OriginLocation=\"UpperRight\" AxisDirection=\"DownLeft\"", "", rows)},
      // Coordinate maps, origin cell (0, 0). LowerLeft/UpRight: X = column, Y = 1 - row.
      {"LowerLeft UpRight", e142_convention("OriginLocation=\"LowerLeft\" AxisDirection=\"UpRight\"", "MapType=\"Coordinate\"",
                                            die(0, 1, "01") + die(1, 1, "0A") + die(1, 0, "01") + die(2, 0, "01"))},
      // UpperLeft/DownRight: X = column, Y = row; the NullBin may be listed too.
      {"UpperLeft DownRight", e142_convention("OriginLocation=\"UpperLeft\" AxisDirection=\"DownRight\"", "MapType=\"Coordinate\"",
                                              die(2, 1, "01") + die(0, 0, "01") + die(2, 0, "FF") + die(1, 1, "01") + die(1, 0, "0A"))},
      // UpperRight/DownLeft: X = 2 - column, Y = row.
      {"UpperRight DownLeft", e142_convention("OriginLocation=\"UpperRight\" AxisDirection=\"DownLeft\"", "MapType=\"Coordinate\"",
                                              die(2, 0, "01") + die(1, 0, "0A") + die(1, 1, "01") + die(0, 1, "01"))},
      // Center/UpRight on 3 x 2: origin cell column 1, row 1 (the lower of the two middle
      // rows: the negative end of Y); X = column - 1, Y = 1 - row.
      {"Center UpRight", e142_convention("OriginLocation=\"Center\" AxisDirection=\"UpRight\"", "MapType=\"Coordinate\"",
                                         die(-1, 1, "01") + die(0, 1, "0A") + die(0, 0, "01") + die(1, 0, "01"))},
      // LowerRight/UpLeft counted from 1: X = 3 - column, Y = 2 - row.
      {"LowerRight UpLeft from 1", e142_convention("OriginLocation=\"LowerRight\" AxisDirection=\"UpLeft\"", "MapType=\"Coordinate\"",
                                                   die(3, 2, "01") + die(2, 2, "0A") + die(2, 1, "01") + die(1, 1, "01"))},
      // No MapType, BinCodes with X/Y; E142's defaults (LowerLeft, UpRight); no Dimension:
      // the dies' bounding box is the grid.
      {"defaults, no Dimension", e142_convention("", "", die(10, 21, "01") + die(11, 21, "0A") + die(11, 20, "01") + die(12, 20, "01"), "")},
  };
  for (const auto& [name, text] : files) {
    INFO(name);
    const auto s = e142(write(dir, "c.xml", text));
    REQUIRE(s.wafers.size() == 1);
    CHECK(s.wafers[0].binmap->cols == 3);
    CHECK(s.wafers[0].binmap->rows == 2);
    CHECK(s.wafers[0].binmap->bins == drawn);
    CHECK_FALSE(s.warned("Origin"));  // (the only warning: no sizes in the file, assumed)
    CHECK_FALSE(s.warned("Axis"));
    CHECK_FALSE(s.warned("header"));
  }
}

TEST_CASE("E142 Coordinate maps: bad coordinates and conventions", "[SemiMaps][orientation][errors]") {
  yf::test::TempDir dir;
  const std::string ll = "OriginLocation=\"LowerLeft\" AxisDirection=\"UpRight\"";
  CHECK_THAT(error_of(yf::import::import_e142,
                      write(dir, "off.xml", e142_convention(ll, "MapType=\"Coordinate\"", die(0, 0, "01") + die(7, 0, "01")))),
             Catch::Contains("off.xml: line 8: BinCode X/Y (7, 0) is off the 3 x 2 grid of the layout's Dimension "
                             "(OriginLocation LowerLeft, AxisDirection UpRight)"));
  CHECK_THAT(error_of(yf::import::import_e142, write(dir, "half.xml", e142_convention(ll, "", "<BinCode X=\"1\">01</BinCode>\n"))),
             Catch::Contains("half.xml: line 7: BinCode with only one of X and Y"));
  CHECK_THAT(error_of(yf::import::import_e142,
                      write(dir, "mixed.xml", e142_convention(ll, "MapType=\"2DArray\"", die(0, 0, "01")))),
             Catch::Contains("mixed.xml: line 7: BinCode with X/Y in a MapType 2DArray map"));
  CHECK_THAT(error_of(yf::import::import_e142,
                      write(dir, "code.xml", e142_convention(ll, "MapType=\"Coordinate\"", die(0, 0, "0G")))),
             Catch::Contains("code.xml: line 7: '0G' is not a bin code"));
  CHECK_THAT(error_of(yf::import::import_e142, write(dir, "type.xml", e142_convention(ll, "MapType=\"Spiral\"", ""))),
             Catch::Contains("type.xml: line 5: MapType 'Spiral' is neither 2DArray nor Coordinate"));
  // A position twice: the last code wins, with a warning; an unknown convention warns.
  const auto s = e142(write(dir, "twice.xml",
                            e142_convention("OriginLocation=\"Middle\" AxisDirection=\"Sideways\"", "MapType=\"Coordinate\"",
                                            die(0, 1, "0A") + die(0, 1, "01") + die(1, 1, "0A") + die(1, 0, "01") + die(2, 0, "01"))));
  CHECK(s.wafers[0].binmap->bins == std::vector<std::int16_t>{1, 10, -1, -1, 1, 1});
  CHECK(s.warned("twice.xml: line 4: OriginLocation 'Middle' is not LowerLeft"));
  CHECK(s.warned("AxisDirection 'Sideways' is not UpRight"));
  CHECK(s.warned("1 BinCode positions are given more than once: the last wins"));
}

// Packed hexadecimal rows take a fused path (straight to 16-bit cells); a row of
// another shape makes the rows so far plain code values again. Both, mixed in one
// map, with short rows and a NullBin 00; values and counts by hand.
TEST_CASE("E142 hexadecimal rows: packed, spaced and short rows in one map", "[SemiMaps]") {
  yf::test::TempDir dir;
  const std::string defs = "<BinDefinition BinCode=\"01\" BinQuality=\"Pass\" BinCount=\"5\"/>"
                           "<BinDefinition BinCode=\"00\" BinQuality=\"Fail\" BinCount=\"1\"/>"
                           "<BinDefinition BinCode=\"FF\" BinQuality=\"Fail\" BinCount=\"1\"/>";
  const auto s = e142(write(dir, "mix.xml", e142_text("HexaDecimal", "00", defs, {"0100FF", "01 02", "0A"}, "0",
                                                      "X=\"3\" Y=\"3\"")));
  REQUIRE(s.wafers.size() == 1);
  CHECK(s.wafers[0].binmap->bins == std::vector<std::int16_t>{1, -1, 255, 1, 2, -1, 10, -1, -1});
  CHECK(s.warned("BinCount 5 for bin '01' (code value 1) but the map holds 2"));
  CHECK_FALSE(s.warned("code value 0)"));    // the NullBin's one position: as declared
  CHECK_FALSE(s.warned("code value 255)"));  // FF once: as declared
  CHECK(s.warned("2 rows are shorter than 3 codes"));
  const auto t = e142(write(dir, "short.xml", e142_text("HexaDecimal", "00", defs, {"0101", "01"})));
  CHECK(t.wafers[0].binmap->bins == std::vector<std::int16_t>{1, 1, 1, -1});
  CHECK(t.warned("1 rows are shorter than 2 codes"));
  CHECK(t.warned("BinCount 5 for bin '01' (code value 1) but the map holds 3"));
}
