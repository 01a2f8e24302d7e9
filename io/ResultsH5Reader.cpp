#include "io/ResultsH5Reader.hpp"

#include <cstring>
#include <stdexcept>
#include <vector>

#include "io/Hdf5Attributes.hpp"
#include "io/Hdf5Handle.hpp"

namespace yf {

std::optional<std::string> read_analytics_json(const std::filesystem::path& path) {
  std::lock_guard lock(h5::library_mutex());
  h5::silence_errors();
  const std::string name = path.string();
  if (!std::filesystem::exists(path)) throw std::runtime_error(name + ": no such file");
  if (H5Fis_hdf5(path.c_str()) <= 0) throw std::runtime_error(name + ": not an HDF5 file");
  h5::Handle file = h5::file_handle(
      h5::check_id(H5Fopen(path.c_str(), H5F_ACC_RDONLY, H5P_DEFAULT), name + ": cannot open"));
  auto format = h5attr::read_string(file.get(), "format");
  if (!format || *format != "yieldflow-results")
    throw std::runtime_error(name + ": not a yieldflow results file (root attribute 'format' is not yieldflow-results)");
  if (H5Lexists(file.get(), "/analytics", H5P_DEFAULT) <= 0 ||
      H5Lexists(file.get(), "/analytics/json", H5P_DEFAULT) <= 0)
    return std::nullopt;
  const std::string what = name + ": /analytics/json";
  h5::Handle ds = h5::dataset_handle(h5::check_id(H5Dopen2(file.get(), "/analytics/json", H5P_DEFAULT), what + ": cannot open"));
  h5::Handle type = h5::type_handle(H5Dget_type(ds.get()));
  h5::Handle space = h5::space_handle(H5Dget_space(ds.get()));
  if (H5Tget_class(type.get()) != H5T_STRING || H5Sget_simple_extent_npoints(space.get()) != 1)
    throw std::runtime_error(what + ": not a scalar string");
  if (H5Tis_variable_str(type.get()) > 0) {
    h5::Handle mem = h5::type_handle(H5Tcopy(H5T_C_S1));
    H5Tset_size(mem.get(), H5T_VARIABLE);
    H5Tset_cset(mem.get(), H5Tget_cset(type.get()));  // HDF5 converts neither way between ASCII and UTF-8
    char* text = nullptr;
    h5::check(H5Dread(ds.get(), mem.get(), H5S_ALL, H5S_ALL, H5P_DEFAULT, &text), what + ": read failed");
    std::string out = text ? text : "";
    H5free_memory(text);
    return out;
  }
  std::size_t size = H5Tget_size(type.get());
  std::vector<char> buf(size + 1, '\0');
  h5::Handle mem = h5::type_handle(H5Tcopy(H5T_C_S1));
  H5Tset_size(mem.get(), size);
  H5Tset_strpad(mem.get(), H5T_STR_NULLPAD);
  H5Tset_cset(mem.get(), H5Tget_cset(type.get()));
  h5::check(H5Dread(ds.get(), mem.get(), H5S_ALL, H5S_ALL, H5P_DEFAULT, buf.data()), what + ": read failed");
  return std::string(buf.data(), strnlen(buf.data(), size));
}

}  // namespace yf
