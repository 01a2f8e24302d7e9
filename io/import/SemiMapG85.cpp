// SEMI G85 maps: <Maps> (or a lone <Map>) of <Map WaferId=...> elements, each with
// a <Device> (ProductId, LotId, Rows, Columns, Orientation, BinType, NullBin,
// WaferSize, DeviceSizeX/Y) holding <Bin> definitions and <Data> with one <Row>
// per map row, top row first (codes separated by spaces, or fixed-width).
#include "io/import/SemiMapBuilder.hpp"
#include "io/import/SemiMapImporter.hpp"
#include "io/import/SemiXml.hpp"

namespace yf::import {
namespace {

class G85Import {
 public:
  G85Import(const std::string& path, const ImportOptions& options, ImportSink& sink)
      : xml_(path), options_(options), sink_(sink), builder_(path, sink) {}

  void run() {
    if (!xml_.next()) throw ImportError(xml_.path() + ": empty XML document");
    if (xml_.name() != "Maps" && xml_.name() != "Map")
      throw ImportError(xml_.where() + ": not a SEMI G85 map: the root element is <" + xml_.name() +
                        ">, not <Maps> or <Map>");
    if (xml_.name() == "Map") start_map();
    while (xml_.next()) {
      const std::string& n = xml_.name();
      if (!xml_.is_start()) {
        if (n == "Map" && in_map_) finish_map();
        continue;
      }
      if (n == "Map") start_map();
      else if (in_map_ && n == "Device") start_device();
      else if (in_device_ && n == "Bin") {
        const std::string w = xml_.where();
        builder_.define_bin(xml_.attr("BinCode").value_or(""), xml_.attr("BinDescription").value_or(""),
                            xml_.attr("BinQuality").value_or(""), semi_int(xml_.attr("BinCount"), "BinCount", w),
                            xml_.line());
      } else if (in_device_ && n == "Row") {
        const int line = xml_.line();
        builder_.add_row(xml_.text(), line);
      }
    }
    if (wafers_ == 0) throw ImportError(xml_.path() + ": no <Map> with a <Device>: nothing to import");
  }

 private:
  void start_map() {
    if (in_map_) throw ImportError(xml_.where() + ": a <Map> inside a <Map>");
    in_map_ = !xml_.is_empty();
    in_device_ = false;
    map_line_ = xml_.line();
    meta_ = WaferMeta{};
    meta_.wafer_id = xml_.attr("WaferId").value_or("");
    header_ = SemiMapHeader{};
    sizes_ = MapSizes{};
    notch_ = NotchSide::bottom;
    has_device_ = false;
  }

  void start_device() {
    if (has_device_) throw ImportError(xml_.where() + ": a second <Device> in one <Map>");
    has_device_ = true;
    in_device_ = !xml_.is_empty();
    const std::string w = xml_.where();
    meta_.product = xml_.attr("ProductId").value_or("");
    meta_.lot_id = xml_.attr("LotId").value_or("");
    meta_.timestamp = semi_timestamp(xml_.attr("CreateDate").value_or(""));
    if (auto slot = semi_int(xml_.attr("SlotNumber"), "SlotNumber", w)) meta_.slot = static_cast<int>(*slot);
    if (auto r = semi_int(xml_.attr("Rows"), "Rows", w)) header_.rows = static_cast<int>(*r);
    if (auto c = semi_int(xml_.attr("Columns"), "Columns", w)) header_.cols = static_cast<int>(*c);
    header_.counts_where = w;
    // WaferSize in millimetres (a value under 25 is taken as inches: 6, 8, 12);
    // DeviceSizeX/Y in millimetres, or micrometres when above 100.
    if (auto d = semi_double(xml_.attr("WaferSize"), "WaferSize", w); d && *d > 0)
      sizes_.wafer_diameter_mm = *d < 25 ? *d * 25.4 : *d;
    auto dev = [](double v) { return v > 100 ? v / 1000 : v; };
    const auto dx = semi_double(xml_.attr("DeviceSizeX"), "DeviceSizeX", w);
    const auto dy = semi_double(xml_.attr("DeviceSizeY"), "DeviceSizeY", w);
    if (dx && dy && *dx > 0 && *dy > 0) sizes_.die_width_mm = dev(*dx), sizes_.die_height_mm = dev(*dy);
    notch_ = semi_orientation(xml_.attr("Orientation").value_or(""), sink_, w);
    const std::string type_text = xml_.attr("BinType").value_or("Decimal");
    const auto type = parse_bin_code_type(type_text);
    if (!type) throw ImportError(w + ": BinType '" + type_text + "' is not HexaDecimal, Decimal, Ascii or Integer2");
    builder_.begin_wafer(*type, xml_.attr("NullBin"), xml_.line());
  }

  void finish_map() {
    in_map_ = in_device_ = false;
    if (!has_device_) {
      sink_.warning(xml_.path() + ": line " + std::to_string(map_line_), "a <Map> without a <Device>: skipped");
      return;
    }
    ++wafers_;
    if (meta_.wafer_id.empty()) meta_.wafer_id = "W" + std::to_string(wafers_);
    if (meta_.product.empty()) meta_.product = !options_.product.empty() ? options_.product : std::string("g85");
    meta_.fab = options_.fab;
    meta_.tool = options_.tool;
    meta_.step = options_.step;
    builder_.finish_wafer(std::move(meta_), sizes_, notch_, header_);
  }

  SemiXml xml_;
  const ImportOptions& options_;
  ImportSink& sink_;
  SemiMapBuilder builder_;
  bool in_map_ = false, in_device_ = false, has_device_ = false;
  int map_line_ = 0, wafers_ = 0;
  WaferMeta meta_;
  SemiMapHeader header_;
  MapSizes sizes_;
  NotchSide notch_ = NotchSide::bottom;
};

}  // namespace

void import_g85(const std::string& path, const ImportOptions& options, ImportSink& sink) {
  G85Import(path, options, sink).run();
}

}  // namespace yf::import
