#include "stages/analytics/AnalyticsAccumulator.hpp"

#include <fmt/format.h>

#include <algorithm>
#include <cmath>
#include <numeric>

#include "stages/WaferTallyStage.hpp"
#include "stages/analytics/Commonality.hpp"
#include "stages/analytics/Spc.hpp"
#include "stages/analytics/YieldModels.hpp"

namespace yf::analytics {

namespace {

constexpr const char* kZoneNames[kZoneCount] = {"centre",     "middle",     "edge",       "upper_right",
                                                "upper_left", "lower_left", "lower_right"};

struct ProductSums {
  double die_area_cm2 = 0;
  std::array<std::int64_t, kKillerCountCap + 1> killer_hist{};
  std::int64_t killers = 0;
  std::vector<BlockTally> sort_blocks, inspection_blocks;
};

struct StackSums {
  int rows = 0, cols = 0;
  std::int64_t wafers = 0;
  std::vector<std::int64_t> tested, failed, inspected, killed;
};

struct GroupSums {
  GroupStats stats;
  std::int64_t inspected_killers = 0, inspected_product_dies = 0;
  double inspected_area_cm2 = 0;
  std::map<std::string, ProductSums> products;
  std::map<std::int32_t, ClassTally> classes;
  std::int64_t clean = 0, clean_pass = 0;
  std::vector<std::int64_t> size_bins;
  std::map<std::int16_t, std::int64_t> fail_bins;
  std::array<ZoneTally, kZoneCount> zones{};
  std::map<std::string, StackSums> stacks;
};

// What SPC and commonality keep of each wafer.
struct WaferRecord {
  std::uint32_t fab = 0, tool = 0, lot = 0;
  std::int64_t timestamp = 0;
  std::int64_t seq = 0;
  std::int32_t good = 0, tested = 0, product_dies = 0, killed = 0;
  std::int64_t defects = 0;
  bool has_sort = false, inspected = false;
  std::uint32_t route_begin = 0, route_count = 0;
  std::string wafer_id;
};

struct Worst {
  double yield = 0;
  std::int64_t seq = 0;
  WorstWafer wafer;
};
// Heap order: the top is the best of the kept worst (the first to go).
bool worse_first(const Worst& a, const Worst& b) { return a.yield != b.yield ? a.yield < b.yield : a.seq < b.seq; }

struct FabSums {
  std::map<std::string, GroupStats> by_tool, by_lot, by_product;
  std::vector<Worst> worst;  // heap by worse_first
};

std::optional<double> ratio(std::int64_t num, std::int64_t den) {
  if (den <= 0) return std::nullopt;
  return static_cast<double>(num) / static_cast<double>(den);
}

YieldSummary summary_of(const GroupStats& g) {
  YieldSummary y;
  y.wafers = g.wafers;
  y.sorted_wafers = g.sorted_wafers;
  y.product_dies = g.product_dies;
  y.tested_dies = g.tested_dies;
  y.good_dies = g.good_dies;
  y.killed_dies = g.killed_dies;
  y.defects = g.defects;
  y.killer_defects = g.killer_defects;
  y.sort_yield = g.sort_yield();
  y.sort_yield_mean = g.sort_yield_mean();
  y.sort_yield_std = g.sort_yield_std();
  y.inspection_yield = g.inspection_yield();
  return y;
}

Pareto make_pareto(std::vector<ParetoBar> bars) {
  Pareto p;
  for (const ParetoBar& b : bars) p.total += b.count;
  std::stable_sort(bars.begin(), bars.end(), [](const ParetoBar& a, const ParetoBar& b) {
    return a.count != b.count ? a.count > b.count : a.code < b.code;
  });
  double cumulative = 0;
  for (ParetoBar& b : bars) {
    b.share = p.total > 0 ? static_cast<double>(b.count) / static_cast<double>(p.total) : 0;
    cumulative += static_cast<double>(b.count);
    b.cumulative_share = p.total > 0 ? cumulative / static_cast<double>(p.total) : 0;
  }
  p.bars = std::move(bars);
  return p;
}

std::string number_text(double v) { return fmt::format("{:g}", v); }

}  // namespace

struct AnalyticsAccumulator::State {
  AnalyticsSettings settings;
  std::int64_t wafers = 0;
  std::array<std::map<std::string, GroupSums>, 5> groups;
  std::map<std::string, FabSums> fabs;
  std::vector<WaferRecord> records;
  std::vector<RouteStep> routes;
  std::vector<std::string> names;
  std::unordered_map<std::string, std::uint32_t> name_index;
  std::map<std::int32_t, std::pair<std::string, bool>> class_names;  // id -> (name, killer), first file wins
  std::map<std::int16_t, std::string> bin_names;
  std::vector<const DatasetTables*> seen_tables;  // tables whose names are in
  std::vector<std::shared_ptr<const DatasetTables>> keep_tables;

  std::uint32_t intern(const std::string& s) {
    auto [it, added] = name_index.emplace(s, static_cast<std::uint32_t>(names.size()));
    if (added) names.push_back(s);
    return it->second;
  }

  void learn_names(const std::shared_ptr<const DatasetTables>& t) {
    if (!t || std::find(seen_tables.begin(), seen_tables.end(), t.get()) != seen_tables.end()) return;
    seen_tables.push_back(t.get());
    keep_tables.push_back(t);  // the pointer stays unique while we compare against it
    for (const auto& [id, c] : t->defect_classes) class_names.emplace(id, std::make_pair(c.name, c.killer));
    for (const auto& [bin, b] : t->bins) bin_names.emplace(bin, b.name);
  }

  void add_group(GroupSums& g, const WaferResult& r, bool stack) {
    const WaferTallies& t = r.tallies;
    g.stats.add(r.metrics);
    const std::string& product = r.meta.product;
    ProductSums& p = g.products[product];
    p.die_area_cm2 = t.die_area_cm2;
    if (p.sort_blocks.size() < t.sort_blocks.size()) p.sort_blocks.resize(t.sort_blocks.size());
    if (p.inspection_blocks.size() < t.inspection_blocks.size()) p.inspection_blocks.resize(t.inspection_blocks.size());
    for (std::size_t k = 0; k < t.sort_blocks.size(); ++k) {
      p.sort_blocks[k].blocks += t.sort_blocks[k].blocks;
      p.sort_blocks[k].good_blocks += t.sort_blocks[k].good_blocks;
    }
    if (t.inspected) {
      g.inspected_killers += r.metrics.killer_defects;
      g.inspected_product_dies += r.metrics.product_dies;
      g.inspected_area_cm2 += static_cast<double>(r.metrics.product_dies) * t.die_area_cm2;
      p.killers += r.metrics.killer_defects;
      for (std::size_t k = 0; k < t.killer_count_hist.size(); ++k) p.killer_hist[k] += t.killer_count_hist[k];
      for (std::size_t k = 0; k < t.inspection_blocks.size(); ++k) {
        p.inspection_blocks[k].blocks += t.inspection_blocks[k].blocks;
        p.inspection_blocks[k].good_blocks += t.inspection_blocks[k].good_blocks;
      }
    }
    for (const ClassTally& c : t.classes) {
      ClassTally& s = g.classes[c.class_id];
      s.class_id = c.class_id;
      s.defects += c.defects;
      s.dies_with += c.dies_with;
      s.dies_with_pass += c.dies_with_pass;
    }
    if (r.metrics.sort_yield && t.inspected) {
      g.clean += t.clean_dies;
      g.clean_pass += t.clean_dies_pass;
    }
    if (g.size_bins.size() < t.size_bins.size()) g.size_bins.resize(t.size_bins.size(), 0);
    for (std::size_t k = 0; k < t.size_bins.size(); ++k) g.size_bins[k] += t.size_bins[k];
    for (const BinTally& b : t.fail_bins) g.fail_bins[b.bin] += b.dies;
    for (std::size_t z = 0; z < kZoneCount; ++z) {
      g.zones[z].tested_dies += t.zones[z].tested_dies;
      g.zones[z].good_dies += t.zones[z].good_dies;
      if (t.inspected) {
        g.zones[z].product_dies += t.zones[z].product_dies;
        g.zones[z].killed_dies += t.zones[z].killed_dies;
      }
    }
    if (!stack) return;
    StackSums& m = g.stacks[product];
    const std::size_t n = r.die_verdicts.size();
    if (m.tested.empty()) {
      m.rows = r.rows;
      m.cols = r.cols;
      for (auto* v : {&m.tested, &m.failed, &m.inspected, &m.killed}) v->assign(n, 0);
    }
    if (m.tested.size() != n) return;  // a product redefined with another grid in another file
    ++m.wafers;
    const std::uint8_t* v = r.die_verdicts.data();
    std::int64_t *tested = m.tested.data(), *failed = m.failed.data();
    for (std::size_t i = 0; i < n; ++i) {
      const std::int64_t is_tested = (v[i] >> 1) & 1;  // kDieTested
      tested[i] += is_tested;
      failed[i] += is_tested & ~(v[i] >> 2) & 1;       // tested and not kDieSortPass
    }
    if (t.inspected) {
      std::int64_t *inspected = m.inspected.data(), *killed = m.killed.data();
      for (std::size_t i = 0; i < n; ++i) {
        inspected[i] += v[i] & 1;         // kDieProduct
        killed[i] += (v[i] >> 3) & 1;     // kDieKilled
      }
    }
  }
};

AnalyticsAccumulator::AnalyticsAccumulator(AnalyticsSettings settings) : s_(std::make_unique<State>()) {
  s_->settings = std::move(settings);
}
AnalyticsAccumulator::~AnalyticsAccumulator() = default;
std::int64_t AnalyticsAccumulator::wafers() const { return s_->wafers; }

void AnalyticsAccumulator::add(const WaferResult& r) {
  if (!r.ok || !r.tallies.computed) return;
  State& s = *s_;
  ++s.wafers;
  s.learn_names(r.tables);
  for (GroupKind kind : kGroupKinds)
    s.add_group(s.groups[static_cast<std::size_t>(kind)][group_key(r.meta, kind)], r, kind != GroupKind::lot);

  FabSums& fab = s.fabs[r.meta.fab];
  fab.by_tool[r.meta.tool].add(r.metrics);
  fab.by_lot[r.meta.lot_id].add(r.metrics);
  fab.by_product[r.meta.product].add(r.metrics);

  WaferRecord rec;
  rec.fab = s.intern(r.meta.fab);
  rec.tool = s.intern(r.meta.tool);
  rec.lot = s.intern(r.meta.lot_id);
  rec.timestamp = r.meta.timestamp;
  rec.seq = static_cast<std::int64_t>(r.seq);
  rec.has_sort = r.metrics.sort_yield.has_value();
  rec.inspected = r.tallies.inspected;
  rec.good = static_cast<std::int32_t>(r.metrics.good_dies);
  rec.tested = static_cast<std::int32_t>(r.metrics.tested_dies);
  rec.product_dies = static_cast<std::int32_t>(r.metrics.product_dies);
  rec.killed = static_cast<std::int32_t>(r.metrics.killed_dies);
  rec.defects = r.metrics.defects;
  rec.route_begin = static_cast<std::uint32_t>(s.routes.size());
  for (const HistoryEntry& h : r.history) s.routes.push_back({s.intern(h.step), s.intern(h.tool), s.intern(h.chamber)});
  rec.route_count = static_cast<std::uint32_t>(r.history.size());
  rec.wafer_id = r.meta.wafer_id;
  s.records.push_back(std::move(rec));

  // Worst wafers: the sort yield, or the inspection yield without a bin map.
  const std::optional<double> y = r.metrics.sort_yield ? r.metrics.sort_yield : r.metrics.inspection_yield;
  const auto keep = static_cast<std::size_t>(std::max(0, s.settings.worst_wafers));
  if (!y || keep == 0) return;
  if (fab.worst.size() == keep) {
    const Worst& top = fab.worst.front();
    if (!(*y < top.yield)) return;  // not worse than the best kept (ties: the earlier wafer stays)
    std::pop_heap(fab.worst.begin(), fab.worst.end(), worse_first);
    fab.worst.pop_back();
  }
  Worst w;
  w.yield = *y;
  w.seq = static_cast<std::int64_t>(r.seq);
  w.wafer.source_file = r.source_file;
  w.wafer.wafer_id = r.meta.wafer_id;
  w.wafer.lot_id = r.meta.lot_id;
  w.wafer.product = r.meta.product;
  w.wafer.tool = r.meta.tool;
  w.wafer.timestamp = r.meta.timestamp;
  w.wafer.sort_yield = r.metrics.sort_yield;
  w.wafer.inspection_yield = r.metrics.inspection_yield;
  w.wafer.sort_pattern = r.metrics.sort_pattern;
  w.wafer.inspection_pattern = r.metrics.inspection_pattern;
  w.wafer.rows = r.rows;
  w.wafer.cols = r.cols;
  w.wafer.die_verdicts = r.die_verdicts;
  fab.worst.push_back(std::move(w));
  std::push_heap(fab.worst.begin(), fab.worst.end(), worse_first);
}

namespace {

GroupAnalytics group_analytics(const std::string& kind, const std::string& key, const GroupSums& g,
                               const AnalyticsSettings& settings,
                               const std::map<std::int32_t, std::pair<std::string, bool>>& class_names,
                               const std::map<std::int16_t, std::string>& bin_names) {
  GroupAnalytics a;
  a.kind = kind;
  a.key = key;
  a.yield = summary_of(g.stats);

  a.density.killer_defects = g.inspected_killers;
  a.density.product_dies = g.inspected_product_dies;
  a.density.inspected_area_cm2 = g.inspected_area_cm2;
  if (g.inspected_area_cm2 > 0)
    a.density.d0_per_cm2 = static_cast<double>(g.inspected_killers) / g.inspected_area_cm2;

  std::vector<DefectCounts> counts;
  std::vector<YieldPoint> sort_points, inspection_points;
  for (const auto& [product, p] : g.products) {
    DefectCounts c;
    c.die_area_cm2 = p.die_area_cm2;
    c.histogram.assign(p.killer_hist.begin(), p.killer_hist.end());
    c.killer_defects = p.killers;
    counts.push_back(std::move(c));
    for (std::size_t k = 0; k < settings.window_block_dies.size(); ++k) {
      const int dies = settings.window_block_dies[k];
      auto point = [&](const BlockTally& b) {
        YieldPoint y;
        y.product = product;
        y.block_dies = dies;
        y.area_cm2 = dies * p.die_area_cm2;
        y.blocks = b.blocks;
        y.good_blocks = b.good_blocks;
        y.yield = b.blocks > 0 ? static_cast<double>(b.good_blocks) / static_cast<double>(b.blocks) : 0;
        return y;
      };
      if (k < p.sort_blocks.size() && p.sort_blocks[k].blocks > 0) sort_points.push_back(point(p.sort_blocks[k]));
      if (k < p.inspection_blocks.size() && p.inspection_blocks[k].blocks > 0)
        inspection_points.push_back(point(p.inspection_blocks[k]));
    }
  }
  a.defect_counts = fit_defect_counts(counts);
  if (!sort_points.empty())
    a.models = fit_yield_models(sort_points, "sort");
  else if (!inspection_points.empty())
    a.models = fit_yield_models(inspection_points, "inspection");

  std::vector<ParetoBar> by_class;
  for (const auto& [id, c] : g.classes) {
    auto name = class_names.find(id);
    KillRatio kr;
    kr.class_id = id;
    kr.class_name = name != class_names.end() ? name->second.first : "class " + std::to_string(id);
    kr.killer = name == class_names.end() || name->second.second;
    kr.defects = c.defects;
    kr.dies_with = c.dies_with;
    kr.dies_with_pass = c.dies_with_pass;
    kr.dies_clean = g.clean;
    kr.dies_clean_pass = g.clean_pass;
    kr.yield_with = ratio(c.dies_with_pass, c.dies_with);
    kr.yield_clean = ratio(g.clean_pass, g.clean);
    if (kr.yield_with && kr.yield_clean && *kr.yield_clean > 0) kr.kill_ratio = 1 - *kr.yield_with / *kr.yield_clean;
    by_class.push_back({kr.class_name, id, c.defects, 0, 0});
    if (c.dies_with > 0) a.kill_ratios.push_back(std::move(kr));
  }
  a.defects_by_class = make_pareto(std::move(by_class));

  std::vector<ParetoBar> by_size;
  const auto& edges = settings.size_bin_edges_um;
  for (std::size_t k = 0; k < g.size_bins.size(); ++k) {
    std::string label = k + 1 < edges.size() ? number_text(edges[k]) + "-" + number_text(edges[k + 1]) + " um"
                                             : (k < edges.size() ? ">= " + number_text(edges[k]) + " um" : "?");
    if (g.size_bins[k] > 0) by_size.push_back({label, static_cast<std::int64_t>(k), g.size_bins[k], 0, 0});
  }
  a.defects_by_size = make_pareto(std::move(by_size));

  std::vector<ParetoBar> bins;
  for (const auto& [bin, n] : g.fail_bins) {
    auto name = bin_names.find(bin);
    bins.push_back({name != bin_names.end() ? name->second : "bin " + std::to_string(bin), bin, n, 0, 0});
  }
  a.failing_bins = make_pareto(std::move(bins));

  for (std::size_t z = 0; z < kZoneCount; ++z) {
    const ZoneTally& t = g.zones[z];
    ZoneYield y;
    y.zone = kZoneNames[z];
    y.tested_dies = t.tested_dies;
    y.good_dies = t.good_dies;
    y.product_dies = t.product_dies;
    y.killed_dies = t.killed_dies;
    y.sort_yield = ratio(t.good_dies, t.tested_dies);
    y.inspection_yield = ratio(t.product_dies - t.killed_dies, t.product_dies);
    a.zones.push_back(std::move(y));
  }
  for (const auto& [product, m] : g.stacks) {
    StackedMap s;
    s.product = product;
    s.rows = m.rows;
    s.cols = m.cols;
    s.wafers = m.wafers;
    s.tested = m.tested;
    s.failed = m.failed;
    s.inspected = m.inspected;
    s.killed = m.killed;
    a.stacked_maps.push_back(std::move(s));
  }
  return a;
}

std::vector<YieldRow> yield_rows(const std::map<std::string, GroupStats>& m) {
  std::vector<YieldRow> rows;
  for (const auto& [key, g] : m) rows.push_back({key, summary_of(g)});
  return rows;
}

}  // namespace

Analytics AnalyticsAccumulator::finish(const FullChartFn& on_full_chart) const {
  const State& s = *s_;
  Analytics a;
  a.settings = s.settings;
  a.wafers = s.wafers;
  const auto& fab_groups = s.groups[static_cast<std::size_t>(GroupKind::fab)];

  // Records in time order (timestamp, then input order) for SPC.
  std::vector<std::size_t> order(s.records.size());
  std::iota(order.begin(), order.end(), std::size_t{0});
  std::stable_sort(order.begin(), order.end(),
                   [&](std::size_t x, std::size_t y) { return s.records[x].timestamp < s.records[y].timestamp; });

  for (const auto& [fab_name, fab] : s.fabs) {
    FabReport f;
    f.fab = fab_name;
    f.summary = group_analytics("fab", fab_name, fab_groups.at(fab_name), s.settings, s.class_names, s.bin_names);
    f.yield_by_tool = yield_rows(fab.by_tool);
    f.yield_by_lot = yield_rows(fab.by_lot);
    f.yield_by_product = yield_rows(fab.by_product);
    // Every wafer of the fab is in exactly one of its products.
    for (const auto& [product, g] : fab.by_product) {
      for (const auto& [pattern, n] : g.sort_patterns.to_map()) f.sort_patterns[pattern] += n;
      for (const auto& [pattern, n] : g.inspection_patterns.to_map()) f.inspection_patterns[pattern] += n;
    }

    const std::uint32_t fab_id = s.name_index.at(fab_name);
    bool any_sort = false;
    for (const WaferRecord& r : s.records) any_sort = any_sort || (r.fab == fab_id && r.has_sort);
    const std::string source = any_sort ? "sort" : "inspection";
    // p-chart samples: sort (good, tested) or, without any bin map in the fab, inspection.
    auto p_sample = [&](const WaferRecord& r, SpcSample& x) {
      if (any_sort ? !r.has_sort : r.product_dies <= 0) return false;
      x.wafer_id = r.wafer_id;
      x.lot_id = s.names[r.lot];
      x.timestamp = r.timestamp;
      x.count = any_sort ? r.good : r.product_dies - r.killed;
      x.n = any_sort ? r.tested : r.product_dies;
      return true;
    };
    std::vector<SpcSample> trend;
    std::map<std::string, std::pair<std::vector<SpcSample>, std::vector<SpcSample>>> per_tool;  // (p, c)
    for (std::size_t i : order) {
      const WaferRecord& r = s.records[i];
      if (r.fab != fab_id) continue;
      auto& tool = per_tool[s.names[r.tool]];
      SpcSample x;
      if (p_sample(r, x)) {
        trend.push_back(x);
        tool.first.push_back(x);
      }
      if (r.inspected) {
        SpcSample c;
        c.wafer_id = r.wafer_id;
        c.lot_id = s.names[r.lot];
        c.timestamp = r.timestamp;
        c.count = r.defects;
        c.n = 1;
        tool.second.push_back(std::move(c));
      }
    }
    SpcChart full;
    SpcChart* want = on_full_chart ? &full : nullptr;
    auto keep_full = [&]() {
      if (on_full_chart) on_full_chart(fab_name, full);
      full = SpcChart{};
    };
    f.trend = p_chart(trend, "", s.settings, want);
    keep_full();
    for (const auto& [tool, series] : per_tool) {
      if (!series.first.empty()) {
        f.spc.push_back(p_chart(series.first, tool, s.settings, want));
        keep_full();
      }
      if (!series.second.empty()) {
        f.spc.push_back(c_chart(series.second, tool, s.settings, want));
        keep_full();
      }
    }

    std::vector<CommonalityWafer> cw;
    for (const WaferRecord& r : s.records) {
      if (r.fab != fab_id || r.route_count == 0) continue;
      CommonalityWafer w;
      if (any_sort) {
        if (!r.has_sort) continue;
        w.yield = static_cast<double>(r.good) / static_cast<double>(r.tested);
      } else {
        if (r.product_dies <= 0) continue;
        w.yield = static_cast<double>(r.product_dies - r.killed) / static_cast<double>(r.product_dies);
      }
      w.route.assign(s.routes.begin() + r.route_begin, s.routes.begin() + r.route_begin + r.route_count);
      cw.push_back(std::move(w));
    }
    f.commonality = tool_commonality(cw, s.names, s.settings, source);

    std::vector<Worst> worst = fab.worst;
    std::sort(worst.begin(), worst.end(), worse_first);
    for (Worst& w : worst) f.worst_wafers.push_back(std::move(w.wafer));
    a.fabs.push_back(std::move(f));
  }
  for (GroupKind kind : kGroupKinds) {
    if (kind == GroupKind::fab) continue;
    for (const auto& [key, g] : s.groups[static_cast<std::size_t>(kind)])
      a.groups.push_back(group_analytics(group_kind_name(kind), key, g, s.settings, s.class_names, s.bin_names));
  }
  return a;
}

}  // namespace yf::analytics
