// SEMI E142 substrate maps: Layouts (grid size, device and wafer size), Substrates
// (lot, good-device count), then one SubstrateMap per wafer whose first BinCodeMap
// overlay holds BinDefinitions and one BinCode element per row (MapType 2DArray,
// the top row first, as drawn) or per die (MapType Coordinate: X/Y placed by the
// map's OriginLocation and AxisDirection, E142Coordinates.hpp). The namespace (V1005, V0105, ...) is not checked: elements
// are matched by local name.
//
// The file is read first with SemiXmlFast (a scanner for the common subset of XML),
// its calls delivered as they come; when that scanner declines the file (or meets any
// error), it is read again with libxml2 (SemiXml), the calls already delivered skipped
// (RestartSinks.hpp). Errors therefore always come from the libxml2 reading.
#include <map>

#include "io/import/RestartSinks.hpp"
#include "io/import/E142Coordinates.hpp"
#include "io/import/SemiMapBuilder.hpp"
#include "io/import/SemiMapImporter.hpp"
#include "io/import/SemiXml.hpp"
#include "io/import/SemiXmlFast.hpp"

namespace yf::import {
namespace {

struct Size {
  std::optional<double> x, y;
  std::string units;
};

struct Layout {
  std::string id;
  bool top_level = false;
  std::string default_units;
  std::optional<std::int64_t> dim_x, dim_y;
  Size device_size;
  std::vector<std::string> children;
  std::string product_id;
  int line = 0;
};

struct Substrate {
  std::string lot, slot;
  std::optional<std::int64_t> good_devices;
  int good_line = 0;
};

template <class Xml>
class E142Import {
 public:
  E142Import(const std::string& path, const ImportOptions& options, ImportSink& sink)
      : xml_(path), options_(options), sink_(sink), builder_(path, sink) {}

  void run() {
    if (!xml_.next()) throw ImportError(xml_.path() + ": empty XML document");
    if (xml_.name() != "MapData")
      throw ImportError(xml_.where() + ": not a SEMI E142 map: the root element is <" + std::string(xml_.name()) +
                        ">, not <MapData>");
    while (xml_.next()) {
      if (!xml_.is_start()) {
        if (xml_.name() == "Layout") layout_ = nullptr;
        if (xml_.name() == "Substrate") substrate_ = nullptr;
        if (xml_.name() == "SubstrateMap" && in_map_) finish_map();
        if (xml_.name() == "BinCodeMap" && in_bincodemap_) in_bincodemap_ = false, bincodemap_done_ = true;
        continue;
      }
      const std::string_view n = xml_.name();
      if (n == "Layout") start_layout();
      else if (layout_ && n == "Dimension") {
        layout_->dim_x = semi_int(xml_.attr("X"), "Dimension X", xml_.where());
        layout_->dim_y = semi_int(xml_.attr("Y"), "Dimension Y", xml_.where());
      } else if (layout_ && n == "DeviceSize") layout_->device_size = size();
      else if (layout_ && n == "ChildLayout") layout_->children.push_back(xml_.attr("LayoutId").value_or(""));
      else if (layout_ && n == "ProductId") layout_->product_id = std::string(trim(xml_.text()));
      else if (n == "Substrate") start_substrate();
      else if (substrate_ && n == "LotId") substrate_->lot = std::string(trim(xml_.text()));
      else if (substrate_ && (n == "SlotNumber" || n == "SlotNo")) substrate_->slot = std::string(trim(xml_.text()));
      else if (substrate_ && n == "GoodDevices") {
        substrate_->good_line = xml_.line();
        substrate_->good_devices = semi_int(std::string(xml_.text()), "GoodDevices", xml_.where());
      } else if (n == "SubstrateMap") start_map();
      else if (in_map_ && n == "BinCodeMap") start_bincodemap();
      else if (in_bincodemap_ && n == "BinDefinition") {
        const std::string w = xml_.where();
        builder_.define_bin(xml_.attr("BinCode").value_or(""), xml_.attr("BinDescription").value_or(""),
                            xml_.attr("BinQuality").value_or(""), semi_int(xml_.attr("BinCount"), "BinCount", w),
                            xml_.line());
      } else if (in_bincodemap_ && n == "BinCode") {
        const int line = xml_.line();
        if (xml_.has_attr("X") || xml_.has_attr("Y")) add_coordinate_die(line);
        else if (coordinate_map_) throw ImportError(xml_.where() + ": BinCode without X and Y in a Coordinate map");
        else {
          // A row of packed hexadecimal codes goes from the reader's buffer to the map
          // (SemiXmlFast::text_if); any other row through text() and add_row.
          if (!xml_.text_if([&](std::string_view raw) { return builder_.add_packed_row(raw); }))
            builder_.add_row(xml_.text(), line);
          has_rows_ = true;
        }
      }
    }
    if (wafers_ == 0) throw ImportError(xml_.path() + ": no SubstrateMap with a BinCodeMap: nothing to import");
  }

 private:
  Size size() {
    const std::string w = xml_.where();
    return {semi_double(xml_.attr("X"), "X", w), semi_double(xml_.attr("Y"), "Y", w), xml_.attr("Units").value_or("")};
  }

  void start_layout() {
    Layout l;
    l.id = xml_.attr("LayoutId").value_or("");
    const std::string top = xml_.attr("TopLevel").value_or("");
    l.top_level = iequals(top, "true") || top == "1";
    l.default_units = xml_.attr("DefaultUnits").value_or("");
    l.line = xml_.line();
    layouts_.push_back(l);
    layout_ = xml_.is_empty() ? nullptr : &layouts_.back();
  }

  void start_substrate() {
    const std::string id = xml_.attr("SubstrateId").value_or("");
    substrate_ = &substrates_[id];
    if (xml_.is_empty()) substrate_ = nullptr;
  }

  void start_map() {
    in_map_ = !xml_.is_empty();
    bincodemap_done_ = false;
    map_line_ = xml_.line();
    wafer_id_ = xml_.attr("SubstrateId").value_or("");
    orientation_ = xml_.attr("Orientation").value_or("");
    origin_ = xml_.attr("OriginLocation").value_or("");
    axis_ = xml_.attr("AxisDirection").value_or("");
    layout_spec_ = xml_.attr("LayoutSpecifier").value_or("");
    has_bincodemap_ = false;
  }

  void start_bincodemap() {
    if (bincodemap_done_) {
      sink_.warning(xml_.where(), "wafer '" + wafer_id_ + "': a second BinCodeMap overlay is ignored");
      return;
    }
    const std::string type_text = xml_.attr("BinType").value_or("");
    const auto type = parse_bin_code_type(type_text);
    if (!type) throw ImportError(xml_.where() + ": BinType '" + type_text + "' is not HexaDecimal, Decimal, Ascii or Integer2");
    const auto map_type = xml_.attr("MapType");
    coordinate_map_ = map_type && iequals(trim(*map_type), "Coordinate");
    array_map_ = map_type && iequals(trim(*map_type), "2DArray");
    if (map_type && !coordinate_map_ && !array_map_)
      throw ImportError(xml_.where() + ": MapType '" + *map_type + "' is neither 2DArray nor Coordinate");
    type_ = *type;
    bincodemap_line_ = xml_.line();
    dies_.clear();
    has_rows_ = false;
    builder_.begin_wafer(*type, xml_.attr("NullBin"), xml_.line());
    in_bincodemap_ = !xml_.is_empty();
    has_bincodemap_ = true;
  }

  // A BinCode with X and Y: a die of a Coordinate map (MapType Coordinate, or no
  // MapType and BinCodes with coordinates), placed when the map ends.
  void add_coordinate_die(int line) {
    const std::string w = xml_.where();
    if (array_map_) throw ImportError(w + ": BinCode with X/Y in a MapType 2DArray map");
    if (has_rows_) throw ImportError(w + ": BinCode with X/Y after BinCode rows without them");
    coordinate_map_ = true;
    const auto x = semi_int(xml_.attr("X"), "BinCode X", w), y = semi_int(xml_.attr("Y"), "BinCode Y", w);
    if (!x || !y) throw ImportError(w + ": BinCode with only one of X and Y");
    const std::string code(trim(xml_.text()));
    const auto v = code_value(code, type_);
    if (!v) throw ImportError(w + ": '" + code + "' is not a bin code of the map's BinType");
    dies_.push_back({*x, *y, *v, line});
  }

  // The Coordinate map's dies onto the die layout's Dimension grid, by the map's
  // OriginLocation and AxisDirection, the origin cell numbered 0 (else 1, as some
  // writers count); without a Dimension, onto the smallest grid that holds them.
  void place_coordinate_dies(const Layout* dies, E142Axes axes) {
    const std::string where = xml_.path() + ": line " + std::to_string(bincodemap_line_);
    if (dies_.empty()) return;
    int cols = 0, rows = 0, base = 0;
    if (dies && dies->dim_x && dies->dim_y && *dies->dim_x > 0 && *dies->dim_y > 0) {
      if (*dies->dim_x > kMaxMapSide || *dies->dim_y > kMaxMapSide)
        throw ImportError(where + ": a Dimension of more than " + std::to_string(kMaxMapSide) + " dies a side");
      cols = static_cast<int>(*dies->dim_x), rows = static_cast<int>(*dies->dim_y);
      auto all_fit = [&](int b) {
        int c = 0, r = 0;
        for (const auto& d : dies_)
          if (!e142_place(axes, cols, rows, b, d.x, d.y, c, r)) return false;
        return true;
      };
      if (!all_fit(0)) {
        if (axes.origin == E142Axes::Origin::center || !all_fit(1)) {
          for (const auto& d : dies_) {
            int c = 0, r = 0;
            if (!e142_place(axes, cols, rows, 0, d.x, d.y, c, r))
              throw ImportError(xml_.path() + ": line " + std::to_string(d.line) + ": BinCode X/Y (" +
                                std::to_string(d.x) + ", " + std::to_string(d.y) + ") is off the " +
                                std::to_string(cols) + " x " + std::to_string(rows) + " grid of the layout's Dimension (" +
                                to_string(axes) + ")");
          }
        }
        base = 1;
      }
    } else {
      // The bounding box of the dies, turned by the axes' directions only.
      std::int64_t cmin = 0, cmax = 0, rmin = 0, rmax = 0;
      for (std::size_t i = 0; i < dies_.size(); ++i) {
        const std::int64_t c = axes.x_right ? dies_[i].x : -dies_[i].x, r = axes.y_up ? -dies_[i].y : dies_[i].y;
        if (i == 0 || c < cmin) cmin = c;
        if (i == 0 || c > cmax) cmax = c;
        if (i == 0 || r < rmin) rmin = r;
        if (i == 0 || r > rmax) rmax = r;
      }
      if (cmax - cmin >= kMaxMapSide || rmax - rmin >= kMaxMapSide)
        throw ImportError(where + ": the BinCode coordinates span more than " + std::to_string(kMaxMapSide) + " dies");
      cols = static_cast<int>(cmax - cmin + 1), rows = static_cast<int>(rmax - rmin + 1);
      builder_.begin_grid(cols, rows);
      for (const auto& d : dies_)
        builder_.set_die(static_cast<int>((axes.x_right ? d.x : -d.x) - cmin),
                         static_cast<int>((axes.y_up ? -d.y : d.y) - rmin), d.code);
      return;
    }
    builder_.begin_grid(cols, rows);
    for (const auto& d : dies_) {
      int c = 0, r = 0;
      e142_place(axes, cols, rows, base, d.x, d.y, c, r);
      builder_.set_die(c, r, d.code);
    }
  }

  const Layout* find_layout(const std::string& id) const {
    for (const auto& l : layouts_)
      if (l.id == id) return &l;
    return nullptr;
  }

  // The layout that holds the dies: the LayoutSpecifier's last path element, else
  // the first layout that is not top-level, else the only one.
  const Layout* die_layout() const {
    if (!layout_spec_.empty()) {
      const auto slash = layout_spec_.find_last_of('/');
      if (const Layout* l = find_layout(slash == std::string::npos ? layout_spec_ : layout_spec_.substr(slash + 1)))
        return l;
    }
    for (const auto& l : layouts_)
      if (!l.top_level) return &l;
    return layouts_.size() == 1 ? &layouts_.front() : nullptr;
  }

  double to_mm(const Size& s, const Layout& l, double v, const std::string& what) {
    const std::string unit = !s.units.empty() ? s.units : l.default_units;
    if (unit.empty()) return v;  // no units anywhere: millimetres (documented)
    if (auto mm = unit_to_mm(unit)) return v * *mm;
    sink_.warning(xml_.path() + ": line " + std::to_string(l.line),
                  "unknown units '" + unit + "' for the " + what + " of layout '" + l.id + "': ignored");
    return 0;
  }

  void finish_map() {
    in_map_ = false;
    if (!has_bincodemap_) {
      sink_.warning(xml_.path() + ": line " + std::to_string(map_line_),
                    "SubstrateMap '" + wafer_id_ + "' has no BinCodeMap: skipped");
      return;
    }
    ++wafers_;
    const Layout* dies = die_layout();
    const Layout* top = nullptr;
    for (const auto& l : layouts_)
      if (l.top_level) top = &l;
    MapSizes sizes;
    SemiMapHeader header;
    if (dies) {
      if (dies->dim_x) header.cols = static_cast<int>(*dies->dim_x);
      if (dies->dim_y) header.rows = static_cast<int>(*dies->dim_y);
      header.counts_where = xml_.path() + ": line " + std::to_string(dies->line);
      const Size& d = dies->device_size;
      if (d.x && d.y && *d.x > 0 && *d.y > 0) {
        sizes.die_width_mm = to_mm(d, *dies, *d.x, "device size");
        sizes.die_height_mm = to_mm(d, *dies, *d.y, "device size");
      }
    }
    // A top-level layout of one element is the wafer: its DeviceSize is the wafer's.
    if (top && top != dies && top->dim_x.value_or(1) == 1 && top->dim_y.value_or(1) == 1 && top->device_size.x) {
      const Size& w = top->device_size;
      sizes.wafer_diameter_mm = to_mm(w, *top, std::max(*w.x, w.y.value_or(0)), "wafer size");
    }
    WaferMeta meta;
    meta.wafer_id = wafer_id_;
    auto sub = substrates_.find(wafer_id_);
    if (sub != substrates_.end()) {
      meta.lot_id = sub->second.lot;
      if (!sub->second.slot.empty()) meta.slot = static_cast<int>(std::strtol(sub->second.slot.c_str(), nullptr, 10));
      header.good_devices = sub->second.good_devices;
      if (sub->second.good_devices && header.counts_where.empty())
        header.counts_where = xml_.path() + ": line " + std::to_string(sub->second.good_line);
    }
    meta.product = dies && !dies->product_id.empty() ? dies->product_id
                   : top && !top->id.empty()         ? top->id
                   : !options_.product.empty()       ? options_.product
                                                     : std::string("e142");
    meta.fab = options_.fab;
    meta.tool = options_.tool;
    meta.step = options_.step;
    const std::string map_where = xml_.path() + ": line " + std::to_string(map_line_);
    const NotchSide notch = semi_orientation(orientation_, sink_, map_where);
    // OriginLocation and AxisDirection say how X/Y coordinates count; a 2DArray map is
    // drawn as seen whatever they say (docs/formats.md), so only Coordinate maps use them.
    E142Axes axes;
    if (auto o = parse_e142_origin(origin_)) axes.origin = *o;
    else sink_.warning(map_where, "OriginLocation '" + origin_ + "' is not LowerLeft, LowerRight, UpperLeft, UpperRight or Center: LowerLeft taken");
    if (!parse_e142_axis(axis_, axes))
      sink_.warning(map_where, "AxisDirection '" + axis_ + "' is not UpRight, DownRight, UpLeft or DownLeft: UpRight taken");
    if (coordinate_map_) place_coordinate_dies(dies, axes);
    builder_.finish_wafer(std::move(meta), sizes, notch, header);
  }

  Xml xml_;
  const ImportOptions& options_;
  ImportSink& sink_;
  SemiMapBuilder builder_;
  std::vector<Layout> layouts_;  // layout_ points at the last one while it is being read
  Layout* layout_ = nullptr;
  std::map<std::string, Substrate> substrates_;
  Substrate* substrate_ = nullptr;
  bool in_map_ = false, in_bincodemap_ = false, bincodemap_done_ = false, has_bincodemap_ = false;
  int map_line_ = 0;
  std::string wafer_id_, orientation_, layout_spec_, origin_, axis_;
  // The BinCodeMap being read: its type and, for a Coordinate map, its dies.
  struct CoordinateDie {
    std::int64_t x, y;
    int code, line;
  };
  BinCodeType type_ = BinCodeType::hex;
  bool coordinate_map_ = false, array_map_ = false, has_rows_ = false;
  int bincodemap_line_ = 0;
  std::vector<CoordinateDie> dies_;
  int wafers_ = 0;
};

}  // namespace

void import_e142(const std::string& path, const ImportOptions& options, ImportSink& sink) {
  CallCountingSink counted(sink);
  try {
    E142Import<SemiXmlFast>(path, options, counted).run();
    return;
  } catch (const SemiXmlFast::Declined&) {
  } catch (const ImportError&) {  // the libxml2 reading gives the error, or finds none
    if (counted.out_failed()) throw;  // the destination's own error (DatasetSink's checks)
  }
  SkippingSink rest(sink, counted.calls());
  E142Import<SemiXml>(path, options, rest).run();
}

void import_e142_libxml2(const std::string& path, const ImportOptions& options, ImportSink& sink) {
  E142Import<SemiXml>(path, options, sink).run();
}

std::optional<std::string> import_e142_fast(const std::string& path, const ImportOptions& options, ImportSink& sink) {
  try {
    E142Import<SemiXmlFast>(path, options, sink).run();
  } catch (const SemiXmlFast::Declined& d) {
    return d.why;
  }
  return std::nullopt;
}

}  // namespace yf::import
