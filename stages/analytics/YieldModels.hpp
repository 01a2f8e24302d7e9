#pragma once
// Yield models Y(A D) fitted to die-block window yields, and the maximum-likelihood
// negative binomial of killer defects per die. Eigen inside; plain structs outside.
// Formulas and tests: docs/algorithms.md ("Yield analytics").
#include <cstdint>
#include <string>
#include <vector>

#include "stages/analytics/AnalyticsModel.hpp"

namespace yf::analytics {

enum class YieldModel { poisson, murphy, seeds, negative_binomial };
inline constexpr YieldModel kYieldModels[] = {YieldModel::poisson, YieldModel::murphy, YieldModel::seeds,
                                              YieldModel::negative_binomial};
const char* yield_model_name(YieldModel m);

// Y for x = A * D (dies' mean defect count): Poisson exp(-x), Murphy ((1 - exp(-x)) / x)^2,
// Seeds 1 / (1 + x), negative binomial (1 + x / alpha)^-alpha (alpha used by it alone).
double model_yield(YieldModel m, double x, double alpha = 1);

// Weighted least squares of each model over the points (weight = blocks, scaled to a
// mean of 1), Levenberg-Marquardt on log D (and log alpha). Points without blocks are
// ignored. The trusted model has the lowest AIC = n ln(RSS / n) + 2 k among the fits
// that converged; the negative binomial needs at least two distinct areas.
YieldModelFits fit_yield_models(const std::vector<YieldPoint>& points, const std::string& yield_source);

// Killer defects per die of one product: histogram[k] = dies with k killer defects,
// the last entry "cap or more"; killer_defects is the exact total (not capped).
struct DefectCounts {
  double die_area_cm2 = 0;
  std::vector<std::int64_t> histogram;
  std::int64_t killer_defects = 0;
};

// D0 = sum of killer defects / sum of die area (the moment and, for one product, the
// maximum-likelihood estimate of the mean), then alpha by maximum likelihood of the
// negative binomial over the histograms (the capped last entry as P(N >= cap)).
// Counts whose variance does not exceed their mean are Poisson: alpha empty, poisson true.
DefectCountFit fit_defect_counts(const std::vector<DefectCounts>& products);

// log P(N = k) of a negative binomial with mean mu and shape alpha.
double nb_log_pmf(std::int64_t k, double mu, double alpha);

}  // namespace yf::analytics
