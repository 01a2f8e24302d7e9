#pragma once
// Test-only helpers that read v1 datasets with the raw HDF5 C API, independently of
// yieldflow's own reader: whole columns of 1-D compound tables, attributes, shapes.
// Used by tests/io/DatasetWriter_test.cpp and tests/samples/SampleGenerator_test.cpp.
#include <hdf5.h>

#include <cstdint>
#include <fstream>
#include <iterator>
#include <stdexcept>
#include <string>
#include <vector>

namespace yf::rawh5 {

// Minimal RAII for the tests (the library's h5::Handle is not used on purpose).
struct Id {
  hid_t id = H5I_INVALID_HID;
  herr_t (*close)(hid_t) = nullptr;
  Id(hid_t i, herr_t (*c)(hid_t)) : id(i), close(c) {
    if (id < 0) throw std::runtime_error("HDF5 call failed");
  }
  Id(const Id&) = delete;
  Id& operator=(const Id&) = delete;
  ~Id() {
    if (id >= 0) close(id);
  }
  operator hid_t() const { return id; }
};

inline Id open_file(const std::string& path) { return {H5Fopen(path.c_str(), H5F_ACC_RDONLY, H5P_DEFAULT), H5Fclose}; }
inline Id open_dataset(hid_t loc, const std::string& path) { return {H5Dopen2(loc, path.c_str(), H5P_DEFAULT), H5Dclose}; }
inline Id open_group(hid_t loc, const std::string& path) { return {H5Gopen2(loc, path.c_str(), H5P_DEFAULT), H5Gclose}; }

inline bool exists(hid_t loc, const std::string& path) {
  // Checks every component so that a missing parent is not an error.
  std::string partial;
  std::size_t pos = 0;
  while (pos != std::string::npos) {
    std::size_t next = path.find('/', pos + 1);
    partial = path.substr(0, next);
    if (!partial.empty() && partial != "/" && H5Lexists(loc, partial.c_str(), H5P_DEFAULT) <= 0) return false;
    pos = next;
  }
  return true;
}

inline std::vector<hsize_t> shape(hid_t file, const std::string& ds) {
  Id d = open_dataset(file, ds);
  Id space{H5Dget_space(d), H5Sclose};
  int nd = H5Sget_simple_extent_ndims(space);
  std::vector<hsize_t> dims(static_cast<std::size_t>(nd));
  H5Sget_simple_extent_dims(space, dims.data(), nullptr);
  return dims;
}

inline std::size_t rows(hid_t file, const std::string& ds) { return static_cast<std::size_t>(shape(file, ds).at(0)); }

// The file's type of one column of a compound table (caller closes via Id).
inline Id member_type(hid_t file, const std::string& ds, const std::string& col) {
  Id d = open_dataset(file, ds);
  Id t{H5Dget_type(d), H5Tclose};
  int idx = H5Tget_member_index(t, col.c_str());
  if (idx < 0) throw std::runtime_error(ds + ": no column " + col);
  return {H5Tget_member_type(t, static_cast<unsigned>(idx)), H5Tclose};
}

inline std::vector<std::string> member_names(hid_t file, const std::string& ds) {
  Id d = open_dataset(file, ds);
  Id t{H5Dget_type(d), H5Tclose};
  std::vector<std::string> out;
  int n = H5Tget_nmembers(t);
  for (int i = 0; i < n; ++i) {
    char* name = H5Tget_member_name(t, static_cast<unsigned>(i));
    out.emplace_back(name);
    H5free_memory(name);
  }
  return out;
}

template <class T>
std::vector<T> read_numbers(hid_t file, const std::string& ds, const std::string& col, hid_t native) {
  Id d = open_dataset(file, ds);
  std::vector<T> out(rows(file, ds));
  Id mt{H5Tcreate(H5T_COMPOUND, sizeof(T)), H5Tclose};
  H5Tinsert(mt, col.c_str(), 0, native);
  if (!out.empty() && H5Dread(d, mt, H5S_ALL, H5S_ALL, H5P_DEFAULT, out.data()) < 0)
    throw std::runtime_error(ds + ": cannot read " + col);
  return out;
}
inline std::vector<std::int64_t> read_ints(hid_t file, const std::string& ds, const std::string& col) {
  return read_numbers<std::int64_t>(file, ds, col, H5T_NATIVE_INT64);
}
inline std::vector<double> read_reals(hid_t file, const std::string& ds, const std::string& col) {
  return read_numbers<double>(file, ds, col, H5T_NATIVE_DOUBLE);
}

// A string column, fixed or variable length.
inline std::vector<std::string> read_strings(hid_t file, const std::string& ds, const std::string& col) {
  Id ft = member_type(file, ds, col);
  Id d = open_dataset(file, ds);
  Id space{H5Dget_space(d), H5Sclose};
  const std::size_t n = rows(file, ds);
  std::vector<std::string> out;
  out.reserve(n);
  if (n == 0) return out;
  Id st{H5Tcopy(H5T_C_S1), H5Tclose};
  if (H5Tis_variable_str(ft) > 0) {
    H5Tset_size(st, H5T_VARIABLE);
    H5Tset_cset(st, H5Tget_cset(ft));
    Id mt{H5Tcreate(H5T_COMPOUND, sizeof(char*)), H5Tclose};
    H5Tinsert(mt, col.c_str(), 0, st);
    std::vector<char*> buf(n, nullptr);
    if (H5Dread(d, mt, H5S_ALL, H5S_ALL, H5P_DEFAULT, buf.data()) < 0) throw std::runtime_error("read " + col);
    for (char* s : buf) out.emplace_back(s ? s : "");
    H5Dvlen_reclaim(mt, space, H5P_DEFAULT, buf.data());
  } else {
    const std::size_t size = H5Tget_size(ft) + 1;
    H5Tset_size(st, size);
    H5Tset_strpad(st, H5T_STR_NULLTERM);
    Id mt{H5Tcreate(H5T_COMPOUND, size), H5Tclose};
    H5Tinsert(mt, col.c_str(), 0, st);
    std::vector<char> buf(n * size, '\0');
    if (H5Dread(d, mt, H5S_ALL, H5S_ALL, H5P_DEFAULT, buf.data()) < 0) throw std::runtime_error("read " + col);
    for (std::size_t i = 0; i < n; ++i) out.emplace_back(buf.data() + i * size);
  }
  return out;
}

// The raw bytes of one fixed-length string cell (to check null padding).
inline std::vector<char> read_fixed_raw(hid_t file, const std::string& ds, const std::string& col, std::size_t row) {
  Id ft = member_type(file, ds, col);
  const std::size_t size = H5Tget_size(ft);
  Id d = open_dataset(file, ds);
  Id mt{H5Tcreate(H5T_COMPOUND, size), H5Tclose};
  H5Tinsert(mt, col.c_str(), 0, ft);
  const std::size_t n = rows(file, ds);
  std::vector<char> buf(n * size);
  H5Dread(d, mt, H5S_ALL, H5S_ALL, H5P_DEFAULT, buf.data());
  return {buf.begin() + static_cast<std::ptrdiff_t>(row * size), buf.begin() + static_cast<std::ptrdiff_t>((row + 1) * size)};
}

inline std::vector<std::int16_t> read_binmaps(hid_t file, const std::string& ds) {
  Id d = open_dataset(file, ds);
  std::size_t total = 1;
  for (hsize_t x : shape(file, ds)) total *= static_cast<std::size_t>(x);
  std::vector<std::int16_t> out(total);
  if (total && H5Dread(d, H5T_NATIVE_INT16, H5S_ALL, H5S_ALL, H5P_DEFAULT, out.data()) < 0)
    throw std::runtime_error(ds + ": cannot read");
  return out;
}

inline double attr_real(hid_t loc, const std::string& obj, const char* name) {
  Id a{H5Aopen_by_name(loc, obj.c_str(), name, H5P_DEFAULT, H5P_DEFAULT), H5Aclose};
  double v = 0;
  H5Aread(a, H5T_NATIVE_DOUBLE, &v);
  return v;
}
inline std::int64_t attr_int(hid_t loc, const std::string& obj, const char* name) {
  Id a{H5Aopen_by_name(loc, obj.c_str(), name, H5P_DEFAULT, H5P_DEFAULT), H5Aclose};
  std::int64_t v = 0;
  H5Aread(a, H5T_NATIVE_INT64, &v);
  return v;
}
inline H5T_class_t attr_class(hid_t loc, const std::string& obj, const char* name) {
  Id a{H5Aopen_by_name(loc, obj.c_str(), name, H5P_DEFAULT, H5P_DEFAULT), H5Aclose};
  Id t{H5Aget_type(a), H5Tclose};
  return H5Tget_class(t);
}

inline std::vector<char> file_bytes(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  return {std::istreambuf_iterator<char>(in), std::istreambuf_iterator<char>()};
}

}  // namespace yf::rawh5
