// Tool commonality (which step and tool to blame) and the yield model fits of a group.
#include <fmt/format.h>

#include <algorithm>
#include <cmath>

#include "io/report/HtmlPage.hpp"
#include "io/report/HtmlText.hpp"
#include "io/report/ReportSections.hpp"
#include "io/report/SvgChart.hpp"

namespace yf::report {

using namespace analytics;

std::optional<double> model_yield(const std::string& model, double area_cm2, double d0, std::optional<double> alpha) {
  double ad = area_cm2 * d0;
  if (!std::isfinite(ad) || ad < 0) return std::nullopt;
  if (model == "poisson") return std::exp(-ad);
  if (model == "murphy") {
    if (ad == 0) return 1.0;
    double r = (1 - std::exp(-ad)) / ad;
    return r * r;
  }
  if (model == "seeds") return 1 / (1 + ad);
  if (model == "negative_binomial") {
    if (!alpha || !(*alpha > 0)) return std::nullopt;
    return std::pow(1 + ad / *alpha, -*alpha);
  }
  return std::nullopt;
}

namespace {

std::string model_title(const std::string& m) {
  if (m == "poisson") return "Poisson exp(-AD)";
  if (m == "murphy") return "Murphy ((1-exp(-AD))/AD)\xC2\xB2";
  if (m == "seeds") return "Seeds 1/(1+AD)";
  if (m == "negative_binomial") return "negative binomial (1+AD/\xCE\xB1)^-\xCE\xB1";
  return m;
}

Table commonality_table(const Commonality& c, bool chambers, std::size_t& total) {
  Table t;
  t.header = {"rank", "step", chambers ? "tool / chamber" : "tool", "wafers", "others", "median yield",
              "others' median", "yield loss", "Mann-Whitney p", "adjusted p", "step's K-W p", ""};
  t.numeric_columns = {true, false, false, true, true, true, true, true, true, true, true, false};
  total = 0;
  for (const CommonalityRow& r : c.rows) {
    if (r.chamber.empty() == chambers) continue;
    ++total;
    if (t.rows.size() >= kMaxCommonalityRows) continue;
    std::string who = chambers ? r.tool + " / " + r.chamber : r.tool;
    t.rows.push_back({Cell::number(std::to_string(r.rank)), Cell::text(r.step), Cell::text(who),
                      Cell::number(format_count(r.wafers)), Cell::number(format_count(r.wafers_rest)),
                      Cell::number(format_percent(r.median_yield)), Cell::number(format_percent(r.median_yield_rest)),
                      Cell::number(format_percent(r.yield_loss)), Cell::number(format_p_value(r.mann_whitney_p)),
                      Cell::number(format_p_value(r.adjusted_p)), Cell::number(format_p_value(r.kruskal_wallis_p)),
                      Cell::raw(r.significant ? "<span class=\"badge alert\">significant</span>" : "")});
    t.row_classes.push_back(r.significant ? "alert" : "");
  }
  if (total > t.rows.size())
    t.note = fmt::format("The first {} of {} rows by rank; all of them: summary.json and the CSV tables.", t.rows.size(),
                         total);
  return t;
}

}  // namespace

std::string commonality_html(const Commonality& c) {
  if (c.rows.empty()) return "<p class=\"note\">No tool commonality: the datasets hold no process history.</p>\n";
  std::string s = "<p class=\"note\">For every step of the process history, the wafer " +
                  html_escape(c.yield_source.empty() ? "sort" : c.yield_source) +
                  " yields of each tool against the other wafers of the step (Mann-Whitney, two-sided; p adjusted "
                  "for the number of comparisons). Rank 1 is the most suspect; yield loss is the median of the "
                  "others minus the tool's median.</p>\n";
  BarChart chart;
  chart.title = "Yield loss by (step, tool), most suspect first";
  chart.y_label = "yield loss";
  chart.percent = true;
  for (const CommonalityRow& r : c.rows) {
    if (!r.chamber.empty() || chart.bars.size() >= 12) continue;
    Bar b;
    b.label = r.step + " / " + r.tool;
    b.value = r.yield_loss.value_or(std::nan(""));
    b.highlight = r.significant;
    b.tooltip = fmt::format("{} at {}: yield loss {}, adjusted p {}", r.tool, r.step, format_percent(r.yield_loss),
                            format_p_value(r.adjusted_p));
    chart.bars.push_back(std::move(b));
  }
  chart.frame.bottom = 90;
  chart.frame.height = 290;
  s += figure_html(bar_chart_svg(chart), "Red: significant after adjustment.");
  std::size_t total = 0;
  s += table_html(commonality_table(c, false, total));
  Table chambers = commonality_table(c, true, total);
  if (total > 0) {
    chambers.caption = "By chamber";
    s += table_html(chambers);
  }
  if (!c.steps.empty()) {
    Table k;
    k.caption = "Kruskal-Wallis test of each step";
    k.header = {"step", "level", "groups", "wafers", "H", "df", "p"};
    k.numeric_columns = {false, false, true, true, true, true, true};
    for (const StepTest& st : c.steps)
      k.rows.push_back({Cell::text(st.step), Cell::text(st.level), Cell::number(std::to_string(st.groups)),
                        Cell::number(format_count(st.wafers)), Cell::number(format_number(st.h, 2)),
                        Cell::number(std::to_string(st.df)), Cell::number(format_p_value(st.p))});
    s += table_html(k);
  }
  return s;
}

std::string model_fits_html(const GroupAnalytics& g) {
  const YieldModelFits& m = g.models;
  std::string s;
  const DefectCountFit& d = g.defect_counts;
  if (d.dies > 0) {
    std::string text = fmt::format("Killer defects per product die over {} dies: mean {}", format_count(d.dies),
                                   format_number(d.mean_per_die, 4));
    if (d.poisson)
      text += ", not over-dispersed (Poisson, no clustering)";
    else if (d.alpha)
      text += fmt::format(", clustering \xCE\xB1 = {} (negative binomial, maximum likelihood)", format_number(d.alpha, 3));
    text += fmt::format("; D0 = {} killer defects / cm\xC2\xB2 (defect density: {}).", format_number(d.d0_per_cm2, 4),
                        format_number(g.density.d0_per_cm2, 4));
    s += "<p class=\"note\">" + html_escape(text) + "</p>\n";
  }
  if (m.fits.empty() && m.points.empty()) return s + "<p class=\"note\">No yield model fit (no yield data).</p>\n";
  XYChart chart;
  chart.title = "Observed " + (m.yield_source.empty() ? std::string("sort") : m.yield_source) +
                " yield of die blocks against the fitted models";
  chart.x_label = "block area A (cm\xC2\xB2)";
  chart.y_label = "yield";
  chart.y_percent = true;
  chart.y_max = 1;
  chart.x_min = 0;
  double max_area = 0;
  for (const YieldPoint& p : m.points) max_area = std::max(max_area, p.area_cm2);
  if (max_area <= 0) max_area = 1;
  static const char* kModels[] = {"poisson", "murphy", "seeds", "negative_binomial"};
  for (const ModelFit& f : m.fits) {
    if (!f.converged || !f.d0_per_cm2) continue;
    Series line;
    line.name = model_title(f.model);
    line.colour = static_cast<int>(std::find(std::begin(kModels), std::end(kModels), f.model) - std::begin(kModels));
    for (int i = 0; i <= 48; ++i) {
      double a = max_area * 1.1 * i / 48;
      if (auto y = model_yield(f.model, a, *f.d0_per_cm2, f.alpha)) line.points.emplace_back(a, *y);
    }
    chart.series.push_back(std::move(line));
  }
  std::vector<std::string> products;
  for (const YieldPoint& p : m.points)
    if (std::find(products.begin(), products.end(), p.product) == products.end()) products.push_back(p.product);
  for (std::size_t i = 0; i < products.size(); ++i) {
    Series pts;
    pts.name = "observed " + products[i];
    pts.line = false;
    pts.markers = true;
    pts.colour = static_cast<int>(4 + i);
    for (const YieldPoint& p : m.points)
      if (p.product == products[i]) pts.points.emplace_back(p.area_cm2, p.yield);
    chart.series.push_back(std::move(pts));
  }
  double lowest = 1;
  for (const Series& se : chart.series)
    for (auto [x, y] : se.points) lowest = std::min(lowest, y);
  chart.y_min = std::max(0.0, std::floor((lowest - 0.05) * 10) / 10);
  chart.frame.width = 600;
  chart.frame.height = 300;
  Table t;
  t.header = {"model", "D0 (/cm\xC2\xB2)", "\xCE\xB1", "weighted RMSE", "AIC", "converged", ""};
  t.numeric_columns = {false, true, true, true, true, false, false};
  for (const ModelFit& f : m.fits) {
    t.rows.push_back({Cell::text(model_title(f.model)), Cell::number(format_number(f.d0_per_cm2, 4)),
                      Cell::number(f.model == "negative_binomial" ? format_number(f.alpha, 3) : ""),
                      Cell::number(format_number(f.rmse, 4)), Cell::number(format_number(f.aic, 1)),
                      Cell::text(f.converged ? "yes" : "no"),
                      Cell::raw(f.trusted ? "<span class=\"badge\">trust this one</span>" : "")});
    t.row_classes.push_back(f.trusted ? "best" : "");
  }
  t.note = "Fitted by weighted least squares to die-block windows (blocks of 1 to 9 adjacent dies); the model to trust "
           "has the lowest AIC among converged fits.";
  return s + "<div class=\"grid\">" +
         figure_html(xy_chart_svg(chart), "Points: observed block yields by product; lines: the fitted models.") +
         table_html(t) + "</div>\n";
}

}  // namespace yf::report
