// libFuzzer target, differential: the KLARF DefectList / SampleTestPlan block reader
// (KlarfDefectBlock) against the line-at-a-time reader on the same bytes. The file is
// imported three ways - block reader off, portable (SSE2), automatic (AVX2 where the
// CPU has it) - and all three must end alike: the same products, wafers (every
// defect's position, size and class, bit for bit) and warnings, or the same error.
// Anything else is a finding (abort).
#include <cstdlib>
#include <cstring>
#include <string>

#include "fuzz/FuzzInput.hpp"
#include "io/import/KlarfDefectBlock.hpp"
#include "io/import/KlarfImporter.hpp"

namespace {

// Everything a sink receives, written out as text (doubles as their bits).
struct DigestSink : yf::import::ImportSink {
  std::string text;
  static std::string bits(double v) {
    std::uint64_t u = 0;
    std::memcpy(&u, &v, sizeof u);
    return std::to_string(u);
  }
  void add_product(const yf::ProductGeometry& p) override {
    text += "P " + p.name + " " + std::to_string(p.cols) + "x" + std::to_string(p.rows) + " " + bits(p.die_width_mm) +
            " " + bits(p.grid_x0_mm) + " " + bits(p.grid_y0_mm) + "\n";
  }
  void add_defect_classes(const std::vector<yf::DefectClass>& c) override { text += "C " + std::to_string(c.size()) + "\n"; }
  void add_bins(const std::vector<yf::BinDef>&) override {}
  void add_wafer(yf::WaferRecord w) override {
    text += "W " + w.meta.wafer_id + " " + std::to_string(w.defects.size()) + "\n";
    for (const auto& d : w.defects)
      text += bits(d.x_mm) + " " + bits(d.y_mm) + " " + bits(d.size_um) + " " + std::to_string(d.class_id) + "\n";
  }
  void warning(const std::string& where, const std::string& message) override { text += "! " + where + ": " + message + "\n"; }
};

std::string digest(const std::string& path, yf::import::KlarfBlockMode mode) {
  yf::import::set_klarf_block_mode(mode);
  DigestSink sink;
  try {
    yf::import::import_klarf(path, {}, sink);
  } catch (const yf::import::ImportError& e) {
    sink.text += std::string("E ") + e.what();
  }
  return sink.text;
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  yf::fuzz::MemFile file(data, size);
  using yf::import::KlarfBlockMode;
  const std::string off = digest(file.path(), KlarfBlockMode::off);
  if (digest(file.path(), KlarfBlockMode::portable) != off) std::abort();
  if (digest(file.path(), KlarfBlockMode::avx2) != off) std::abort();
  if (digest(file.path(), KlarfBlockMode::automatic) != off) std::abort();
  return 0;
}
