// yf_bench_import: MB/s of the sort-map importers (STDF plain and gzip, SINF, E142)
// beside a plain read of the same bytes (docs/performance.md, "Importing sort maps").
// The files are generated once per run into a temporary folder (YF_BENCH_IMPORT_DIR
// to keep them elsewhere): a ~210 MB STDF of 72 wafers x 4,900 dies with 20 PTRs a
// die (as testers write them: per-test records are most of the bytes), its gzip, and
// SINF / E142 files of 100 wafers of 300 x 300 dies. The page cache is warm: these
// are CPU figures.
#include <benchmark/benchmark.h>
#include <unistd.h>
#include <zlib.h>

#include <cstdio>
#include <filesystem>
#include <fstream>
#include <string>
#include <vector>

#include "io/import/SemiMapImporter.hpp"
#include "io/import/SinfImporter.hpp"
#include "io/import/StdfImporter.hpp"
#include "support/StdfWriter.hpp"

namespace {

namespace fs = std::filesystem;

struct CountingSink : yf::import::ImportSink {
  std::size_t wafers = 0;
  void add_product(const yf::ProductGeometry&) override {}
  void add_defect_classes(const std::vector<yf::DefectClass>&) override {}
  void add_bins(const std::vector<yf::BinDef>&) override {}
  void add_wafer(yf::WaferRecord w) override { wafers += w.binmap.has_value(); }
  void warning(const std::string&, const std::string&) override {}
};

constexpr int kStdfWafers = 72, kStdfSide = 79, kPtrsPerDie = 20;  // 79 x 79 grid, ~4,900 dies in the circle
constexpr int kMapWafers = 100, kMapSide = 300;

bool on_wafer(int c, int r, int side) {
  const double h = (side - 1) / 2.0, dx = c - h, dy = r - h;
  return dx * dx + dy * dy <= h * h;
}

struct Files {
  std::string dir, stdf, stdf_gz, sinf, e142;
  Files() {
    const char* keep = std::getenv("YF_BENCH_IMPORT_DIR");
    dir = keep ? keep : (fs::temp_directory_path() / ("yf-bench-import-" + std::to_string(::getpid()))).string();
    fs::create_directories(dir);
    stdf = dir + "/lot.stdf";
    stdf_gz = dir + "/lot.stdf.gz";
    sinf = dir + "/lot.inf";
    e142 = dir + "/lot.xml";
    if (!fs::exists(stdf)) write_stdf();
    if (!fs::exists(stdf_gz)) gzip(stdf, stdf_gz);
    if (!fs::exists(sinf)) write_sinf();
    if (!fs::exists(e142)) write_e142();
  }
  ~Files() {
    if (!std::getenv("YF_BENCH_IMPORT_DIR")) fs::remove_all(dir);
  }

  void write_stdf() const {
    std::ofstream out(stdf, std::ios::binary);
    yf::test::StdfWriter w(false);
    w.far();
    w.mir("BENCHLOT", "BENCHDEV", "tester-1", 1700000000u);
    w.wcr(300.0f, 3.5f, 3.5f, 3, 'D', 'R', 'D');
    std::uint32_t seed = 1;
    for (int wafer = 0; wafer < kStdfWafers; ++wafer) {
      w.wir(1, "BENCHLOT-" + std::to_string(wafer + 1));
      std::uint32_t parts = 0;
      for (int r = 0; r < kStdfSide; ++r)
        for (int c = 0; c < kStdfSide; ++c) {
          if (!on_wafer(c, r, kStdfSide)) continue;
          w.pir(1, static_cast<std::uint8_t>(c % 8));
          for (int t = 0; t < kPtrsPerDie; ++t) {
            seed = seed * 1664525u + 1013904223u;
            w.ptr(1000u + static_cast<std::uint32_t>(t), 1, static_cast<std::uint8_t>(c % 8),
                  static_cast<float>(seed >> 8) * 1e-6f);
          }
          const bool fail = (seed >> 27) == 0;
          w.prr(1, static_cast<std::uint8_t>(c % 8), fail ? 0x08 : 0, fail ? 7 : 1, fail ? 7 : 1,
                static_cast<std::int16_t>(c), static_cast<std::int16_t>(r));
          ++parts;
        }
      w.wrr(1, "BENCHLOT-" + std::to_string(wafer + 1), parts);
      out.write(reinterpret_cast<const char*>(w.bytes().data()), static_cast<std::streamsize>(w.bytes().size()));
      w.clear();
    }
    w.hbr(255, 1, 0, 'P', "PASS");
    w.hbr(255, 7, 0, 'F', "FAIL");
    w.mrr(1700009999u);
    out.write(reinterpret_cast<const char*>(w.bytes().data()), static_cast<std::streamsize>(w.bytes().size()));
  }

  static void gzip(const std::string& from, const std::string& to) {
    std::ifstream in(from, std::ios::binary);
    gzFile gz = gzopen(to.c_str(), "wb6");
    std::vector<char> buf(1 << 20);
    while (in.read(buf.data(), static_cast<std::streamsize>(buf.size())) || in.gcount() > 0)
      gzwrite(gz, buf.data(), static_cast<unsigned>(in.gcount()));
    gzclose(gz);
  }

  static char code(int c, int r, int wafer) {
    return static_cast<char>(((c * 7 + r * 13 + wafer) % 23 == 0) ? 3 : 1);
  }

  void write_sinf() const {
    std::ofstream out(sinf, std::ios::binary);
    for (int wafer = 0; wafer < kMapWafers; ++wafer) {
      out << "DEVICE:BENCHDEV\nLOT:BENCHLOT\nWAFER:" << wafer + 1 << "\nFNLOC:180\nROWCT:" << kMapSide
          << "\nCOLCT:" << kMapSide << "\nBCEQU:01\nDUTMS:MM\nXDIES:0.9\nYDIES:0.9\n";
      std::string line;
      for (int r = 0; r < kMapSide; ++r) {
        line = "RowData:";
        for (int c = 0; c < kMapSide; ++c) {
          if (c) line += ' ';
          line += on_wafer(c, r, kMapSide) ? (code(c, r, wafer) == 1 ? "01" : "03") : "__";
        }
        out << line << '\n';
      }
    }
  }

  void write_e142() const {
    std::ofstream out(e142, std::ios::binary);
    out << "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n<MapData xmlns=\"urn:semi-org:xsd.E142-1.V1005.SubstrateMap\">\n"
        << "<Layouts><Layout LayoutId=\"Device\" DefaultUnits=\"mm\"><Dimension X=\"" << kMapSide << "\" Y=\""
        << kMapSide << "\"/><DeviceSize X=\"0.9\" Y=\"0.9\"/><ProductId>BENCHDEV</ProductId></Layout></Layouts>\n"
        << "<SubstrateMaps>\n";
    for (int wafer = 0; wafer < kMapWafers; ++wafer) {
      out << "<SubstrateMap SubstrateId=\"W" << wafer + 1 << "\" Orientation=\"0\" LayoutSpecifier=\"Device\">"
          << "<Overlay MapName=\"BinCodeMap\"><BinCodeMap BinType=\"HexaDecimal\" NullBin=\"FF\"><BinDefinitions>"
          << "<BinDefinition BinCode=\"01\" BinQuality=\"Pass\"/><BinDefinition BinCode=\"03\" BinQuality=\"Fail\"/>"
          << "</BinDefinitions>\n";
      std::string line;
      for (int r = 0; r < kMapSide; ++r) {
        line = "<BinCode>";
        for (int c = 0; c < kMapSide; ++c)
          line += on_wafer(c, r, kMapSide) ? (code(c, r, wafer) == 1 ? "01" : "03") : "FF";
        out << line << "</BinCode>\n";
      }
      out << "</BinCodeMap></Overlay></SubstrateMap>\n";
    }
    out << "</SubstrateMaps></MapData>\n";
  }
};

const Files& files() {
  static Files f;
  return f;
}

void plain_read(benchmark::State& state, const std::string& path) {
  std::vector<char> buf(1 << 20);
  std::size_t bytes = 0;
  for (auto _ : state) {
    std::FILE* f = std::fopen(path.c_str(), "rb");
    std::size_t n, sum = 0;
    while ((n = std::fread(buf.data(), 1, buf.size(), f)) > 0) sum += n + static_cast<unsigned char>(buf[n / 2]);
    std::fclose(f);
    benchmark::DoNotOptimize(sum);
    bytes += fs::file_size(path);
  }
  state.SetBytesProcessed(static_cast<std::int64_t>(bytes));
}

void gz_read(benchmark::State& state, const std::string& path) {
  std::vector<char> buf(1 << 20);
  std::size_t bytes = 0;
  for (auto _ : state) {
    gzFile gz = gzopen(path.c_str(), "rb");
    gzbuffer(gz, 256u << 10);
    int n;
    std::size_t sum = 0;
    while ((n = gzread(gz, buf.data(), static_cast<unsigned>(buf.size()))) > 0) sum += static_cast<std::size_t>(n);
    gzclose(gz);
    benchmark::DoNotOptimize(sum);
    bytes += fs::file_size(path);  // compressed bytes, as for the gzip import below
  }
  state.SetBytesProcessed(static_cast<std::int64_t>(bytes));
}

template <class Import>
void import(benchmark::State& state, const std::string& path, Import f, std::size_t expected_wafers) {
  std::size_t bytes = 0;
  for (auto _ : state) {
    CountingSink sink;
    f(path, yf::import::ImportOptions{}, sink);
    if (sink.wafers != expected_wafers) state.SkipWithError("wrong wafer count");
    bytes += fs::file_size(path);
  }
  state.SetBytesProcessed(static_cast<std::int64_t>(bytes));
}

void BM_StdfPlainRead(benchmark::State& s) { plain_read(s, files().stdf); }
void BM_StdfImport(benchmark::State& s) { import(s, files().stdf, yf::import::import_stdf, kStdfWafers); }
void BM_StdfGzPlainRead(benchmark::State& s) { plain_read(s, files().stdf_gz); }
void BM_StdfGzGunzipOnly(benchmark::State& s) { gz_read(s, files().stdf_gz); }
void BM_StdfGzImport(benchmark::State& s) { import(s, files().stdf_gz, yf::import::import_stdf, kStdfWafers); }
void BM_SinfPlainRead(benchmark::State& s) { plain_read(s, files().sinf); }
void BM_SinfImport(benchmark::State& s) { import(s, files().sinf, yf::import::import_sinf, kMapWafers); }
void BM_E142PlainRead(benchmark::State& s) { plain_read(s, files().e142); }
void BM_E142Import(benchmark::State& s) { import(s, files().e142, yf::import::import_e142, kMapWafers); }

#define YF_IMPORT_BENCH(f) BENCHMARK(f)->Unit(benchmark::kMillisecond)->Iterations(1)->Repetitions(5)->ReportAggregatesOnly(true)
YF_IMPORT_BENCH(BM_StdfPlainRead);
YF_IMPORT_BENCH(BM_StdfImport);
YF_IMPORT_BENCH(BM_StdfGzPlainRead);
YF_IMPORT_BENCH(BM_StdfGzGunzipOnly);
YF_IMPORT_BENCH(BM_StdfGzImport);
YF_IMPORT_BENCH(BM_SinfPlainRead);
YF_IMPORT_BENCH(BM_SinfImport);
YF_IMPORT_BENCH(BM_E142PlainRead);
YF_IMPORT_BENCH(BM_E142Import);

}  // namespace

BENCHMARK_MAIN();
