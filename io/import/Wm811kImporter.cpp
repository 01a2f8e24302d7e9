#include "io/import/Wm811kImporter.hpp"

#include <cmath>
#include <nlohmann/json.hpp>
#include <set>
#include <utility>

#include "io/Wm811kJson.hpp"
#include "io/import/LineReader.hpp"

namespace yf::import {

namespace {

// WM-811K carries no physical die size: a nominal 1 mm x 1 mm die, the grid centred
// on the wafer, and a wafer whose diameter is the grid's diagonal so that the map's
// every cell lies on the wafer. Sort yield and the failure pattern use the bins only.
ProductGeometry nominal_product(const std::string& name, int rows, int cols) {
  ProductGeometry p;
  p.name = name;
  p.die_width_mm = 1;
  p.die_height_mm = 1;
  p.cols = cols;
  p.rows = rows;
  p.grid_x0_mm = -cols / 2.0;
  p.grid_y0_mm = rows / 2.0;
  p.wafer_diameter_mm = std::ceil(std::hypot(cols, rows)) + 2;
  p.edge_exclusion_mm = 0;
  return p;
}

// The file's own pass/fail counts, when it has them, checked against the map.
void check_counts(std::string_view line, int pass, int fail, const std::string& where, ImportSink& sink) {
  const auto j = nlohmann::json::parse(line, nullptr, false);
  if (j.is_discarded() || !j.is_object()) return;
  auto check = [&](const char* key, int counted) {
    auto it = j.find(key);
    if (it == j.end() || !it->is_number()) return;
    const double declared = it->get<double>();
    if (declared != counted)
      sink.warning(where, std::string(key) + " says " + it->dump() + ", the map has " + std::to_string(counted));
  };
  check("n_pass", pass);
  check("n_fail", fail);
}

}  // namespace

void import_wm811k(const std::string& path, const ImportOptions& options, ImportSink& sink) {
  LineReader lines(path);
  sink.add_bins({BinDef{1, "pass", true}, BinDef{2, "fail", false}});
  const std::string base = options.product.empty() ? "WM811K" : options.product;
  std::set<std::pair<int, int>> declared;  // (rows, cols) of products given to the sink
  std::string_view line;
  while (lines.next(line)) {
    if (line.find_first_not_of(" \t\r") == std::string_view::npos) continue;
    const std::string where = path + ": line " + std::to_string(lines.line_number());
    Wm811kMap m;
    try {
      m = parse_wm811k_line(line);
    } catch (const std::runtime_error& e) {
      throw ImportError(where + ": " + e.what());
    }
    const std::string product = base + "_" + std::to_string(m.map.rows) + "x" + std::to_string(m.map.cols);
    if (declared.insert({m.map.rows, m.map.cols}).second)
      sink.add_product(nominal_product(product, m.map.rows, m.map.cols));

    WaferRecord w;
    w.meta.lot_id = m.lot;
    w.meta.wafer_id = m.lot + "-" + std::to_string(m.wafer_index);
    w.meta.slot = m.wafer_index;
    w.meta.fab = options.fab;
    w.meta.tool = options.tool;
    w.meta.product = product;
    w.meta.step = options.step;
    BinMap b;
    b.rows = m.map.rows;
    b.cols = m.map.cols;
    b.bins.reserve(m.map.cells.size());
    int pass = 0, fail = 0;
    for (DieState s : m.map.cells) {
      if (s == DieState::pass) ++pass;
      if (s == DieState::fail) ++fail;
      b.bins.push_back(s == DieState::pass ? 1 : s == DieState::fail ? 2 : -1);
    }
    check_counts(line, pass, fail, where, sink);
    w.binmap = std::move(b);
    WaferTruth truth;
    truth.pattern = m.failure_type;
    truth.good_dies = pass;
    truth.tested_dies = pass + fail;
    w.truth = std::move(truth);
    sink.add_wafer(std::move(w));
  }
}

}  // namespace yf::import
