#pragma once
// The subcommands of `yieldflow`. Each returns the process exit status
// (ExitCode); argument parsing lives in main.cpp.
#include <filesystem>
#include <optional>
#include <string>
#include <vector>

#include "io/import/ImportSink.hpp"
#include "pipeline/WaferPipeline.hpp"

namespace yf {

// Exit statuses (README "Exit status").
enum ExitCode : int {
  kExitOk = 0,           // every wafer processed / outputs equal
  kExitSomeFailed = 1,   // run: some wafers or files failed (outputs written); regress: differences
  kExitUsage = 2,        // bad command line or configuration
  kExitFatal = 3,        // outputs could not be written, or an unexpected error
};

struct RunArgs {
  std::vector<std::string> inputs;
  std::filesystem::path out_dir = "out";
  PipelineOptions options;
  bool progress = true;  // shown only when stderr is a terminal
};

int run_command(const RunArgs& args);
int inspect_command(const std::string& path);
// Re-renders OUT/report.html from OUT/results.h5 (exit 2 when OUT, results.h5 or its
// analytics are missing or unreadable, 3 when report.html cannot be written).
int report_command(const std::filesystem::path& out_dir);
int regress_command(const RunArgs& args, const std::filesystem::path& golden, bool update);

// `yieldflow import FILES -o DATASET.h5` (app/ImportCommand.cpp).
struct ImportArgs {
  std::vector<std::string> inputs;
  std::string output;
  std::string format;  // empty: detected per file from its content
  import::ImportOptions options;
};
int import_command(const ImportArgs& args);

// For `run`: every input that is not HDF5 is imported (format detected) into a
// temporary v1 dataset, and its path replaced by that dataset's; the temporary
// folder goes when this object does. An input that fails to import is left as it is
// (the run then lists it among its failed files) after its error is logged.
class OnTheFlyImports {
 public:
  explicit OnTheFlyImports(std::vector<std::string>& inputs);
  ~OnTheFlyImports();
  OnTheFlyImports(const OnTheFlyImports&) = delete;
  OnTheFlyImports& operator=(const OnTheFlyImports&) = delete;

 private:
  std::filesystem::path dir_;
};

// `detect --reference REF IMAGE`: reference-pair detection (issue 3). Unset
// options keep the library's defaults (stages/ImageDetection.hpp).
struct DetectArgs {
  std::string image;
  std::string reference;
  std::filesystem::path annotated;  // empty: no annotated image
  std::optional<double> k_sigma;
  std::optional<int> edge_tolerance_px;
  std::optional<int> min_area_px;
  std::optional<double> cluster_area_px;
};
// 0: analysed (defects or not); 1: an image unreadable or unusable (empty,
// constant, saturated, sizes differ); 2: bad output name; 3: output not written.
int detect_command(const DetectArgs& args);

struct CalibrateArgs {
  std::string tool;
  std::vector<std::string> inputs;
  std::filesystem::path out;
  int max_images = 50;  // the first N images of the tool (the flat field holds them all in memory)
};
// Writes a tool calibration file; exit 1 when some of the tool's images were unusable.
int calibrate_command(const CalibrateArgs& args);

// The README's bundled samples (samples/data/*.h5 of the source tree or the
// installed copy), for `run` without inputs.
std::vector<std::string> bundled_samples();

}  // namespace yf
