#include "io/Hdf5Attributes.hpp"

#include <cmath>
#include <vector>

#include "io/Hdf5Handle.hpp"

namespace yf::h5attr {
namespace {

// Opens a scalar or one-element attribute; invalid handle when absent or an array.
h5::Handle open_scalar(hid_t loc, const char* name) {
  if (H5Aexists(loc, name) <= 0) return {};
  h5::Handle a = h5::attr_handle(H5Aopen(loc, name, H5P_DEFAULT));
  if (!a) return {};
  h5::Handle space = h5::space_handle(H5Aget_space(a.get()));
  if (H5Sget_simple_extent_npoints(space.get()) != 1) return {};
  return a;
}

}  // namespace

std::optional<std::string> read_string(hid_t loc, const char* name) {
  h5::Handle a = open_scalar(loc, name);
  if (!a) return std::nullopt;
  h5::Handle type = h5::type_handle(H5Aget_type(a.get()));
  if (H5Tget_class(type.get()) != H5T_STRING) return std::nullopt;
  h5::Handle mem = h5::type_handle(H5Tcopy(H5T_C_S1));
  H5Tset_cset(mem.get(), H5Tget_cset(type.get()));  // HDF5 will not convert between ASCII and UTF-8
  if (H5Tis_variable_str(type.get()) > 0) {
    H5Tset_size(mem.get(), H5T_VARIABLE);
    char* value = nullptr;
    if (H5Aread(a.get(), mem.get(), &value) < 0 || !value) return std::nullopt;
    std::string out(value);
    H5free_memory(value);
    return out;
  }
  std::size_t n = H5Tget_size(type.get()) + 1;
  H5Tset_size(mem.get(), n);
  H5Tset_strpad(mem.get(), H5T_STR_NULLTERM);
  std::vector<char> buf(n, '\0');
  if (H5Aread(a.get(), mem.get(), buf.data()) < 0) return std::nullopt;
  return std::string(buf.data());
}

std::optional<std::int64_t> read_integer(hid_t loc, const char* name) {
  h5::Handle a = open_scalar(loc, name);
  if (!a) return std::nullopt;
  h5::Handle type = h5::type_handle(H5Aget_type(a.get()));
  H5T_class_t cls = H5Tget_class(type.get());
  if (cls == H5T_INTEGER) {
    std::int64_t v = 0;
    if (H5Aread(a.get(), H5T_NATIVE_INT64, &v) < 0) return std::nullopt;
    return v;
  }
  if (cls == H5T_FLOAT) {
    double v = 0;
    if (H5Aread(a.get(), H5T_NATIVE_DOUBLE, &v) < 0 || !std::isfinite(v) || v != std::floor(v) ||
        std::fabs(v) > 9e15)
      return std::nullopt;
    return static_cast<std::int64_t>(v);
  }
  return std::nullopt;
}

std::optional<double> read_real(hid_t loc, const char* name) {
  h5::Handle a = open_scalar(loc, name);
  if (!a) return std::nullopt;
  h5::Handle type = h5::type_handle(H5Aget_type(a.get()));
  H5T_class_t cls = H5Tget_class(type.get());
  if (cls != H5T_FLOAT && cls != H5T_INTEGER) return std::nullopt;
  double v = 0;
  if (H5Aread(a.get(), H5T_NATIVE_DOUBLE, &v) < 0) return std::nullopt;
  return v;
}

}  // namespace yf::h5attr
