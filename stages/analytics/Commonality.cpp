#include "stages/analytics/Commonality.hpp"

#include <algorithm>
#include <map>
#include <numeric>
#include <tuple>

#include "stages/analytics/Statistics.hpp"

namespace yf::analytics {

namespace {

// Yields of one tool (or tool/chamber) at a step, and of the rest of the step.
using Key = std::pair<std::uint32_t, std::uint32_t>;  // (tool, chamber or UINT32_MAX for the tool as a whole)
constexpr std::uint32_t kWholeTool = 0xffffffffu;

double mean(const std::vector<double>& v) {
  return v.empty() ? 0 : std::accumulate(v.begin(), v.end(), 0.0) / static_cast<double>(v.size());
}

void rank_rows(std::vector<CommonalityRow>& rows, const AnalyticsSettings& s) {
  std::vector<double> p;
  for (const CommonalityRow& r : rows) p.push_back(r.mann_whitney_p.value_or(1.0));
  const std::vector<double> adj = s.p_adjust == "bh" ? benjamini_hochberg_adjust(p) : holm_adjust(p);
  for (std::size_t i = 0; i < rows.size(); ++i) {
    rows[i].adjusted_p = adj[i];
    rows[i].significant = adj[i] < s.significance && rows[i].yield_loss.value_or(0) > 0;
  }
  std::stable_sort(rows.begin(), rows.end(), [](const CommonalityRow& a, const CommonalityRow& b) {
    if (a.significant != b.significant) return a.significant;
    const double la = a.yield_loss.value_or(0), lb = b.yield_loss.value_or(0);
    if (a.significant) {
      if (la != lb) return la > lb;
      return *a.adjusted_p < *b.adjusted_p;
    }
    if (*a.adjusted_p != *b.adjusted_p) return *a.adjusted_p < *b.adjusted_p;
    return la > lb;
  });
  for (std::size_t i = 0; i < rows.size(); ++i) rows[i].rank = static_cast<int>(i) + 1;
}

}  // namespace

Commonality tool_commonality(const std::vector<CommonalityWafer>& wafers, const std::vector<std::string>& names,
                             const AnalyticsSettings& settings, const std::string& yield_source) {
  Commonality out;
  out.yield_source = yield_source;
  // step -> (tool, chamber) -> wafer indices; whole-tool keys hold each wafer once.
  std::map<std::uint32_t, std::map<Key, std::vector<std::size_t>>> by_step;
  for (std::size_t w = 0; w < wafers.size(); ++w) {
    for (const RouteStep& r : wafers[w].route) {
      auto& groups = by_step[r.step];
      for (Key k : {Key{r.tool, kWholeTool}, Key{r.tool, r.chamber}}) {
        auto& list = groups[k];
        if (list.empty() || list.back() != w) list.push_back(w);
      }
    }
  }
  // Steps and tools by name, not by interning order.
  auto name = [&](std::uint32_t i) -> const std::string& { return names.at(i); };
  std::vector<std::uint32_t> steps;
  for (const auto& [s, g] : by_step) steps.push_back(s);
  std::sort(steps.begin(), steps.end(), [&](std::uint32_t a, std::uint32_t b) { return name(a) < name(b); });

  std::vector<CommonalityRow> tool_rows, chamber_rows;
  for (std::uint32_t s : steps) {
    const auto& groups = by_step[s];
    for (const bool chamber_level : {false, true}) {
      std::vector<std::pair<Key, const std::vector<std::size_t>*>> level;
      for (const auto& [k, list] : groups)
        if ((k.second == kWholeTool) != chamber_level) level.emplace_back(k, &list);
      std::sort(level.begin(), level.end(), [&](const auto& a, const auto& b) {
        return std::tie(name(a.first.first), a.first.second == kWholeTool ? name(a.first.first) : name(a.first.second)) <
               std::tie(name(b.first.first), b.first.second == kWholeTool ? name(b.first.first) : name(b.first.second));
      });
      // The step's wafers at this level (a wafer with two passages on different tools counts in each).
      std::vector<std::vector<double>> yields;
      std::vector<std::size_t> step_wafers;
      for (const auto& [k, list] : level) {
        std::vector<double> y;
        for (std::size_t w : *list) {
          y.push_back(wafers[w].yield);
          step_wafers.push_back(w);
        }
        yields.push_back(std::move(y));
      }
      std::sort(step_wafers.begin(), step_wafers.end());
      step_wafers.erase(std::unique(step_wafers.begin(), step_wafers.end()), step_wafers.end());
      StepTest t;
      t.step = name(s);
      t.level = chamber_level ? "chamber" : "tool";
      t.groups = static_cast<int>(level.size());
      t.wafers = static_cast<std::int64_t>(step_wafers.size());
      const KruskalWallis kw = kruskal_wallis(yields);
      if (kw.df > 0) {
        t.h = kw.h;
        t.df = kw.df;
        t.p = kw.p;
      }
      out.steps.push_back(t);
      if (level.size() < 2) continue;  // one tool ran the whole step: nothing to compare
      // Every comparison of the step is "group against the rest of the step's wafers": the
      // pooled sample is always the step's wafers, so they are ranked once.
      std::vector<double> pooled;
      pooled.reserve(step_wafers.size());
      for (std::size_t w : step_wafers) pooled.push_back(wafers[w].yield);
      double ties = 0;
      const std::vector<double> ranks = midranks(pooled, &ties);
      for (std::size_t g = 0; g < level.size(); ++g) {
        const std::vector<std::size_t>& mine = *level[g].second;
        std::vector<double> rest;
        rest.reserve(step_wafers.size() - std::min(step_wafers.size(), mine.size()));
        double rank_sum = 0;
        // Both lists are sorted wafer indices (mine a subset of the step's): one merge pass.
        std::size_t m = 0;
        for (std::size_t i = 0; i < step_wafers.size(); ++i) {
          while (m < mine.size() && mine[m] < step_wafers[i]) ++m;
          if (m < mine.size() && mine[m] == step_wafers[i])
            rank_sum += ranks[i];
          else
            rest.push_back(pooled[i]);
        }
        if (rest.empty()) continue;
        CommonalityRow row;
        row.step = name(s);
        row.tool = name(level[g].first.first);
        if (chamber_level) row.chamber = name(level[g].first.second);
        row.wafers = static_cast<std::int64_t>(yields[g].size());
        row.wafers_rest = static_cast<std::int64_t>(rest.size());
        row.median_yield = median(yields[g]);
        row.median_yield_rest = median(rest);
        row.mean_yield = mean(yields[g]);
        row.mean_yield_rest = mean(rest);
        row.yield_loss = *row.median_yield_rest - *row.median_yield;
        // Small samples without ties: the exact test on the two samples themselves.
        const MannWhitney mw = (ties == 0 && mine.size() <= kMannWhitneyExactMax && rest.size() <= kMannWhitneyExactMax)
                                   ? mann_whitney(yields[g], rest)
                                   : mann_whitney_from_ranks(rank_sum, mine.size(), rest.size(), ties);
        row.mann_whitney_u = mw.u;
        row.mann_whitney_p = mw.p;
        if (t.p) row.kruskal_wallis_p = t.p;
        (chamber_level ? chamber_rows : tool_rows).push_back(std::move(row));
      }
    }
  }
  rank_rows(tool_rows, settings);
  rank_rows(chamber_rows, settings);
  out.rows = std::move(tool_rows);
  out.rows.insert(out.rows.end(), chamber_rows.begin(), chamber_rows.end());
  return out;
}

}  // namespace yf::analytics
