#pragma once
// Reader of WM-811K wafer maps converted to JSON lines (../shared/data/wm811k): one
// object a line with lotName, waferIndex, failureType, rows, cols and map (rows
// strings of '0' no die, '1' pass, '2' fail). Used to train and evaluate the pattern
// classifier (docs/patterns.md).
#include <string>
#include <string_view>
#include <vector>

#include "stages/PatternFeatures.hpp"

namespace yf {

struct Wm811kMap {
  std::string lot;
  int wafer_index = 0;
  std::string failure_type;  // a WM-811K class name, "" when unlabelled
  FailMap map;
};

// One JSON line. Throws std::runtime_error naming the problem (no file or line: the
// caller adds them) for bad JSON, a missing field, or a map that disagrees with rows
// and cols or holds another character than 0, 1, 2.
Wm811kMap parse_wm811k_line(std::string_view line);

// Reads every line (blank lines skipped). Throws std::runtime_error "path:line: problem"
// for a missing file, bad JSON, a missing field, or a map whose strings disagree with
// rows and cols or hold another character than 0, 1, 2.
std::vector<Wm811kMap> read_wm811k_jsonl(const std::string& path);

}  // namespace yf
