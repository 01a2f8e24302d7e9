#include "app/RunConfig.hpp"

#include <yaml-cpp/yaml.h>

#include <cmath>
#include <stdexcept>

namespace yf {

const std::vector<OptionInfo>& run_option_table() {
  static const std::vector<OptionInfo> table = {
      {"threads", "-j,--threads", "0 (every core)", "worker threads for the stages"},
      {"max_in_flight", "--max-in-flight", "0 (4 per thread)",
       "most wafers held in memory at once (the pipeline's token count)"},
      {"min_kill_size_um", "--min-kill-size", "0 (no minimum)",
       "killer-class defects smaller than this equivalent diameter (um) kill nothing"},
  };
  return table;
}

void load_config_file(const std::string& path, PipelineOptions& options) {
  YAML::Node root;
  try {
    root = YAML::LoadFile(path);
  } catch (const std::exception& e) {
    throw std::runtime_error(path + ": cannot read config: " + e.what());
  }
  if (root.IsNull()) return;
  if (!root.IsMap()) throw std::runtime_error(path + ": config must be a mapping of option: value");
  for (const auto& kv : root) {
    const std::string key = kv.first.as<std::string>();
    try {
      if (key == "threads") {
        options.threads = kv.second.as<int>();
      } else if (key == "max_in_flight") {
        options.max_in_flight = kv.second.as<int>();
      } else if (key == "min_kill_size_um") {
        options.stages.kill.min_kill_size_um = kv.second.as<double>();
      } else {
        std::string known;
        for (const auto& o : run_option_table()) known += std::string(known.empty() ? "" : ", ") + o.name;
        throw std::runtime_error("unknown option (known: " + known + ")");
      }
    } catch (const YAML::Exception& e) {
      throw std::runtime_error(path + ": " + key + ": not a valid value (" + e.msg + ")");
    } catch (const std::runtime_error& e) {
      throw std::runtime_error(path + ": " + key + ": " + e.what());
    }
  }
}

void validate(const PipelineOptions& options) {
  if (options.threads < 0 || options.threads > 1024)
    throw std::runtime_error("threads: " + std::to_string(options.threads) + " out of range 0..1024");
  if (options.max_in_flight < 0)
    throw std::runtime_error("max_in_flight: must not be negative");
  const double k = options.stages.kill.min_kill_size_um;
  if (!std::isfinite(k) || k < 0) throw std::runtime_error("min_kill_size_um: must be a finite value >= 0");
}

}  // namespace yf
