#include "stages/analytics/Spc.hpp"

#include <algorithm>
#include <cmath>
#include <cstdio>
#include <limits>

namespace yf::analytics {

std::int64_t baseline_size(std::int64_t n, const AnalyticsSettings& s) {
  const auto by_fraction = static_cast<std::int64_t>(std::ceil(s.baseline_fraction * static_cast<double>(n)));
  return std::min<std::int64_t>(n, std::max<std::int64_t>(s.baseline_min_points, by_fraction));
}

std::vector<SpcViolation> western_electric(const std::vector<double>& z) {
  std::vector<SpcViolation> out;
  const auto n = static_cast<std::int64_t>(z.size());
  auto fire = [&](int rule, std::int64_t i, std::int64_t begin, bool above) {
    SpcViolation v;
    v.rule = rule;
    v.index = i;
    v.window_begin = begin;
    v.side = above ? "above" : "below";
    out.push_back(v);
  };
  // Points of z[i-len+1 .. i] beyond `limit` on the side of `sign`.
  auto beyond = [&](std::int64_t i, std::int64_t len, double limit, int sign) {
    int count = 0;
    for (std::int64_t k = i - len + 1; k <= i; ++k) count += sign * z[static_cast<std::size_t>(k)] > limit;
    return count;
  };
  for (std::int64_t i = 0; i < n; ++i) {
    const double zi = z[static_cast<std::size_t>(i)];
    const int sign = zi > 0 ? 1 : (zi < 0 ? -1 : 0);
    // Rule 1: the point beyond 3 sigma.
    if (std::fabs(zi) > 3) fire(1, i, i, zi > 0);
    if (sign == 0) continue;
    // Rules 2 and 3 fire at a point that is itself beyond the limit, on its side.
    if (i >= 2 && sign * zi > 2 && beyond(i, 3, 2, sign) >= 2) fire(2, i, i - 2, sign > 0);
    if (i >= 4 && sign * zi > 1 && beyond(i, 5, 1, sign) >= 4) fire(3, i, i - 4, sign > 0);
    // Rule 4: 8 in a row strictly on the same side of the centre line.
    if (i >= 7 && beyond(i, 8, 0, sign) == 8) fire(4, i, i - 7, sign > 0);
  }
  return out;
}

namespace {

std::string baseline_text(std::int64_t b, std::int64_t n, const AnalyticsSettings& s) {
  const auto percent = static_cast<long>(std::lround(100 * s.baseline_fraction));
  return "first " + std::to_string(b) + " of " + std::to_string(n) + " wafers in time order (the larger of " +
         std::to_string(s.baseline_min_points) + " and " + std::to_string(percent) + "% of them)";
}

// Laney's sigma_z: the spread of the baseline's standardised points z_j = (x_j - centre)
// / sigma_j, from their mean moving range (MR-bar / 1.128, the individuals chart's
// estimate). Wafer yields and defect counts are clustered (a wafer is not a binomial or
// Poisson sample of independent dies), so the spread between wafers is several times
// what the binomial / Poisson sigma says, and plain limits flag most wafers; Laney's
// p' and u' charts multiply sigma_i by sigma_z. 1 when the baseline has under 2 points
// or no spread to measure.
double laney_sigma_z(const std::vector<double>& z_baseline) {
  if (z_baseline.size() < 2) return 1.0;
  double sum = 0;
  for (std::size_t j = 1; j < z_baseline.size(); ++j) sum += std::fabs(z_baseline[j] - z_baseline[j - 1]);
  const double sigma_z = sum / static_cast<double>(z_baseline.size() - 1) / 1.128;
  return std::isfinite(sigma_z) && sigma_z > 0 ? sigma_z : 1.0;
}

std::string with_sigma_z(const std::string& baseline, double sigma_z) {
  char buf[96];
  std::snprintf(buf, sizeof buf, "; Laney sigma_z %.2f (limits widened by it)", sigma_z);
  return baseline + buf;
}

// Fills the chart from per-point values and limits; z for the rules.
SpcChart finish(SpcChart c, const std::vector<SpcSample>& samples, std::vector<SpcPoint> points,
                const std::vector<double>& z, const AnalyticsSettings& s, SpcChart* full) {
  std::vector<SpcViolation> v = western_electric(z);
  for (SpcViolation& x : v) {
    x.wafer_id = samples[static_cast<std::size_t>(x.index)].wafer_id;
    x.timestamp = samples[static_cast<std::size_t>(x.index)].timestamp;
  }
  c.total_points = static_cast<std::int64_t>(points.size());
  c.total_violations = static_cast<std::int64_t>(v.size());
  if (full) {
    *full = c;
    full->points = points;
    full->violations = v;
  }
  const auto keep_points = static_cast<std::size_t>(std::max(0, s.max_chart_points));
  if (points.size() > keep_points) points.erase(points.begin(), points.end() - static_cast<std::ptrdiff_t>(keep_points));
  const auto keep_v = static_cast<std::size_t>(std::max(0, s.max_violations));
  if (v.size() > keep_v) v.erase(v.begin(), v.end() - static_cast<std::ptrdiff_t>(keep_v));
  c.points = std::move(points);
  c.violations = std::move(v);
  return c;
}

SpcChart start(const char* kind, const std::vector<SpcSample>& samples, const std::string& tool,
               const AnalyticsSettings& s, std::int64_t& b) {
  SpcChart c;
  c.chart = kind;
  c.tool = tool;
  const auto n = static_cast<std::int64_t>(samples.size());
  b = baseline_size(n, s);
  c.baseline_points = b;
  c.baseline = baseline_text(b, n, s);
  if (b > 0) {
    c.baseline_first_timestamp = samples.front().timestamp;
    c.baseline_last_timestamp = samples[static_cast<std::size_t>(b - 1)].timestamp;
  }
  return c;
}

SpcPoint point(const SpcSample& x, std::int64_t i, double value, double ucl, double lcl, bool baseline) {
  SpcPoint p;
  p.index = i;
  p.wafer_id = x.wafer_id;
  p.lot_id = x.lot_id;
  p.timestamp = x.timestamp;
  p.value = value;
  p.n = x.n;
  p.ucl = ucl;
  p.lcl = lcl;
  p.baseline = baseline;
  return p;
}

// (x - centre) / sigma, with sigma 0 (a centre at 0 or 1): 0 on the line, +-inf off it.
double zscore(double x, double centre, double sigma) {
  if (sigma > 0) return (x - centre) / sigma;
  if (x == centre) return 0;
  return x > centre ? std::numeric_limits<double>::infinity() : -std::numeric_limits<double>::infinity();
}

}  // namespace

SpcChart p_chart(const std::vector<SpcSample>& samples, const std::string& tool, const AnalyticsSettings& s,
                 SpcChart* full) {
  std::int64_t b = 0;
  SpcChart c = start("p", samples, tool, s, b);
  std::int64_t good = 0, tested = 0;
  for (std::int64_t i = 0; i < b; ++i) {
    good += samples[static_cast<std::size_t>(i)].count;
    tested += samples[static_cast<std::size_t>(i)].n;
  }
  if (tested <= 0) return finish(c, samples, {}, {}, s, full);
  const double pbar = static_cast<double>(good) / static_cast<double>(tested);
  c.centre = pbar;
  auto binomial_sigma = [pbar](const SpcSample& x) {
    return std::sqrt(pbar * (1 - pbar) / static_cast<double>(std::max<std::int64_t>(x.n, 1)));
  };
  std::vector<double> zb;
  for (std::int64_t i = 0; i < b; ++i) {
    const SpcSample& x = samples[static_cast<std::size_t>(i)];
    const double n = static_cast<double>(std::max<std::int64_t>(x.n, 1));
    zb.push_back(zscore(static_cast<double>(x.count) / n, pbar, binomial_sigma(x)));
  }
  const double sigma_z = laney_sigma_z(zb);
  c.baseline = with_sigma_z(c.baseline, sigma_z);
  std::vector<SpcPoint> points;
  std::vector<double> z;
  points.reserve(samples.size());
  z.reserve(samples.size());
  for (std::size_t i = 0; i < samples.size(); ++i) {
    const SpcSample& x = samples[i];
    const double n = static_cast<double>(std::max<std::int64_t>(x.n, 1));
    const double sigma = binomial_sigma(x) * sigma_z;
    const double y = static_cast<double>(x.count) / n;
    points.push_back(point(x, static_cast<std::int64_t>(i), y, std::min(1.0, pbar + 3 * sigma),
                           std::max(0.0, pbar - 3 * sigma), static_cast<std::int64_t>(i) < b));
    z.push_back(zscore(y, pbar, sigma));
  }
  return finish(c, samples, std::move(points), z, s, full);
}

SpcChart c_chart(const std::vector<SpcSample>& samples, const std::string& tool, const AnalyticsSettings& s,
                 SpcChart* full) {
  std::int64_t b = 0;
  SpcChart c = start("c", samples, tool, s, b);
  if (b <= 0) return finish(c, samples, {}, {}, s, full);
  std::int64_t total = 0;
  for (std::int64_t i = 0; i < b; ++i) total += samples[static_cast<std::size_t>(i)].count;
  const double cbar = static_cast<double>(total) / static_cast<double>(b);
  c.centre = cbar;
  std::vector<double> zb;
  for (std::int64_t i = 0; i < b; ++i)
    zb.push_back(zscore(static_cast<double>(samples[static_cast<std::size_t>(i)].count), cbar, std::sqrt(cbar)));
  const double sigma_z = laney_sigma_z(zb);
  c.baseline = with_sigma_z(c.baseline, sigma_z);
  const double sigma = std::sqrt(cbar) * sigma_z;
  std::vector<SpcPoint> points;
  std::vector<double> z;
  for (std::size_t i = 0; i < samples.size(); ++i) {
    const double x = static_cast<double>(samples[i].count);
    points.push_back(point(samples[i], static_cast<std::int64_t>(i), x, cbar + 3 * sigma,
                           std::max(0.0, cbar - 3 * sigma), static_cast<std::int64_t>(i) < b));
    z.push_back(zscore(x, cbar, sigma));
  }
  return finish(c, samples, std::move(points), z, s, full);
}

}  // namespace yf::analytics
