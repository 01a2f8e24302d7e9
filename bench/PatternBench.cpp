// yf_bench_patterns: Google Benchmark of the pattern classifier on the benchmark's
// 2,454-die product (sample_bench_product()), what the stage node pays per wafer on
// top of process_wafer (docs/patterns.md, docs/performance.md): building the FailMap
// from the bin map, pattern_features(), and the forest's vote with the shipped model.
#include <benchmark/benchmark.h>

#include <cstdlib>
#include <ctime>
#include <memory>
#include <string>
#include <vector>

#include "samples/Random.hpp"
#include "samples/SampleGenerator.hpp"
#include "samples/WaferSynth.hpp"
#include "stages/PatternModel.hpp"

namespace {

// YF_BENCH_PATTERN_MODEL=FILE measures another model (a distilled one, docs/patterns.md).
const std::string kModel = std::getenv("YF_BENCH_PATTERN_MODEL") ? std::getenv("YF_BENCH_PATTERN_MODEL")
                                                                 : std::string(YF_MODELS_DIR) + "/patterns.yml.gz";

struct Maps {
  yf::DatasetTables tables;
  std::vector<yf::BinMap> bins;
  std::vector<yf::FailMap> fail;
};

// 63 wafers, seven of each of the nine sample patterns (one in seven with the excursion).
const Maps& maps() {
  static const Maps m = [] {
    Maps out;
    out.tables.has_bins_table = true;
    for (const yf::BinDef& b : yf::samples::sample_bins()) out.tables.bins[b.bin] = b;
    const yf::samples::DieLayout layout(yf::sample_bench_product());
    const auto patterns = yf::sample_patterns();
    for (std::uint64_t w = 0; w < 63; ++w) {
      auto s = yf::samples::synthesize_wafer(layout, patterns[w % patterns.size()], w % 7 == 0, false,
                                             yf::samples::stream_seed(1, 2, w), 0);
      out.fail.push_back(yf::fail_map_from_bins(s.binmap, out.tables));
      out.bins.push_back(std::move(s.binmap));
    }
    return out;
  }();
  return m;
}

void BM_FailMapFromBins(benchmark::State& state) {
  const Maps& m = maps();
  std::size_t i = 0;
  for (auto _ : state) benchmark::DoNotOptimize(yf::fail_map_from_bins(m.bins[i++ % m.bins.size()], m.tables));
  state.SetItemsProcessed(static_cast<std::int64_t>(state.iterations()));
}

void BM_PatternFeatures(benchmark::State& state) {
  const Maps& m = maps();
  std::size_t i = 0;
  for (auto _ : state) benchmark::DoNotOptimize(yf::pattern_features(m.fail[i++ % m.fail.size()]));
  state.SetItemsProcessed(static_cast<std::int64_t>(state.iterations()));
}

// The same per sample pattern (state.range(0) indexes sample_patterns()): dense maps
// (near-full, random) cost most, in the regions and the line score.
void BM_PatternFeaturesByPattern(benchmark::State& state) {
  const Maps& m = maps();
  const auto k = static_cast<std::size_t>(state.range(0));
  std::size_t i = 0;
  for (auto _ : state) {
    benchmark::DoNotOptimize(yf::pattern_features(m.fail[k + 9 * (i % 7)]));
    ++i;
  }
  state.SetLabel(yf::sample_patterns()[k]);
}

void BM_PatternVote(benchmark::State& state) {
  const Maps& m = maps();
  const auto model = yf::PatternModel::load(kModel);
  std::vector<std::vector<float>> features;
  for (const auto& f : m.fail) features.push_back(yf::pattern_features(f));
  std::size_t i = 0;
  for (auto _ : state) benchmark::DoNotOptimize(model->classify_features(features[i++ % features.size()]));
  state.SetItemsProcessed(static_cast<std::int64_t>(state.iterations()));
  state.counters["trees"] = model->trees();
}

// Everything the stage adds per wafer: bin map -> FailMap -> features -> vote.
void BM_PatternClassifyFromBins(benchmark::State& state) {
  const Maps& m = maps();
  const auto model = yf::PatternModel::load(kModel);
  std::size_t i = 0;
  for (auto _ : state)
    benchmark::DoNotOptimize(model->classify(yf::fail_map_from_bins(m.bins[i++ % m.bins.size()], m.tables)));
  state.SetItemsProcessed(static_cast<std::int64_t>(state.iterations()));
}

double thread_seconds() {
  timespec t{};
  clock_gettime(CLOCK_THREAD_CPUTIME_ID, &t);
  return static_cast<double>(t.tv_sec) + 1e-9 * static_cast<double>(t.tv_nsec);
}

// The same with 2 MB of other data touched between two wafers, as the rest of a wafer's
// work does in the pipeline: the forest and the feature buffers start out of the
// caches (the case the forest's lockstep vote is written for; docs/patterns.md "Speed").
void BM_PatternClassifyCold(benchmark::State& state) {
  const Maps& m = maps();
  const auto model = yf::PatternModel::load(kModel);
  std::vector<char> other(2 << 20, 1);
  std::size_t i = 0;
  for (auto _ : state) {
    for (std::size_t j = 0; j < other.size(); j += 64) other[j] = static_cast<char>(other[j] + 1);
    benchmark::ClobberMemory();
    const yf::FailMap& map = m.fail[i++ % m.fail.size()];
    // The thread's CPU time, not the wall clock: the machine is shared (the sweep's
    // cost is left out either way).
    const double t0 = thread_seconds();
    benchmark::DoNotOptimize(model->classify(map));
    state.SetIterationTime(thread_seconds() - t0);
  }
  state.SetItemsProcessed(static_cast<std::int64_t>(state.iterations()));
}

// Once per run: reading the shipped model.
void BM_PatternModelLoad(benchmark::State& state) {
  for (auto _ : state) benchmark::DoNotOptimize(yf::PatternModel::load(kModel));
}

BENCHMARK(BM_FailMapFromBins);
BENCHMARK(BM_PatternFeatures);
BENCHMARK(BM_PatternFeaturesByPattern)->DenseRange(0, 8);
BENCHMARK(BM_PatternVote);
BENCHMARK(BM_PatternClassifyFromBins);
BENCHMARK(BM_PatternClassifyCold)->UseManualTime();
BENCHMARK(BM_PatternModelLoad)->Unit(benchmark::kMillisecond)->Iterations(3);

}  // namespace

BENCHMARK_MAIN();
