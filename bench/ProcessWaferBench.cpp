// yf_bench_stages: Google Benchmark of stages/process_wafer on the benchmark's
// 2,454-die product (samples: sample_bench_product()), the CPU cost per wafer that
// the pipeline's stage node pays (docs/performance.md). Wafers come from the sample
// generator's synthesiser, all nine patterns, with and without defect lists.
#include <benchmark/benchmark.h>

#include <memory>
#include <vector>

#include "samples/Random.hpp"
#include "samples/SampleGenerator.hpp"
#include "samples/WaferSynth.hpp"
#include "stages/WaferStages.hpp"

namespace {

std::vector<yf::WaferJob> make_jobs(bool with_defects) {
  const yf::ProductGeometry product = yf::sample_bench_product();
  const yf::samples::DieLayout layout(product);
  auto tables = std::make_shared<yf::DatasetTables>();
  tables->source_file = "bench.h5";
  tables->products.emplace(product.name, std::make_shared<const yf::ProductGeometry>(product));
  tables->has_bins_table = true;
  for (const yf::BinDef& b : yf::samples::sample_bins()) tables->bins[b.bin] = b;
  if (with_defects)
    for (const yf::DefectClass& c : yf::samples::sample_defect_classes()) tables->defect_classes[c.class_id] = c;

  std::vector<yf::WaferJob> jobs;
  const std::vector<std::string> patterns = yf::sample_patterns();
  for (std::uint64_t w = 0; w < 64; ++w) {
    const std::string& pattern = patterns[w % patterns.size()];
    yf::samples::SynthWafer s = yf::samples::synthesize_wafer(layout, pattern, w % 7 == 0, with_defects,
                                                              yf::samples::stream_seed(1, 2, w),
                                                              yf::samples::stream_seed(1, 3, w));
    yf::WaferJob job;
    job.seq = w;
    job.source_file = "bench.h5";
    job.wafer_row = w;
    job.meta.wafer_id = "W" + std::to_string(w);
    job.meta.product = product.name;
    job.meta.binmap_row = static_cast<std::int64_t>(w);
    job.meta.defect_count = static_cast<std::int64_t>(s.defects.size());
    job.tables = tables;
    job.product = tables->products.at(product.name);
    job.defects = std::move(s.defects);
    job.binmap = std::move(s.binmap);
    jobs.push_back(std::move(job));
  }
  return jobs;
}

void process(benchmark::State& state, bool with_defects) {
  const std::vector<yf::WaferJob> jobs = make_jobs(with_defects);
  const yf::StageOptions options;
  yf::StageWorkspace workspace;  // kept from wafer to wafer, as the pipeline's workers do
  std::size_t i = 0, defects = 0;
  for (auto _ : state) {
    const yf::WaferJob& job = jobs[i++ % jobs.size()];
    yf::WaferResult r = yf::process_wafer(job, options, workspace);
    if (!r.ok) state.SkipWithError(r.error.c_str());
    benchmark::DoNotOptimize(r);
    defects += job.defects.size();
  }
  state.SetItemsProcessed(static_cast<std::int64_t>(state.iterations()));
  state.counters["defects/wafer"] = double(defects) / double(state.iterations());
}

void BM_ProcessWafer_BinsOnly(benchmark::State& state) { process(state, false); }
void BM_ProcessWafer_WithDefects(benchmark::State& state) { process(state, true); }

BENCHMARK(BM_ProcessWafer_BinsOnly);
BENCHMARK(BM_ProcessWafer_WithDefects);

}  // namespace

BENCHMARK_MAIN();
