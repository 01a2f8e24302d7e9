#pragma once
// What every importer fuzzer needs: the fuzzer's bytes as a file path (the
// importers read files), and a sink that drops what it gets after checking the
// promises the importers make about it (a bin map matches its own size and its
// product's grid). A broken promise aborts, which libFuzzer reports as a crash.
#include <sys/mman.h>
#include <unistd.h>

#include <cstdint>
#include <cstdlib>
#include <map>
#include <string>

#include "io/import/ImportSink.hpp"

namespace yf::fuzz {

// An in-memory file (memfd) reachable by path, rewritten for every input.
class FuzzFile {
 public:
  FuzzFile() {
    fd_ = memfd_create("yf-fuzz", 0);
    if (fd_ < 0) std::abort();
    path_ = "/proc/self/fd/" + std::to_string(fd_);
  }
  const std::string& write(const std::uint8_t* data, std::size_t size) {
    if (ftruncate(fd_, 0) != 0) std::abort();
    std::size_t done = 0;
    while (done < size) {
      const ssize_t n = pwrite(fd_, data + done, size - done, static_cast<off_t>(done));
      if (n <= 0) std::abort();
      done += static_cast<std::size_t>(n);
    }
    return path_;
  }

 private:
  int fd_ = -1;
  std::string path_;
};

struct CheckingSink : import::ImportSink {
  std::map<std::string, ProductGeometry> products;
  void add_product(const ProductGeometry& p) override {
    if (p.cols <= 0 || p.rows <= 0 || !(p.die_width_mm > 0) || !(p.die_height_mm > 0) || !(p.wafer_diameter_mm > 0))
      std::abort();
    products[p.name] = p;
  }
  void add_defect_classes(const std::vector<DefectClass>&) override {}
  void add_bins(const std::vector<BinDef>&) override {}
  void add_wafer(WaferRecord w) override {
    if (!w.binmap) return;
    const BinMap& m = *w.binmap;
    if (m.cols <= 0 || m.rows <= 0 || m.bins.size() != static_cast<std::size_t>(m.cols) * m.rows) std::abort();
    auto it = products.find(w.meta.product);  // the sort-map importers declare the product first
    if (it == products.end() || it->second.cols != m.cols || it->second.rows != m.rows) std::abort();
  }
  void warning(const std::string&, const std::string&) override {}
};

}  // namespace yf::fuzz
