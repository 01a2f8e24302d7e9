#pragma once
// The parts of report.html, each a function from analytics structs to an HTML
// fragment (internal to io/report; ReportHtml.cpp puts them in order).
#include <optional>
#include <string>
#include <vector>

#include "stages/analytics/AnalyticsModel.hpp"

namespace yf::report {

// Limits that keep the page readable (and small) on 200,000-wafer runs; the
// complete tables are the CSV files and summary.json.
inline constexpr std::size_t kMaxChartBars = 40;
inline constexpr std::size_t kMaxTableRows = 50;
inline constexpr std::size_t kMaxCommonalityRows = 20;
inline constexpr std::size_t kMaxExcursionRows = 30;

// The yield a chart shows: sort yield when the group has bin maps, else inspection yield.
struct ShownYield {
  std::optional<double> value;
  const char* source;  // "sort" or "inspection"
};
ShownYield shown_yield(const analytics::YieldSummary& y);

std::string kpi_html(const std::string& label, const std::string& value, bool alert = false);
std::string figure_html(const std::string& svg, const std::string& caption);

// ReportYield.cpp
std::string headline_html(const analytics::FabReport& fab);
std::string yield_rows_html(const std::string& what, const std::vector<analytics::YieldRow>& rows,
                            const analytics::YieldSummary& fab_yield, bool chart);
std::string zones_html(const std::vector<analytics::ZoneYield>& zones);

// ReportSpc.cpp
std::string spc_html(const analytics::FabReport& fab);

// ReportDefects.cpp
std::string paretos_html(const analytics::GroupAnalytics& g);
std::string kill_ratios_html(const std::vector<analytics::KillRatio>& rows);

// ReportFits.cpp
std::string commonality_html(const analytics::Commonality& c);
std::string model_fits_html(const analytics::GroupAnalytics& g);
std::optional<double> model_yield(const std::string& model, double area_cm2, double d0, std::optional<double> alpha);

// ReportMaps.cpp
std::string stacked_maps_html(const std::vector<analytics::StackedMap>& maps);
std::string worst_wafers_html(const std::vector<analytics::WorstWafer>& wafers);

}  // namespace yf::report
