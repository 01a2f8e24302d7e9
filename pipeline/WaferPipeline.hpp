#pragma once
// The oneTBB flow graph that streams wafers through the stages:
//
//   reader (input_node, serial, every HDF5 call) -> limiter (K tokens)
//     -> stages (function_node, parallel) -> sequencer (input order)
//     -> collector (serial: aggregates, hands results on) -> limiter.decrementer
//
// At most K wafers are in flight, so memory is flat whatever the input size;
// results reach the collector in input order, so the aggregates and outputs are
// identical for any thread count.
#include <cstdint>
#include <functional>
#include <string>
#include <vector>

#include "io/SummaryJson.hpp"
#include "stages/GroupAggregate.hpp"
#include "stages/WaferStages.hpp"

namespace yf {

struct PipelineOptions {
  int threads = 0;        // worker threads; 0 = every core
  int max_in_flight = 0;  // K; 0 = 4 per thread
  StageOptions stages;
};

// Receives every wafer's result, failed ones included, serially and in input
// order (files in argument order, then /wafers order). May throw: an exception
// (say, a full disk) stops the run and reaches run_pipeline's caller.
class ResultConsumer {
 public:
  virtual ~ResultConsumer() = default;
  virtual void consume(const WaferResult& result) = 0;
};

struct PipelineReport {
  RunTotals totals;
  GroupAggregate aggregate;
};

// Called from the collector after each wafer with the number of wafers done.
using ProgressFn = std::function<void(std::int64_t wafers_done)>;

// Files that cannot be opened, or that become unreadable part-way, are listed
// in totals.failed_files and logged; the run goes on with the next file.
PipelineReport run_pipeline(const std::vector<std::string>& inputs, const PipelineOptions& options,
                            ResultConsumer* consumer = nullptr, const ProgressFn& progress = {});

int resolved_threads(const PipelineOptions& options);

}  // namespace yf
