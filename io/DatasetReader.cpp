#include "io/DatasetReader.hpp"

#include <algorithm>
#include <cmath>
#include <filesystem>
#include <limits>
#include <mutex>
#include <optional>

#include "io/CompoundTable.hpp"
#include "io/DatasetError.hpp"
#include "io/Hdf5Attributes.hpp"

namespace yf {
namespace {

constexpr std::uint64_t kWaferBlock = 1024;    // /wafers rows per read
constexpr std::uint64_t kDefectBlock = 65536;  // /defects rows per read
constexpr std::uint64_t kHistoryBlock = 16384;
constexpr std::uint64_t kMaxChunkCache = 64u << 20;  // bytes of bin-map chunk cache per dataset

enum WaferCol { wWaferId, wLotId, wSlot, wFab, wTool, wProduct, wStep, wTimestamp, wImageRow, wBinmapRow,
                wDefectBegin, wDefectCount };
std::vector<ColumnSpec> wafer_columns() {
  return {{"wafer_id", ColumnKind::string},   {"lot_id", ColumnKind::string},
          {"slot", ColumnKind::integer},      {"fab", ColumnKind::string},
          {"tool", ColumnKind::string},       {"product", ColumnKind::string},
          {"step", ColumnKind::string},       {"timestamp", ColumnKind::integer},
          {"image_row", ColumnKind::integer}, {"binmap_row", ColumnKind::integer},
          {"defect_begin", ColumnKind::integer}, {"defect_count", ColumnKind::integer}};
}
enum DefectCol { dWaferRow, dX, dY, dSize, dClass };
std::vector<ColumnSpec> defect_columns() {
  return {{"wafer_row", ColumnKind::integer}, {"x_mm", ColumnKind::real}, {"y_mm", ColumnKind::real},
          {"size_um", ColumnKind::real}, {"class_id", ColumnKind::integer}};
}
enum HistoryCol { hWaferRow, hStep, hTool, hChamber, hTimestamp };
std::vector<ColumnSpec> history_columns() {
  return {{"wafer_row", ColumnKind::integer}, {"step", ColumnKind::string}, {"tool", ColumnKind::string},
          {"chamber", ColumnKind::string, false}, {"timestamp", ColumnKind::integer, false}};
}

bool exists(hid_t loc, const std::string& path) {
  // H5Lexists on "/a/b" fails when /a is missing: check each level.
  std::string partial;
  std::size_t pos = 0;
  while (pos != std::string::npos) {
    std::size_t next = path.find('/', pos + 1);
    partial = path.substr(0, next);
    if (partial.size() > 1 && H5Lexists(loc, partial.c_str(), H5P_DEFAULT) <= 0) return false;
    pos = next;
  }
  return true;
}

std::vector<std::string> group_members(hid_t file, const std::string& group) {
  std::vector<std::string> names;
  h5::Handle g = h5::group_handle(H5Gopen2(file, group.c_str(), H5P_DEFAULT));
  if (!g) return names;
  H5G_info_t info;
  if (H5Gget_info(g.get(), &info) < 0) return names;
  for (hsize_t i = 0; i < info.nlinks; ++i) {
    ssize_t n = H5Lget_name_by_idx(g.get(), ".", H5_INDEX_NAME, H5_ITER_INC, i, nullptr, 0, H5P_DEFAULT);
    if (n < 0) continue;
    std::string name(static_cast<std::size_t>(n) + 1, '\0');
    H5Lget_name_by_idx(g.get(), ".", H5_INDEX_NAME, H5_ITER_INC, i, name.data(), name.size(), H5P_DEFAULT);
    name.resize(static_cast<std::size_t>(n));
    names.push_back(name);
  }
  return names;
}

std::string num(std::int64_t v) { return std::to_string(v); }

// How a chunked dataset's chunks are stored, when this reader decodes them itself (no
// filter, deflate, or shuffle + deflate); empty for any other filter.
std::optional<ImageEncoding> stored_encoding(hid_t dcpl) {
  const int nfilters = H5Pget_nfilters(dcpl);
  std::vector<H5Z_filter_t> filters;
  for (int i = 0; i < nfilters; ++i) {
    unsigned flags = 0;
    std::size_t nelem = 0;
    unsigned values[8];
    char name[64];
    unsigned config = 0;
    filters.push_back(H5Pget_filter2(dcpl, static_cast<unsigned>(i), &flags, &nelem, values, sizeof name, name, &config));
  }
  if (filters.empty()) return ImageEncoding::raw;
  if (filters == std::vector<H5Z_filter_t>{H5Z_FILTER_DEFLATE}) return ImageEncoding::deflate;
  if (filters == std::vector<H5Z_filter_t>{H5Z_FILTER_SHUFFLE, H5Z_FILTER_DEFLATE}) return ImageEncoding::deflate_shuffle;
  return std::nullopt;
}

// /calibration/<tool>/flat as stored, when it is one chunk of float32 little-endian values
// whose filters the image stage decodes (stages/ImageDecode.hpp); null otherwise (read_flat
// then reads it, and reports whatever is wrong with it).
std::shared_ptr<const StoredFlat> read_stored_flat(hid_t group, const std::string& where) {
  h5::Handle d = h5::dataset_handle(H5Dopen2(group, "flat", H5P_DEFAULT));
  if (!d) return nullptr;
  h5::Handle type = h5::type_handle(H5Dget_type(d.get()));
  h5::Handle space = h5::space_handle(H5Dget_space(d.get()));
  if (H5Tequal(type.get(), H5T_IEEE_F32LE) <= 0 || H5Sget_simple_extent_ndims(space.get()) != 2) return nullptr;
  hsize_t dims[2];
  H5Sget_simple_extent_dims(space.get(), dims, nullptr);
  if (dims[0] == 0 || dims[1] == 0 || dims[0] > 65536 || dims[1] > 65536) return nullptr;
  h5::Handle dcpl = h5::plist_handle(H5Dget_create_plist(d.get()));
  hsize_t chunk[2];
  if (!dcpl || H5Pget_layout(dcpl.get()) != H5D_CHUNKED || H5Pget_chunk(dcpl.get(), 2, chunk) != 2 ||
      chunk[0] != dims[0] || chunk[1] != dims[1])
    return nullptr;
  const std::optional<ImageEncoding> encoding = stored_encoding(dcpl.get());
  if (!encoding || *encoding == ImageEncoding::raw) return nullptr;
  const hsize_t offset[2] = {0, 0};
  hsize_t stored = 0;
  if (H5Dget_chunk_storage_size(d.get(), offset, &stored) < 0 || stored == 0) return nullptr;
  auto flat = std::make_shared<StoredFlat>();
  flat->where = where;
  flat->chunk.height = static_cast<int>(dims[0]);
  flat->chunk.width = static_cast<int>(dims[1]);
  flat->chunk.encoding = *encoding;
  flat->chunk.element_size = 4;
  flat->chunk.bytes.resize(static_cast<std::size_t>(stored));
  std::uint32_t mask = 0;
  if (H5Dread_chunk(d.get(), H5P_DEFAULT, offset, &mask, flat->chunk.bytes.data()) < 0 || mask != 0) return nullptr;
  return flat;
}

// /calibration/<tool>/flat: a 2-D real dataset, read whole (converted to float).
std::shared_ptr<const FlatField> read_flat(hid_t group, const std::string& where) {
  h5::Handle d = h5::dataset_handle(H5Dopen2(group, "flat", H5P_DEFAULT));
  if (!d) throw DatasetError(where + ": not a dataset");
  h5::Handle type = h5::type_handle(H5Dget_type(d.get()));
  h5::Handle space = h5::space_handle(H5Dget_space(d.get()));
  if (H5Tget_class(type.get()) != H5T_FLOAT && H5Tget_class(type.get()) != H5T_INTEGER)
    throw DatasetError(where + ": not a numeric array");
  if (H5Sget_simple_extent_ndims(space.get()) != 2) throw DatasetError(where + ": expected shape (H, W)");
  hsize_t dims[2];
  H5Sget_simple_extent_dims(space.get(), dims, nullptr);
  if (dims[0] == 0 || dims[1] == 0 || dims[0] > 65536 || dims[1] > 65536)
    throw DatasetError(where + ": shape " + std::to_string(dims[0]) + "x" + std::to_string(dims[1]) + " out of range");
  auto flat = std::make_shared<FlatField>();
  flat->height = static_cast<int>(dims[0]);
  flat->width = static_cast<int>(dims[1]);
  flat->values.resize(static_cast<std::size_t>(dims[0] * dims[1]));
  if (H5Dread(d.get(), H5T_NATIVE_FLOAT, H5S_ALL, H5S_ALL, H5P_DEFAULT, flat->values.data()) < 0)
    throw DatasetError(where + ": cannot read (corrupt?)");
  return flat;
}

}  // namespace

struct DatasetReader::Impl {
  std::string path;
  bool defer_flat_decode = false;  // DatasetReader::Options
  h5::Handle file;
  std::shared_ptr<DatasetTables> tables;
  std::unique_ptr<CompoundTable> wafers;
  std::unique_ptr<CompoundTable> defects;
  std::unique_ptr<CompoundTable> history;
  struct BinmapSet {
    h5::Handle dataset;
    std::int64_t count = 0, rows = 0, cols = 0;
    std::string shape_error;  // non-empty when the dataset itself is unusable
  };
  std::map<std::string, BinmapSet> binmaps;
  // /images: read chunk by chunk, raw (still compressed) when the layout allows.
  h5::Handle images;
  std::string images_error;  // non-empty: /images is unusable (every image wafer fails with it)
  bool images_raw_chunks = false;
  ImageEncoding images_encoding = ImageEncoding::raw;

  // History cursor: rows sorted by wafer_row are streamed; otherwise an index.
  std::uint64_t history_next = 0;
  bool history_checked = false, history_sorted = true;
  std::int64_t history_last_wafer = -1;
  std::vector<std::pair<std::int64_t, std::uint64_t>> history_index;  // (wafer_row, row), sorted

  std::string wafer_label(std::size_t row, const std::string& id) const {
    return path + ": wafer " + (id.empty() ? "#" + std::to_string(row) : id);
  }

  void open();
  void read_products();
  void read_classes_and_bins();
  void read_calibrations_and_images();
  void open_binmaps();
  void enlarge_chunk_cache(const std::string& name, BinmapSet& set, hid_t type);
  WaferMeta meta_at(std::size_t row);
  void read_defects(WaferJob& job);
  void read_binmap(WaferJob& job);
  void read_history(WaferJob& job);
  void open_images();
  void read_image(WaferJob& job);
  void check_history_order();
};

void DatasetReader::Impl::open() {
  std::error_code ec;
  if (!std::filesystem::exists(path, ec)) throw DatasetError(path + ": file not found");
  if (std::filesystem::is_directory(path, ec)) throw DatasetError(path + ": is a directory, not a dataset file");
  if (H5Fis_hdf5(path.c_str()) <= 0) throw DatasetError(path + ": not an HDF5 file");
  file = h5::file_handle(H5Fopen(path.c_str(), H5F_ACC_RDONLY, H5P_DEFAULT));
  if (!file) throw DatasetError(path + ": cannot open as HDF5 (damaged or locked)");

  auto format = h5attr::read_string(file.get(), "format");
  if (!format) throw DatasetError(path + ": root attribute 'format' missing (expected 'yieldflow-inspection')");
  if (*format != "yieldflow-inspection")
    throw DatasetError(path + ": root attribute 'format' is '" + *format + "', expected 'yieldflow-inspection'");
  auto version = h5attr::read_integer(file.get(), "format_version");
  if (!version) throw DatasetError(path + ": root attribute 'format_version' missing or not an integer");
  if (*version != 1)
    throw DatasetError(path + ": format_version " + std::to_string(*version) + " not supported (this reader reads 1)");

  tables = std::make_shared<DatasetTables>();
  tables->source_file = path;
  wafers = std::make_unique<CompoundTable>(file.get(), "/wafers", wafer_columns(), path);
  read_products();
  read_classes_and_bins();
  read_calibrations_and_images();
  if (exists(file.get(), "/defects")) {
    defects = std::make_unique<CompoundTable>(file.get(), "/defects", defect_columns(), path);
    tables->has_defects_table = true;
  }
  if (exists(file.get(), "/history"))
    history = std::make_unique<CompoundTable>(file.get(), "/history", history_columns(), path);
  open_binmaps();
}

void DatasetReader::Impl::read_products() {
  if (!exists(file.get(), "/products")) throw DatasetError(path + ": group /products missing");
  for (const std::string& name : group_members(file.get(), "/products")) {
    std::string where = path + ": /products/" + name;
    h5::Handle g = h5::group_handle(H5Gopen2(file.get(), ("/products/" + name).c_str(), H5P_DEFAULT));
    if (!g) throw DatasetError(where + ": not a group");
    auto real = [&](const char* attr) {
      auto v = h5attr::read_real(g.get(), attr);
      if (!v) throw DatasetError(where + ": attribute '" + attr + "' missing or not a number");
      if (!std::isfinite(*v)) throw DatasetError(where + ": attribute '" + attr + "' is not finite");
      return *v;
    };
    auto integer = [&](const char* attr) {
      auto v = h5attr::read_integer(g.get(), attr);
      if (!v) throw DatasetError(where + ": attribute '" + attr + "' missing or not an integer");
      if (*v <= 0 || *v > 100000) throw DatasetError(where + ": attribute '" + attr + "' = " + num(*v) + " out of range");
      return static_cast<int>(*v);
    };
    ProductGeometry p;
    p.name = name;
    p.wafer_diameter_mm = real("wafer_diameter_mm");
    p.edge_exclusion_mm = real("edge_exclusion_mm");
    p.die_width_mm = real("die_width_mm");
    p.die_height_mm = real("die_height_mm");
    p.cols = integer("cols");
    p.rows = integer("rows");
    p.grid_x0_mm = real("grid_x0_mm");
    p.grid_y0_mm = real("grid_y0_mm");
    if (p.wafer_diameter_mm <= 0) throw DatasetError(where + ": wafer_diameter_mm must be positive");
    if (p.edge_exclusion_mm < 0) throw DatasetError(where + ": edge_exclusion_mm must not be negative");
    if (p.die_width_mm <= 0 || p.die_height_mm <= 0)
      throw DatasetError(where + ": die_width_mm and die_height_mm must be positive");
    tables->products.emplace(name, std::make_shared<const ProductGeometry>(p));
  }
}

void DatasetReader::Impl::read_classes_and_bins() {
  if (exists(file.get(), "/defect_classes")) {
    CompoundTable t(file.get(), "/defect_classes",
                    {{"class_id", ColumnKind::integer}, {"name", ColumnKind::string, false},
                     {"killer", ColumnKind::integer}},
                    path);
    t.read(0, t.rows());
    for (std::size_t i = 0; i < t.block_size(); ++i) {
      DefectClass c{static_cast<std::int32_t>(t.integer(i, 0)), t.string(i, 1), t.integer(i, 2) != 0};
      tables->defect_classes[c.class_id] = c;
    }
  }
  if (exists(file.get(), "/bins")) {
    CompoundTable t(file.get(), "/bins",
                    {{"bin", ColumnKind::integer}, {"name", ColumnKind::string, false}, {"pass", ColumnKind::integer}},
                    path);
    t.read(0, t.rows());
    tables->has_bins_table = true;
    for (std::size_t i = 0; i < t.block_size(); ++i) {
      std::int64_t bin = t.integer(i, 0);
      if (bin < std::numeric_limits<std::int16_t>::min() || bin > std::numeric_limits<std::int16_t>::max())
        throw DatasetError(path + ": /bins: bin " + num(bin) + " (row " + std::to_string(i) + ") does not fit int16");
      BinDef b{static_cast<std::int16_t>(bin), t.string(i, 1), t.integer(i, 2) != 0};
      tables->bins[b.bin] = b;
    }
  }
}

void DatasetReader::Impl::read_calibrations_and_images() {
  if (exists(file.get(), "/calibration")) {
    for (const std::string& tool : group_members(file.get(), "/calibration")) {
      h5::Handle g = h5::group_handle(H5Gopen2(file.get(), ("/calibration/" + tool).c_str(), H5P_DEFAULT));
      if (!g) continue;
      ToolCalibration c;
      c.mm_per_px = h5attr::read_real(g.get(), "mm_per_px").value_or(0);
      c.rotation_deg = h5attr::read_real(g.get(), "rotation_deg").value_or(0);
      c.has_flat = H5Lexists(g.get(), "flat", H5P_DEFAULT) > 0;
      if (c.has_flat && defer_flat_decode) c.stored_flat = read_stored_flat(g.get(), "/calibration/" + tool + "/flat");
      if (c.has_flat && !c.stored_flat) {
        try {
          c.flat = read_flat(g.get(), "/calibration/" + tool + "/flat");
        } catch (const DatasetError& e) {
          c.flat_error = e.what();  // only this tool's image wafers are affected
        }
      }
      tables->calibrations[tool] = c;
    }
  }
  if (exists(file.get(), "/images")) open_images();
}

// /images must be a 3-D integer array of bytes. When it is chunked one image a chunk
// with no filter, deflate, or shuffle + deflate, read_image() fetches the stored chunk
// (H5Dread_chunk: no decompression under the HDF5 lock) and the image stage inflates
// it on a worker thread; any other layout or filter is read decoded with H5Dread.
void DatasetReader::Impl::open_images() {
  images = h5::dataset_handle(H5Dopen2(file.get(), "/images", H5P_DEFAULT));
  if (!images) {
    images_error = "not a dataset";
    return;
  }
  h5::Handle s = h5::space_handle(H5Dget_space(images.get()));
  h5::Handle type = h5::type_handle(H5Dget_type(images.get()));
  if (H5Sget_simple_extent_ndims(s.get()) != 3) {
    images_error = "expected shape (M, H, W), found " + std::to_string(H5Sget_simple_extent_ndims(s.get())) +
                   " dimensions";
    return;
  }
  hsize_t dims[3];
  H5Sget_simple_extent_dims(s.get(), dims, nullptr);
  tables->image_count = static_cast<std::int64_t>(dims[0]);
  tables->image_height = static_cast<std::int64_t>(dims[1]);
  tables->image_width = static_cast<std::int64_t>(dims[2]);
  if (H5Tget_class(type.get()) != H5T_INTEGER || H5Tget_size(type.get()) != 1 ||
      H5Tget_sign(type.get()) != H5T_SGN_NONE) {
    images_error = "type must be uint8";
    return;
  }
  if (dims[1] == 0 || dims[2] == 0 || dims[1] > 65536 || dims[2] > 65536) {
    images_error = "image size " + std::to_string(dims[1]) + "x" + std::to_string(dims[2]) + " out of range";
    return;
  }
  h5::Handle dcpl = h5::plist_handle(H5Dget_create_plist(images.get()));
  if (!dcpl || H5Pget_layout(dcpl.get()) != H5D_CHUNKED) return;
  hsize_t chunk[3];
  if (H5Pget_chunk(dcpl.get(), 3, chunk) != 3 || chunk[0] != 1 || chunk[1] != dims[1] || chunk[2] != dims[2]) return;
  const std::optional<ImageEncoding> encoding = stored_encoding(dcpl.get());
  if (!encoding) return;  // other filters: H5Dread decodes them
  images_encoding = *encoding;
  images_raw_chunks = true;
}

void DatasetReader::Impl::read_image(WaferJob& job) {
  const WaferMeta& m = job.meta;
  if (m.image_row < 0) return;
  const std::string where = wafer_label(job.wafer_row, m.wafer_id) + ": images: row " + num(m.image_row);
  if (!images_error.empty()) {
    job.error = where + ": /images " + images_error;
    return;
  }
  EncodedImage img;
  img.width = static_cast<int>(tables->image_width);
  img.height = static_cast<int>(tables->image_height);
  const std::size_t pixels = static_cast<std::size_t>(img.width) * static_cast<std::size_t>(img.height);
  if (images_raw_chunks) {
    const hsize_t offset[3] = {static_cast<hsize_t>(m.image_row), 0, 0};
    hsize_t stored = 0;
    if (H5Dget_chunk_storage_size(images.get(), offset, &stored) >= 0 && stored > 0) {
      img.bytes.resize(static_cast<std::size_t>(stored));
      std::uint32_t mask = 0;
      if (H5Dread_chunk(images.get(), H5P_DEFAULT, offset, &mask, img.bytes.data()) >= 0 && mask == 0) {
        img.encoding = images_encoding;
        job.image = std::move(img);
        return;
      }
    }
    img.bytes.clear();  // unallocated chunk (fill value) or skipped filters: let H5Dread decide
  }
  img.encoding = ImageEncoding::raw;
  img.bytes.resize(pixels);
  h5::Handle fspace = h5::space_handle(H5Dget_space(images.get()));
  const hsize_t start[3] = {static_cast<hsize_t>(m.image_row), 0, 0};
  const hsize_t count[3] = {1, static_cast<hsize_t>(img.height), static_cast<hsize_t>(img.width)};
  H5Sselect_hyperslab(fspace.get(), H5S_SELECT_SET, start, nullptr, count, nullptr);
  h5::Handle mspace = h5::space_handle(H5Screate_simple(3, count, nullptr));
  if (H5Dread(images.get(), H5T_NATIVE_UINT8, mspace.get(), fspace.get(), H5P_DEFAULT, img.bytes.data()) < 0) {
    job.error = where + ": cannot read /images (corrupt chunk or unavailable filter)";
    return;
  }
  job.image = std::move(img);
}

// Maps are read one hyperslab per wafer through HDF5's chunk cache, which holds
// 1 MiB per dataset by default: a chunk larger than the cache is never cached, and
// would be read and decompressed again for every map in it (35x slower with
// 1.7 MB chunks, docs/performance.md). DatasetWriter's chunks stay under 1 MiB;
// for other files the dataset is reopened with a cache of two chunks, at most
// kMaxChunkCache (beyond that, the old behaviour: correct, slow).
void DatasetReader::Impl::enlarge_chunk_cache(const std::string& name, BinmapSet& set, hid_t type) {
  h5::Handle dcpl = h5::plist_handle(H5Dget_create_plist(set.dataset.get()));
  if (!dcpl || H5Pget_layout(dcpl.get()) != H5D_CHUNKED) return;
  hsize_t chunk[3];
  if (H5Pget_chunk(dcpl.get(), 3, chunk) != 3) return;
  const std::uint64_t chunk_bytes = chunk[0] * chunk[1] * chunk[2] * H5Tget_size(type);
  h5::Handle dapl = h5::plist_handle(H5Dget_access_plist(set.dataset.get()));
  if (!dapl) return;
  std::size_t slots = 0, bytes = 0;
  double w0 = 0;
  if (H5Pget_chunk_cache(dapl.get(), &slots, &bytes, &w0) < 0) return;
  const std::uint64_t wanted = std::min<std::uint64_t>(2 * chunk_bytes, kMaxChunkCache);
  if (wanted <= bytes) return;
  if (H5Pset_chunk_cache(dapl.get(), slots, static_cast<std::size_t>(wanted), w0) < 0) return;
  // An open dataset keeps its cache: close it before reopening with the new one.
  const std::string path_in_file = "/binmaps/" + name;
  set.dataset.reset();
  set.dataset = h5::dataset_handle(H5Dopen2(file.get(), path_in_file.c_str(), dapl.get()));
  if (!set.dataset) set.dataset = h5::dataset_handle(H5Dopen2(file.get(), path_in_file.c_str(), H5P_DEFAULT));
  if (!set.dataset) set.shape_error = "not a dataset";
}

void DatasetReader::Impl::open_binmaps() {
  if (!exists(file.get(), "/binmaps")) return;
  for (const std::string& name : group_members(file.get(), "/binmaps")) {
    BinmapSet set;
    set.dataset = h5::dataset_handle(H5Dopen2(file.get(), ("/binmaps/" + name).c_str(), H5P_DEFAULT));
    if (!set.dataset) {
      set.shape_error = "not a dataset";
    } else {
      h5::Handle type = h5::type_handle(H5Dget_type(set.dataset.get()));
      h5::Handle space = h5::space_handle(H5Dget_space(set.dataset.get()));
      if (H5Tget_class(type.get()) != H5T_INTEGER) {
        set.shape_error = "not an integer array";
      } else if (H5Sget_simple_extent_ndims(space.get()) != 3) {
        set.shape_error = "expected shape (P, rows, cols), found " +
                          std::to_string(H5Sget_simple_extent_ndims(space.get())) + " dimensions";
      } else {
        hsize_t dims[3];
        H5Sget_simple_extent_dims(space.get(), dims, nullptr);
        set.count = static_cast<std::int64_t>(dims[0]);
        set.rows = static_cast<std::int64_t>(dims[1]);
        set.cols = static_cast<std::int64_t>(dims[2]);
        enlarge_chunk_cache(name, set, type.get());
      }
    }
    binmaps.emplace(name, std::move(set));
  }
}

WaferMeta DatasetReader::Impl::meta_at(std::size_t row) {
  if (row < wafers->block_begin() || row >= wafers->block_begin() + wafers->block_size())
    wafers->read(row, std::min<std::uint64_t>(kWaferBlock, wafers->rows() - row));
  std::size_t i = row - wafers->block_begin();
  WaferMeta m;
  m.wafer_id = wafers->string(i, wWaferId);
  m.lot_id = wafers->string(i, wLotId);
  m.slot = static_cast<int>(wafers->integer(i, wSlot));
  m.fab = wafers->string(i, wFab);
  m.tool = wafers->string(i, wTool);
  m.product = wafers->string(i, wProduct);
  m.step = wafers->string(i, wStep);
  m.timestamp = wafers->integer(i, wTimestamp);
  m.image_row = wafers->integer(i, wImageRow);
  m.binmap_row = wafers->integer(i, wBinmapRow);
  m.defect_begin = wafers->integer(i, wDefectBegin);
  m.defect_count = wafers->integer(i, wDefectCount);
  return m;
}

void DatasetReader::Impl::read_defects(WaferJob& job) {
  const WaferMeta& m = job.meta;
  const std::string where = wafer_label(job.wafer_row, m.wafer_id);
  if (m.defect_count < 0 || m.defect_begin < 0) {
    job.error = where + ": defect_begin/defect_count: negative (" + num(m.defect_begin) + ", " + num(m.defect_count) + ")";
    return;
  }
  if (m.defect_count == 0) return;
  const std::uint64_t total = defects ? defects->rows() : 0;
  const auto begin = static_cast<std::uint64_t>(m.defect_begin);
  const auto count = static_cast<std::uint64_t>(m.defect_count);
  if (begin > total || count > total - begin) {
    job.error = where + ": defect_begin/defect_count: rows " + num(m.defect_begin) + ".." +
                num(m.defect_begin + m.defect_count - 1) + " beyond /defects (" + std::to_string(total) + " rows)";
    return;
  }
  const std::uint64_t block_end = defects->block_begin() + defects->block_size();
  if (begin < defects->block_begin() || begin + count > block_end)
    defects->read(begin, std::min(total - begin, std::max(count, kDefectBlock)));
  job.defects.reserve(count);
  for (std::uint64_t k = 0; k < count; ++k) {
    std::size_t i = begin + k - defects->block_begin();
    std::int64_t owner = defects->integer(i, dWaferRow);
    if (owner != static_cast<std::int64_t>(job.wafer_row)) {
      job.error = where + ": defect_begin/defect_count: /defects row " + std::to_string(begin + k) +
                  " belongs to wafer_row " + num(owner) + ", not " + std::to_string(job.wafer_row);
      job.defects.clear();
      return;
    }
    job.defects.push_back({defects->real(i, dX), defects->real(i, dY), defects->real(i, dSize),
                           static_cast<std::int32_t>(defects->integer(i, dClass))});
  }
}

void DatasetReader::Impl::read_binmap(WaferJob& job) {
  const WaferMeta& m = job.meta;
  if (m.binmap_row < 0) return;
  const std::string where = wafer_label(job.wafer_row, m.wafer_id) + ": binmap_row " + num(m.binmap_row);
  auto it = binmaps.find(m.product);
  if (it == binmaps.end()) {
    job.error = where + ": /binmaps/" + m.product + " missing";
    return;
  }
  BinmapSet& set = it->second;
  if (!set.shape_error.empty()) {
    job.error = where + ": /binmaps/" + m.product + ": " + set.shape_error;
    return;
  }
  if (m.binmap_row >= set.count) {
    job.error = where + ": out of range (/binmaps/" + m.product + " has " + num(set.count) + " maps)";
    return;
  }
  if (job.product && (set.rows != job.product->rows || set.cols != job.product->cols)) {
    job.error = where + ": /binmaps/" + m.product + " maps are " + num(set.rows) + "x" + num(set.cols) +
                " (rows x cols), product grid is " + std::to_string(job.product->rows) + "x" +
                std::to_string(job.product->cols);
    return;
  }
  BinMap map;
  map.rows = static_cast<int>(set.rows);
  map.cols = static_cast<int>(set.cols);
  map.bins.resize(static_cast<std::size_t>(set.rows * set.cols));
  h5::Handle file_space = h5::space_handle(H5Dget_space(set.dataset.get()));
  hsize_t start[3] = {static_cast<hsize_t>(m.binmap_row), 0, 0};
  hsize_t count[3] = {1, static_cast<hsize_t>(set.rows), static_cast<hsize_t>(set.cols)};
  H5Sselect_hyperslab(file_space.get(), H5S_SELECT_SET, start, nullptr, count, nullptr);
  h5::Handle mem_space = h5::space_handle(H5Screate_simple(3, count, nullptr));
  if (H5Dread(set.dataset.get(), H5T_NATIVE_INT16, mem_space.get(), file_space.get(), H5P_DEFAULT,
              map.bins.data()) < 0) {
    job.error = where + ": cannot read /binmaps/" + m.product + " (corrupt, or bins that do not fit int16)";
    return;
  }
  job.binmap = std::move(map);
}

// A pass over /history's wafer_row column (8 bytes a row, in blocks): sorted
// tables, the usual case, are then streamed in step with the wafers and cost no
// memory per row; only an unsorted table gets an index, in a second pass.
void DatasetReader::Impl::check_history_order() {
  CompoundTable t(file.get(), "/history", {{"wafer_row", ColumnKind::integer}}, path);
  std::int64_t last = std::numeric_limits<std::int64_t>::min();
  for (std::uint64_t b = 0; b < t.rows() && history_sorted; b += kHistoryBlock) {
    t.read(b, std::min(kHistoryBlock, t.rows() - b));
    for (std::size_t i = 0; i < t.block_size(); ++i) {
      const std::int64_t w = t.integer(i, 0);
      if (w < last) {
        history_sorted = false;
        break;
      }
      last = w;
    }
  }
  history_checked = true;
  if (history_sorted) return;  // no index needed
  std::vector<std::pair<std::int64_t, std::uint64_t>> index;
  index.reserve(t.rows());
  for (std::uint64_t b = 0; b < t.rows(); b += kHistoryBlock) {
    t.read(b, std::min(kHistoryBlock, t.rows() - b));
    for (std::size_t i = 0; i < t.block_size(); ++i) index.emplace_back(t.integer(i, 0), b + i);
  }
  std::sort(index.begin(), index.end());
  history_index = std::move(index);
}

void DatasetReader::Impl::read_history(WaferJob& job) {
  if (!history || history->rows() == 0) return;
  if (!history_checked) check_history_order();
  const auto wafer = static_cast<std::int64_t>(job.wafer_row);
  auto take = [&](std::size_t i) {
    job.history.push_back({history->string(i, hStep), history->string(i, hTool), history->string(i, hChamber),
                           history->integer(i, hTimestamp)});
  };
  if (history_sorted && wafer >= history_last_wafer) {
    // Stream: rows sorted by wafer_row are consumed once, in step with the wafers.
    while (history_next < history->rows()) {
      if (history_next < history->block_begin() || history_next >= history->block_begin() + history->block_size())
        history->read(history_next, std::min(kHistoryBlock, history->rows() - history_next));
      std::size_t i = history_next - history->block_begin();
      std::int64_t owner = history->integer(i, hWaferRow);
      if (owner > wafer) break;
      if (owner == wafer) take(i);
      ++history_next;
    }
    history_last_wafer = wafer;
    return;
  }
  if (history_sorted) {  // wafers requested out of order on a sorted table: restart the stream
    history_next = 0;
    history_last_wafer = -1;
    read_history(job);
    return;
  }
  auto lo = std::lower_bound(history_index.begin(), history_index.end(), std::make_pair(wafer, std::uint64_t{0}));
  std::vector<std::uint64_t> rows;
  for (auto it = lo; it != history_index.end() && it->first == wafer; ++it) rows.push_back(it->second);
  history->read_points(rows);
  for (std::size_t i = 0; i < history->block_size(); ++i) take(i);
  history->read(0, 0);  // the point block is not a contiguous block: forget it
}

DatasetReader::DatasetReader(const std::string& path) : DatasetReader(path, Options{}) {}

DatasetReader::DatasetReader(const std::string& path, const Options& options) : impl_(std::make_unique<Impl>()) {
  std::lock_guard lock(h5::library_mutex());
  h5::silence_errors();
  impl_->path = path;
  impl_->defer_flat_decode = options.defer_flat_decode;
  impl_->open();
}

DatasetReader::~DatasetReader() {
  std::lock_guard lock(h5::library_mutex());
  impl_.reset();
}

const std::string& DatasetReader::path() const { return impl_->path; }
std::size_t DatasetReader::wafer_count() const { return impl_->wafers->rows(); }
std::shared_ptr<const DatasetTables> DatasetReader::tables() const { return impl_->tables; }
bool DatasetReader::has_defects() const { return impl_->defects != nullptr; }
bool DatasetReader::has_history() const { return impl_->history != nullptr; }

WaferJob DatasetReader::read_wafer(std::size_t row) {
  std::lock_guard lock(h5::library_mutex());
  Impl& d = *impl_;
  WaferJob job;
  job.source_file = d.path;
  job.wafer_row = row;
  job.tables = d.tables;
  if (row >= d.wafers->rows()) throw DatasetError(d.path + ": wafer row " + std::to_string(row) + " out of range");
  job.meta = d.meta_at(row);  // throws when /wafers itself is unreadable: a whole-file problem
  const std::string where = d.wafer_label(row, job.meta.wafer_id);
  auto product = d.tables->products.find(job.meta.product);
  if (product == d.tables->products.end()) {
    job.error = where + ": product: unknown product '" + job.meta.product + "' (not in /products)";
    return job;
  }
  job.product = product->second;
  if (job.meta.image_row < -1 || job.meta.image_row >= d.tables->image_count) {
    job.error = where + ": image_row " + num(job.meta.image_row) + ": out of range (/images has " +
                num(d.tables->image_count) + " images)";
    return job;
  }
  if (job.meta.binmap_row < -1) {
    job.error = where + ": binmap_row " + num(job.meta.binmap_row) + ": out of range (-1 or a row of /binmaps)";
    return job;
  }
  try {
    d.read_defects(job);
    if (job.error.empty()) d.read_binmap(job);
    if (job.error.empty()) d.read_history(job);
    if (job.error.empty()) d.read_image(job);
  } catch (const DatasetError& e) {
    job.error = where + ": " + e.what();
  }
  return job;
}

WaferMeta DatasetReader::read_meta(std::size_t row) {
  std::lock_guard lock(h5::library_mutex());
  if (row >= impl_->wafers->rows())
    throw DatasetError(impl_->path + ": wafer row " + std::to_string(row) + " out of range");
  return impl_->meta_at(row);
}

std::vector<WaferTruthRow> read_truth_wafers(const std::string& path) {
  std::lock_guard lock(h5::library_mutex());
  h5::silence_errors();
  std::vector<WaferTruthRow> out;
  h5::Handle file = h5::file_handle(H5Fopen(path.c_str(), H5F_ACC_RDONLY, H5P_DEFAULT));
  if (!file) throw DatasetError(path + ": cannot open");
  if (!exists(file.get(), "/truth/wafers")) return out;
  CompoundTable t(file.get(), "/truth/wafers",
                  {{"wafer_row", ColumnKind::integer}, {"pattern", ColumnKind::string},
                   {"killed_dies", ColumnKind::integer, false}, {"good_dies", ColumnKind::integer, false},
                   {"tested_dies", ColumnKind::integer, false}},
                  path);
  t.read(0, t.rows());
  for (std::size_t i = 0; i < t.block_size(); ++i) {
    WaferTruthRow r;
    r.wafer_row = t.integer(i, 0);
    r.pattern = t.string(i, 1);
    r.killed_dies = t.has(2) ? t.integer(i, 2) : -1;
    r.good_dies = t.has(3) ? t.integer(i, 3) : -1;
    r.tested_dies = t.has(4) ? t.integer(i, 4) : -1;
    out.push_back(r);
  }
  return out;
}

std::vector<ImageTruthRow> read_truth_images(const std::string& path) {
  std::lock_guard lock(h5::library_mutex());
  h5::silence_errors();
  std::vector<ImageTruthRow> out;
  h5::Handle file = h5::file_handle(H5Fopen(path.c_str(), H5F_ACC_RDONLY, H5P_DEFAULT));
  if (!file) throw DatasetError(path + ": cannot open");
  if (!exists(file.get(), "/truth/images")) return out;
  CompoundTable t(file.get(), "/truth/images",
                  {{"wafer_row", ColumnKind::integer}, {"image_row", ColumnKind::integer},
                   {"center_x_px", ColumnKind::real}, {"center_y_px", ColumnKind::real},
                   {"radius_px", ColumnKind::real}, {"mm_per_px", ColumnKind::real}, {"rotation_deg", ColumnKind::real}},
                  path);
  t.read(0, t.rows());
  for (std::size_t i = 0; i < t.block_size(); ++i)
    out.push_back({t.integer(i, 0), t.integer(i, 1), t.real(i, 2), t.real(i, 3), t.real(i, 4), t.real(i, 5),
                   t.real(i, 6)});
  return out;
}

std::vector<ImageDefectTruthRow> read_truth_image_defects(const std::string& path) {
  std::lock_guard lock(h5::library_mutex());
  h5::silence_errors();
  std::vector<ImageDefectTruthRow> out;
  h5::Handle file = h5::file_handle(H5Fopen(path.c_str(), H5F_ACC_RDONLY, H5P_DEFAULT));
  if (!file) throw DatasetError(path + ": cannot open");
  if (!exists(file.get(), "/truth/image_defects")) return out;
  CompoundTable t(file.get(), "/truth/image_defects",
                  {{"wafer_row", ColumnKind::integer}, {"x_mm", ColumnKind::real}, {"y_mm", ColumnKind::real},
                   {"size_um", ColumnKind::real}, {"length_um", ColumnKind::real}, {"kind", ColumnKind::string}},
                  path);
  for (std::uint64_t b = 0; b < t.rows(); b += 65536) {
    t.read(b, std::min<std::uint64_t>(65536, t.rows() - b));
    for (std::size_t i = 0; i < t.block_size(); ++i)
      out.push_back({t.integer(i, 0), t.real(i, 1), t.real(i, 2), t.real(i, 3), t.real(i, 4), t.string(i, 5)});
  }
  return out;
}

}  // namespace yf
