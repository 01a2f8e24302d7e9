// libFuzzer target: yf::import::import_sinf on arbitrary bytes. Bad input must end in
// an ImportError, never a crash, a hang or a broken bin map (FuzzSupport.hpp).
#include "fuzz/FuzzSupport.hpp"
#include "io/import/SinfImporter.hpp"

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  static yf::fuzz::FuzzFile file;
  yf::fuzz::CheckingSink sink;
  try {
    yf::import::import_sinf(file.write(data, size), {}, sink);
  } catch (const yf::import::ImportError&) {
  }
  return 0;
}
