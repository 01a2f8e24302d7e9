#pragma once
// RAII ownership of HDF5 C-API identifiers, and the process-wide lock every
// HDF5 call in yieldflow takes (Debian's libhdf5 is not built thread-safe; the
// pipeline's reader node and the results writer would otherwise race).
#include <hdf5.h>

#include <mutex>
#include <stdexcept>
#include <string>
#include <utility>

namespace yf::h5 {

// Take this around every HDF5 call sequence. Recursive so that helpers may nest.
std::recursive_mutex& library_mutex();

// Silences HDF5's own error-stack printing (yieldflow reports errors itself).
void silence_errors();

class Handle {
 public:
  using Closer = herr_t (*)(hid_t);
  Handle() = default;
  Handle(hid_t id, Closer closer) : id_(id), closer_(closer) {}
  Handle(const Handle&) = delete;
  Handle& operator=(const Handle&) = delete;
  Handle(Handle&& o) noexcept : id_(std::exchange(o.id_, H5I_INVALID_HID)), closer_(o.closer_) {}
  Handle& operator=(Handle&& o) noexcept {
    if (this != &o) {
      reset();
      id_ = std::exchange(o.id_, H5I_INVALID_HID);
      closer_ = o.closer_;
    }
    return *this;
  }
  ~Handle() { reset(); }
  void reset() {
    if (id_ >= 0 && closer_) closer_(id_);
    id_ = H5I_INVALID_HID;
  }
  hid_t get() const { return id_; }
  bool valid() const { return id_ >= 0; }
  explicit operator bool() const { return valid(); }

 private:
  hid_t id_ = H5I_INVALID_HID;
  Closer closer_ = nullptr;
};

inline Handle file_handle(hid_t id) { return {id, H5Fclose}; }
inline Handle dataset_handle(hid_t id) { return {id, H5Dclose}; }
inline Handle group_handle(hid_t id) { return {id, H5Gclose}; }
inline Handle type_handle(hid_t id) { return {id, H5Tclose}; }
inline Handle space_handle(hid_t id) { return {id, H5Sclose}; }
inline Handle attr_handle(hid_t id) { return {id, H5Aclose}; }
inline Handle plist_handle(hid_t id) { return {id, H5Pclose}; }

// Throws std::runtime_error(what) when status < 0 (an HDF5 call failed).
inline void check(herr_t status, const std::string& what) {
  if (status < 0) throw std::runtime_error(what);
}
inline hid_t check_id(hid_t id, const std::string& what) {
  if (id < 0) throw std::runtime_error(what);
  return id;
}

}  // namespace yf::h5
