#pragma once
// Reading scalar attributes whatever their stored width or string kind.
// Callers hold h5::library_mutex().
#include <hdf5.h>

#include <cstdint>
#include <optional>
#include <string>

namespace yf::h5attr {

// Empty when the attribute is missing or not a string (fixed or variable length).
std::optional<std::string> read_string(hid_t loc, const char* name);
// Empty when missing, or not an integer (a float with an integral value is accepted).
std::optional<std::int64_t> read_integer(hid_t loc, const char* name);
// Empty when missing or not a number (integers are accepted).
std::optional<double> read_real(hid_t loc, const char* name);

}  // namespace yf::h5attr
