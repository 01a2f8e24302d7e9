// yf_bench_detection: Google Benchmark of the image detection functions
// (stages/ImageDetection.hpp) on 2048x2048 and 4096x4096 images, beside OpenCV's
// own cost for the core operations on the same images (docs/performance.md,
// "Image detection"). Images are the tests' synthetic die grids
// (tests/support/SyntheticDies.hpp), rendered once per size.
#include <benchmark/benchmark.h>

#include <map>
#include <opencv2/imgproc.hpp>

#include "stages/ImageDetection.hpp"
#include "support/SyntheticDies.hpp"

namespace {

using yf::test::PlantedDefect;
using yf::test::SyntheticDieImage;

// A wafer-sized die grid: ~100 x 80 px dies (~40 x 50 of them at 4096 px),
// a 0.2 degree rotation, noise 3, a dozen defects.
SyntheticDieImage grid(int side) {
  SyntheticDieImage s;
  s.image_size = cv::Size(side, side);
  s.pitch = cv::Size2d(100.4, 80.3);
  s.angle_deg = 0.2;
  s.supersample = 1;
  for (int i = 0; i < 12; ++i)
    s.defects.push_back({i % 3 == 0 ? PlantedDefect::line : PlantedDefect::disc,
                         cv::Point2d(side * (0.1 + 0.07 * i), side * (0.15 + 0.06 * i)), i % 3 == 0 ? 20.0 : 2.5,
                         i % 3 == 0 ? 0.75 : 2.5, 25, 30});
  return s;
}

struct Images {
  cv::Mat wafer;
  yf::DieCells cells;
  cv::Mat inspected, reference;
  cv::Mat noise_diff;
};

const Images& images(int side) {
  static std::map<int, Images> cache;
  auto it = cache.find(side);
  if (it != cache.end()) return it->second;
  Images im;
  SyntheticDieImage s = grid(side);
  im.wafer = s.render();
  im.cells.pitch_px = s.pitch;
  im.cells.die_size_px = cv::Size(101, 81);
  im.cells.angle_deg = s.angle_deg;
  im.cells.origins_px = s.whole_die_origins(im.cells.die_size_px);
  im.inspected = im.wafer;
  SyntheticDieImage r = grid(side);
  r.defects.clear();
  r.grid_origin += cv::Point2d(3.25, -2.5);
  r.seed = 99;
  im.reference = r.render();
  im.noise_diff.create(side, side, CV_32F);
  cv::RNG(5).fill(im.noise_diff, cv::RNG::NORMAL, 0.0, 3.0);
  return cache.emplace(side, std::move(im)).first->second;
}

void megapixels(benchmark::State& state, int side) {
  state.counters["MPix/s"] =
      benchmark::Counter(static_cast<double>(side) * side * 1e-6, benchmark::Counter::kIsIterationInvariantRate);
}

void BM_DieToDie(benchmark::State& state) {
  const int side = static_cast<int>(state.range(0));
  const Images& im = images(side);
  std::size_t found = 0;
  for (auto _ : state) found = yf::detect_die_to_die(im.wafer, im.cells, yf::DetectionOptions{}).defects.size();
  state.counters["dies"] = static_cast<double>(im.cells.origins_px.size());
  state.counters["defects"] = static_cast<double>(found);
  megapixels(state, side);
}

void BM_ReferencePair(benchmark::State& state) {
  const int side = static_cast<int>(state.range(0));
  const Images& im = images(side);
  for (auto _ : state) benchmark::DoNotOptimize(yf::detect_reference_pair(im.inspected, im.reference, {}));
  megapixels(state, side);
}

void BM_ExtractBlobs(benchmark::State& state) {
  const int side = static_cast<int>(state.range(0));
  const Images& im = images(side);
  for (auto _ : state) benchmark::DoNotOptimize(yf::extract_blobs(im.noise_diff, 3.0, cv::Mat(), cv::Mat(), {}));
  megapixels(state, side);
}

void BM_RobustSigma(benchmark::State& state) {
  const int side = static_cast<int>(state.range(0));
  const Images& im = images(side);
  for (auto _ : state) benchmark::DoNotOptimize(yf::robust_sigma(im.noise_diff));
  megapixels(state, side);
}

// OpenCV floors on the same image: one bicubic warp of the whole image (die-to-die
// resamples it twice: dies out, reference back), and threshold + connected components.
void BM_OpenCV_WarpCubic(benchmark::State& state) {
  const int side = static_cast<int>(state.range(0));
  const Images& im = images(side);
  const cv::Mat m = cv::getRotationMatrix2D(cv::Point2f(static_cast<float>(side) / 2, static_cast<float>(side) / 2), 0.2, 1.0);
  cv::Mat out;
  for (auto _ : state) cv::warpAffine(im.wafer, out, m, im.wafer.size(), cv::INTER_CUBIC);
  megapixels(state, side);
}

void BM_OpenCV_ThresholdComponents(benchmark::State& state) {
  const int side = static_cast<int>(state.range(0));
  const Images& im = images(side);
  cv::Mat mask, labels, stats, centroids;
  for (auto _ : state) {
    cv::threshold(cv::abs(im.noise_diff), mask, 9.0, 255, cv::THRESH_BINARY);
    mask.convertTo(mask, CV_8U);
    benchmark::DoNotOptimize(cv::connectedComponentsWithStats(mask, labels, stats, centroids, 8, CV_32S));
  }
  megapixels(state, side);
}

}  // namespace

BENCHMARK(BM_DieToDie)->Arg(2048)->Arg(4096)->Unit(benchmark::kMillisecond);
BENCHMARK(BM_ReferencePair)->Arg(2048)->Arg(4096)->Unit(benchmark::kMillisecond);
BENCHMARK(BM_ExtractBlobs)->Arg(2048)->Arg(4096)->Unit(benchmark::kMillisecond);
BENCHMARK(BM_RobustSigma)->Arg(2048)->Arg(4096)->Unit(benchmark::kMillisecond);
BENCHMARK(BM_OpenCV_WarpCubic)->Arg(2048)->Arg(4096)->Unit(benchmark::kMillisecond);
BENCHMARK(BM_OpenCV_ThresholdComponents)->Arg(2048)->Arg(4096)->Unit(benchmark::kMillisecond);

BENCHMARK_MAIN();
