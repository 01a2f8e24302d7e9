#pragma once
#include <stdexcept>
#include <string>

namespace yf {

// A problem with a dataset file, its message already naming the file (and the
// wafer and field where one is concerned): "lot7.h5: /wafers: column 'slot' missing".
class DatasetError : public std::runtime_error {
 public:
  using std::runtime_error::runtime_error;
};

}  // namespace yf
