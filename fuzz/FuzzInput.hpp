#pragma once
// Helpers for the libFuzzer targets: the importers read files by path, so each
// input is handed over as an anonymous in-memory file (memfd, /proc/self/fd/N);
// and a sink that checks what it receives but keeps nothing.
#include <sys/mman.h>
#include <unistd.h>

#include <cmath>
#include <cstdint>
#include <cstdlib>
#include <string>

#include "io/import/ImportSink.hpp"

namespace yf::fuzz {

class MemFile {
 public:
  MemFile(const std::uint8_t* data, std::size_t size) {
    fd_ = ::memfd_create("yf-fuzz", 0);
    if (fd_ < 0) std::abort();
    std::size_t done = 0;
    while (done < size) {
      const ssize_t n = ::write(fd_, data + done, size - done);
      if (n <= 0) std::abort();
      done += static_cast<std::size_t>(n);
    }
    path_ = "/proc/self/fd/" + std::to_string(fd_);
  }
  ~MemFile() { ::close(fd_); }
  MemFile(const MemFile&) = delete;
  MemFile& operator=(const MemFile&) = delete;
  const std::string& path() const { return path_; }

 private:
  int fd_ = -1;
  std::string path_;
};

// Aborts (a finding) when an importer hands over something no valid file can give:
// non-finite coordinates, a bin map whose size disagrees with its shape.
class CheckingSink : public import::ImportSink {
 public:
  void add_product(const ProductGeometry& p) override {
    if (!(p.cols > 0 && p.rows > 0 && std::isfinite(p.die_width_mm) && std::isfinite(p.die_height_mm))) std::abort();
  }
  void add_defect_classes(const std::vector<DefectClass>&) override {}
  void add_bins(const std::vector<BinDef>&) override {}
  void add_wafer(WaferRecord w) override {
    for (const Defect& d : w.defects)
      if (!std::isfinite(d.x_mm) || !std::isfinite(d.y_mm) || !std::isfinite(d.size_um)) std::abort();
    if (w.binmap && w.binmap->bins.size() != static_cast<std::size_t>(w.binmap->rows) * w.binmap->cols) std::abort();
  }
  void warning(const std::string&, const std::string&) override {}
};

}  // namespace yf::fuzz
