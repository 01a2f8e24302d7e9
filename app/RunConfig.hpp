#pragma once
// The options of `yieldflow run`, declared once (name, default, help) and
// filled from defaults, then the --config file, then the command line.
// Checked before the graph starts: a bad value fails at start-up.
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

// The single declaration of every run option, used by --help and docs.
const std::vector<OptionInfo>& run_option_table();

// Reads a YAML config file into `options`. Unknown keys and bad values throw
// std::runtime_error naming the file and the key.
void load_config_file(const std::string& path, PipelineOptions& options);

// Throws std::runtime_error when a value is out of range.
void validate(const PipelineOptions& options);

}  // namespace yf
