#include "stages/analytics/YieldModels.hpp"

#include <Eigen/Dense>
#include <algorithm>
#include <cmath>
#include <limits>

namespace yf::analytics {

const char* yield_model_name(YieldModel m) {
  switch (m) {
    case YieldModel::poisson: return "poisson";
    case YieldModel::murphy: return "murphy";
    case YieldModel::seeds: return "seeds";
    case YieldModel::negative_binomial: return "negative_binomial";
  }
  return "?";
}

double model_yield(YieldModel m, double x, double alpha) {
  switch (m) {
    case YieldModel::poisson: return std::exp(-x);
    case YieldModel::murphy: {
      if (x < 1e-8) return 1 - x;  // the limit; (1 - e^-x)/x loses digits near 0
      const double f = -std::expm1(-x) / x;
      return f * f;
    }
    case YieldModel::seeds: return 1 / (1 + x);
    case YieldModel::negative_binomial: return std::exp(-alpha * std::log1p(x / alpha));
  }
  return 0;
}

namespace {

constexpr double kMinLogD = -30, kMaxLogD = 12;      // D in [1e-13, 1.6e5] /cm^2
constexpr double kMinLogAlpha = -7, kMaxLogAlpha = 14;  // alpha in [1e-3, 1.2e6]

struct Data {
  Eigen::VectorXd area, yield, weight;
};

// Weighted residuals sqrt(w) (y - model) for parameters theta = (log D[, log alpha]).
Eigen::VectorXd residuals(YieldModel m, const Data& d, const Eigen::VectorXd& theta) {
  const double dd = std::exp(theta[0]);
  const double alpha = theta.size() > 1 ? std::exp(theta[1]) : 1;
  Eigen::VectorXd r(d.area.size());
  for (Eigen::Index i = 0; i < r.size(); ++i)
    r[i] = std::sqrt(d.weight[i]) * (d.yield[i] - model_yield(m, d.area[i] * dd, alpha));
  return r;
}

void clamp(Eigen::VectorXd& theta) {
  theta[0] = std::clamp(theta[0], kMinLogD, kMaxLogD);
  if (theta.size() > 1) theta[1] = std::clamp(theta[1], kMinLogAlpha, kMaxLogAlpha);
}

// Levenberg-Marquardt with a central-difference Jacobian; returns RSS, theta in place.
double levenberg_marquardt(YieldModel m, const Data& d, Eigen::VectorXd& theta, bool& converged) {
  double lambda = 1e-3;
  Eigen::VectorXd r = residuals(m, d, theta);
  double rss = r.squaredNorm();
  converged = false;
  for (int iter = 0; iter < 200; ++iter) {
    Eigen::MatrixXd j(r.size(), theta.size());
    for (Eigen::Index k = 0; k < theta.size(); ++k) {
      const double h = 1e-6;
      Eigen::VectorXd tp = theta, tm = theta;
      tp[k] += h;
      tm[k] -= h;
      j.col(k) = (residuals(m, d, tp) - residuals(m, d, tm)) / (2 * h);
    }
    const Eigen::MatrixXd jtj = j.transpose() * j;
    const Eigen::VectorXd g = j.transpose() * r;
    bool improved = false;
    for (int tries = 0; tries < 30 && !improved; ++tries) {
      Eigen::MatrixXd a = jtj;
      a.diagonal() += lambda * (jtj.diagonal().array() + 1e-12).matrix();
      Eigen::VectorXd step = a.ldlt().solve(-g);
      if (!step.allFinite()) {
        lambda *= 10;
        continue;
      }
      Eigen::VectorXd next = theta + step;
      clamp(next);
      const Eigen::VectorXd rn = residuals(m, d, next);
      const double rss_next = rn.squaredNorm();
      if (std::isfinite(rss_next) && rss_next <= rss) {
        const double gain = rss - rss_next;
        const double moved = (next - theta).norm();
        theta = next;
        r = rn;
        rss = rss_next;
        lambda = std::max(lambda / 10, 1e-12);
        improved = true;
        if (gain <= 1e-14 * std::max(rss, 1e-30) || moved < 1e-10) {
          converged = true;
          return rss;
        }
      } else {
        lambda *= 10;
      }
    }
    if (!improved) {  // no step lowers the RSS: a (local) minimum
      converged = true;
      return rss;
    }
  }
  return rss;
}

}  // namespace

YieldModelFits fit_yield_models(const std::vector<YieldPoint>& points, const std::string& yield_source) {
  YieldModelFits out;
  out.yield_source = yield_source;
  out.points = points;
  std::vector<const YieldPoint*> used;
  double total_blocks = 0;
  for (const YieldPoint& p : points) {
    if (p.blocks <= 0 || !(p.area_cm2 > 0)) continue;
    used.push_back(&p);
    total_blocks += static_cast<double>(p.blocks);
  }
  Data d;
  const auto n = static_cast<Eigen::Index>(used.size());
  d.area.resize(n);
  d.yield.resize(n);
  d.weight.resize(n);
  bool distinct_areas = false;
  for (Eigen::Index i = 0; i < n; ++i) {
    const YieldPoint& p = *used[static_cast<std::size_t>(i)];
    d.area[i] = p.area_cm2;
    d.yield[i] = static_cast<double>(p.good_blocks) / static_cast<double>(p.blocks);
    d.weight[i] = static_cast<double>(p.blocks) * static_cast<double>(n) / total_blocks;
    if (d.area[i] != d.area[0]) distinct_areas = true;
  }

  // Start: D from the Poisson reading of the pooled yield of the smallest area.
  double start_d = 0.1;
  if (n > 0) {
    Eigen::Index smallest = 0;
    for (Eigen::Index i = 1; i < n; ++i)
      if (d.area[i] < d.area[smallest]) smallest = i;
    const double y = std::clamp(d.yield[smallest], 1e-6, 1 - 1e-9);
    start_d = -std::log(y) / d.area[smallest];
  }

  double best_aic = std::numeric_limits<double>::infinity();
  for (YieldModel m : kYieldModels) {
    ModelFit fit;
    fit.model = yield_model_name(m);
    const bool nb = m == YieldModel::negative_binomial;
    fit.parameters = nb ? 2 : 1;
    if (n < fit.parameters + (nb ? 1 : 0) || (nb && !distinct_areas) || n == 0) {
      out.fits.push_back(fit);  // not enough points (or one area: alpha and D cannot be told apart)
      continue;
    }
    Eigen::VectorXd best_theta;
    double best_rss = std::numeric_limits<double>::infinity();
    bool best_converged = false;
    // Three starts for alpha: the NB surface is flat along alpha when clustering is weak.
    const std::vector<double> alphas = nb ? std::vector<double>{0.5, 3, 30} : std::vector<double>{1};
    for (double a0 : alphas) {
      Eigen::VectorXd theta(fit.parameters);
      theta[0] = std::log(std::max(start_d, 1e-12));
      if (nb) theta[1] = std::log(a0);
      clamp(theta);
      bool converged = false;
      const double rss = levenberg_marquardt(m, d, theta, converged);
      if (rss < best_rss) {
        best_rss = rss;
        best_theta = theta;
        best_converged = converged;
      }
    }
    if (!std::isfinite(best_rss)) {
      out.fits.push_back(fit);
      continue;
    }
    fit.converged = best_converged;
    fit.d0_per_cm2 = std::exp(best_theta[0]);
    if (nb) fit.alpha = std::exp(best_theta[1]);
    const double dn = static_cast<double>(n);
    fit.rmse = std::sqrt(best_rss / dn);
    fit.aic = dn * std::log(std::max(best_rss / dn, 1e-300)) + 2 * fit.parameters;
    if (fit.converged && *fit.aic < best_aic) best_aic = *fit.aic;
    out.fits.push_back(fit);
  }
  for (ModelFit& f : out.fits) {
    if (f.converged && f.aic && *f.aic == best_aic && out.trusted_model.empty()) {
      f.trusted = true;
      out.trusted_model = f.model;
    }
  }
  return out;
}

double nb_log_pmf(std::int64_t k, double mu, double alpha) {
  // log Gamma(k + alpha) - log Gamma(alpha) - log k! + alpha log(alpha / (alpha + mu)) + k log(mu / (alpha + mu)),
  // the Gamma ratio as sum_{j<k} log(alpha + j) (k is small: no lgamma cancellation).
  double lg = 0;
  for (std::int64_t j = 0; j < k; ++j) lg += std::log((alpha + static_cast<double>(j)) / static_cast<double>(j + 1));
  const double mix = alpha + mu;
  return lg + alpha * std::log(alpha / mix) + (k > 0 ? static_cast<double>(k) * std::log(mu / mix) : 0.0);
}

namespace {

double count_log_likelihood(const std::vector<DefectCounts>& products, double d0, double alpha) {
  double ll = 0;
  for (const DefectCounts& p : products) {
    const double mu = d0 * p.die_area_cm2;
    const std::size_t cap = p.histogram.size() - 1;
    double below = 0;
    for (std::size_t k = 0; k < p.histogram.size(); ++k) {
      if (k < cap) {
        const double lp = nb_log_pmf(static_cast<std::int64_t>(k), mu, alpha);
        below += std::exp(lp);
        if (p.histogram[k] > 0) ll += static_cast<double>(p.histogram[k]) * lp;
      } else if (p.histogram[k] > 0) {
        ll += static_cast<double>(p.histogram[k]) * std::log(std::max(1 - below, 1e-300));
      }
    }
  }
  return ll;
}

}  // namespace

DefectCountFit fit_defect_counts(const std::vector<DefectCounts>& products) {
  DefectCountFit out;
  std::vector<DefectCounts> used;
  double area = 0, killers = 0;
  for (const DefectCounts& p : products) {
    if (p.histogram.size() < 2 || !(p.die_area_cm2 > 0)) continue;
    std::int64_t dies = 0;
    for (std::int64_t h : p.histogram) dies += h;
    if (dies == 0) continue;
    used.push_back(p);
    out.dies += dies;
    area += static_cast<double>(dies) * p.die_area_cm2;
    killers += static_cast<double>(p.killer_defects);
    if (out.histogram.size() < p.histogram.size()) out.histogram.resize(p.histogram.size(), 0);
    for (std::size_t k = 0; k < p.histogram.size(); ++k) out.histogram[k] += p.histogram[k];
  }
  if (out.dies == 0) return out;
  const double d0 = killers / area;
  out.mean_per_die = killers / static_cast<double>(out.dies);
  out.d0_per_cm2 = d0;
  if (killers == 0) return out;  // no defect: no clustering to speak of

  // Over-dispersion check on the capped histogram (the cap only lowers the variance).
  double m1 = 0, m2 = 0;
  for (std::size_t k = 0; k < out.histogram.size(); ++k) {
    const double w = static_cast<double>(out.histogram[k]);
    m1 += w * static_cast<double>(k);
    m2 += w * static_cast<double>(k) * static_cast<double>(k);
  }
  const double nd = static_cast<double>(out.dies);
  const double mean = m1 / nd, var = m2 / nd - mean * mean;
  // Golden-section search of the log-likelihood over log alpha (unimodal in practice).
  auto ll = [&](double log_alpha) { return count_log_likelihood(used, d0, std::exp(log_alpha)); };
  double lo = kMinLogAlpha, hi = kMaxLogAlpha;
  const double phi = (std::sqrt(5.0) - 1) / 2;
  double x1 = hi - phi * (hi - lo), x2 = lo + phi * (hi - lo);
  double f1 = ll(x1), f2 = ll(x2);
  for (int i = 0; i < 120 && hi - lo > 1e-9; ++i) {
    if (f1 < f2) {
      lo = x1;
      x1 = x2;
      f1 = f2;
      x2 = lo + phi * (hi - lo);
      f2 = ll(x2);
    } else {
      hi = x2;
      x2 = x1;
      f2 = f1;
      x1 = hi - phi * (hi - lo);
      f1 = ll(x1);
    }
  }
  const double log_alpha = (lo + hi) / 2;
  if (!(var > mean) || log_alpha > kMaxLogAlpha - 0.5) {
    out.poisson = true;  // alpha at infinity: the Poisson likelihood
    double lp = 0;
    for (const DefectCounts& p : used) {
      const double mu = d0 * p.die_area_cm2;
      const std::size_t cap = p.histogram.size() - 1;
      double below = 0;
      for (std::size_t k = 0; k <= cap; ++k) {
        if (k < cap) {
          const double l = -mu + static_cast<double>(k) * std::log(mu) - std::lgamma(static_cast<double>(k) + 1);
          below += std::exp(l);
          lp += static_cast<double>(p.histogram[k]) * l;
        } else {
          lp += static_cast<double>(p.histogram[k]) * std::log(std::max(1 - below, 1e-300));
        }
      }
    }
    out.log_likelihood = lp;
    return out;
  }
  out.alpha = std::exp(log_alpha);
  out.log_likelihood = ll(log_alpha);
  return out;
}

}  // namespace yf::analytics
