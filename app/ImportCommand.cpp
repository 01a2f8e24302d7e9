// `yieldflow import`: industry files (KLARF, STDF, E142, G85, SINF, WM-811K) into
// one v1 dataset; and the on-the-fly import that lets `run` take such files.
#include <spdlog/spdlog.h>
#include <stdlib.h>

#include <cstring>
#include <fstream>
#include <set>

#include "app/Commands.hpp"
#include "io/import/ImportFiles.hpp"

namespace yf {

namespace {

void log_warning(const std::string& where, const std::string& message) { spdlog::warn("{}: {}", where, message); }

// HDF5's signature, at byte 0 or after a user block (512, 1024, 2048 ... bytes).
bool is_hdf5(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  for (std::streamoff at = 0; at <= 65536; at = at == 0 ? 512 : at * 2) {
    char sig[8] = {};
    in.seekg(at);
    in.read(sig, sizeof sig);
    if (in.gcount() != 8) return false;
    if (std::memcmp(sig, "\x89HDF\r\n\x1a\n", 8) == 0) return true;
  }
  return false;
}

}  // namespace

int import_command(const ImportArgs& args) {
  std::optional<import::ImportFormat> format;
  if (!args.format.empty()) {
    format = import::parse_format_name(args.format);
    if (!format) {
      spdlog::error("--format {}: unknown (klarf, stdf, e142, g85, sinf, wm811k)", args.format);
      return kExitUsage;
    }
  }
  try {
    const auto s = import::import_files(args.inputs, format, args.options, args.output, log_warning);
    spdlog::info("{} wafers from {} files into {} ({} warnings)", s.wafers, s.files, args.output, s.warnings);
    return kExitOk;
  } catch (const import::ImportError& e) {
    spdlog::error("import failed, {} not written: {}", args.output, e.what());
    return kExitFatal;
  } catch (const std::exception& e) {
    spdlog::critical("import failed, {} not written: {}", args.output, e.what());
    return kExitFatal;
  }
}

OnTheFlyImports::OnTheFlyImports(std::vector<std::string>& inputs) {
  std::set<std::string> used;
  for (std::string& in : inputs) {
    if (is_hdf5(in)) continue;
    try {
      const import::ImportFormat format = import::detect_format(in);
      if (dir_.empty()) {
        std::string tmpl = (std::filesystem::temp_directory_path() / "yieldflow-import-XXXXXX").string();
        if (!::mkdtemp(tmpl.data())) throw std::runtime_error("cannot create a temporary folder for imports");
        dir_ = tmpl;
      }
      // Named after the input, so that outputs' source_file still says which file.
      std::string name = std::filesystem::path(in).filename().string() + ".h5";
      while (!used.insert(name).second) name = "_" + name;
      const std::string out = (dir_ / name).string();
      const auto s = import::import_files({in}, format, {}, out, log_warning);
      spdlog::info("{}: imported as {} ({} wafers)", in, import::format_name(format), s.wafers);
      in = out;
    } catch (const std::exception& e) {
      // Left as it is: the run then lists the file among the failed ones.
      spdlog::error("{}", e.what());
    }
  }
}

OnTheFlyImports::~OnTheFlyImports() {
  if (dir_.empty()) return;
  std::error_code ec;
  std::filesystem::remove_all(dir_, ec);
}

}  // namespace yf
