#include "stages/analytics/Statistics.hpp"

#include <algorithm>
#include <cmath>
#include <limits>
#include <numeric>

namespace yf::analytics {

double normal_sf(double z) { return 0.5 * std::erfc(z / std::sqrt(2.0)); }

namespace {

constexpr double kEps = 1e-15;
constexpr double kTiny = 1e-300;

// Series for P(a, x), good for x < a + 1.
double gamma_p_series(double a, double x) {
  double ap = a, term = 1.0 / a, sum = term;
  for (int i = 0; i < 10000; ++i) {
    ap += 1;
    term *= x / ap;
    sum += term;
    if (std::fabs(term) < std::fabs(sum) * kEps) break;
  }
  return sum * std::exp(-x + a * std::log(x) - std::lgamma(a));
}

// Continued fraction for Q(a, x) (modified Lentz), good for x >= a + 1.
double gamma_q_fraction(double a, double x) {
  double b = x + 1 - a, c = 1 / kTiny, d = 1 / b, h = d;
  for (int i = 1; i < 10000; ++i) {
    const double an = -i * (i - a);
    b += 2;
    d = an * d + b;
    if (std::fabs(d) < kTiny) d = kTiny;
    c = b + an / c;
    if (std::fabs(c) < kTiny) c = kTiny;
    d = 1 / d;
    const double delta = d * c;
    h *= delta;
    if (std::fabs(delta - 1) < kEps) break;
  }
  return std::exp(-x + a * std::log(x) - std::lgamma(a)) * h;
}

}  // namespace

double gamma_p(double a, double x) {
  if (!(x > 0)) return 0;
  if (x < a + 1) return gamma_p_series(a, x);
  return 1 - gamma_q_fraction(a, x);
}

double chi_square_sf(double x, int df) {
  if (df <= 0) return 1;
  if (!(x > 0)) return 1;
  const double a = df / 2.0, hx = x / 2.0;
  if (hx < a + 1) return 1 - gamma_p_series(a, hx);
  return gamma_q_fraction(a, hx);
}

std::vector<double> midranks(const std::vector<double>& values, double* tie_term) {
  const std::size_t n = values.size();
  std::vector<std::size_t> order(n);
  std::iota(order.begin(), order.end(), std::size_t{0});
  std::stable_sort(order.begin(), order.end(), [&](std::size_t a, std::size_t b) { return values[a] < values[b]; });
  std::vector<double> ranks(n);
  double ties = 0;
  for (std::size_t i = 0; i < n;) {
    std::size_t j = i + 1;
    while (j < n && values[order[j]] == values[order[i]]) ++j;
    // Positions i..j-1 (0-based) hold ranks i+1..j: their mean is (i + 1 + j) / 2.
    const double r = (static_cast<double>(i) + 1 + static_cast<double>(j)) / 2;
    for (std::size_t k = i; k < j; ++k) ranks[order[k]] = r;
    const double t = static_cast<double>(j - i);
    ties += t * t * t - t;
    i = j;
  }
  if (tie_term) *tie_term = ties;
  return ranks;
}

double median(std::vector<double> v) {
  if (v.empty()) return std::numeric_limits<double>::quiet_NaN();
  const std::size_t mid = v.size() / 2;
  std::nth_element(v.begin(), v.begin() + static_cast<std::ptrdiff_t>(mid), v.end());
  const double upper = v[mid];
  if (v.size() % 2 == 1) return upper;
  const double lower = *std::max_element(v.begin(), v.begin() + static_cast<std::ptrdiff_t>(mid));
  return (lower + upper) / 2;
}

namespace {

// Number of arrangements of n1 + n2 distinct values in which the first sample has
// U = u, for u = 0 .. n1*n2: f(n1, n2, u) = f(n1 - 1, n2, u - n2) + f(n1, n2 - 1, u)
// (the largest value belongs to the first sample, adding n2 to U, or to the second).
std::vector<double> u_distribution(std::size_t n1, std::size_t n2) {
  // table[a][b] is the distribution for sizes (a, b); built over b for each a.
  std::vector<std::vector<std::vector<double>>> table(n1 + 1, std::vector<std::vector<double>>(n2 + 1));
  for (std::size_t a = 0; a <= n1; ++a) {
    for (std::size_t b = 0; b <= n2; ++b) {
      std::vector<double>& f = table[a][b];
      f.assign(a * b + 1, 0.0);
      if (a == 0 || b == 0) {
        f[0] = 1;
        continue;
      }
      const std::vector<double>& first = table[a - 1][b];   // largest value in sample 1: U grows by b
      const std::vector<double>& second = table[a][b - 1];  // largest value in sample 2
      for (std::size_t u = 0; u < first.size(); ++u) f[u + b] += first[u];
      for (std::size_t u = 0; u < second.size(); ++u) f[u] += second[u];
    }
  }
  return table[n1][n2];
}

}  // namespace

MannWhitney mann_whitney(const std::vector<double>& x, const std::vector<double>& y) {
  MannWhitney out;
  const std::size_t n1 = x.size(), n2 = y.size();
  if (n1 == 0 || n2 == 0) return out;
  std::vector<double> all(x);
  all.insert(all.end(), y.begin(), y.end());
  double ties = 0;
  const std::vector<double> ranks = midranks(all, &ties);
  const double r1 = std::accumulate(ranks.begin(), ranks.begin() + static_cast<std::ptrdiff_t>(n1), 0.0);
  const double d1 = static_cast<double>(n1);
  out.u = r1 - d1 * (d1 + 1) / 2;
  if (ties == 0 && n1 <= kMannWhitneyExactMax && n2 <= kMannWhitneyExactMax) {
    const std::vector<double> f = u_distribution(n1, n2);
    const double total = std::accumulate(f.begin(), f.end(), 0.0);
    const auto u = static_cast<std::size_t>(std::llround(out.u));
    double below = 0, above = 0;  // P(U <= u), P(U >= u)
    for (std::size_t k = 0; k < f.size(); ++k) {
      if (k <= u) below += f[k];
      if (k >= u) above += f[k];
    }
    out.exact = true;
    out.p = std::min(1.0, 2 * std::min(below, above) / total);
    return out;
  }
  return mann_whitney_from_ranks(r1, n1, n2, ties);
}

MannWhitney mann_whitney_from_ranks(double r1, std::size_t n1, std::size_t n2, double ties) {
  MannWhitney out;
  if (n1 == 0 || n2 == 0) return out;
  const double d1 = static_cast<double>(n1), d2 = static_cast<double>(n2), n = d1 + d2;
  out.u = r1 - d1 * (d1 + 1) / 2;
  const double mean = d1 * d2 / 2;
  const double var = d1 * d2 / 12 * ((n + 1) - ties / (n * (n - 1)));
  if (!(var > 0)) return out;  // every value tied: no evidence either way
  const double diff = std::fabs(out.u - mean);
  out.z = std::max(0.0, diff - 0.5) / std::sqrt(var) * (out.u < mean ? -1 : 1);
  out.p = std::min(1.0, 2 * normal_sf(std::fabs(out.z)));
  return out;
}

KruskalWallis kruskal_wallis(const std::vector<std::vector<double>>& groups) {
  KruskalWallis out;
  std::vector<double> all;
  std::vector<std::size_t> sizes;
  for (const auto& g : groups) {
    if (g.empty()) continue;
    all.insert(all.end(), g.begin(), g.end());
    sizes.push_back(g.size());
  }
  if (sizes.size() < 2) return out;
  out.df = static_cast<int>(sizes.size()) - 1;
  double ties = 0;
  const std::vector<double> ranks = midranks(all, &ties);
  const double n = static_cast<double>(all.size());
  const double correction = 1 - ties / (n * n * n - n);
  if (!(correction > 0)) return out;  // every value tied
  double sum = 0;
  std::size_t at = 0;
  for (std::size_t s : sizes) {
    double r = 0;
    for (std::size_t k = 0; k < s; ++k) r += ranks[at + k];
    at += s;
    sum += r * r / static_cast<double>(s);
  }
  const double h = 12 / (n * (n + 1)) * sum - 3 * (n + 1);
  out.h = std::max(0.0, h / correction);
  out.p = chi_square_sf(out.h, out.df);
  return out;
}

std::vector<double> holm_adjust(const std::vector<double>& p) {
  const std::size_t m = p.size();
  std::vector<std::size_t> order(m);
  std::iota(order.begin(), order.end(), std::size_t{0});
  std::stable_sort(order.begin(), order.end(), [&](std::size_t a, std::size_t b) { return p[a] < p[b]; });
  std::vector<double> out(m);
  double running = 0;
  for (std::size_t k = 0; k < m; ++k) {
    // The k-th smallest (0-based) is multiplied by m - k; adjusted values never decrease.
    running = std::max(running, std::min(1.0, p[order[k]] * static_cast<double>(m - k)));
    out[order[k]] = running;
  }
  return out;
}

std::vector<double> benjamini_hochberg_adjust(const std::vector<double>& p) {
  const std::size_t m = p.size();
  std::vector<std::size_t> order(m);
  std::iota(order.begin(), order.end(), std::size_t{0});
  std::stable_sort(order.begin(), order.end(), [&](std::size_t a, std::size_t b) { return p[a] < p[b]; });
  std::vector<double> out(m);
  double running = 1;
  for (std::size_t k = m; k-- > 0;) {
    // The k-th smallest (rank k + 1) is multiplied by m / (k + 1); the minimum is taken from the top.
    running = std::min(running, p[order[k]] * static_cast<double>(m) / static_cast<double>(k + 1));
    out[order[k]] = std::min(1.0, running);
  }
  return out;
}

}  // namespace yf::analytics
