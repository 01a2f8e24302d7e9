#include "io/AnalyticsTables.hpp"

#include <fmt/format.h>

#include <functional>

#include "io/AtomicFile.hpp"
#include "io/WafersCsv.hpp"

namespace yf {

namespace {

using namespace analytics;

std::string num(const std::optional<double>& v) { return v ? fmt::format("{}", *v) : std::string(); }
std::string num(double v) { return fmt::format("{}", v); }
std::string str(const std::string& s) { return csv_field(s); }

// One CSV file: header, then rows joined by commas.
class Table {
 public:
  Table(const std::filesystem::path& path, const std::vector<std::string>& columns) : file_(path) {
    line(columns);
  }
  void line(const std::vector<std::string>& cells) {
    std::ostream& out = file_.stream();
    for (std::size_t i = 0; i < cells.size(); ++i) {
      if (i) out << ',';
      out << cells[i];
    }
    out << '\n';
  }
  void commit() { file_.commit(); }

 private:
  AtomicFile file_;
};

// Every group: the fabs' summaries first, then the other kinds.
void for_each_group(const Analytics& a, const std::function<void(const GroupAnalytics&)>& fn) {
  for (const FabReport& f : a.fabs) fn(f.summary);
  for (const GroupAnalytics& g : a.groups) fn(g);
}

void pareto_table(const std::filesystem::path& path, const Analytics& a, Pareto GroupAnalytics::*which) {
  Table t(path, {"kind", "key", "rank", "label", "code", "count", "share", "cumulative_share"});
  for_each_group(a, [&](const GroupAnalytics& g) {
    const Pareto& p = g.*which;
    for (std::size_t i = 0; i < p.bars.size(); ++i) {
      const ParetoBar& b = p.bars[i];
      t.line({str(g.kind), str(g.key), std::to_string(i + 1), str(b.label), std::to_string(b.code),
              std::to_string(b.count), num(b.share), num(b.cumulative_share)});
    }
  });
  t.commit();
}

}  // namespace

void write_analytics_tables(const std::filesystem::path& dir, const Analytics& a) {
  std::filesystem::create_directories(dir);
  {
    Table t(dir / "yields.csv", {"kind", "key", "wafers", "sorted_wafers", "tested_dies", "good_dies", "sort_yield",
                                 "sort_yield_mean", "sort_yield_std", "product_dies", "killed_dies",
                                 "inspection_yield", "defects", "killer_defects", "d0_per_cm2", "count_alpha",
                                 "trusted_model"});
    for_each_group(a, [&](const GroupAnalytics& g) {
      const YieldSummary& y = g.yield;
      t.line({str(g.kind), str(g.key), std::to_string(y.wafers), std::to_string(y.sorted_wafers),
              std::to_string(y.tested_dies), std::to_string(y.good_dies), num(y.sort_yield), num(y.sort_yield_mean),
              num(y.sort_yield_std), std::to_string(y.product_dies), std::to_string(y.killed_dies),
              num(y.inspection_yield), std::to_string(y.defects), std::to_string(y.killer_defects),
              num(g.density.d0_per_cm2), num(g.defect_counts.alpha), str(g.models.trusted_model)});
    });
    t.commit();
  }
  {
    Table t(dir / "model_fits.csv", {"kind", "key", "yield_source", "model", "parameters", "d0_per_cm2", "alpha",
                                     "rmse", "aic", "converged", "trusted"});
    for_each_group(a, [&](const GroupAnalytics& g) {
      for (const ModelFit& f : g.models.fits)
        t.line({str(g.kind), str(g.key), g.models.yield_source, f.model, std::to_string(f.parameters),
                num(f.d0_per_cm2), num(f.alpha), num(f.rmse), num(f.aic), f.converged ? "1" : "0",
                f.trusted ? "1" : "0"});
    });
    t.commit();
  }
  {
    Table t(dir / "kill_ratios.csv", {"kind", "key", "class_id", "class_name", "killer", "defects", "dies_with",
                                      "dies_with_pass", "dies_clean", "dies_clean_pass", "yield_with", "yield_clean",
                                      "kill_ratio"});
    for_each_group(a, [&](const GroupAnalytics& g) {
      for (const KillRatio& k : g.kill_ratios)
        t.line({str(g.kind), str(g.key), std::to_string(k.class_id), str(k.class_name), k.killer ? "1" : "0",
                std::to_string(k.defects), std::to_string(k.dies_with), std::to_string(k.dies_with_pass),
                std::to_string(k.dies_clean), std::to_string(k.dies_clean_pass), num(k.yield_with),
                num(k.yield_clean), num(k.kill_ratio)});
    });
    t.commit();
  }
  pareto_table(dir / "pareto_defect_class.csv", a, &GroupAnalytics::defects_by_class);
  pareto_table(dir / "pareto_defect_size.csv", a, &GroupAnalytics::defects_by_size);
  pareto_table(dir / "pareto_failing_bins.csv", a, &GroupAnalytics::failing_bins);
  {
    Table t(dir / "zones.csv", {"kind", "key", "zone", "tested_dies", "good_dies", "sort_yield", "product_dies",
                                "killed_dies", "inspection_yield"});
    for_each_group(a, [&](const GroupAnalytics& g) {
      for (const ZoneYield& z : g.zones)
        t.line({str(g.kind), str(g.key), z.zone, std::to_string(z.tested_dies), std::to_string(z.good_dies),
                num(z.sort_yield), std::to_string(z.product_dies), std::to_string(z.killed_dies),
                num(z.inspection_yield)});
    });
    t.commit();
  }
  {
    Table t(dir / "stacked_maps.csv", {"kind", "key", "product", "row", "col", "wafers", "tested", "failed",
                                       "fail_rate", "inspected", "killed"});
    for_each_group(a, [&](const GroupAnalytics& g) {
      for (const StackedMap& m : g.stacked_maps) {
        for (std::size_t i = 0; i < m.tested.size(); ++i) {
          if (m.tested[i] == 0 && m.inspected[i] == 0) continue;  // never a die
          const auto cols = static_cast<std::size_t>(std::max(m.cols, 1));
          t.line({str(g.kind), str(g.key), str(m.product), std::to_string(i / cols), std::to_string(i % cols),
                  std::to_string(m.wafers), std::to_string(m.tested[i]), std::to_string(m.failed[i]),
                  m.tested[i] > 0 ? num(m.fail_rate(i)) : "", std::to_string(m.inspected[i]),
                  std::to_string(m.killed[i])});
        }
      }
    });
    t.commit();
  }
  {
    Table t(dir / "commonality.csv", {"fab", "level", "rank", "step", "tool", "chamber", "wafers", "wafers_rest",
                                      "median_yield", "median_yield_rest", "mean_yield", "mean_yield_rest",
                                      "yield_loss", "mann_whitney_u", "mann_whitney_p", "adjusted_p",
                                      "kruskal_wallis_p", "significant"});
    for (const FabReport& f : a.fabs)
      for (const CommonalityRow& r : f.commonality.rows)
        t.line({str(f.fab), r.chamber.empty() ? "tool" : "chamber", std::to_string(r.rank), str(r.step), str(r.tool),
                str(r.chamber), std::to_string(r.wafers), std::to_string(r.wafers_rest), num(r.median_yield),
                num(r.median_yield_rest), num(r.mean_yield), num(r.mean_yield_rest), num(r.yield_loss),
                num(r.mann_whitney_u), num(r.mann_whitney_p), num(r.adjusted_p), num(r.kruskal_wallis_p),
                r.significant ? "1" : "0"});
    t.commit();
  }
  {
    Table t(dir / "worst_wafers.csv", {"fab", "rank", "source_file", "wafer_id", "lot_id", "product", "tool",
                                       "timestamp", "sort_yield", "inspection_yield", "sort_pattern",
                                       "inspection_pattern"});
    for (const FabReport& f : a.fabs)
      for (std::size_t i = 0; i < f.worst_wafers.size(); ++i) {
        const WorstWafer& w = f.worst_wafers[i];
        t.line({str(f.fab), std::to_string(i + 1), str(w.source_file), str(w.wafer_id), str(w.lot_id), str(w.product),
                str(w.tool), std::to_string(w.timestamp), num(w.sort_yield), num(w.inspection_yield),
                str(w.sort_pattern), str(w.inspection_pattern)});
      }
    t.commit();
  }
}

struct SpcCsvWriter::Impl {
  explicit Impl(const std::filesystem::path& path)
      : table(path, {"fab", "tool", "chart", "index", "wafer_id", "lot_id", "timestamp", "value", "n", "centre", "ucl",
                     "lcl", "baseline", "rules"}) {}
  Table table;
};

SpcCsvWriter::SpcCsvWriter(const std::filesystem::path& path) : impl_(std::make_unique<Impl>(path)) {}
SpcCsvWriter::~SpcCsvWriter() = default;
void SpcCsvWriter::commit() { impl_->table.commit(); }

void SpcCsvWriter::add(const std::string& fab, const SpcChart& c) {
  std::size_t v = 0;
  for (const SpcPoint& p : c.points) {
    std::string rules;
    while (v < c.violations.size() && c.violations[v].index < p.index) ++v;
    for (std::size_t k = v; k < c.violations.size() && c.violations[k].index == p.index; ++k)
      rules += (rules.empty() ? "" : ";") + std::to_string(c.violations[k].rule);
    impl_->table.line({str(fab), str(c.tool), c.chart, std::to_string(p.index), str(p.wafer_id), str(p.lot_id),
                       std::to_string(p.timestamp), num(p.value), std::to_string(p.n), num(c.centre), num(p.ucl),
                       num(p.lcl), p.baseline ? "1" : "0", rules});
  }
}

void write_spc_csv(const std::filesystem::path& path, const Analytics& a) {
  SpcCsvWriter w(path);
  for (const FabReport& f : a.fabs) {
    w.add(f.fab, f.trend);
    for (const SpcChart& c : f.spc) w.add(f.fab, c);
  }
  w.commit();
}

}  // namespace yf
