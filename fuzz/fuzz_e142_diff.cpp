// libFuzzer target, differential: the E142 importer's fast reading (SemiXmlFast)
// against its libxml2 reading on the same bytes. Either the fast reading declines the
// input, its calls so far being the first of libxml2's, or both readings end alike:
// both import the same products, bins, wafers and warnings, or both fail. The fast
// reading also runs on the portable SIMD path and must make the same calls. Anything
// else is a finding (abort).
#include <cstdlib>
#include <string>

#include "fuzz/FuzzInput.hpp"
#include "io/import/SemiMapImporter.hpp"
#include "core/SimdLevel.hpp"

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

namespace {

struct FastReading {
  DigestSink sink;
  bool declined = false, failed = false;
};

FastReading read_fast(const std::string& path) {
  FastReading r;
  try {
    r.declined = yf::import::import_e142_fast(path, {}, r.sink).has_value();
  } catch (const yf::import::ImportError&) {
    r.failed = true;
  }
  return r;
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  yf::fuzz::MemFile file(data, size);
  // The fast reading at the CPU's SIMD level and on the portable path: the same calls.
  const FastReading fast = read_fast(file.path());
  {
    yf::ScopedSimdLevel portable(yf::SimdLevel::sse2);
    const FastReading twin = read_fast(file.path());
    if (twin.declined != fast.declined || twin.failed != fast.failed || twin.sink.text != fast.sink.text) std::abort();
  }
  DigestSink safe;
  bool safe_failed = false;
  try {
    yf::import::import_e142_libxml2(file.path(), {}, safe);
  } catch (const yf::import::ImportError&) {
    safe_failed = true;
  }
  if (fast.declined) {
    // The calls made before declining were delivered (import_e142 holds nothing back):
    // they must be the first calls of libxml2's reading, which then skips them. (When
    // libxml2 fails, the import fails whatever was delivered.)
    if (!safe_failed && safe.text.compare(0, fast.sink.text.size(), fast.sink.text) != 0) std::abort();
    return 0;
  }
  if (fast.failed != safe_failed) std::abort();
  if (!fast.failed && fast.sink.text != safe.text) std::abort();
  return 0;
}
