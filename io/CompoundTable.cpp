#include "io/CompoundTable.hpp"

#include <cstring>

#include "io/DatasetError.hpp"

namespace yf {
namespace {

const char* kind_name(ColumnKind k) {
  switch (k) {
    case ColumnKind::integer: return "an integer";
    case ColumnKind::real: return "a float";
    case ColumnKind::string: return "a string";
  }
  return "?";
}

const char* class_name(H5T_class_t c) {
  switch (c) {
    case H5T_INTEGER: return "integer";
    case H5T_FLOAT: return "float";
    case H5T_STRING: return "string";
    case H5T_COMPOUND: return "compound";
    case H5T_ENUM: return "enum";
    case H5T_ARRAY: return "array";
    default: return "another type";
  }
}

bool accepts(ColumnKind kind, H5T_class_t c) {
  switch (kind) {
    case ColumnKind::integer: return c == H5T_INTEGER;
    case ColumnKind::real: return c == H5T_FLOAT || c == H5T_INTEGER;
    case ColumnKind::string: return c == H5T_STRING;
  }
  return false;
}

}  // namespace

CompoundTable::CompoundTable(hid_t file, const std::string& dataset_path, std::vector<ColumnSpec> columns,
                             const std::string& file_label)
    : label_(file_label + ": " + dataset_path), columns_(std::move(columns)) {
  if (H5Lexists(file, dataset_path.c_str(), H5P_DEFAULT) <= 0)
    throw DatasetError(label_ + ": table missing");
  dataset_ = h5::dataset_handle(H5Dopen2(file, dataset_path.c_str(), H5P_DEFAULT));
  if (!dataset_) throw DatasetError(label_ + ": not a dataset");
  h5::Handle file_type = h5::type_handle(H5Dget_type(dataset_.get()));
  if (H5Tget_class(file_type.get()) != H5T_COMPOUND)
    throw DatasetError(label_ + ": expected a compound table, found " +
                       class_name(H5Tget_class(file_type.get())));
  h5::Handle space = h5::space_handle(H5Dget_space(dataset_.get()));
  if (H5Sget_simple_extent_ndims(space.get()) != 1)
    throw DatasetError(label_ + ": expected a 1-D table");
  hsize_t dims[1] = {0};
  H5Sget_simple_extent_dims(space.get(), dims, nullptr);
  rows_ = dims[0];

  present_.assign(columns_.size(), false);
  offsets_.assign(columns_.size(), 0);
  variable_string_.assign(columns_.size(), false);
  string_size_.assign(columns_.size(), 0);

  // Lay the memory row out: one native slot per requested, present column.
  std::size_t offset = 0;
  std::vector<h5::Handle> member_types(columns_.size());
  for (std::size_t i = 0; i < columns_.size(); ++i) {
    const ColumnSpec& spec = columns_[i];
    int index = H5Tget_member_index(file_type.get(), spec.name.c_str());
    if (index < 0) {
      if (spec.required) throw DatasetError(label_ + ": column '" + spec.name + "' missing");
      continue;
    }
    h5::Handle member = h5::type_handle(H5Tget_member_type(file_type.get(), static_cast<unsigned>(index)));
    H5T_class_t cls = H5Tget_class(member.get());
    if (!accepts(spec.kind, cls))
      throw DatasetError(label_ + ": column '" + spec.name + "' should be " + kind_name(spec.kind) +
                         ", found " + class_name(cls));
    present_[i] = true;
    switch (spec.kind) {
      case ColumnKind::integer:
        member_types[i] = h5::type_handle(H5Tcopy(H5T_NATIVE_INT64));
        offset = (offset + 7) & ~std::size_t{7};
        offsets_[i] = offset;
        offset += 8;
        break;
      case ColumnKind::real:
        member_types[i] = h5::type_handle(H5Tcopy(H5T_NATIVE_DOUBLE));
        offset = (offset + 7) & ~std::size_t{7};
        offsets_[i] = offset;
        offset += 8;
        break;
      case ColumnKind::string: {
        h5::Handle t = h5::type_handle(H5Tcopy(H5T_C_S1));
        if (H5Tis_variable_str(member.get()) > 0) {
          H5Tset_size(t.get(), H5T_VARIABLE);
          H5Tset_cset(t.get(), H5Tget_cset(member.get()));
          variable_string_[i] = true;
          has_variable_ = true;
          offset = (offset + 7) & ~std::size_t{7};
          offsets_[i] = offset;
          offset += sizeof(char*);
        } else {
          // One byte more than the file's so the value is always null-terminated.
          std::size_t n = H5Tget_size(member.get()) + 1;
          H5Tset_size(t.get(), n);
          H5Tset_strpad(t.get(), H5T_STR_NULLTERM);
          H5Tset_cset(t.get(), H5Tget_cset(member.get()));
          string_size_[i] = n;
          offsets_[i] = offset;
          offset += n;
        }
        member_types[i] = std::move(t);
        break;
      }
    }
  }
  row_bytes_ = (offset + 7) & ~std::size_t{7};
  if (row_bytes_ == 0) row_bytes_ = 8;
  mem_type_ = h5::type_handle(H5Tcreate(H5T_COMPOUND, row_bytes_));
  for (std::size_t i = 0; i < columns_.size(); ++i)
    if (present_[i]) H5Tinsert(mem_type_.get(), columns_[i].name.c_str(), offsets_[i], member_types[i].get());
}

CompoundTable::~CompoundTable() { reclaim(); }

void CompoundTable::reclaim() {
  if (has_variable_ && block_count_ > 0 && block_space_)
    H5Dvlen_reclaim(mem_type_.get(), block_space_.get(), H5P_DEFAULT, buffer_.data());
  block_count_ = 0;
  block_space_.reset();
}

void CompoundTable::read(std::uint64_t begin, std::uint64_t count) {
  reclaim();
  block_begin_ = begin;
  if (count == 0) return;
  if (begin + count > rows_)
    throw DatasetError(label_ + ": rows " + std::to_string(begin) + ".." + std::to_string(begin + count - 1) +
                       " requested, table has " + std::to_string(rows_));
  buffer_.assign(static_cast<std::size_t>(count) * row_bytes_, 0);
  h5::Handle file_space = h5::space_handle(H5Dget_space(dataset_.get()));
  hsize_t start[1] = {begin}, n[1] = {count};
  H5Sselect_hyperslab(file_space.get(), H5S_SELECT_SET, start, nullptr, n, nullptr);
  h5::Handle mem_space = h5::space_handle(H5Screate_simple(1, n, nullptr));
  if (H5Dread(dataset_.get(), mem_type_.get(), mem_space.get(), file_space.get(), H5P_DEFAULT, buffer_.data()) < 0)
    throw DatasetError(label_ + ": cannot read rows " + std::to_string(begin) + ".." +
                       std::to_string(begin + count - 1) + " (corrupt data or a value HDF5 cannot convert)");
  block_count_ = count;
  block_space_ = std::move(mem_space);
}

void CompoundTable::read_points(const std::vector<std::uint64_t>& rows) {
  reclaim();
  block_begin_ = 0;
  if (rows.empty()) return;
  std::vector<hsize_t> coords(rows.begin(), rows.end());
  for (hsize_t r : coords)
    if (r >= rows_) throw DatasetError(label_ + ": row " + std::to_string(r) + " out of range");
  buffer_.assign(rows.size() * row_bytes_, 0);
  h5::Handle file_space = h5::space_handle(H5Dget_space(dataset_.get()));
  H5Sselect_elements(file_space.get(), H5S_SELECT_SET, coords.size(), coords.data());
  hsize_t n[1] = {coords.size()};
  h5::Handle mem_space = h5::space_handle(H5Screate_simple(1, n, nullptr));
  if (H5Dread(dataset_.get(), mem_type_.get(), mem_space.get(), file_space.get(), H5P_DEFAULT, buffer_.data()) < 0)
    throw DatasetError(label_ + ": cannot read selected rows");
  block_count_ = rows.size();
  block_space_ = std::move(mem_space);
}

std::int64_t CompoundTable::integer(std::size_t i, std::size_t col) const {
  if (!present_[col]) return 0;
  std::int64_t v;
  std::memcpy(&v, buffer_.data() + i * row_bytes_ + offsets_[col], sizeof v);
  return v;
}

double CompoundTable::real(std::size_t i, std::size_t col) const {
  if (!present_[col]) return 0;
  double v;
  std::memcpy(&v, buffer_.data() + i * row_bytes_ + offsets_[col], sizeof v);
  return v;
}

std::string CompoundTable::string(std::size_t i, std::size_t col) const {
  if (!present_[col]) return {};
  const unsigned char* p = buffer_.data() + i * row_bytes_ + offsets_[col];
  if (variable_string_[col]) {
    const char* s;
    std::memcpy(&s, p, sizeof s);
    return s ? std::string(s) : std::string();
  }
  const char* s = reinterpret_cast<const char*>(p);
  return std::string(s, strnlen(s, string_size_[col]));
}

}  // namespace yf
