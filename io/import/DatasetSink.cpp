#include "io/import/DatasetSink.hpp"

#include <cmath>
#include <sstream>
#include <stdexcept>

namespace yf::import {

namespace {

// Equal up to the last bits of a double: a geometry recomputed from the same file
// values is the same geometry.
bool same(double a, double b) { return std::abs(a - b) <= 1e-9 * std::max({1.0, std::abs(a), std::abs(b)}); }

std::string describe(const ProductGeometry& p) {
  std::ostringstream s;
  s << p.cols << " x " << p.rows << " dies of " << p.die_width_mm << " x " << p.die_height_mm << " mm, grid origin ("
    << p.grid_x0_mm << ", " << p.grid_y0_mm << ") mm, wafer " << p.wafer_diameter_mm << " mm, edge exclusion "
    << p.edge_exclusion_mm << " mm";
  return s.str();
}

bool same_geometry(const ProductGeometry& a, const ProductGeometry& b) {
  return a.cols == b.cols && a.rows == b.rows && same(a.die_width_mm, b.die_width_mm) &&
         same(a.die_height_mm, b.die_height_mm) && same(a.grid_x0_mm, b.grid_x0_mm) &&
         same(a.grid_y0_mm, b.grid_y0_mm) && same(a.wafer_diameter_mm, b.wafer_diameter_mm) &&
         same(a.edge_exclusion_mm, b.edge_exclusion_mm);
}

// Text as the dataset can hold it: valid UTF-8 without NUL bytes (the writer's
// variable-length strings), every other byte replaced by '?'.
std::string utf8_clean(const std::string& s) {
  std::string out;
  out.reserve(s.size());
  std::size_t i = 0;
  while (i < s.size()) {
    const auto c = static_cast<unsigned char>(s[i]);
    std::size_t len = c < 0x80 ? 1 : (c & 0xE0) == 0xC0 ? 2 : (c & 0xF0) == 0xE0 ? 3 : (c & 0xF8) == 0xF0 ? 4 : 0;
    bool ok = len > 0 && i + len <= s.size() && c != 0 && !(c == 0xC0 || c == 0xC1 || c > 0xF4);
    for (std::size_t k = 1; ok && k < len; ++k) ok = (static_cast<unsigned char>(s[i + k]) & 0xC0) == 0x80;
    if (ok && len == 3 && c == 0xE0) ok = static_cast<unsigned char>(s[i + 1]) >= 0xA0;  // overlong
    if (ok && len == 3 && c == 0xED) ok = static_cast<unsigned char>(s[i + 1]) < 0xA0;   // surrogates
    if (ok && len == 4 && c == 0xF0) ok = static_cast<unsigned char>(s[i + 1]) >= 0x90;  // overlong
    if (ok && len == 4 && c == 0xF4) ok = static_cast<unsigned char>(s[i + 1]) < 0x90;   // > U+10FFFF
    if (ok) {
      out.append(s, i, len);
      i += len;
    } else {
      out.push_back('?');
      ++i;
    }
  }
  return out;
}

}  // namespace

std::string DatasetSink::clean(const std::string& value, const char* what) {
  std::string out = utf8_clean(value);
  if (out != value) warning(file_, std::string(what) + " \"" + out + "\" had bytes that are not UTF-8 text: each is stored as '?'");
  return out;
}

std::string DatasetSink::product_name(const std::string& name) {
  std::string out = clean(name, "product name");
  if (out.empty() || out == "." || out == "..") out = "product" + out;
  for (char& c : out)
    if (c == '/') c = '_';
  return out;
}

DatasetSink::DatasetSink(DatasetWriter& writer, WarningHandler on_warning)
    : writer_(writer), on_warning_(std::move(on_warning)) {}

void DatasetSink::begin_file(const std::string& path) { file_ = path; }

void DatasetSink::end_file() {
  if (!waiting_.empty()) {
    const WaferRecord& w = waiting_.front();
    throw ImportError(file_ + ": wafer \"" + w.meta.wafer_id + "\" uses product \"" + w.meta.product +
                      "\", which the file never declares");
  }
}

void DatasetSink::add_product(const ProductGeometry& declared) {
  ProductGeometry product = declared;
  product.name = product_name(declared.name);  // an HDF5 group name: no '/'
  auto it = products_.find(product.name);
  if (it != products_.end()) {
    if (!same_geometry(it->second.geometry, product))
      throw ImportError(file_ + ": product \"" + product.name + "\" is " + describe(product) + ", but " +
                        it->second.file + " declared it as " + describe(it->second.geometry) +
                        "; import them separately or give each its own --product name");
    return;
  }
  try {
    writer_.add_product(product);
  } catch (const std::invalid_argument& e) {
    throw ImportError(file_ + ": " + e.what());
  }
  products_.emplace(product.name, Declared{product, file_});
  // Wafers that waited for this product go out in their arrival order.
  std::vector<WaferRecord> still;
  for (WaferRecord& w : waiting_) {
    if (w.meta.product == product.name) append(w);
    else still.push_back(std::move(w));
  }
  waiting_ = std::move(still);
}

void DatasetSink::add_defect_classes(const std::vector<DefectClass>& classes) {
  for (DefectClass c : classes) {
    c.name = clean(c.name, "defect class name");
    auto [it, added] = classes_.emplace(c.class_id, c);
    if (!added && (it->second.name != c.name || it->second.killer != c.killer))
      warning(file_, "defect class " + std::to_string(c.class_id) + " is \"" + c.name + "\" here but \"" +
                         it->second.name + "\" earlier; keeping \"" + it->second.name + "\"");
  }
}

void DatasetSink::add_bins(const std::vector<BinDef>& bins) {
  for (BinDef b : bins) {
    b.name = clean(b.name, "bin name");
    auto [it, added] = bins_.emplace(b.bin, b);
    if (!added && (it->second.name != b.name || it->second.pass != b.pass))
      warning(file_, "bin " + std::to_string(b.bin) + " is \"" + b.name + "\" (" + (b.pass ? "pass" : "fail") +
                         ") here but \"" + it->second.name + "\" (" + (it->second.pass ? "pass" : "fail") +
                         ") earlier; keeping the first");
  }
}

void DatasetSink::add_wafer(WaferRecord wafer) {
  WaferMeta& m = wafer.meta;
  m.product = product_name(m.product);
  m.wafer_id = clean(m.wafer_id, "wafer id");
  m.lot_id = clean(m.lot_id, "lot id");
  m.fab = clean(m.fab, "fab");
  m.tool = clean(m.tool, "tool");
  m.step = clean(m.step, "step");
  if (wafer.truth) wafer.truth->pattern = clean(wafer.truth->pattern, "pattern");
  if (products_.count(wafer.meta.product)) append(wafer);
  else waiting_.push_back(std::move(wafer));
}

void DatasetSink::append(WaferRecord& wafer) {
  // /wafers.wafer_id is unique within a dataset: the same wafer imported twice (two
  // inspection steps, two files) gets a suffix, and a warning says so.
  if (!wafer_ids_.insert(wafer.meta.wafer_id).second) {
    std::string id;
    for (int n = 2;; ++n) {
      id = wafer.meta.wafer_id + "#" + std::to_string(n);
      if (wafer_ids_.insert(id).second) break;
    }
    warning(file_, "wafer id \"" + wafer.meta.wafer_id + "\" appears more than once; this one is stored as \"" + id +
                       "\"");
    wafer.meta.wafer_id = id;
  }
  try {
    writer_.append_wafer(wafer);
  } catch (const std::invalid_argument& e) {
    throw ImportError(file_ + ": " + e.what());
  }
  ++wafers_written_;
}

void DatasetSink::warning(const std::string& where, const std::string& message) {
  ++warnings_;
  if (on_warning_) on_warning_(where, message);
}

void DatasetSink::finish() {
  std::vector<DefectClass> classes;
  for (const auto& [id, c] : classes_) classes.push_back(c);
  std::vector<BinDef> bins;
  for (const auto& [id, b] : bins_) bins.push_back(b);
  try {
    writer_.set_defect_classes(classes);
    writer_.set_bins(bins);
  } catch (const std::invalid_argument& e) {
    throw ImportError(e.what());
  }
  writer_.finish();
}

}  // namespace yf::import
