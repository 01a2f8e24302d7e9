// libFuzzer target, differential: the E142 importer's fast reading (SemiXmlFast)
// against its libxml2 reading on the same bytes. Either the fast reading declines the
// input, or both readings end alike: both import the same products, bins, wafers and
// warnings, or both fail. Anything else is a finding (abort).
#include <cstdlib>
#include <string>

#include "fuzz/FuzzInput.hpp"
#include "io/import/SemiMapImporter.hpp"

namespace {

// Everything a sink receives, written out as text.
struct DigestSink : yf::import::ImportSink {
  std::string text;
  void add_product(const yf::ProductGeometry& p) override {
    text += "P " + p.name + " " + std::to_string(p.cols) + "x" + std::to_string(p.rows) + " " +
            std::to_string(p.die_width_mm) + " " + std::to_string(p.die_height_mm) + " " +
            std::to_string(p.wafer_diameter_mm) + "\n";
  }
  void add_defect_classes(const std::vector<yf::DefectClass>& c) override { text += "C " + std::to_string(c.size()) + "\n"; }
  void add_bins(const std::vector<yf::BinDef>& bins) override {
    for (const auto& b : bins) text += "B " + std::to_string(b.bin) + " " + b.name + (b.pass ? " pass\n" : " fail\n");
  }
  void add_wafer(yf::WaferRecord w) override {
    text += "W " + w.meta.wafer_id + " " + w.meta.lot_id + " " + w.meta.product + " " + std::to_string(w.meta.slot);
    if (w.binmap) {
      text += " " + std::to_string(w.binmap->cols) + "x" + std::to_string(w.binmap->rows);
      for (auto b : w.binmap->bins) text += " " + std::to_string(b);
    }
    text += "\n";
  }
  void warning(const std::string& where, const std::string& message) override { text += "! " + where + ": " + message + "\n"; }
};

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  yf::fuzz::MemFile file(data, size);
  DigestSink fast, safe;
  bool fast_failed = false, safe_failed = false;
  try {
    if (yf::import::import_e142_fast(file.path(), {}, fast)) return 0;  // declined
  } catch (const yf::import::ImportError&) {
    fast_failed = true;
  }
  try {
    yf::import::import_e142_libxml2(file.path(), {}, safe);
  } catch (const yf::import::ImportError&) {
    safe_failed = true;
  }
  if (fast_failed != safe_failed) std::abort();
  if (!fast_failed && fast.text != safe.text) std::abort();
  return 0;
}
