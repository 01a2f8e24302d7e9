#include "app/RunConfig.hpp"

#include <spdlog/spdlog.h>
#include <yaml-cpp/yaml.h>

#include <algorithm>
#include <cmath>
#include <filesystem>
#include <stdexcept>

#include "io/ToolCalibrationFile.hpp"
#include "stages/PatternClassifier.hpp"

namespace yf {

const std::vector<OptionInfo>& run_option_table() {
  static const std::vector<OptionInfo> table = {
      {"threads", "-j,--threads", "0 (every core)", "worker threads for the stages"},
      {"max_in_flight", "--max-in-flight", "0 (4 per thread)",
       "most wafers held in memory at once (the pipeline's token count)"},
      {"min_kill_size_um", "--min-kill-size", "0 (no minimum)",
       "killer-class defects smaller than this equivalent diameter (um) kill nothing"},
      {"pattern_model", "--pattern-model", "models/patterns.yml.gz",
       "failure-pattern model file (yieldflow train-patterns); \"none\" = do not classify"},
      {"min_image_defect_um", "--min-image-defect-um", "0 (no minimum)",
       "defects found in images smaller than this equivalent diameter (um) are dropped"},
      {"image_k_sigma", "--image-k-sigma", "5",
       "image detection threshold, in robust sigmas of the die-to-die difference"},
      {"calibration", "--calibration", "none (each image calibrated from /calibration/<tool>)",
       "tool calibration file written by yieldflow calibrate"},
  };
  return table;
}

std::string default_pattern_model() { return YF_DEFAULT_PATTERN_MODEL; }

namespace {

struct Settings {
  int threads = 0;
  int max_in_flight = 0;
  double min_kill_size_um = 0;
  std::string pattern_model;  // empty: the default
  double min_image_defect_um = 0;
  double image_k_sigma = 5;
  std::string calibration;
};

void read_config(const std::string& path, Settings& s) {
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
        s.threads = kv.second.as<int>();
      } else if (key == "max_in_flight") {
        s.max_in_flight = kv.second.as<int>();
      } else if (key == "min_kill_size_um") {
        s.min_kill_size_um = kv.second.as<double>();
      } else if (key == "pattern_model") {
        s.pattern_model = kv.second.as<std::string>();
      } else if (key == "min_image_defect_um") {
        s.min_image_defect_um = kv.second.as<double>();
      } else if (key == "image_k_sigma") {
        s.image_k_sigma = kv.second.as<double>();
      } else if (key == "calibration") {
        s.calibration = kv.second.as<std::string>();
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

std::shared_ptr<const PatternClassifier> load_patterns(const std::string& requested) {
  if (requested == "none") return nullptr;
  const std::string path = requested.empty() ? default_pattern_model() : requested;
  if (requested.empty() && !std::filesystem::exists(path)) {
    spdlog::warn("pattern model {} not found: failure patterns are not classified", path);
    return nullptr;
  }
  return PatternClassifier::load(path);  // a model asked for by name must load
}

}  // namespace

PipelineOptions resolve_run_options(const RunFlags& flags) {
  Settings s;
  if (!flags.config.empty()) read_config(flags.config, s);
  if (flags.threads >= 0) s.threads = flags.threads;
  if (flags.max_in_flight >= 0) s.max_in_flight = flags.max_in_flight;
  if (flags.min_kill_size_um >= 0) s.min_kill_size_um = flags.min_kill_size_um;
  if (!flags.pattern_model.empty()) s.pattern_model = flags.pattern_model;
  if (flags.no_patterns) s.pattern_model = "none";
  if (flags.min_image_defect_um >= 0) s.min_image_defect_um = flags.min_image_defect_um;
  if (flags.image_k_sigma >= 0) s.image_k_sigma = flags.image_k_sigma;
  if (!flags.calibration.empty()) s.calibration = flags.calibration;

  if (s.threads < 0 || s.threads > 1024)
    throw std::runtime_error("threads: " + std::to_string(s.threads) + " out of range 0..1024");
  if (s.max_in_flight < 0) throw std::runtime_error("max_in_flight: must not be negative");
  if (!std::isfinite(s.min_kill_size_um) || s.min_kill_size_um < 0)
    throw std::runtime_error("min_kill_size_um: must be a finite value >= 0");

  if (!std::isfinite(s.min_image_defect_um) || s.min_image_defect_um < 0)
    throw std::runtime_error("min_image_defect_um: must be a finite value >= 0");
  if (!std::isfinite(s.image_k_sigma) || s.image_k_sigma < 1 || s.image_k_sigma > 100)
    throw std::runtime_error("image_k_sigma: must be in 1..100");

  PipelineOptions o;
  o.stages.images.enabled = !flags.no_images;
  o.stages.images.min_defect_um = s.min_image_defect_um;
  o.stages.images.k_sigma = s.image_k_sigma;
  o.stages.images.grow_k_sigma = std::min(3.0, s.image_k_sigma);
  if (!s.calibration.empty() && s.calibration != "none")
    o.stages.images.tool_calibrations = std::make_shared<const std::map<std::string, ToolCalibration>>(
        to_tool_calibrations(read_tool_calibration_file(s.calibration)));
  o.threads = s.threads;
  o.max_in_flight = s.max_in_flight;
  o.stages.kill.min_kill_size_um = s.min_kill_size_um;
  o.stages.patterns = load_patterns(s.pattern_model);
  o.stages.tallies.enabled = !flags.no_analytics;
  return o;
}

}  // namespace yf
