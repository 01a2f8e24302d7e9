// Writer of v1 inspection datasets (../shared/spec/inspection-dataset-v1.md).
//
// Layout decisions (the spec leaves them open):
// - /wafers is always written (possibly with 0 rows), and so is /products.
// - /wafers, /defects, /history, /truth/wafers and /truth/defects are 1-D chunked,
//   extendible compound datasets; rows are buffered and appended in batches.
// - /defects exists when at least one defect row was appended OR a defect-class
//   table was declared (set_defect_classes with at least one class): a file from an
//   inspection tool that found nothing still says "inspected, 0 defects". Without
//   either, the file has no /defects and every wafer has defect_begin 0, count 0.
// - /history exists when at least one wafer has a history entry.
// - /truth/wafers and /truth/defects exist (both) when at least one wafer carries a
//   WaferTruth; /truth/wafers then has one row per such wafer (column wafer_row).
//   Columns beyond the spec's: killed_dies, good_dies, tested_dies (int64, -1 = not
//   known).
// - /binmaps/<product> exists when at least one wafer of that product has a bin map;
//   int16 (P, rows, cols), fill value -1, chunks of up to 64 maps (and at most ~1 MiB).
// - /defect_classes, /bins and /calibration/<tool> are written when declared with
//   data; an empty class or bin list writes nothing (an empty /bins would mean "no bin
//   passes", which is never what an empty list means here).
// - /images (uint8, (M, H, W), chunks (1, H, W), shuffle + deflate at gzip_level) exists
//   when at least one wafer has an image; every image of a file has the first one's
//   size. image_row is the image's row, -1 for a wafer without one.
// - /calibration/<tool>/flat: float32 (H, W), chunked as one chunk, same compression.
// - /truth/images and /truth/image_defects (yieldflow's, docs/formats.md) exist when at
//   least one wafer's truth carries an image truth: the planted calibration per image and
//   every defect planted in the image.
// - Fixed strings are null-padded ASCII of the spec's size; a longer or non-ASCII
//   string throws std::invalid_argument naming the table and column. Variable strings
//   are UTF-8 (validated). Strings never contain NUL bytes.
// - Byte-deterministic: no object times on any group or dataset, fixed creation order,
//   unwritten chunk space is the fill value.
#include "io/DatasetWriter.hpp"

#include <unistd.h>

#include <cmath>
#include <cstring>
#include <deque>
#include <filesystem>
#include <map>
#include <set>
#include <stdexcept>
#include <string_view>
#include <system_error>

#include "io/Hdf5Handle.hpp"

namespace yf {
namespace {

using h5::Handle;

enum class FieldKind { i16, i32, i64, u8, f64, str };

struct Field {
  const char* name;
  FieldKind kind;
  std::size_t str_size = 0;  // n of S<n> (fixed strings)
};

bool valid_utf8(std::string_view s) {
  std::size_t i = 0;
  const std::size_t n = s.size();
  while (i < n) {
    const auto c = static_cast<unsigned char>(s[i]);
    std::size_t len = 0;
    std::uint32_t cp = 0;
    if (c < 0x80) {
      ++i;
      continue;
    } else if ((c & 0xE0) == 0xC0) {
      len = 2;
      cp = c & 0x1Fu;
    } else if ((c & 0xF0) == 0xE0) {
      len = 3;
      cp = c & 0x0Fu;
    } else if ((c & 0xF8) == 0xF0) {
      len = 4;
      cp = c & 0x07u;
    } else {
      return false;
    }
    if (i + len > n) return false;
    for (std::size_t k = 1; k < len; ++k) {
      const auto cc = static_cast<unsigned char>(s[i + k]);
      if ((cc & 0xC0) != 0x80) return false;
      cp = (cp << 6) | (cc & 0x3Fu);
    }
    if ((len == 2 && cp < 0x80) || (len == 3 && cp < 0x800) || (len == 4 && cp < 0x10000) || cp > 0x10FFFF ||
        (cp >= 0xD800 && cp <= 0xDFFF))
      return false;
    i += len;
  }
  return true;
}

Handle make_plist(hid_t cls, const std::string& what) {
  Handle p = h5::plist_handle(h5::check_id(H5Pcreate(cls), what + ": H5Pcreate failed"));
  h5::check(H5Pset_obj_track_times(p.get(), 0), what + ": H5Pset_obj_track_times failed");
  return p;
}

Handle make_string_type(StringKind kind, std::size_t size) {
  Handle t = h5::type_handle(h5::check_id(H5Tcopy(H5T_C_S1), "H5Tcopy failed"));
  if (kind == StringKind::fixed) {
    h5::check(H5Tset_size(t.get(), size), "H5Tset_size failed");
    h5::check(H5Tset_strpad(t.get(), H5T_STR_NULLPAD), "H5Tset_strpad failed");
    h5::check(H5Tset_cset(t.get(), H5T_CSET_ASCII), "H5Tset_cset failed");
  } else {
    h5::check(H5Tset_size(t.get(), H5T_VARIABLE), "H5Tset_size failed");
    h5::check(H5Tset_strpad(t.get(), H5T_STR_NULLTERM), "H5Tset_strpad failed");
    h5::check(H5Tset_cset(t.get(), H5T_CSET_UTF8), "H5Tset_cset failed");
  }
  return t;
}

Handle create_group(hid_t loc, const std::string& name, const std::string& label) {
  Handle gcpl = make_plist(H5P_GROUP_CREATE, label);
  return h5::group_handle(h5::check_id(H5Gcreate2(loc, name.c_str(), H5P_DEFAULT, gcpl.get(), H5P_DEFAULT),
                                       label + ": cannot create group " + name));
}

void write_scalar_attr(hid_t loc, const char* name, hid_t file_type, hid_t mem_type, const void* value,
                       const std::string& label) {
  Handle space = h5::space_handle(h5::check_id(H5Screate(H5S_SCALAR), label + ": H5Screate failed"));
  Handle attr = h5::attr_handle(h5::check_id(H5Acreate2(loc, name, file_type, space.get(), H5P_DEFAULT, H5P_DEFAULT),
                                             label + ": cannot create attribute " + name));
  h5::check(H5Awrite(attr.get(), mem_type, value), label + ": cannot write attribute " + name);
}

void write_double_attr(hid_t loc, const char* name, double v, const std::string& label) {
  write_scalar_attr(loc, name, H5T_IEEE_F64LE, H5T_NATIVE_DOUBLE, &v, label);
}

void write_int_attr(hid_t loc, const char* name, int v, const std::string& label) {
  write_scalar_attr(loc, name, H5T_STD_I32LE, H5T_NATIVE_INT, &v, label);
}

void write_fixed_string_attr(hid_t loc, const char* name, const std::string& v, const std::string& label) {
  Handle t = make_string_type(StringKind::fixed, v.empty() ? 1 : v.size());
  std::string padded = v;
  if (padded.empty()) padded.push_back('\0');
  write_scalar_attr(loc, name, t.get(), t.get(), padded.data(), label);
}

// A name that becomes an HDF5 link: /products/<name>, /calibration/<tool>.
void check_link_name(const std::string& name, const std::string& what) {
  if (name.empty() || name == "." || name == ".." || name.find('/') != std::string::npos ||
      name.find('\0') != std::string::npos)
    throw std::invalid_argument(what + ": \"" + name + "\" cannot be an HDF5 group name");
}

// One 1-D compound table, buffered in memory and appended in batches. The memory row
// is packed (no padding) and matches the file type member for member, so HDF5 copies
// rows without conversion on little-endian hosts.
class Table {
 public:
  Table(std::string label, std::string path, std::vector<Field> fields, StringKind strings, hsize_t chunk_rows,
        int gzip_level, std::size_t flush_rows)
      : label_(std::move(label)),
        path_(std::move(path)),
        fields_(std::move(fields)),
        strings_(strings),
        chunk_rows_(chunk_rows),
        gzip_level_(gzip_level),
        flush_rows_(flush_rows) {
    std::size_t offset = 0;
    for (const Field& f : fields_) {
      offsets_.push_back(offset);
      offset += field_size(f);
    }
    row_size_ = offset;
  }

  const std::string& path() const { return path_; }
  bool created() const { return dataset_.valid(); }
  std::uint64_t rows() const { return written_ + buffered_; }
  bool wants_flush() const { return buffered_ >= flush_rows_; }

  // Throws std::invalid_argument when `value` does not fit string column `col`.
  void check_string(std::size_t col, std::string_view value) const {
    const Field& f = fields_.at(col);
    auto fail = [&](const std::string& why) {
      throw std::invalid_argument(label_ + ": " + path_ + " column " + f.name + ": \"" + std::string(value) +
                                  "\" " + why);
    };
    if (value.find('\0') != std::string_view::npos) fail("contains a NUL byte");
    if (strings_ == StringKind::fixed) {
      if (value.size() > f.str_size)
        fail("is " + std::to_string(value.size()) + " bytes, longer than S" + std::to_string(f.str_size));
      for (char c : value)
        if (static_cast<unsigned char>(c) >= 0x80) fail("is not ASCII (fixed-length strings are ASCII)");
    } else if (!valid_utf8(value)) {
      fail("is not valid UTF-8");
    }
  }

  class Row {
   public:
    Row(Table& t, std::size_t start) : t_(t), start_(start) {}
    Row& i(std::int64_t v) {
      const Field& f = next();
      unsigned char* p = t_.buf_.data() + start_ + t_.offsets_[col_ - 1];
      switch (f.kind) {
        case FieldKind::i16: { auto x = static_cast<std::int16_t>(v); std::memcpy(p, &x, sizeof x); break; }
        case FieldKind::i32: { auto x = static_cast<std::int32_t>(v); std::memcpy(p, &x, sizeof x); break; }
        case FieldKind::i64: { std::memcpy(p, &v, sizeof v); break; }
        case FieldKind::u8: { auto x = static_cast<std::uint8_t>(v); std::memcpy(p, &x, sizeof x); break; }
        default: throw std::logic_error(t_.path_ + ": column " + f.name + " is not an integer");
      }
      return *this;
    }
    Row& f(double v) {
      const Field& fd = next();
      if (fd.kind != FieldKind::f64) throw std::logic_error(t_.path_ + ": column " + fd.name + " is not a float");
      std::memcpy(t_.buf_.data() + start_ + t_.offsets_[col_ - 1], &v, sizeof v);
      return *this;
    }
    // The value must have passed check_string().
    Row& s(std::string_view v) {
      const Field& fd = next();
      if (fd.kind != FieldKind::str) throw std::logic_error(t_.path_ + ": column " + fd.name + " is not a string");
      unsigned char* p = t_.buf_.data() + start_ + t_.offsets_[col_ - 1];
      if (t_.strings_ == StringKind::fixed) {
        std::memcpy(p, v.data(), std::min(v.size(), fd.str_size));  // rest stays zero: null padding
      } else {
        const char* c = t_.vstrings_.emplace_back(v).c_str();  // deque: stable address
        std::memcpy(p, &c, sizeof c);
      }
      return *this;
    }

   private:
    const Field& next() {
      if (col_ >= t_.fields_.size()) throw std::logic_error(t_.path_ + ": too many columns in a row");
      return t_.fields_[col_++];
    }
    Table& t_;
    std::size_t start_;
    std::size_t col_ = 0;
  };

  Row add_row() {
    const std::size_t start = buf_.size();
    buf_.resize(start + row_size_, 0);
    ++buffered_;
    return Row(*this, start);
  }

  // Creates the (empty) dataset if needed: `file` must already hold its parent group.
  void create(hid_t file) {
    if (dataset_) return;
    build_types();
    const hsize_t dims[1] = {0};
    const hsize_t maxdims[1] = {H5S_UNLIMITED};
    Handle space = h5::space_handle(h5::check_id(H5Screate_simple(1, dims, maxdims), label_ + ": H5Screate failed"));
    Handle dcpl = make_plist(H5P_DATASET_CREATE, label_);
    const hsize_t chunk[1] = {chunk_rows_};
    h5::check(H5Pset_chunk(dcpl.get(), 1, chunk), label_ + ": H5Pset_chunk failed");
    if (gzip_level_ > 0) {
      h5::check(H5Pset_shuffle(dcpl.get()), label_ + ": H5Pset_shuffle failed");
      h5::check(H5Pset_deflate(dcpl.get(), static_cast<unsigned>(gzip_level_)), label_ + ": H5Pset_deflate failed");
    }
    dataset_ = h5::dataset_handle(
        h5::check_id(H5Dcreate2(file, path_.c_str(), file_type_.get(), space.get(), H5P_DEFAULT, dcpl.get(), H5P_DEFAULT),
                     label_ + ": cannot create dataset " + path_));
  }

  void flush(hid_t file) {
    if (buffered_ == 0) return;
    create(file);
    const hsize_t new_size[1] = {written_ + buffered_};
    h5::check(H5Dset_extent(dataset_.get(), new_size), label_ + ": cannot extend " + path_);
    Handle fspace = h5::space_handle(h5::check_id(H5Dget_space(dataset_.get()), label_ + ": H5Dget_space failed"));
    const hsize_t start[1] = {written_};
    const hsize_t count[1] = {buffered_};
    h5::check(H5Sselect_hyperslab(fspace.get(), H5S_SELECT_SET, start, nullptr, count, nullptr),
              label_ + ": H5Sselect_hyperslab failed");
    Handle mspace = h5::space_handle(h5::check_id(H5Screate_simple(1, count, nullptr), label_ + ": H5Screate failed"));
    h5::check(H5Dwrite(dataset_.get(), mem_type_.get(), mspace.get(), fspace.get(), H5P_DEFAULT, buf_.data()),
              label_ + ": cannot write " + path_);
    written_ += buffered_;
    buffered_ = 0;
    buf_.clear();
    vstrings_.clear();
  }

  void close() {
    dataset_.reset();
    mem_type_.reset();
    file_type_.reset();
  }

 private:
  std::size_t field_size(const Field& f) const {
    switch (f.kind) {
      case FieldKind::i16: return 2;
      case FieldKind::i32: return 4;
      case FieldKind::i64: return 8;
      case FieldKind::u8: return 1;
      case FieldKind::f64: return 8;
      case FieldKind::str: return strings_ == StringKind::fixed ? f.str_size : sizeof(char*);
    }
    return 0;
  }

  void build_types() {
    mem_type_ = h5::type_handle(h5::check_id(H5Tcreate(H5T_COMPOUND, row_size_), label_ + ": H5Tcreate failed"));
    file_type_ = h5::type_handle(h5::check_id(H5Tcreate(H5T_COMPOUND, row_size_), label_ + ": H5Tcreate failed"));
    for (std::size_t i = 0; i < fields_.size(); ++i) {
      const Field& f = fields_[i];
      hid_t mem = -1, disk = -1;
      Handle str;
      switch (f.kind) {
        case FieldKind::i16: mem = H5T_NATIVE_INT16; disk = H5T_STD_I16LE; break;
        case FieldKind::i32: mem = H5T_NATIVE_INT32; disk = H5T_STD_I32LE; break;
        case FieldKind::i64: mem = H5T_NATIVE_INT64; disk = H5T_STD_I64LE; break;
        case FieldKind::u8: mem = H5T_NATIVE_UINT8; disk = H5T_STD_U8LE; break;
        case FieldKind::f64: mem = H5T_NATIVE_DOUBLE; disk = H5T_IEEE_F64LE; break;
        case FieldKind::str:
          str = make_string_type(strings_, f.str_size);
          mem = disk = str.get();
          break;
      }
      h5::check(H5Tinsert(mem_type_.get(), f.name, offsets_[i], mem), label_ + ": H5Tinsert failed");
      h5::check(H5Tinsert(file_type_.get(), f.name, offsets_[i], disk), label_ + ": H5Tinsert failed");
    }
  }

  std::string label_;
  std::string path_;
  std::vector<Field> fields_;
  StringKind strings_;
  hsize_t chunk_rows_;
  int gzip_level_;
  std::size_t flush_rows_;
  std::vector<std::size_t> offsets_;
  std::size_t row_size_ = 0;

  std::vector<unsigned char> buf_;
  std::deque<std::string> vstrings_;  // backing store of the char* in buf_ (variable strings)
  hsize_t buffered_ = 0;
  hsize_t written_ = 0;
  Handle dataset_, mem_type_, file_type_;
};

constexpr hsize_t kWaferChunk = 512;
constexpr std::size_t kWaferFlush = 1024;
constexpr hsize_t kRowChunk = 4096;
constexpr std::size_t kRowFlush = 8192;
constexpr hsize_t kSmallChunk = 64;

std::vector<Field> wafer_fields() {
  return {{"wafer_id", FieldKind::str, 32},  {"lot_id", FieldKind::str, 32},   {"slot", FieldKind::i32},
          {"fab", FieldKind::str, 16},       {"tool", FieldKind::str, 32},     {"product", FieldKind::str, 32},
          {"step", FieldKind::str, 32},      {"timestamp", FieldKind::i64},    {"image_row", FieldKind::i64},
          {"binmap_row", FieldKind::i64},    {"defect_begin", FieldKind::i64}, {"defect_count", FieldKind::i64}};
}
std::vector<Field> defect_fields() {
  return {{"wafer_row", FieldKind::i64}, {"x_mm", FieldKind::f64}, {"y_mm", FieldKind::f64},
          {"size_um", FieldKind::f64},   {"class_id", FieldKind::i32}};
}
std::vector<Field> history_fields() {
  return {{"wafer_row", FieldKind::i64},
          {"step", FieldKind::str, 32},
          {"tool", FieldKind::str, 32},
          {"chamber", FieldKind::str, 16},
          {"timestamp", FieldKind::i64}};
}
std::vector<Field> truth_wafer_fields() {
  return {{"wafer_row", FieldKind::i64},   {"pattern", FieldKind::str, 16}, {"killed_dies", FieldKind::i64},
          {"good_dies", FieldKind::i64},   {"tested_dies", FieldKind::i64}};
}
std::vector<Field> truth_defect_fields() {
  return {{"wafer_row", FieldKind::i64}, {"x_mm", FieldKind::f64},   {"y_mm", FieldKind::f64},
          {"size_um", FieldKind::f64},   {"kind", FieldKind::str, 16}};
}
std::vector<Field> truth_image_fields() {
  return {{"wafer_row", FieldKind::i64},    {"image_row", FieldKind::i64}, {"center_x_px", FieldKind::f64},
          {"center_y_px", FieldKind::f64},  {"radius_px", FieldKind::f64}, {"mm_per_px", FieldKind::f64},
          {"rotation_deg", FieldKind::f64}};
}
std::vector<Field> truth_image_defect_fields() {
  return {{"wafer_row", FieldKind::i64}, {"x_mm", FieldKind::f64},     {"y_mm", FieldKind::f64},
          {"size_um", FieldKind::f64},   {"length_um", FieldKind::f64}, {"kind", FieldKind::str, 16}};
}
std::vector<Field> class_fields() {
  return {{"class_id", FieldKind::i32}, {"name", FieldKind::str, 32}, {"killer", FieldKind::u8}};
}
std::vector<Field> bin_fields() {
  return {{"bin", FieldKind::i16}, {"name", FieldKind::str, 32}, {"pass", FieldKind::u8}};
}

struct ProductState {
  ProductGeometry geometry;
  Handle binmaps;  // /binmaps/<name>, created with the first map
  hsize_t chunk_maps = 1;
  std::vector<std::int16_t> pending;
  hsize_t pending_maps = 0;
  hsize_t written_maps = 0;
  hsize_t maps() const { return written_maps + pending_maps; }
};

}  // namespace

struct DatasetWriter::Impl {
  std::string path;
  std::string tmp;
  std::string label;  // the final path, for error messages
  DatasetWriterOptions options;
  Handle file;
  Handle products_group, binmaps_group, calibration_group, truth_group;
  std::map<std::string, ProductState> products;
  std::set<std::string> calibrated_tools;
  bool classes_written = false;
  bool bins_written = false;
  bool want_defects = false;  // a class table was declared: write /defects even if empty
  bool any_truth = false;
  bool any_image_truth = false;
  bool finished = false;
  Handle images;  // /images, created with the first image
  int image_width = 0, image_height = 0;
  hsize_t image_rows = 0;

  Table wafers, defects, history, truth_wafers, truth_defects, truth_images, truth_image_defects;

  Impl(std::string p, DatasetWriterOptions o)
      : path(std::move(p)),
        tmp(path + ".tmp-" + std::to_string(::getpid())),
        label(path),
        options(o),
        wafers(label, "/wafers", wafer_fields(), o.strings, kWaferChunk, o.gzip_level, kWaferFlush),
        defects(label, "/defects", defect_fields(), o.strings, kRowChunk, o.gzip_level, kRowFlush),
        history(label, "/history", history_fields(), o.strings, kRowChunk, o.gzip_level, kRowFlush),
        truth_wafers(label, "/truth/wafers", truth_wafer_fields(), o.strings, kWaferChunk, o.gzip_level, kWaferFlush),
        truth_defects(label, "/truth/defects", truth_defect_fields(), o.strings, kRowChunk, o.gzip_level,
                      kRowFlush),
        truth_images(label, "/truth/images", truth_image_fields(), o.strings, kWaferChunk, o.gzip_level,
                     kWaferFlush),
        truth_image_defects(label, "/truth/image_defects", truth_image_defect_fields(), o.strings, kRowChunk,
                            o.gzip_level, kRowFlush) {}

  // Appends one image to /images (created on the first) and returns its row.
  std::int64_t write_image(const GrayImage& img) {
    const auto h = static_cast<hsize_t>(img.height), w = static_cast<hsize_t>(img.width);
    if (!images) {
      const hsize_t dims[3] = {0, h, w};
      const hsize_t maxdims[3] = {H5S_UNLIMITED, h, w};
      Handle space = h5::space_handle(h5::check_id(H5Screate_simple(3, dims, maxdims), label + ": H5Screate failed"));
      Handle dcpl = make_plist(H5P_DATASET_CREATE, label);
      const hsize_t chunk[3] = {1, h, w};
      h5::check(H5Pset_chunk(dcpl.get(), 3, chunk), label + ": H5Pset_chunk failed");
      if (options.gzip_level > 0) {
        h5::check(H5Pset_shuffle(dcpl.get()), label + ": H5Pset_shuffle failed");
        h5::check(H5Pset_deflate(dcpl.get(), static_cast<unsigned>(options.gzip_level)),
                  label + ": H5Pset_deflate failed");
      }
      images = h5::dataset_handle(h5::check_id(
          H5Dcreate2(file.get(), "/images", H5T_STD_U8LE, space.get(), H5P_DEFAULT, dcpl.get(), H5P_DEFAULT),
          label + ": cannot create dataset /images"));
      image_width = img.width;
      image_height = img.height;
    }
    const hsize_t new_dims[3] = {image_rows + 1, h, w};
    h5::check(H5Dset_extent(images.get(), new_dims), label + ": cannot extend /images");
    Handle fspace = h5::space_handle(h5::check_id(H5Dget_space(images.get()), label + ": H5Dget_space failed"));
    const hsize_t start[3] = {image_rows, 0, 0};
    const hsize_t count[3] = {1, h, w};
    h5::check(H5Sselect_hyperslab(fspace.get(), H5S_SELECT_SET, start, nullptr, count, nullptr),
              label + ": H5Sselect_hyperslab failed");
    Handle mspace = h5::space_handle(h5::check_id(H5Screate_simple(3, count, nullptr), label + ": H5Screate failed"));
    h5::check(H5Dwrite(images.get(), H5T_NATIVE_UINT8, mspace.get(), fspace.get(), H5P_DEFAULT, img.pixels.data()),
              label + ": cannot write /images");
    return static_cast<std::int64_t>(image_rows++);
  }

  void check_open(const char* what) const {
    if (finished) throw std::logic_error(label + ": " + what + " after finish()");
  }

  void ensure_truth_group() {
    if (!truth_group) truth_group = create_group(file.get(), "/truth", label);
  }

  void flush_binmaps(ProductState& p) {
    if (p.pending_maps == 0) return;
    const auto rows = static_cast<hsize_t>(p.geometry.rows);
    const auto cols = static_cast<hsize_t>(p.geometry.cols);
    const std::string ds = "/binmaps/" + p.geometry.name;
    if (!p.binmaps) {
      if (!binmaps_group) binmaps_group = create_group(file.get(), "/binmaps", label);
      const hsize_t dims[3] = {0, rows, cols};
      const hsize_t maxdims[3] = {H5S_UNLIMITED, rows, cols};
      Handle space = h5::space_handle(h5::check_id(H5Screate_simple(3, dims, maxdims), label + ": H5Screate failed"));
      Handle dcpl = make_plist(H5P_DATASET_CREATE, label);
      const hsize_t chunk[3] = {p.chunk_maps, rows, cols};
      h5::check(H5Pset_chunk(dcpl.get(), 3, chunk), label + ": H5Pset_chunk failed");
      const std::int16_t fill = -1;
      h5::check(H5Pset_fill_value(dcpl.get(), H5T_NATIVE_INT16, &fill), label + ": H5Pset_fill_value failed");
      if (options.gzip_level > 0) {
        h5::check(H5Pset_shuffle(dcpl.get()), label + ": H5Pset_shuffle failed");
        h5::check(H5Pset_deflate(dcpl.get(), static_cast<unsigned>(options.gzip_level)),
                  label + ": H5Pset_deflate failed");
      }
      p.binmaps = h5::dataset_handle(h5::check_id(
          H5Dcreate2(file.get(), ds.c_str(), H5T_STD_I16LE, space.get(), H5P_DEFAULT, dcpl.get(), H5P_DEFAULT),
          label + ": cannot create dataset " + ds));
    }
    const hsize_t new_dims[3] = {p.written_maps + p.pending_maps, rows, cols};
    h5::check(H5Dset_extent(p.binmaps.get(), new_dims), label + ": cannot extend " + ds);
    Handle fspace = h5::space_handle(h5::check_id(H5Dget_space(p.binmaps.get()), label + ": H5Dget_space failed"));
    const hsize_t start[3] = {p.written_maps, 0, 0};
    const hsize_t count[3] = {p.pending_maps, rows, cols};
    h5::check(H5Sselect_hyperslab(fspace.get(), H5S_SELECT_SET, start, nullptr, count, nullptr),
              label + ": H5Sselect_hyperslab failed");
    Handle mspace = h5::space_handle(h5::check_id(H5Screate_simple(3, count, nullptr), label + ": H5Screate failed"));
    h5::check(H5Dwrite(p.binmaps.get(), H5T_NATIVE_INT16, mspace.get(), fspace.get(), H5P_DEFAULT, p.pending.data()),
              label + ": cannot write " + ds);
    p.written_maps += p.pending_maps;
    p.pending_maps = 0;
    p.pending.clear();
  }

  void flush_all() {
    wafers.flush(file.get());
    defects.flush(file.get());
    history.flush(file.get());
    if (truth_wafers.rows() > 0 || truth_defects.rows() > 0) ensure_truth_group();
    truth_wafers.flush(file.get());
    truth_defects.flush(file.get());
    truth_images.flush(file.get());
    truth_image_defects.flush(file.get());
    for (auto& [name, p] : products) flush_binmaps(p);
  }

  // Closes every HDF5 object, the file last. Never throws.
  void close_all() noexcept {
    wafers.close();
    defects.close();
    history.close();
    truth_wafers.close();
    truth_defects.close();
    truth_images.close();
    truth_image_defects.close();
    images.reset();
    for (auto& [name, p] : products) p.binmaps.reset();
    products_group.reset();
    binmaps_group.reset();
    calibration_group.reset();
    truth_group.reset();
    file.reset();
  }
};

DatasetWriter::DatasetWriter(std::string path, DatasetWriterOptions options) {
  std::lock_guard lock(h5::library_mutex());
  if (options.gzip_level < 0 || options.gzip_level > 9)
    throw std::invalid_argument(path + ": gzip_level must be 0..9, got " + std::to_string(options.gzip_level));
  impl_ = std::make_unique<Impl>(std::move(path), options);
  Impl& m = *impl_;
  // The root group is created with the file: its creation plist is the fcpl.
  Handle fcpl = make_plist(H5P_FILE_CREATE, m.label);
  hid_t f = H5Fcreate(m.tmp.c_str(), H5F_ACC_TRUNC, fcpl.get(), H5P_DEFAULT);
  if (f < 0) throw std::runtime_error(m.label + ": cannot create " + m.tmp);
  m.file = h5::file_handle(f);
  try {
    write_fixed_string_attr(f, "format", "yieldflow-inspection", m.label);
    write_int_attr(f, "format_version", 1, m.label);
    m.products_group = create_group(f, "/products", m.label);
  } catch (...) {
    m.close_all();
    std::error_code ec;
    std::filesystem::remove(m.tmp, ec);
    throw;
  }
}

DatasetWriter::~DatasetWriter() {
  if (!impl_) return;
  std::lock_guard lock(h5::library_mutex());
  if (!impl_->finished) {
    impl_->close_all();
    std::error_code ec;
    std::filesystem::remove(impl_->tmp, ec);
  }
}

void DatasetWriter::add_product(const ProductGeometry& product) {
  std::lock_guard lock(h5::library_mutex());
  Impl& m = *impl_;
  m.check_open("add_product");
  const std::string what = m.label + ": product";
  check_link_name(product.name, what);
  m.wafers.check_string(5, product.name);  // it will appear in /wafers.product
  if (m.products.count(product.name)) throw std::invalid_argument(what + " \"" + product.name + "\" declared twice");
  auto bad = [&](const std::string& why) {
    throw std::invalid_argument(what + " \"" + product.name + "\": " + why);
  };
  const double reals[] = {product.wafer_diameter_mm, product.edge_exclusion_mm, product.die_width_mm,
                          product.die_height_mm,     product.grid_x0_mm,        product.grid_y0_mm};
  for (double v : reals)
    if (!std::isfinite(v)) bad("attributes must be finite");
  if (product.wafer_diameter_mm <= 0) bad("wafer_diameter_mm must be > 0");
  if (product.edge_exclusion_mm < 0) bad("edge_exclusion_mm must be >= 0");
  if (product.die_width_mm <= 0 || product.die_height_mm <= 0) bad("die width and height must be > 0");
  if (product.cols <= 0 || product.rows <= 0) bad("cols and rows must be > 0");

  Handle g = create_group(m.products_group.get(), product.name, m.label);
  write_double_attr(g.get(), "wafer_diameter_mm", product.wafer_diameter_mm, m.label);
  write_double_attr(g.get(), "edge_exclusion_mm", product.edge_exclusion_mm, m.label);
  write_double_attr(g.get(), "die_width_mm", product.die_width_mm, m.label);
  write_double_attr(g.get(), "die_height_mm", product.die_height_mm, m.label);
  write_int_attr(g.get(), "cols", product.cols, m.label);
  write_int_attr(g.get(), "rows", product.rows, m.label);
  write_double_attr(g.get(), "grid_x0_mm", product.grid_x0_mm, m.label);
  write_double_attr(g.get(), "grid_y0_mm", product.grid_y0_mm, m.label);

  ProductState st;
  st.geometry = product;
  const std::uint64_t map_bytes = static_cast<std::uint64_t>(product.rows) * static_cast<std::uint64_t>(product.cols) * 2;
  const std::uint64_t by_size = std::max<std::uint64_t>(1, (std::uint64_t{1} << 20) / map_bytes);
  st.chunk_maps = std::min<hsize_t>(64, by_size);
  m.products.emplace(product.name, std::move(st));
}

void DatasetWriter::set_defect_classes(const std::vector<DefectClass>& classes) {
  std::lock_guard lock(h5::library_mutex());
  Impl& m = *impl_;
  m.check_open("set_defect_classes");
  if (m.classes_written) throw std::logic_error(m.label + ": /defect_classes declared twice");
  if (classes.empty()) return;
  Table t(m.label, "/defect_classes", class_fields(), m.options.strings, kSmallChunk, m.options.gzip_level, 0);
  std::set<std::int32_t> seen;
  for (const DefectClass& c : classes) {
    if (!seen.insert(c.class_id).second)
      throw std::invalid_argument(m.label + ": /defect_classes: class_id " + std::to_string(c.class_id) +
                                  " declared twice");
    t.check_string(1, c.name);
  }
  for (const DefectClass& c : classes) t.add_row().i(c.class_id).s(c.name).i(c.killer ? 1 : 0);
  t.flush(m.file.get());
  m.classes_written = true;
  m.want_defects = true;
}

void DatasetWriter::set_bins(const std::vector<BinDef>& bins) {
  std::lock_guard lock(h5::library_mutex());
  Impl& m = *impl_;
  m.check_open("set_bins");
  if (m.bins_written) throw std::logic_error(m.label + ": /bins declared twice");
  if (bins.empty()) return;
  Table t(m.label, "/bins", bin_fields(), m.options.strings, kSmallChunk, m.options.gzip_level, 0);
  std::set<std::int16_t> seen;
  for (const BinDef& b : bins) {
    if (b.bin < 0)
      throw std::invalid_argument(m.label + ": /bins: bin " + std::to_string(b.bin) + " is negative (-1 = no die)");
    if (!seen.insert(b.bin).second)
      throw std::invalid_argument(m.label + ": /bins: bin " + std::to_string(b.bin) + " declared twice");
    t.check_string(1, b.name);
  }
  for (const BinDef& b : bins) t.add_row().i(b.bin).s(b.name).i(b.pass ? 1 : 0);
  t.flush(m.file.get());
  m.bins_written = true;
}

void DatasetWriter::set_calibration(const std::string& tool, double mm_per_px, double rotation_deg,
                                    const FlatField* flat) {
  std::lock_guard lock(h5::library_mutex());
  Impl& m = *impl_;
  m.check_open("set_calibration");
  check_link_name(tool, m.label + ": calibration tool");
  if (!std::isfinite(mm_per_px) || mm_per_px <= 0 || !std::isfinite(rotation_deg))
    throw std::invalid_argument(m.label + ": /calibration/" + tool + ": mm_per_px must be > 0 and values finite");
  if (!m.calibrated_tools.insert(tool).second)
    throw std::invalid_argument(m.label + ": /calibration/" + tool + " declared twice");
  if (!m.calibration_group) m.calibration_group = create_group(m.file.get(), "/calibration", m.label);
  Handle g = create_group(m.calibration_group.get(), tool, m.label);
  write_double_attr(g.get(), "mm_per_px", mm_per_px, m.label);
  write_double_attr(g.get(), "rotation_deg", rotation_deg, m.label);
  if (flat) {
    const std::string where = m.label + ": /calibration/" + tool + "/flat";
    if (flat->empty() || flat->values.size() != static_cast<std::size_t>(flat->width) * flat->height)
      throw std::invalid_argument(where + ": empty or values.size() != width * height");
    const hsize_t dims[2] = {static_cast<hsize_t>(flat->height), static_cast<hsize_t>(flat->width)};
    Handle space = h5::space_handle(h5::check_id(H5Screate_simple(2, dims, nullptr), where + ": H5Screate failed"));
    Handle dcpl = make_plist(H5P_DATASET_CREATE, m.label);
    h5::check(H5Pset_chunk(dcpl.get(), 2, dims), where + ": H5Pset_chunk failed");
    if (m.options.gzip_level > 0) {
      h5::check(H5Pset_shuffle(dcpl.get()), where + ": H5Pset_shuffle failed");
      h5::check(H5Pset_deflate(dcpl.get(), static_cast<unsigned>(m.options.gzip_level)), where + ": H5Pset_deflate failed");
    }
    Handle d = h5::dataset_handle(h5::check_id(
        H5Dcreate2(g.get(), "flat", H5T_IEEE_F32LE, space.get(), H5P_DEFAULT, dcpl.get(), H5P_DEFAULT),
        where + ": cannot create"));
    h5::check(H5Dwrite(d.get(), H5T_NATIVE_FLOAT, H5S_ALL, H5S_ALL, H5P_DEFAULT, flat->values.data()),
              where + ": cannot write");
  }
}

std::size_t DatasetWriter::append_wafer(const WaferRecord& wafer) {
  std::lock_guard lock(h5::library_mutex());
  Impl& m = *impl_;
  m.check_open("append_wafer");
  const WaferMeta& w = wafer.meta;
  const std::uint64_t row = m.wafers.rows();
  const std::string who = m.label + ": wafer " + std::to_string(row) + " (" + w.wafer_id + ")";

  // Validate everything first: a rejected wafer leaves no trace.
  auto pit = m.products.find(w.product);
  if (pit == m.products.end())
    throw std::invalid_argument(who + ": product \"" + w.product + "\" was not declared with add_product");
  ProductState& prod = pit->second;
  if (wafer.binmap) {
    const BinMap& b = *wafer.binmap;
    const std::size_t expected = static_cast<std::size_t>(prod.geometry.rows) * static_cast<std::size_t>(prod.geometry.cols);
    if (b.rows != prod.geometry.rows || b.cols != prod.geometry.cols || b.bins.size() != expected)
      throw std::invalid_argument(who + ": bin map is " + std::to_string(b.rows) + " rows x " + std::to_string(b.cols) +
                                  " cols with " + std::to_string(b.bins.size()) + " values, product " +
                                  w.product + " has " + std::to_string(prod.geometry.rows) + " x " +
                                  std::to_string(prod.geometry.cols));
  }
  if (wafer.image) {
    const GrayImage& img = *wafer.image;
    if (img.width <= 0 || img.height <= 0 ||
        img.pixels.size() != static_cast<std::size_t>(img.width) * static_cast<std::size_t>(img.height))
      throw std::invalid_argument(who + ": image is " + std::to_string(img.width) + "x" + std::to_string(img.height) +
                                  " with " + std::to_string(img.pixels.size()) + " pixels");
    if (m.images && (img.width != m.image_width || img.height != m.image_height))
      throw std::invalid_argument(who + ": image is " + std::to_string(img.width) + "x" + std::to_string(img.height) +
                                  ", the file's /images are " + std::to_string(m.image_width) + "x" +
                                  std::to_string(m.image_height));
  }
  if (wafer.truth && wafer.truth->image && !wafer.image)
    throw std::invalid_argument(who + ": image truth without an image");
  m.wafers.check_string(0, w.wafer_id);
  m.wafers.check_string(1, w.lot_id);
  m.wafers.check_string(3, w.fab);
  m.wafers.check_string(4, w.tool);
  m.wafers.check_string(5, w.product);
  m.wafers.check_string(6, w.step);
  for (const HistoryEntry& h : wafer.history) {
    m.history.check_string(1, h.step);
    m.history.check_string(2, h.tool);
    m.history.check_string(3, h.chamber);
  }
  if (wafer.truth) {
    m.truth_wafers.check_string(1, wafer.truth->pattern);
    for (const TruthDefect& d : wafer.truth->defects) m.truth_defects.check_string(4, d.kind);
    for (const TruthImageDefect& d : wafer.truth->image_defects) m.truth_image_defects.check_string(5, d.kind);
  }

  const auto wrow = static_cast<std::int64_t>(row);
  const std::int64_t binmap_row = wafer.binmap ? static_cast<std::int64_t>(prod.maps()) : -1;
  const auto defect_begin = static_cast<std::int64_t>(m.defects.rows());
  const auto defect_count = static_cast<std::int64_t>(wafer.defects.size());
  const std::int64_t image_row = wafer.image ? m.write_image(*wafer.image) : -1;

  m.wafers.add_row()
      .s(w.wafer_id)
      .s(w.lot_id)
      .i(w.slot)
      .s(w.fab)
      .s(w.tool)
      .s(w.product)
      .s(w.step)
      .i(w.timestamp)
      .i(image_row)
      .i(binmap_row)
      .i(defect_begin)
      .i(defect_count);
  for (const Defect& d : wafer.defects) m.defects.add_row().i(wrow).f(d.x_mm).f(d.y_mm).f(d.size_um).i(d.class_id);
  for (const HistoryEntry& h : wafer.history)
    m.history.add_row().i(wrow).s(h.step).s(h.tool).s(h.chamber).i(h.timestamp);
  if (wafer.truth) {
    const WaferTruth& t = *wafer.truth;
    m.any_truth = true;
    m.truth_wafers.add_row().i(wrow).s(t.pattern).i(t.killed_dies).i(t.good_dies).i(t.tested_dies);
    for (const TruthDefect& d : t.defects) m.truth_defects.add_row().i(wrow).f(d.x_mm).f(d.y_mm).f(d.size_um).s(d.kind);
    if (t.image) {
      m.any_image_truth = true;
      const ImageTruth& it = *t.image;
      m.truth_images.add_row().i(wrow).i(image_row).f(it.center_x_px).f(it.center_y_px).f(it.radius_px).f(it.mm_per_px).f(
          it.rotation_deg);
      for (const TruthImageDefect& d : t.image_defects)
        m.truth_image_defects.add_row().i(wrow).f(d.x_mm).f(d.y_mm).f(d.size_um).f(d.length_um).s(d.kind);
    }
  }
  if (wafer.binmap) {
    prod.pending.insert(prod.pending.end(), wafer.binmap->bins.begin(), wafer.binmap->bins.end());
    ++prod.pending_maps;
  }

  // Batched appends.
  if (m.wafers.wants_flush()) m.wafers.flush(m.file.get());
  if (m.defects.wants_flush()) m.defects.flush(m.file.get());
  if (m.history.wants_flush()) m.history.flush(m.file.get());
  if (m.truth_wafers.wants_flush() || m.truth_defects.wants_flush()) m.ensure_truth_group();
  if (m.truth_wafers.wants_flush()) m.truth_wafers.flush(m.file.get());
  if (m.truth_defects.wants_flush()) m.truth_defects.flush(m.file.get());
  if (m.truth_images.wants_flush() || m.truth_image_defects.wants_flush()) m.ensure_truth_group();
  if (m.truth_images.wants_flush()) m.truth_images.flush(m.file.get());
  if (m.truth_image_defects.wants_flush()) m.truth_image_defects.flush(m.file.get());
  if (prod.pending_maps >= prod.chunk_maps) m.flush_binmaps(prod);
  return static_cast<std::size_t>(row);
}

void DatasetWriter::finish() {
  std::lock_guard lock(h5::library_mutex());
  Impl& m = *impl_;
  m.check_open("finish");
  m.flush_all();
  m.wafers.create(m.file.get());  // required, even with 0 rows
  if (m.want_defects) m.defects.create(m.file.get());
  if (m.any_truth) {
    m.ensure_truth_group();
    m.truth_wafers.create(m.file.get());
    m.truth_defects.create(m.file.get());
    if (m.any_image_truth) {
      m.truth_images.create(m.file.get());
      m.truth_image_defects.create(m.file.get());
    }
  }
  m.wafers.close();
  m.defects.close();
  m.history.close();
  m.truth_wafers.close();
  m.truth_defects.close();
  m.truth_images.close();
  m.truth_image_defects.close();
  m.images.reset();
  for (auto& [name, p] : m.products) p.binmaps.reset();
  m.products_group.reset();
  m.binmaps_group.reset();
  m.calibration_group.reset();
  m.truth_group.reset();
  hid_t f = m.file.get();
  h5::check(H5Fflush(f, H5F_SCOPE_LOCAL), m.label + ": cannot flush " + m.tmp);
  // Anything still open would keep the file open after H5Fclose (weak close degree).
  if (H5Fget_obj_count(f, H5F_OBJ_ALL) > 1) throw std::logic_error(m.label + ": HDF5 objects left open at finish()");
  // Handle::reset() hides H5Fclose's status: hold one more reference, let the handle
  // drop its own, and make the last H5Fclose ourselves.
  h5::check(H5Iinc_ref(f) < 0 ? -1 : 0, m.label + ": H5Iinc_ref failed");
  m.file.reset();
  h5::check(H5Fclose(f), m.label + ": cannot close " + m.tmp);
  std::filesystem::rename(m.tmp, m.path);  // throws std::filesystem::filesystem_error
  m.finished = true;
}

}  // namespace yf
