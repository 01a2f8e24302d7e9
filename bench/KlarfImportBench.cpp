// KLARF import throughput beside a plain read of the same bytes (issue 5: within
// 3x). Generates a KLARF 1.2 lot file of the asked size (many wafers, 17-column
// defect rows with an IMAGELIST, like ../shared/data/klarf/ati_wind_v1.2.001) into
// a temporary folder, then times, alternately, N times each:
//   read  - fread of the file in 1 MiB blocks, counting newlines (the floor: every
//           byte touched once);
//   klarf - yf::import::import_klarf into a sink that only counts (parse and
//           convert, no HDF5).
// Prints the median MB/s of each and their ratio. Usage:
//   yf_bench_klarf_import [MB, default 200] [runs, default 5]
// YF_KLARF_BLOCK=avx2|portable|off in the environment caps the block reader's path
// (default: the fastest the CPU has).
#include <unistd.h>

#include <algorithm>
#include <chrono>
#include <ctime>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <filesystem>
#include <string>
#include <vector>

#include "io/import/KlarfDefectBlock.hpp"
#include "io/import/KlarfImporter.hpp"

namespace {

struct CountingSink : yf::import::ImportSink {
  std::size_t wafers = 0, defects = 0;
  double checksum = 0;
  void add_product(const yf::ProductGeometry&) override {}
  void add_defect_classes(const std::vector<yf::DefectClass>&) override {}
  void add_bins(const std::vector<yf::BinDef>&) override {}
  void add_wafer(yf::WaferRecord w) override {
    ++wafers;
    defects += w.defects.size();
    if (!w.defects.empty()) checksum += w.defects.back().x_mm;
  }
  void warning(const std::string&, const std::string&) override {}
};

std::size_t write_klarf(const std::string& path, std::size_t target_bytes) {
  FILE* f = std::fopen(path.c_str(), "wb");
  if (!f) std::exit(2);
  std::fprintf(f,
               "FileVersion 1 2;\nFileTimestamp 08-18-2023 16:19:42;\nInspectionStationID \"BENCH\" \"GEN\" \"T1\";\n"
               "SampleType WAFER;\nResultTimestamp 08-18-2023 16:19:42;\nLotID \"BENCHLOT\";\nSampleSize 1 300;\n"
               "DeviceID \"BENCHDEV\";\nSetupID \"Recipe\" 08-18-23 16:19:42;\nStepID \"M1\";\n"
               "SampleOrientationMarkType NOTCH;\nOrientationMarkLocation DOWN;\nDiePitch 1.000000e+004 8.000000e+003;\n"
               "DieOrigin 0.000000e+000 0.000000e+000;\n");
  std::uint64_t rng = 12345;
  auto next = [&] {
    rng = rng * 6364136223846793005ULL + 1442695040888963407ULL;
    return static_cast<std::uint32_t>(rng >> 33);
  };
  std::size_t wafer = 0;
  while (static_cast<std::size_t>(std::ftell(f)) < target_bytes) {
    ++wafer;
    std::fprintf(f, "WaferID \"W%zu\";\nSlot %zu;\nSampleCenterLocation 5.000000e+003 4.000000e+003;\nInspectionTest 1;\n",
                 wafer, (wafer - 1) % 25 + 1);
    // A 24 x 30 plan around the centre.
    std::fprintf(f, "SampleTestPlan %d\n", 24 * 30);
    for (int i = -12; i < 12; ++i)
      for (int j = -15; j < 15; ++j) std::fprintf(f, "%d %d\n", i, j);
    std::fprintf(f, ";\nAreaPerTest 5.760000e+010;\nDefectRecordSpec 17 DEFECTID XREL YREL XINDEX YINDEX XSIZE YSIZE "
                    "DEFECTAREA DSIZE CLASSNUMBER TEST CLUSTERNUMBER ROUGHBINNUMBER FINEBINNUMBER REVIEWSAMPLE "
                    "IMAGECOUNT IMAGELIST;\nDefectList\n");
    const int n = 2000;
    for (int k = 1; k <= n; ++k) {
      const int images = next() % 4 == 0 ? 1 : 0;
      std::fprintf(f, "%d %.6e %.6e %d %d %u %u %u %u %u 1 0 0 0 0 %d %d", k, (next() % 1000000) / 100.0,
                   (next() % 800000) / 100.0, static_cast<int>(next() % 24) - 12, static_cast<int>(next() % 30) - 15,
                   next() % 50, next() % 50, next() % 2500, next() % 60, next() % 8, images, images);
      if (images) std::fprintf(f, "\n%d 0", k);
      std::fputs(k == n ? ";\n" : "\n", f);
    }
    std::fprintf(f, "SummarySpec 5 TESTNO NDEFECT DEFDENSITY NDIE NDEFDIE;\nSummaryList\n1 %d 0 720 0;\n", n);
  }
  std::fputs("EndOfFile;\n", f);
  const auto size = static_cast<std::size_t>(std::ftell(f));
  std::fclose(f);
  return size;
}

double seconds_since(std::chrono::steady_clock::time_point t0) {
  return std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
}

double cpu_now() {
  timespec ts{};
  clock_gettime(CLOCK_PROCESS_CPUTIME_ID, &ts);
  return static_cast<double>(ts.tv_sec) + static_cast<double>(ts.tv_nsec) * 1e-9;
}

double median(std::vector<double> v) {
  std::sort(v.begin(), v.end());
  return v[v.size() / 2];
}

}  // namespace

int main(int argc, char** argv) {
  const std::size_t mb = argc > 1 ? std::strtoul(argv[1], nullptr, 10) : 200;
  const int runs = argc > 2 ? std::atoi(argv[2]) : 5;
  if (const char* m = std::getenv("YF_KLARF_BLOCK")) {
    const std::string mode = m;
    using yf::import::KlarfBlockMode;
    yf::import::set_klarf_block_mode(mode == "avx2" ? KlarfBlockMode::avx2 : mode == "portable" ? KlarfBlockMode::portable
                                     : mode == "off"  ? KlarfBlockMode::off
                                                      : KlarfBlockMode::automatic);
    std::printf("block reader: %s\n", mode.c_str());
  }
  const auto dir = std::filesystem::temp_directory_path() / ("yf-bench-import-" + std::to_string(::getpid()));
  std::filesystem::create_directories(dir);
  const std::string path = (dir / "bench.klarf").string();
  const std::size_t bytes = write_klarf(path, mb << 20);
  std::printf("file: %.1f MB KLARF 1.2 (%s)\n", static_cast<double>(bytes) / 1e6, path.c_str());

  std::vector<double> read_s, klarf_s, read_cpu, klarf_cpu;
  std::vector<char> buf(1 << 20);
  std::size_t wafers = 0, defects = 0;
  for (int r = 0; r < runs; ++r) {
    auto t0 = std::chrono::steady_clock::now();
    double c0 = cpu_now();
    FILE* f = std::fopen(path.c_str(), "rb");
    std::size_t lines = 0, got = 0;
    while ((got = std::fread(buf.data(), 1, buf.size(), f)) > 0)
      for (const char* p = buf.data(); (p = static_cast<const char*>(std::memchr(p, '\n', buf.data() + got - p)));
           ++p)
        ++lines;
    std::fclose(f);
    read_s.push_back(seconds_since(t0));
    read_cpu.push_back(cpu_now() - c0);
    if (lines == 0) return 3;

    t0 = std::chrono::steady_clock::now();
    c0 = cpu_now();
    CountingSink sink;
    yf::import::import_klarf(path, {}, sink);
    klarf_s.push_back(seconds_since(t0));
    klarf_cpu.push_back(cpu_now() - c0);
    wafers = sink.wafers, defects = sink.defects;
  }
  const double mbytes = static_cast<double>(bytes) / 1e6;
  const double read_rate = mbytes / median(read_s), klarf_rate = mbytes / median(klarf_s);
  std::printf("wafers %zu, defects %zu, runs %d (medians)\n", wafers, defects, runs);
  std::printf("wall time: read %8.1f MB/s, klarf %8.1f MB/s (%.2fx the read's time)\n", read_rate, klarf_rate,
              read_rate / klarf_rate);
  // On a shared, loaded machine the wall time mostly measures waiting for a core:
  // the CPU time (user + system) of each phase compares the work itself.
  const double read_c = mbytes / median(read_cpu), klarf_c = mbytes / median(klarf_cpu);
  std::printf("CPU time:  read %8.1f MB/s, klarf %8.1f MB/s (%.2fx the read's time)\n", read_c, klarf_c,
              read_c / klarf_c);
  std::filesystem::remove_all(dir);
  return 0;
}
