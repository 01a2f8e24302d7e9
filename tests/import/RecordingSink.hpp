#pragma once
// An ImportSink that keeps everything in memory, for tests of the format importers.
#include <algorithm>
#include <map>
#include <string>
#include <vector>

#include "io/import/ImportSink.hpp"

namespace yf::test {

struct RecordingSink : yf::import::ImportSink {
  std::vector<ProductGeometry> products;
  std::vector<BinDef> bins;
  std::vector<DefectClass> classes;
  std::vector<WaferRecord> wafers;
  std::vector<std::string> warnings;  // "WHERE: MESSAGE"

  void add_product(const ProductGeometry& p) override { products.push_back(p); }
  void add_defect_classes(const std::vector<DefectClass>& c) override { classes.insert(classes.end(), c.begin(), c.end()); }
  void add_bins(const std::vector<BinDef>& b) override { bins.insert(bins.end(), b.begin(), b.end()); }
  void add_wafer(WaferRecord w) override { wafers.push_back(std::move(w)); }
  void warning(const std::string& where, const std::string& message) override {
    warnings.push_back(where + ": " + message);
  }

  // Dies per bin in a wafer's map (-1, no die, left out).
  static std::map<int, int> bin_counts(const WaferRecord& w) {
    std::map<int, int> n;
    if (w.binmap)
      for (auto b : w.binmap->bins)
        if (b >= 0) ++n[b];
    return n;
  }
  static int tested(const WaferRecord& w) {
    int n = 0;
    if (w.binmap)
      for (auto b : w.binmap->bins) n += b >= 0;
    return n;
  }
  const BinDef* bin(int number) const {
    auto it = std::find_if(bins.begin(), bins.end(), [&](const BinDef& b) { return b.bin == number; });
    return it == bins.end() ? nullptr : &*it;
  }
  bool warned(const std::string& fragment) const {
    return std::any_of(warnings.begin(), warnings.end(),
                       [&](const std::string& w) { return w.find(fragment) != std::string::npos; });
  }
};

}  // namespace yf::test
