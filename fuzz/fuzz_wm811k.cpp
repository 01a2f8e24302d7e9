// libFuzzer target: the WM-811K JSON-lines importer.
#include "fuzz/FuzzInput.hpp"
#include "io/import/Wm811kImporter.hpp"

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  yf::fuzz::MemFile file(data, size);
  yf::fuzz::CheckingSink sink;
  try {
    yf::import::import_wm811k(file.path(), {}, sink);
  } catch (const yf::import::ImportError&) {
  }
  return 0;
}
