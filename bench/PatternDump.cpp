// yf_pattern_dump OUT [MODEL]: the features and the forest's votes of a fixed set of
// maps, as raw bytes, so that two builds can be compared with `cmp` (the pattern
// code's speed work must leave every feature and vote bit-identical: docs/patterns.md
// "Speed"). The maps: the 203 real WM-811K maps of ../shared/data/wm811k, 1,800
// PatternSynth maps (200 of each class, 20-90 dies across: some pooled 2 x 2), 450
// bench-product maps of the sample generator (pooled 2 x 2), and each PatternSynth
// map of the first 180 blown up 2x and 3x (pooled 2 x 2 to 4 x 4: the general
// pooling path). Every map is classified twice, in an order that alternates layouts,
// so the per-thread die-layout cache is exercised. Prints the map count.
#include <cstdio>
#include <fstream>
#include <iostream>
#include <string>
#include <vector>

#include "io/Wm811kJson.hpp"
#include "samples/PatternSynth.hpp"
#include "samples/Random.hpp"
#include "samples/SampleGenerator.hpp"
#include "samples/WaferSynth.hpp"
#include "stages/PatternModel.hpp"

namespace {

yf::FailMap blow_up(const yf::FailMap& m, int k) {
  yf::FailMap out{m.rows * k, m.cols * k, {}};
  out.cells.resize(static_cast<std::size_t>(out.rows) * static_cast<std::size_t>(out.cols));
  for (int r = 0; r < out.rows; ++r)
    for (int c = 0; c < out.cols; ++c)
      out.cells[static_cast<std::size_t>(r) * out.cols + c] = m.at(c / k, r / k);
  return out;
}

}  // namespace

int main(int argc, char** argv) {
  if (argc < 2) {
    std::cerr << "usage: yf_pattern_dump OUT [MODEL]\n";
    return 2;
  }
  const std::string model_path = argc > 2 ? argv[2] : std::string(YF_MODELS_DIR) + "/patterns.yml.gz";
  const auto model = yf::PatternModel::load(model_path);
  std::vector<yf::FailMap> maps;
  for (const char* f : {"labelled_dev.jsonl", "lots_first100.jsonl"})
    for (auto& w : yf::read_wm811k_jsonl(std::string(YF_SHARED_DATA_DIR) + "/wm811k/" + f)) maps.push_back(w.map);
  for (int c = 0; c < 9; ++c)
    for (std::uint64_t s = 0; s < 200; ++s) maps.push_back(yf::synthesize_pattern_map(c, 1000 * c + s + 1));
  yf::DatasetTables tables;
  tables.has_bins_table = true;
  for (const yf::BinDef& b : yf::samples::sample_bins()) tables.bins[b.bin] = b;
  const yf::samples::DieLayout layout(yf::sample_bench_product());
  const auto patterns = yf::sample_patterns();
  for (std::uint64_t w = 0; w < 450; ++w) {
    auto s = yf::samples::synthesize_wafer(layout, patterns[w % patterns.size()], w % 5 == 0, false,
                                           yf::samples::stream_seed(7, 3, w), 0);
    maps.push_back(yf::fail_map_from_bins(s.binmap, tables));
  }
  for (std::size_t i = 203; i < 203 + 180; ++i) {
    maps.push_back(blow_up(maps[i], 2));
    maps.push_back(blow_up(maps[i], 3));
  }
  std::ofstream out(argv[1], std::ios::binary);
  for (int pass = 0; pass < 2; ++pass)
    for (std::size_t j = 0; j < maps.size(); ++j) {
      const yf::FailMap& m = maps[pass == 0 ? j : maps.size() - 1 - j];
      const std::vector<float> f = yf::pattern_features(m);
      const std::vector<double> v = model->votes(f);
      const yf::PatternVerdict verdict = model->classify(m);
      out.write(reinterpret_cast<const char*>(f.data()), static_cast<std::streamsize>(f.size() * sizeof(float)));
      out.write(reinterpret_cast<const char*>(v.data()), static_cast<std::streamsize>(v.size() * sizeof(double)));
      out.write(reinterpret_cast<const char*>(&verdict.class_id), sizeof verdict.class_id);
      out.write(reinterpret_cast<const char*>(&verdict.confidence), sizeof verdict.confidence);
    }
  std::printf("%zu maps\n", maps.size());
  return out ? 0 : 1;
}
