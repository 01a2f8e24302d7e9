// libFuzzer target: the KLARF importer (flat 1.x and nested 1.8). Bad input must end
// in ImportError; any other exception, a crash, a leak or a hang is a finding.
#include "fuzz/FuzzInput.hpp"
#include "io/import/KlarfImporter.hpp"

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  yf::fuzz::MemFile file(data, size);
  yf::fuzz::CheckingSink sink;
  try {
    yf::import::import_klarf(file.path(), {}, sink);
  } catch (const yf::import::ImportError&) {
  }
  return 0;
}
