#include "pipeline/WaferPipeline.hpp"

#include <opencv2/core/utility.hpp>
#include <spdlog/spdlog.h>
#include <tbb/flow_graph.h>
#include <tbb/global_control.h>
#include <tbb/info.h>
#include <tbb/task_arena.h>

#include <memory>

#include "io/DatasetError.hpp"
#include "io/DatasetReader.hpp"
#include "pipeline/WorkspacePool.hpp"

namespace yf {
namespace {

using JobPtr = std::shared_ptr<const WaferJob>;

// OpenCV's own parallel_for_ is off while the graph runs. The graph already gives every
// allowed worker a wafer; Debian's OpenCV would otherwise run some image calls on an arena of
// all the cores of its own, so `-j 1` would not mean one thread, and wafers at `-j N` would
// oversubscribe the cores. The previous setting comes back afterwards (`detect` on a single
// image, say, keeps OpenCV's threads).
class OpenCvThreadsOff {
 public:
  OpenCvThreadsOff() : previous_(cv::getNumThreads()) { cv::setNumThreads(1); }
  ~OpenCvThreadsOff() { cv::setNumThreads(previous_); }
  OpenCvThreadsOff(const OpenCvThreadsOff&) = delete;
  OpenCvThreadsOff& operator=(const OpenCvThreadsOff&) = delete;

 private:
  int previous_;
};
using ResultPtr = std::shared_ptr<const WaferResult>;

// The reader node's state: walks the files in order, then their wafers.
class WaferSource {
 public:
  WaferSource(const std::vector<std::string>& inputs, RunTotals& totals) : inputs_(inputs), totals_(totals) {}

  // Next wafer in input order, or null at the end. Whole-file problems are
  // recorded and the file skipped.
  JobPtr next() {
    for (;;) {
      if (!reader_) {
        if (file_ >= inputs_.size()) return nullptr;
        open(inputs_[file_++]);
        continue;
      }
      if (row_ >= reader_->wafer_count()) {
        reader_.reset();
        continue;
      }
      try {
        auto job = std::make_shared<WaferJob>(reader_->read_wafer(row_++));
        job->seq = seq_++;
        return job;
      } catch (const std::exception& e) {
        fail_file(reader_->path(), std::string(e.what()) + " (file abandoned at wafer row " +
                                       std::to_string(row_ - 1) + ")");
        reader_.reset();
      }
    }
  }

 private:
  void open(const std::string& path) {
    try {
      // The flat fields stay compressed: the image stage decodes them on a worker, not this
      // serial node before the file's first wafer can start.
      DatasetReader::Options options;
      options.defer_flat_decode = true;
      reader_ = std::make_unique<DatasetReader>(path, options);
      row_ = 0;
      spdlog::debug("{}: {} wafers", path, reader_->wafer_count());
    } catch (const std::exception& e) {
      fail_file(path, e.what());
    }
  }
  void fail_file(const std::string& path, const std::string& error) {
    spdlog::error("{}", error);
    totals_.failed_files.push_back({path, error});
  }

  const std::vector<std::string>& inputs_;
  RunTotals& totals_;  // failed_files only: written by the reader node alone
  std::unique_ptr<DatasetReader> reader_;
  std::size_t file_ = 0, row_ = 0, seq_ = 0;
};

WaferResult failed_result(const WaferJob& job, const std::string& error) {
  WaferResult r;
  r.seq = job.seq;
  r.source_file = job.source_file;
  r.meta = job.meta;
  r.ok = false;
  r.error = error;
  return r;
}

}  // namespace

int resolved_threads(const PipelineOptions& options) {
  return options.threads > 0 ? options.threads : tbb::info::default_concurrency();
}

PipelineReport run_pipeline(const std::vector<std::string>& inputs, const PipelineOptions& options,
                            ResultConsumer* consumer, const ProgressFn& progress) {
  namespace flow = tbb::flow;
  const int threads = resolved_threads(options);
  const int in_flight = options.max_in_flight > 0 ? options.max_in_flight : 4 * threads;

  PipelineReport report;
  RunTotals failed_files_only;  // the reader's half; merged after the graph ends
  WaferSource source(inputs, failed_files_only);
  WorkspacePool workspaces;  // outlives the graph: leases end inside it

  // -j above the core count is honoured (the default caps workers at cores - 1).
  tbb::global_control workers(tbb::global_control::max_allowed_parallelism, static_cast<std::size_t>(threads));
  tbb::task_arena arena(threads);
  const OpenCvThreadsOff opencv_threads_off;
  arena.execute([&] {
    flow::graph g;
    flow::input_node<JobPtr> reader(g, [&](tbb::flow_control& fc) -> JobPtr {
      JobPtr job = source.next();
      if (!job) fc.stop();
      return job;
    });
    flow::limiter_node<JobPtr> limiter(g, static_cast<std::size_t>(in_flight));
    flow::function_node<JobPtr, ResultPtr> stages(g, flow::unlimited, [&](const JobPtr& job) -> ResultPtr {
      try {
        const WorkspacePool::Lease workspace = workspaces.lease();
        return std::make_shared<const WaferResult>(process_wafer(*job, options.stages, *workspace));
      } catch (const std::exception& e) {  // a bug or exhaustion: the wafer fails, never vanishes
        return std::make_shared<const WaferResult>(failed_result(*job, job->source_file + ": wafer " +
                                                                            job->meta.wafer_id + ": " + e.what()));
      }
    });
    flow::sequencer_node<ResultPtr> order(g, [](const ResultPtr& r) { return r->seq; });
    flow::function_node<ResultPtr, flow::continue_msg> collect(
        g, flow::serial, [&](const ResultPtr& r) -> flow::continue_msg {
          ++report.totals.wafers;
          if (r->ok) {
            report.aggregate.add(*r);
          } else {
            spdlog::warn("{}", r->error);
            report.totals.failed_wafers.push_back({r->source_file, r->meta.wafer_id, r->error});
          }
          if (consumer) consumer->consume(*r);
          if (progress) progress(report.totals.wafers);
          return {};
        });
    flow::make_edge(reader, limiter);
    flow::make_edge(limiter, stages);
    flow::make_edge(stages, order);
    flow::make_edge(order, collect);
    flow::make_edge(collect, limiter.decrementer());
    reader.activate();
    g.wait_for_all();
  });
  report.totals.failed_files = std::move(failed_files_only.failed_files);
  return report;
}

}  // namespace yf
