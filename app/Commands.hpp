#pragma once
// The subcommands of `yieldflow`. Each returns the process exit status
// (ExitCode); argument parsing lives in main.cpp.
#include <filesystem>
#include <string>
#include <vector>

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

// The README's bundled samples (samples/data/*.h5 of the source tree or the
// installed copy), for `run` without inputs.
std::vector<std::string> bundled_samples();

}  // namespace yf
