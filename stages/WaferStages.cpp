#include "stages/WaferStages.hpp"

#include <charconv>
#include <cmath>
#include <limits>
#include <optional>
#include <string>

#include "stages/DieGrid.hpp"
#include "stages/SortYieldStage.hpp"

namespace yf {

namespace {

// Above this a grid is a corrupt attribute rather than a product (and int
// arithmetic on cols * rows would overflow): 2^26 dies is a 50 µm pitch on 300 mm.
constexpr std::int64_t kMaxDies = std::int64_t{1} << 26;

// The grid of a product, kept in the workspace for the last product seen: a run
// processes wafer after wafer of one product, and building the product-die mask costs
// more than the rest of a bin-map wafer's stages. Valid until the workspace's next use.
const DieGrid& die_grid_of(const ProductGeometry& g, StageWorkspace& workspace) {
  if (!workspace.grid || !(workspace.grid->geometry() == g)) workspace.grid = std::make_unique<DieGrid>(g);
  return *workspace.grid;
}

// Shortest round-trip text of a double ("0.1", "-3", "nan", "inf"): the message
// shows the value as the file holds it.
std::string num(double v) {
  char buf[64];
  auto res = std::to_chars(buf, buf + sizeof buf, v);
  return std::string(buf, res.ptr);
}

// The first problem found in the wafer's values, as "FIELD: problem"; empty when
// the wafer is usable. One line, so that a log or wafers.csv row stays readable.
std::string check_product(const ProductGeometry& g, const std::string& pname) {
  const std::string f = "/products/" + pname + " ";
  auto positive = [&](const char* name, double v) -> std::string {
    if (std::isfinite(v) && v > 0) return {};
    return f + name + ": must be finite and > 0 (got " + num(v) + ")";
  };
  if (auto e = positive("wafer_diameter_mm", g.wafer_diameter_mm); !e.empty()) return e;
  if (!(std::isfinite(g.edge_exclusion_mm) && g.edge_exclusion_mm >= 0))
    return f + "edge_exclusion_mm: must be finite and >= 0 (got " + num(g.edge_exclusion_mm) + ")";
  if (auto e = positive("die_width_mm", g.die_width_mm); !e.empty()) return e;
  if (auto e = positive("die_height_mm", g.die_height_mm); !e.empty()) return e;
  if (g.cols < 1) return f + "cols: must be >= 1 (got " + std::to_string(g.cols) + ")";
  if (g.rows < 1) return f + "rows: must be >= 1 (got " + std::to_string(g.rows) + ")";
  if (std::int64_t{g.cols} * g.rows > kMaxDies)
    return "/products/" + pname + ": grid " + std::to_string(g.rows) + "x" + std::to_string(g.cols) +
           " (rows x cols) has more than " + std::to_string(kMaxDies) + " dies";
  if (!std::isfinite(g.grid_x0_mm)) return f + "grid_x0_mm: not finite";
  if (!std::isfinite(g.grid_y0_mm)) return f + "grid_y0_mm: not finite";
  return {};
}

std::string check_defects(const std::vector<Defect>& defects) {
  for (std::size_t i = 0; i < defects.size(); ++i) {
    const Defect& d = defects[i];
    const std::string where = " (row " + std::to_string(i) + " of the wafer)";
    if (!std::isfinite(d.x_mm)) return "/defects x_mm: not finite" + where;
    if (!std::isfinite(d.y_mm)) return "/defects y_mm: not finite" + where;
    if (!std::isfinite(d.size_um)) return "/defects size_um: not finite" + where;
    if (d.size_um < 0) return "/defects size_um: " + num(d.size_um) + " is negative" + where;
  }
  return {};
}

std::string check_binmap(const BinMap& bm, const ProductGeometry& g, const std::string& pname) {
  const std::string f = "/binmaps/" + pname;
  if (bm.rows != g.rows || bm.cols != g.cols)
    return f + ": shape " + std::to_string(bm.rows) + "x" + std::to_string(bm.cols) + " does not match product " +
           pname + " grid " + std::to_string(g.rows) + "x" + std::to_string(g.cols) + " (rows x cols)";
  const std::size_t want = static_cast<std::size_t>(bm.rows) * static_cast<std::size_t>(bm.cols);
  if (bm.bins.size() != want)
    return f + ": holds " + std::to_string(bm.bins.size()) + " bins, shape " + std::to_string(bm.rows) + "x" +
           std::to_string(bm.cols) + " (rows x cols) needs " + std::to_string(want);
  for (std::size_t i = 0; i < bm.bins.size(); ++i) {
    if (bm.bins[i] < -1)
      return f + ": bin " + std::to_string(bm.bins[i]) + " at row " + std::to_string(i / bm.cols) + ", col " +
             std::to_string(i % bm.cols) + " is below -1";
  }
  return {};
}

WaferResult failed(WaferResult r, std::string error) {
  r.ok = false;
  r.error = std::move(error);
  return r;
}

}  // namespace

StageWorkspace::StageWorkspace() = default;
StageWorkspace::~StageWorkspace() = default;
StageWorkspace::StageWorkspace(StageWorkspace&&) noexcept = default;
StageWorkspace& StageWorkspace::operator=(StageWorkspace&&) noexcept = default;

WaferResult process_wafer(const WaferJob& job, const StageOptions& options) {
  StageWorkspace workspace;
  return process_wafer(job, options, workspace);
}

WaferResult process_wafer(const WaferJob& job, const StageOptions& options, StageWorkspace& workspace) {
  WaferResult out;
  out.seq = job.seq;
  out.source_file = job.source_file;
  out.meta = job.meta;
  if (!job.error.empty()) return failed(std::move(out), job.error);

  const std::string& file =
      !job.source_file.empty() || !job.tables ? job.source_file : job.tables->source_file;
  const std::string prefix = file + ": wafer " + job.meta.wafer_id + ": ";
  if (!job.product) return failed(std::move(out), prefix + "product: unknown product '" + job.meta.product + "'");
  const ProductGeometry& g = *job.product;
  const std::string& pname = g.name.empty() ? job.meta.product : g.name;

  if (auto e = check_product(g, pname); !e.empty()) return failed(std::move(out), prefix + e);
  if (auto e = check_defects(job.defects); !e.empty()) return failed(std::move(out), prefix + e);
  if (job.binmap) {
    if (auto e = check_binmap(*job.binmap, g, pname); !e.empty()) return failed(std::move(out), prefix + e);
  }

  // No tables means a file without /defect_classes and /bins: the spec's defaults
  // (every class kills, bin 1 alone is good) are exactly an empty DatasetTables.
  static const DatasetTables kNoTables;
  const DatasetTables& tables = job.tables ? *job.tables : kNoTables;

  // The image (if any): its defects join the tool's list with class kImageDefectClass.
  std::vector<ReportedDefect> image_defects;
  if (job.image && options.images.enabled) {
    try {
      ImageStageResult img = run_image_stage(job, g, options.images, workspace.images);
      out.image = std::move(img.calibration);
      image_defects = std::move(img.defects);
    } catch (const std::exception& e) {
      return failed(std::move(out), prefix + e.what());
    }
  }
  const std::vector<Defect>* defects = &job.defects;
  std::vector<Defect> joined;
  if (!image_defects.empty()) {
    joined = job.defects;
    for (const ReportedDefect& d : image_defects) joined.push_back({d.x_mm, d.y_mm, d.size_um, d.class_id});
    defects = &joined;
  }

  const DieGrid& grid = die_grid_of(g, workspace);
  const auto die_of_defect = map_defects_to_dies(grid, *defects);
  const KillResult kill = decide_kills(grid, *defects, die_of_defect, tables, options.kill);

  WaferMetrics& m = out.metrics;
  m.product_dies = grid.product_die_count();
  m.defects = static_cast<std::int64_t>(defects->size());
  m.image_defects = static_cast<std::int64_t>(image_defects.size());
  if (options.report_defects) {
    out.defect_list.reserve(defects->size());
    const double nan = std::numeric_limits<double>::quiet_NaN();
    for (std::size_t i = 0; i < defects->size(); ++i) {
      ReportedDefect r;
      if (i < job.defects.size()) {
        const Defect& d = job.defects[i];
        r.x_mm = d.x_mm;
        r.y_mm = d.y_mm;
        r.size_um = d.size_um;
        r.class_id = d.class_id;
        r.area_um2 = r.contrast = r.elongation = r.orientation_deg = nan;
      } else {
        r = image_defects[i - job.defects.size()];
      }
      const std::int64_t die = die_of_defect[i];
      if (die >= 0) {
        r.die_col = static_cast<int>(die % grid.cols());
        r.die_row = static_cast<int>(die / grid.cols());
        const Defect& d = (*defects)[i];
        // The same rule as decide_kills (stages/KillStage.cpp).
        r.killer = grid.product_mask()[static_cast<std::size_t>(die)] != 0 && tables.is_killer_class(d.class_id) &&
                   !(options.kill.min_kill_size_um > 0 && !(d.size_um >= options.kill.min_kill_size_um));
      }
      out.defect_list.push_back(std::move(r));
    }
  }
  m.killer_defects = kill.killer_defects;
  m.killed_dies = kill.killed_dies;
  // (product - killed) / product is 1 - killed/product with a single rounding.
  if (m.product_dies > 0)
    m.inspection_yield = static_cast<double>(m.product_dies - m.killed_dies) / static_cast<double>(m.product_dies);

  out.rows = grid.rows();
  out.cols = grid.cols();
  out.die_verdicts.assign(static_cast<std::size_t>(out.rows) * static_cast<std::size_t>(out.cols), 0);
  for (std::size_t i = 0; i < out.die_verdicts.size(); ++i) {
    std::uint8_t v = 0;
    if (grid.product_mask()[i]) v |= kDieProduct;
    if (kill.killers_per_die[i] > 0) v |= kDieKilled;
    out.die_verdicts[i] = v;
  }

  if (job.binmap) {
    const SortResult sort = compute_sort_yield(*job.binmap, tables);
    m.tested_dies = sort.tested_dies;
    m.good_dies = sort.good_dies;
    // A bin map that tests no die has no yield to speak of (0/0): sort_yield stays
    // empty, exactly as without a bin map, and GroupStats skips the wafer's yield.
    if (sort.tested_dies > 0)
      m.sort_yield = static_cast<double>(sort.good_dies) / static_cast<double>(sort.tested_dies);
    for (std::size_t i = 0; i < out.die_verdicts.size(); ++i) {
      if (sort.tested[i]) out.die_verdicts[i] |= kDieTested;
      if (sort.passed[i]) out.die_verdicts[i] |= kDieSortPass;
    }
  }

  out.product = job.product;
  out.tables = job.tables;
  if (options.tallies.enabled) {
    out.history = job.history;
    out.tallies = tally_wafer(g, out.die_verdicts, job.defects, die_of_defect, kill.killers_per_die,
                              job.binmap ? &*job.binmap : nullptr, tables, options.tallies);
  }

  if (options.patterns) {
    const auto& names = pattern_classes();
    // A map without a fail has the verdict of the empty map (every feature 0): no map to
    // build then (most inspection kill maps; PatternModel keeps that verdict at hand).
    const PatternClassifier& classifier = *options.patterns;
    if (job.binmap && m.tested_dies > 0) {
      if (m.good_dies != m.tested_dies) sort_fail_map(out.die_verdicts, out.rows, out.cols, workspace.fail_map);
      const PatternVerdict v = m.good_dies == m.tested_dies ? classifier.classify(FailMap{}, workspace.patterns)
                                                            : classifier.classify(workspace.fail_map, workspace.patterns);
      m.sort_pattern = names.at(static_cast<std::size_t>(v.class_id));
      m.sort_pattern_confidence = v.confidence;
    }
    if (m.product_dies > 0) {
      if (m.killed_dies != 0) kill_fail_map(out.die_verdicts, out.rows, out.cols, workspace.fail_map);
      const PatternVerdict v = m.killed_dies == 0 ? classifier.classify(FailMap{}, workspace.patterns)
                                                  : classifier.classify(workspace.fail_map, workspace.patterns);
      m.inspection_pattern = names.at(static_cast<std::size_t>(v.class_id));
      m.inspection_pattern_confidence = v.confidence;
    }
  }
  return out;
}

namespace {

template <typename Rule>
void fail_map_into(const std::vector<std::uint8_t>& verdicts, int rows, int cols, FailMap& map, Rule rule) {
  map.rows = rows;
  map.cols = cols;
  map.cells.resize(verdicts.size());
  for (std::size_t i = 0; i < verdicts.size(); ++i) map.cells[i] = rule(verdicts[i]);  // (vectorised by GCC)
}

}  // namespace

void sort_fail_map(const std::vector<std::uint8_t>& die_verdicts, int rows, int cols, FailMap& map) {
  fail_map_into(die_verdicts, rows, cols, map, [](std::uint8_t v) {
    if (!(v & kDieTested)) return DieState::none;
    return (v & kDieSortPass) ? DieState::pass : DieState::fail;
  });
}

void kill_fail_map(const std::vector<std::uint8_t>& die_verdicts, int rows, int cols, FailMap& map) {
  fail_map_into(die_verdicts, rows, cols, map, [](std::uint8_t v) {
    if (!(v & kDieProduct)) return DieState::none;
    return (v & kDieKilled) ? DieState::fail : DieState::pass;
  });
}

FailMap sort_fail_map(const std::vector<std::uint8_t>& die_verdicts, int rows, int cols) {
  FailMap map;
  sort_fail_map(die_verdicts, rows, cols, map);
  return map;
}

FailMap kill_fail_map(const std::vector<std::uint8_t>& die_verdicts, int rows, int cols) {
  FailMap map;
  kill_fail_map(die_verdicts, rows, cols, map);
  return map;
}

}  // namespace yf
