// libFuzzer target: yf::import::import_sinf on arbitrary bytes. Bad input must end in
// ImportError; any other exception, a crash, a leak or a hang is a finding. The file is
// read twice, at the CPU's SIMD level and on the portable path (SimdLevel.hpp): the
// wafers, warnings and errors must be the same.
#include <string>

#include "fuzz/FuzzInput.hpp"
#include "core/SimdLevel.hpp"
#include "io/import/SinfImporter.hpp"

namespace {

struct DigestSink : yf::fuzz::CheckingSink {
  std::string text;
  void add_wafer(yf::WaferRecord w) override {
    text += "W " + w.meta.wafer_id;
    if (w.binmap)
      for (auto b : w.binmap->bins) text += " " + std::to_string(b);
    text += "\n";
    CheckingSink::add_wafer(std::move(w));
  }
  void warning(const std::string& where, const std::string& message) override { text += "! " + where + message + "\n"; }
};

std::string read(const std::string& path) {
  DigestSink sink;
  try {
    yf::import::import_sinf(path, {}, sink);
  } catch (const yf::import::ImportError& e) {
    sink.text += std::string("error ") + e.what();
  }
  return sink.text;
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  yf::fuzz::MemFile file(data, size);
  const std::string best = read(file.path());
  yf::ScopedSimdLevel portable(yf::SimdLevel::sse2);
  if (read(file.path()) != best) std::abort();
  return 0;
}
