// libFuzzer target: format detection from content, then the detected format's
// importer (so a file that looks like one format but is broken reaches its parser).
#include "fuzz/FuzzInput.hpp"
#include "io/import/ImportFormat.hpp"

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  yf::fuzz::MemFile file(data, size);
  yf::fuzz::CheckingSink sink;
  try {
    const auto format = yf::import::detect_format(file.path());
    yf::import::import_file(file.path(), format, {}, sink);
  } catch (const yf::import::ImportError&) {
  }
  return 0;
}
