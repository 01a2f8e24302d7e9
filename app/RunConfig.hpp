#pragma once
// The options of `yieldflow run` (and regress), declared once (name, flag, default,
// help) and resolved in one place: defaults, then the --config file, then the
// command line. Checked, and the pattern model loaded, before the graph starts: a
// bad value fails at start-up.
#include <string>
#include <vector>

#include "pipeline/WaferPipeline.hpp"

namespace yf {

struct OptionInfo {
  const char* name;     // key in the config file
  const char* flag;     // command-line flag
  const char* default_text;
  const char* help;
};

// The single declaration of every run option, used by --help, the config reader and docs.
const std::vector<OptionInfo>& run_option_table();

// What the command line said; unset values (-1, empty) leave the config or default.
struct RunFlags {
  std::string config;
  int threads = -1;
  int max_in_flight = -1;
  double min_kill_size_um = -1;
  std::string pattern_model;
  bool no_patterns = false;
  double min_image_defect_um = -1;
  double image_k_sigma = -1;
  std::string calibration;  // tool calibration file (yieldflow calibrate)
  bool no_images = false;
  bool no_analytics = false;  // no yield analytics, tables or report (and no per-wafer tallies)
};

// Merges defaults < config file < flags, validates, and loads the pattern model
// (the shipped one by default; a missing shipped model only warns). Throws
// std::runtime_error naming the file and key for a bad config or a bad model.
PipelineOptions resolve_run_options(const RunFlags& flags);

// The shipped pattern model (models/ of the source tree).
std::string default_pattern_model();

}  // namespace yf
