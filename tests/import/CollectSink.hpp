#pragma once
// An ImportSink that keeps everything it is given, for tests.
#include <string>
#include <vector>

#include "io/import/ImportSink.hpp"

namespace yf::test {

struct CollectSink : import::ImportSink {
  std::vector<ProductGeometry> products;
  std::vector<DefectClass> classes;
  std::vector<BinDef> bins;
  std::vector<WaferRecord> wafers;
  std::vector<std::string> warnings;  // "where: message"

  void add_product(const ProductGeometry& p) override { products.push_back(p); }
  void add_defect_classes(const std::vector<DefectClass>& c) override { classes.insert(classes.end(), c.begin(), c.end()); }
  void add_bins(const std::vector<BinDef>& b) override { bins.insert(bins.end(), b.begin(), b.end()); }
  void add_wafer(WaferRecord w) override { wafers.push_back(std::move(w)); }
  void warning(const std::string& where, const std::string& message) override { warnings.push_back(where + ": " + message); }

  std::size_t defects() const {
    std::size_t n = 0;
    for (const auto& w : wafers) n += w.defects.size();
    return n;
  }
  bool warned(const std::string& part) const {
    for (const auto& w : warnings)
      if (w.find(part) != std::string::npos) return true;
    return false;
  }
};

}  // namespace yf::test
