#include <spdlog/spdlog.h>
#include <unistd.h>

#include <cstdio>
#include <cstdlib>
#include <iostream>

#include "app/Commands.hpp"
#include "io/OutputCompare.hpp"

namespace yf {

int regress_command(const RunArgs& args, const std::filesystem::path& golden, bool update) {
  if (update) {
    RunArgs into_golden = args;
    into_golden.out_dir = golden;
    int status = run_command(into_golden);
    // regress compares wafers.csv and summary.json only: keep the golden folder small.
    std::error_code ec;
    for (const char* name : {"results.h5", "defects.csv", "report.html"}) std::filesystem::remove(golden / name, ec);
    std::filesystem::remove_all(golden / "tables", ec);
    if (status == kExitOk || status == kExitSomeFailed) spdlog::info("golden folder {} written", golden.string());
    return status == kExitFatal ? kExitFatal : kExitOk;
  }
  // Without -o the run goes to a fresh temporary folder, removed afterwards.
  RunArgs run = args;
  bool temporary = args.out_dir.empty();
  if (temporary) {
    std::string tmpl = (std::filesystem::temp_directory_path() / "yieldflow-regress-XXXXXX").string();
    if (!::mkdtemp(tmpl.data())) {
      spdlog::critical("cannot create a temporary folder");
      return kExitFatal;
    }
    run.out_dir = tmpl;
  }
  int status = run_command(run);
  int result = kExitFatal;
  if (status != kExitFatal) {
    try {
      auto diffs = compare_outputs(golden, run.out_dir);
      if (diffs.empty()) {
        std::cout << "regress: outputs equal to " << golden.string() << "\n";
        result = kExitOk;
      } else {
        std::cout << format_differences(diffs) << diffs.size() << " differences from " << golden.string() << "\n";
        result = kExitSomeFailed;
      }
    } catch (const std::exception& e) {
      spdlog::critical("regress: {}", e.what());
    }
  }
  if (temporary) std::filesystem::remove_all(run.out_dir);
  return result;
}

}  // namespace yf
