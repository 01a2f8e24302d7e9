#pragma once
// OUT/summary.json (docs/formats.md): yield per fab, tool, lot, product and step.
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "stages/GroupAggregate.hpp"

namespace yf {

struct FailedWafer {
  std::string source_file;
  std::string wafer_id;
  std::string error;
};

struct FailedFile {
  std::string source_file;
  std::string error;
};

struct RunTotals {
  std::int64_t wafers = 0;  // every wafer read, failed ones included
  std::vector<FailedWafer> failed_wafers;
  std::vector<FailedFile> failed_files;
};

nlohmann::ordered_json group_stats_json(const GroupStats& g);
nlohmann::ordered_json summary_json(const GroupAggregate& aggregate, const RunTotals& totals);

}  // namespace yf
