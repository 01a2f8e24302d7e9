#include "io/ResultsH5Writer.hpp"

#include <unistd.h>
#include <zlib.h>

#include <cmath>
#include <algorithm>
#include <cstddef>
#include <deque>
#include <limits>
#include <map>
#include <mutex>
#include <stdexcept>
#include <string>
#include <vector>

#include "io/Hdf5Handle.hpp"

namespace yf {
namespace {

constexpr std::size_t kBatch = 1024;
// Die verdict maps per chunk of /die_verdicts/<product>; the deflate level of every
// compressed dataset (the verdict chunks deflated by write_chunk() included).
constexpr std::size_t kVerdictChunk = 64;
constexpr int kGzipLevel = 4;

// One /wafers row in memory; strings point into the batch's owned storage.
struct Row {
  const char* source_file;
  const char* wafer_id;
  const char* lot_id;
  std::int32_t slot;
  const char* fab;
  const char* tool;
  const char* product;
  const char* step;
  std::int64_t timestamp;
  std::uint8_t ok;
  const char* error;
  std::int64_t product_dies, tested_dies, good_dies;
  double sort_yield;
  std::int64_t defects, killer_defects, killed_dies;
  double inspection_yield;
  std::int64_t verdict_row;
  const char* sort_pattern;
  double sort_pattern_confidence;
  const char* inspection_pattern;
  double inspection_pattern_confidence;
};

// One /defects row (every defect of every successful wafer, docs/formats.md).
struct DefectRow {
  std::int64_t wafer_row;  // row in /wafers
  const char* source;      // "tool" or "image"
  double x_mm, y_mm, size_um;
  std::int32_t class_id;
  const char* kind;
  std::int32_t die_col, die_row;
  std::uint8_t killer;
  double area_um2, contrast, elongation, orientation_deg;
};

// One /image_calibration row (wafers whose image was analysed).
struct CalibrationRow {
  std::int64_t wafer_row;
  double center_x_px, center_y_px, radius_px, mm_per_px, rotation_deg, edge_rms_px, edge_max_px;
  std::int64_t edge_inliers, edge_outliers;
  std::uint8_t cut_off;
  double noise_sigma;
  std::int64_t dies_compared;
  const char* warnings;
};

h5::Handle vlen_string() {
  h5::Handle str = h5::type_handle(H5Tcopy(H5T_C_S1));
  H5Tset_size(str.get(), H5T_VARIABLE);
  H5Tset_cset(str.get(), H5T_CSET_UTF8);
  return str;
}

h5::Handle defect_type() {
  h5::Handle str = vlen_string();
  h5::Handle t = h5::type_handle(H5Tcreate(H5T_COMPOUND, sizeof(DefectRow)));
  H5Tinsert(t.get(), "wafer_row", offsetof(DefectRow, wafer_row), H5T_NATIVE_INT64);
  H5Tinsert(t.get(), "source", offsetof(DefectRow, source), str.get());
  H5Tinsert(t.get(), "x_mm", offsetof(DefectRow, x_mm), H5T_NATIVE_DOUBLE);
  H5Tinsert(t.get(), "y_mm", offsetof(DefectRow, y_mm), H5T_NATIVE_DOUBLE);
  H5Tinsert(t.get(), "size_um", offsetof(DefectRow, size_um), H5T_NATIVE_DOUBLE);
  H5Tinsert(t.get(), "class_id", offsetof(DefectRow, class_id), H5T_NATIVE_INT32);
  H5Tinsert(t.get(), "kind", offsetof(DefectRow, kind), str.get());
  H5Tinsert(t.get(), "die_col", offsetof(DefectRow, die_col), H5T_NATIVE_INT32);
  H5Tinsert(t.get(), "die_row", offsetof(DefectRow, die_row), H5T_NATIVE_INT32);
  H5Tinsert(t.get(), "killer", offsetof(DefectRow, killer), H5T_NATIVE_UINT8);
  H5Tinsert(t.get(), "area_um2", offsetof(DefectRow, area_um2), H5T_NATIVE_DOUBLE);
  H5Tinsert(t.get(), "contrast", offsetof(DefectRow, contrast), H5T_NATIVE_DOUBLE);
  H5Tinsert(t.get(), "elongation", offsetof(DefectRow, elongation), H5T_NATIVE_DOUBLE);
  H5Tinsert(t.get(), "orientation_deg", offsetof(DefectRow, orientation_deg), H5T_NATIVE_DOUBLE);
  return t;
}

h5::Handle calibration_type() {
  h5::Handle str = vlen_string();
  h5::Handle t = h5::type_handle(H5Tcreate(H5T_COMPOUND, sizeof(CalibrationRow)));
  H5Tinsert(t.get(), "wafer_row", offsetof(CalibrationRow, wafer_row), H5T_NATIVE_INT64);
  H5Tinsert(t.get(), "center_x_px", offsetof(CalibrationRow, center_x_px), H5T_NATIVE_DOUBLE);
  H5Tinsert(t.get(), "center_y_px", offsetof(CalibrationRow, center_y_px), H5T_NATIVE_DOUBLE);
  H5Tinsert(t.get(), "radius_px", offsetof(CalibrationRow, radius_px), H5T_NATIVE_DOUBLE);
  H5Tinsert(t.get(), "mm_per_px", offsetof(CalibrationRow, mm_per_px), H5T_NATIVE_DOUBLE);
  H5Tinsert(t.get(), "rotation_deg", offsetof(CalibrationRow, rotation_deg), H5T_NATIVE_DOUBLE);
  H5Tinsert(t.get(), "edge_rms_px", offsetof(CalibrationRow, edge_rms_px), H5T_NATIVE_DOUBLE);
  H5Tinsert(t.get(), "edge_max_px", offsetof(CalibrationRow, edge_max_px), H5T_NATIVE_DOUBLE);
  H5Tinsert(t.get(), "edge_inliers", offsetof(CalibrationRow, edge_inliers), H5T_NATIVE_INT64);
  H5Tinsert(t.get(), "edge_outliers", offsetof(CalibrationRow, edge_outliers), H5T_NATIVE_INT64);
  H5Tinsert(t.get(), "cut_off", offsetof(CalibrationRow, cut_off), H5T_NATIVE_UINT8);
  H5Tinsert(t.get(), "noise_sigma", offsetof(CalibrationRow, noise_sigma), H5T_NATIVE_DOUBLE);
  H5Tinsert(t.get(), "dies_compared", offsetof(CalibrationRow, dies_compared), H5T_NATIVE_INT64);
  H5Tinsert(t.get(), "warnings", offsetof(CalibrationRow, warnings), str.get());
  return t;
}

h5::Handle row_type() {
  h5::Handle str = h5::type_handle(H5Tcopy(H5T_C_S1));
  H5Tset_size(str.get(), H5T_VARIABLE);
  H5Tset_cset(str.get(), H5T_CSET_UTF8);
  h5::Handle t = h5::type_handle(H5Tcreate(H5T_COMPOUND, sizeof(Row)));
  auto s = [&](const char* name, std::size_t off) { H5Tinsert(t.get(), name, off, str.get()); };
  s("source_file", offsetof(Row, source_file));
  s("wafer_id", offsetof(Row, wafer_id));
  s("lot_id", offsetof(Row, lot_id));
  H5Tinsert(t.get(), "slot", offsetof(Row, slot), H5T_NATIVE_INT32);
  s("fab", offsetof(Row, fab));
  s("tool", offsetof(Row, tool));
  s("product", offsetof(Row, product));
  s("step", offsetof(Row, step));
  H5Tinsert(t.get(), "timestamp", offsetof(Row, timestamp), H5T_NATIVE_INT64);
  H5Tinsert(t.get(), "ok", offsetof(Row, ok), H5T_NATIVE_UINT8);
  s("error", offsetof(Row, error));
  H5Tinsert(t.get(), "product_dies", offsetof(Row, product_dies), H5T_NATIVE_INT64);
  H5Tinsert(t.get(), "tested_dies", offsetof(Row, tested_dies), H5T_NATIVE_INT64);
  H5Tinsert(t.get(), "good_dies", offsetof(Row, good_dies), H5T_NATIVE_INT64);
  H5Tinsert(t.get(), "sort_yield", offsetof(Row, sort_yield), H5T_NATIVE_DOUBLE);
  H5Tinsert(t.get(), "defects", offsetof(Row, defects), H5T_NATIVE_INT64);
  H5Tinsert(t.get(), "killer_defects", offsetof(Row, killer_defects), H5T_NATIVE_INT64);
  H5Tinsert(t.get(), "killed_dies", offsetof(Row, killed_dies), H5T_NATIVE_INT64);
  H5Tinsert(t.get(), "inspection_yield", offsetof(Row, inspection_yield), H5T_NATIVE_DOUBLE);
  H5Tinsert(t.get(), "verdict_row", offsetof(Row, verdict_row), H5T_NATIVE_INT64);
  s("sort_pattern", offsetof(Row, sort_pattern));
  H5Tinsert(t.get(), "sort_pattern_confidence", offsetof(Row, sort_pattern_confidence), H5T_NATIVE_DOUBLE);
  s("inspection_pattern", offsetof(Row, inspection_pattern));
  H5Tinsert(t.get(), "inspection_pattern_confidence", offsetof(Row, inspection_pattern_confidence),
            H5T_NATIVE_DOUBLE);
  return t;
}

void write_string_attr(hid_t loc, const char* name, const std::string& value) {
  h5::Handle t = h5::type_handle(H5Tcopy(H5T_C_S1));
  H5Tset_size(t.get(), value.size() + 1);
  h5::Handle sp = h5::space_handle(H5Screate(H5S_SCALAR));
  h5::Handle a = h5::attr_handle(H5Acreate2(loc, name, t.get(), sp.get(), H5P_DEFAULT, H5P_DEFAULT));
  h5::check(H5Awrite(a.get(), t.get(), value.c_str()), std::string("cannot write attribute ") + name);
}

// Appends `count` rows of `row_bytes` from `data` along the first dimension.
void append_rows(hid_t dataset, hid_t mem_type, int rank, const hsize_t* row_shape, std::size_t count,
                 const void* data, const std::string& what) {
  h5::Handle space = h5::space_handle(H5Dget_space(dataset));
  hsize_t dims[3];
  H5Sget_simple_extent_dims(space.get(), dims, nullptr);
  hsize_t old = dims[0];
  dims[0] = old + count;
  for (int i = 1; i < rank; ++i) dims[i] = row_shape[i];
  h5::check(H5Dset_extent(dataset, dims), what + ": cannot extend");
  space = h5::space_handle(H5Dget_space(dataset));
  hsize_t start[3] = {old, 0, 0}, n[3] = {count, 0, 0};
  for (int i = 1; i < rank; ++i) n[i] = row_shape[i];
  H5Sselect_hyperslab(space.get(), H5S_SELECT_SET, start, nullptr, n, nullptr);
  h5::Handle mem = h5::space_handle(H5Screate_simple(rank, n, nullptr));
  h5::check(H5Dwrite(dataset, mem_type, mem.get(), space.get(), H5P_DEFAULT, data), what + ": write failed");
}

h5::Handle create_extendible(hid_t loc, const char* name, hid_t type, int rank, const hsize_t* chunk, bool gzip) {
  hsize_t dims[3] = {0, chunk[1], chunk[2]};
  hsize_t maxdims[3] = {H5S_UNLIMITED, chunk[1], chunk[2]};
  h5::Handle space = h5::space_handle(H5Screate_simple(rank, dims, maxdims));
  h5::Handle dcpl = h5::plist_handle(H5Pcreate(H5P_DATASET_CREATE));
  H5Pset_chunk(dcpl.get(), rank, chunk);
  H5Pset_obj_track_times(dcpl.get(), 0);
  // Deflate alone: write_chunk() deflates the verdict chunks itself and must produce
  // exactly what this filter pipeline expects (zlib's compress2 format).
  if (gzip) H5Pset_deflate(dcpl.get(), kGzipLevel);
  h5::Handle lcpl = h5::plist_handle(H5Pcreate(H5P_LINK_CREATE));
  H5Pset_create_intermediate_group(lcpl.get(), 1);
  return h5::dataset_handle(
      h5::check_id(H5Dcreate2(loc, name, type, space.get(), lcpl.get(), dcpl.get(), H5P_DEFAULT),
                   std::string("results.h5: cannot create ") + name));
}

}  // namespace

struct ResultsH5Writer::Impl {
  std::filesystem::path final_path, temp_path;
  h5::Handle file, wafers, type;
  struct Verdicts {
    h5::Handle dataset;
    int rows = 0, cols = 0;
    std::int64_t next_row = 0;          // maps handed a row so far
    std::vector<std::uint8_t> pending;  // the chunk being filled (< kVerdictChunk maps)
    std::vector<unsigned char> packed;  // its deflated bytes, reused
  };
  std::map<std::string, Verdicts> verdicts;
  std::vector<Row> rows;
  h5::Handle defects, defect_t, calibrations, calibration_t;  // created with their first row
  std::vector<DefectRow> defect_rows;
  std::vector<CalibrationRow> calibration_rows;
  std::int64_t wafer_rows = 0;      // rows appended to /wafers so far
  std::deque<std::string> strings;  // stable storage for the batch's row strings
  bool finished = false;

  const char* keep(const std::string& s) { return strings.emplace_back(s).c_str(); }

  // Writes the pending maps of `v` as its next chunk (the last one may be partial: it is
  // padded with zeros, which the extent hides). The deflating happens before the HDF5
  // lock is taken, so the reader node is not held up by it (docs/performance.md).
  void write_chunk(const std::string& product, Verdicts& v) {
    if (v.pending.empty()) return;
    const std::size_t map_bytes = static_cast<std::size_t>(v.rows) * static_cast<std::size_t>(v.cols);
    const std::size_t maps = v.pending.size() / map_bytes;
    v.pending.resize(kVerdictChunk * map_bytes, 0);
    uLongf packed_size = compressBound(static_cast<uLong>(v.pending.size()));
    v.packed.resize(packed_size);
    if (compress2(v.packed.data(), &packed_size, v.pending.data(), static_cast<uLong>(v.pending.size()),
                  kGzipLevel) != Z_OK)
      throw std::runtime_error("results.h5: /die_verdicts/" + product + ": deflate failed");
    std::lock_guard lock(h5::library_mutex());
    const auto first = static_cast<hsize_t>(v.next_row) - maps;
    hsize_t dims[3] = {first + maps, static_cast<hsize_t>(v.rows), static_cast<hsize_t>(v.cols)};
    h5::check(H5Dset_extent(v.dataset.get(), dims), "results.h5: /die_verdicts/" + product + ": cannot extend");
    const hsize_t offset[3] = {first, 0, 0};
    h5::check(H5Dwrite_chunk(v.dataset.get(), H5P_DEFAULT, 0, offset, packed_size, v.packed.data()),
              "results.h5: /die_verdicts/" + product + ": write failed");
    v.pending.clear();
  }

  void flush() {
    if (!rows.empty()) {
      hsize_t shape[1] = {0};
      append_rows(wafers.get(), type.get(), 1, shape, rows.size(), rows.data(), "/wafers");
    }
    if (!defect_rows.empty()) {
      hsize_t shape[1] = {0};
      append_rows(defects.get(), defect_t.get(), 1, shape, defect_rows.size(), defect_rows.data(), "/defects");
    }
    if (!calibration_rows.empty()) {
      hsize_t shape[1] = {0};
      append_rows(calibrations.get(), calibration_t.get(), 1, shape, calibration_rows.size(), calibration_rows.data(),
                  "/image_calibration");
    }
    rows.clear();
    defect_rows.clear();
    calibration_rows.clear();
    strings.clear();
  }
};

ResultsH5Writer::ResultsH5Writer(const std::filesystem::path& path) : impl_(std::make_unique<Impl>()) {
  std::lock_guard lock(h5::library_mutex());
  h5::silence_errors();
  Impl& d = *impl_;
  d.final_path = path;
  d.temp_path = path.parent_path() / ("." + path.filename().string() + ".tmp-" + std::to_string(::getpid()));
  h5::Handle fcpl = h5::plist_handle(H5Pcreate(H5P_FILE_CREATE));
  d.file = h5::file_handle(h5::check_id(H5Fcreate(d.temp_path.c_str(), H5F_ACC_TRUNC, fcpl.get(), H5P_DEFAULT),
                                        d.temp_path.string() + ": cannot create"));
  write_string_attr(d.file.get(), "format", "yieldflow-results");
  h5::Handle sp = h5::space_handle(H5Screate(H5S_SCALAR));
  h5::Handle a = h5::attr_handle(H5Acreate2(d.file.get(), "format_version", H5T_STD_I32LE, sp.get(), H5P_DEFAULT, H5P_DEFAULT));
  int version = 1;
  H5Awrite(a.get(), H5T_NATIVE_INT, &version);
  d.type = row_type();
  hsize_t chunk[3] = {kBatch, 0, 0};
  d.wafers = create_extendible(d.file.get(), "/wafers", d.type.get(), 1, chunk, false);
}

ResultsH5Writer::~ResultsH5Writer() {
  std::lock_guard lock(h5::library_mutex());
  if (impl_->finished) return;
  impl_->wafers.reset();
  impl_->defects.reset();
  impl_->calibrations.reset();
  impl_->verdicts.clear();
  impl_->file.reset();
  std::error_code ec;
  std::filesystem::remove(impl_->temp_path, ec);
}

void ResultsH5Writer::append(const WaferResult& r) {
  Impl& d = *impl_;
  const double nan = std::numeric_limits<double>::quiet_NaN();
  Row row{};
  row.source_file = d.keep(r.source_file);
  row.wafer_id = d.keep(r.meta.wafer_id);
  row.lot_id = d.keep(r.meta.lot_id);
  row.slot = r.meta.slot;
  row.fab = d.keep(r.meta.fab);
  row.tool = d.keep(r.meta.tool);
  row.product = d.keep(r.meta.product);
  row.step = d.keep(r.meta.step);
  row.timestamp = r.meta.timestamp;
  row.ok = r.ok ? 1 : 0;
  row.error = d.keep(r.error);
  row.product_dies = r.metrics.product_dies;
  row.tested_dies = r.metrics.tested_dies;
  row.good_dies = r.metrics.good_dies;
  row.sort_yield = r.metrics.sort_yield.value_or(nan);
  row.defects = r.metrics.defects;
  row.killer_defects = r.metrics.killer_defects;
  row.killed_dies = r.metrics.killed_dies;
  row.inspection_yield = r.metrics.inspection_yield.value_or(nan);
  row.verdict_row = -1;
  row.sort_pattern = d.keep(r.metrics.sort_pattern);
  row.sort_pattern_confidence = r.metrics.sort_pattern.empty() ? nan : r.metrics.sort_pattern_confidence;
  row.inspection_pattern = d.keep(r.metrics.inspection_pattern);
  row.inspection_pattern_confidence =
      r.metrics.inspection_pattern.empty() ? nan : r.metrics.inspection_pattern_confidence;
  if (r.ok && !r.die_verdicts.empty()) {
    auto [it, inserted] = d.verdicts.try_emplace(r.meta.product);
    Impl::Verdicts& v = it->second;
    if (inserted) {
      v.rows = r.rows;
      v.cols = r.cols;
      hsize_t chunk[3] = {kVerdictChunk, static_cast<hsize_t>(r.rows), static_cast<hsize_t>(r.cols)};
      std::lock_guard lock(h5::library_mutex());
      v.dataset = create_extendible(d.file.get(), ("/die_verdicts/" + r.meta.product).c_str(), H5T_STD_U8LE, 3,
                                    chunk, true);
    }
    if (v.rows == r.rows && v.cols == r.cols) {
      row.verdict_row = v.next_row++;
      v.pending.insert(v.pending.end(), r.die_verdicts.begin(), r.die_verdicts.end());
      if (v.pending.size() == kVerdictChunk * r.die_verdicts.size()) d.write_chunk(r.meta.product, v);
    }
  }
  const std::int64_t wafer_row = d.wafer_rows++;
  if (r.ok && !r.defect_list.empty()) {
    if (!d.defects) {
      std::lock_guard lock(h5::library_mutex());
      d.defect_t = defect_type();
      hsize_t chunk[3] = {4096, 0, 0};
      d.defects = create_extendible(d.file.get(), "/defects", d.defect_t.get(), 1, chunk, true);
    }
    for (const ReportedDefect& x : r.defect_list)
      d.defect_rows.push_back({wafer_row, to_string(x.source), x.x_mm, x.y_mm, x.size_um, x.class_id, d.keep(x.kind),
                               x.die_col, x.die_row, static_cast<std::uint8_t>(x.killer ? 1 : 0), x.area_um2,
                               x.contrast, x.elongation, x.orientation_deg});
  }
  if (r.ok && r.image) {
    if (!d.calibrations) {
      std::lock_guard lock(h5::library_mutex());
      d.calibration_t = calibration_type();
      hsize_t chunk[3] = {256, 0, 0};
      d.calibrations = create_extendible(d.file.get(), "/image_calibration", d.calibration_t.get(), 1, chunk, false);
    }
    const ImageCalibrationReport& c = *r.image;
    d.calibration_rows.push_back({wafer_row, c.center_x_px, c.center_y_px, c.radius_px, c.mm_per_px, c.rotation_deg,
                                  c.edge_rms_px, c.edge_max_px, c.edge_inliers, c.edge_outliers,
                                  static_cast<std::uint8_t>(c.cut_off ? 1 : 0), c.noise_sigma, c.dies_compared,
                                  d.keep(c.warnings)});
  }
  d.rows.push_back(row);
  if (d.rows.size() >= kBatch || d.defect_rows.size() >= 16 * kBatch) {
    std::lock_guard lock(h5::library_mutex());
    d.flush();
  }
}

void ResultsH5Writer::write_analytics_json(const std::string& json) {
  std::lock_guard lock(h5::library_mutex());
  Impl& d = *impl_;
  const std::string what = d.temp_path.string() + ": /analytics/json";
  h5::Handle type = h5::type_handle(H5Tcopy(H5T_C_S1));
  h5::check(H5Tset_size(type.get(), std::max<std::size_t>(json.size(), 1)), what + ": string too long");
  H5Tset_cset(type.get(), H5T_CSET_UTF8);
  H5Tset_strpad(type.get(), H5T_STR_NULLPAD);
  h5::Handle space = h5::space_handle(H5Screate(H5S_SCALAR));
  h5::Handle lcpl = h5::plist_handle(H5Pcreate(H5P_LINK_CREATE));
  H5Pset_create_intermediate_group(lcpl.get(), 1);
  h5::Handle dcpl = h5::plist_handle(H5Pcreate(H5P_DATASET_CREATE));
  H5Pset_obj_track_times(dcpl.get(), 0);
  h5::Handle ds = h5::dataset_handle(h5::check_id(
      H5Dcreate2(d.file.get(), "/analytics/json", type.get(), space.get(), lcpl.get(), dcpl.get(), H5P_DEFAULT),
      what + ": cannot create"));
  std::string padded = json.empty() ? std::string(1, '\0') : json;
  h5::check(H5Dwrite(ds.get(), type.get(), H5S_ALL, H5S_ALL, H5P_DEFAULT, padded.data()), what + ": write failed");
}

void ResultsH5Writer::finish() {
  Impl& d = *impl_;
  for (auto& [product, v] : d.verdicts) d.write_chunk(product, v);
  std::lock_guard lock(h5::library_mutex());
  d.flush();
  d.wafers.reset();
  d.defects.reset();
  d.calibrations.reset();
  d.defect_t.reset();
  d.calibration_t.reset();
  d.verdicts.clear();
  d.type.reset();
  h5::check(H5Fflush(d.file.get(), H5F_SCOPE_GLOBAL), d.temp_path.string() + ": flush failed");
  d.file.reset();
  std::error_code ec;
  std::filesystem::rename(d.temp_path, d.final_path, ec);
  if (ec) throw std::runtime_error(d.final_path.string() + ": cannot move into place: " + ec.message());
  d.finished = true;
}

}  // namespace yf
