// Real wafer maps (WM-811K, TSMC; ../shared/data/wm811k) through the whole path:
// DatasetWriter -> DatasetReader -> stages -> group aggregates. The file's own
// n_pass / n_fail fields, counted independently of the map strings we convert,
// are the expected tested and good dies.
#include <catch2/catch.hpp>

#include <fstream>
#include <map>
#include <nlohmann/json.hpp>

#include "TestPaths.hpp"
#include "io/DatasetWriter.hpp"
#include "pipeline/WaferPipeline.hpp"
#include "support/TempDir.hpp"

namespace {

struct Collect : yf::ResultConsumer {
  std::vector<yf::WaferResult> results;
  void consume(const yf::WaferResult& r) override { results.push_back(r); }
};

struct RealMap {
  std::string lot;
  int index = 0;
  int rows = 0, cols = 0;
  std::int64_t n_pass = 0, n_fail = 0;
  std::vector<std::string> map;
};

std::vector<RealMap> load(const std::string& path) {
  std::ifstream in(path);
  REQUIRE(in.good());  // CI has ../shared beside the checkout
  std::vector<RealMap> maps;
  std::string line;
  while (std::getline(in, line)) {
    auto j = nlohmann::json::parse(line);
    RealMap m;
    m.lot = j.at("lotName").get<std::string>();
    m.index = j.at("waferIndex").get<int>();
    m.rows = j.at("rows").get<int>();
    m.cols = j.at("cols").get<int>();
    m.n_pass = j.at("n_pass").get<std::int64_t>();
    m.n_fail = j.at("n_fail").get<std::int64_t>();
    m.map = j.at("map").get<std::vector<std::string>>();
    maps.push_back(std::move(m));
  }
  return maps;
}

// A 300 mm product whose grid (1 mm pitch scaled to fit) covers the map.
yf::ProductGeometry product_for(int rows, int cols) {
  yf::ProductGeometry p;
  p.name = "WM" + std::to_string(rows) + "x" + std::to_string(cols);
  p.wafer_diameter_mm = 300;
  p.edge_exclusion_mm = 3;
  p.die_width_mm = 300.0 / cols;
  p.die_height_mm = 300.0 / rows;
  p.cols = cols;
  p.rows = rows;
  p.grid_x0_mm = -150;
  p.grid_y0_mm = 150;
  return p;
}

}  // namespace

TEST_CASE("WM-811K lots: tested and good dies per wafer and per lot equal the file's own counts", "[pipeline][real]") {
  const auto maps = load(std::string(yf::test::kSharedDataDir) + "/wm811k/lots_first100.jsonl");
  REQUIRE(maps.size() == 100);
  yf::test::TempDir dir;
  {
    yf::DatasetWriter w(dir / "wm.h5");
    std::map<std::string, bool> declared;
    for (const auto& m : maps) {
      auto p = product_for(m.rows, m.cols);
      if (!declared[p.name]) w.add_product(p), declared[p.name] = true;
    }
    for (const auto& m : maps) {
      yf::WaferRecord rec;
      rec.meta.wafer_id = m.lot + "-" + std::to_string(m.index);
      rec.meta.lot_id = m.lot;
      rec.meta.slot = m.index;
      rec.meta.fab = "TSMC";
      rec.meta.tool = "SORT";
      rec.meta.product = product_for(m.rows, m.cols).name;
      rec.meta.step = "WAFER_SORT";
      yf::BinMap bins;
      bins.rows = m.rows;
      bins.cols = m.cols;
      for (const auto& row : m.map)  // WM-811K: 0 no die, 1 pass, 2 fail -> bins -1, 1, 2
        for (char c : row) bins.bins.push_back(c == '0' ? -1 : static_cast<std::int16_t>(c - '0'));
      rec.binmap = std::move(bins);
      w.append_wafer(rec);
    }
    w.finish();  // no /bins: bin 1 alone passes
  }
  Collect out;
  yf::PipelineOptions options;
  options.threads = 2;
  auto report = yf::run_pipeline({dir / "wm.h5"}, options, &out);
  REQUIRE(out.results.size() == maps.size());
  std::map<std::string, std::pair<std::int64_t, std::int64_t>> per_lot;  // good, tested
  for (std::size_t i = 0; i < maps.size(); ++i) {
    const auto& m = maps[i];
    const auto& r = out.results[i];
    INFO(r.meta.wafer_id);
    REQUIRE(r.ok);
    CHECK(r.metrics.tested_dies == m.n_pass + m.n_fail);
    CHECK(r.metrics.good_dies == m.n_pass);
    per_lot[m.lot].first += m.n_pass;
    per_lot[m.lot].second += m.n_pass + m.n_fail;
  }
  const auto& lots = report.aggregate.groups(yf::GroupKind::lot);
  REQUIRE(lots.size() == per_lot.size());
  for (const auto& [lot, counts] : per_lot) {
    INFO(lot);
    CHECK(lots.at(lot).good_dies == counts.first);
    CHECK(lots.at(lot).tested_dies == counts.second);
    CHECK(*lots.at(lot).sort_yield() == Approx(static_cast<double>(counts.first) / static_cast<double>(counts.second)));
    CHECK(lots.at(lot).wafers == 25);
  }
}
