#include <spdlog/spdlog.h>
#include <unistd.h>

#include <algorithm>
#include <chrono>
#include <cstdio>

#include "app/Commands.hpp"
#include "app/RunOutputs.hpp"

namespace yf {
namespace {

// "\r12345 wafers  2345/s" on stderr, at most 5 times a second, only on a terminal.
class Progress {
 public:
  explicit Progress(bool enabled) : enabled_(enabled && ::isatty(STDERR_FILENO)) {}
  ~Progress() {
    if (shown_) std::fputs("\n", stderr);
  }
  ProgressFn callback() {
    if (!enabled_) return {};
    return [this](std::int64_t done) {
      auto now = std::chrono::steady_clock::now();
      if (now - last_ < std::chrono::milliseconds(200)) return;
      last_ = now;
      double s = std::chrono::duration<double>(now - start_).count();
      std::fprintf(stderr, "\r%lld wafers  %.0f/s ", static_cast<long long>(done),
                   s > 0 ? static_cast<double>(done) / s : 0.0);
      shown_ = true;
    };
  }

 private:
  bool enabled_;
  bool shown_ = false;
  std::chrono::steady_clock::time_point start_ = std::chrono::steady_clock::now(), last_{};
};

}  // namespace

int run_command(const RunArgs& args) {
  try {
    RunOutputs outputs(args.out_dir, args.options.stages.tallies.enabled);
    std::vector<std::string> inputs = args.inputs;
    OnTheFlyImports imported(inputs);  // KLARF, STDF, map files: into temporary datasets
    Progress progress(args.progress);
    PipelineReport report = run_pipeline(inputs, args.options, &outputs, progress.callback());
    outputs.finish(report);
    const auto& t = report.totals;
    spdlog::info("{} wafers from {} files into {}: {} failed wafers, {} failed files", t.wafers, args.inputs.size(),
                 args.out_dir.string(), t.failed_wafers.size(), t.failed_files.size());
    return (t.failed_wafers.empty() && t.failed_files.empty()) ? kExitOk : kExitSomeFailed;
  } catch (const std::exception& e) {
    spdlog::critical("run failed, no complete output in {}: {}", args.out_dir.string(), e.what());
    return kExitFatal;
  }
}

}  // namespace yf
