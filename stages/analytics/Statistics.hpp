#pragma once
// Non-parametric tests and the distributions behind them, for tool commonality:
// ranks with ties, Mann-Whitney U, Kruskal-Wallis H, Holm and Benjamini-Hochberg
// adjustments. Formulas and the textbook checks: docs/algorithms.md ("Yield analytics").
#include <cstddef>
#include <vector>

namespace yf::analytics {

// P(Z > z) for a standard normal Z.
double normal_sf(double z);
// P(X > x) for X chi-square with df degrees of freedom (regularised upper incomplete gamma Q(df/2, x/2)).
double chi_square_sf(double x, int df);
// Regularised lower incomplete gamma P(a, x), a > 0, x >= 0.
double gamma_p(double a, double x);

// Mid-ranks (1-based; tied values share the mean of their ranks) of the values, and
// the tie term sum(t^3 - t) over groups of t tied values.
std::vector<double> midranks(const std::vector<double>& values, double* tie_term = nullptr);

// Median; the mean of the two middle values for an even count. Empty input: NaN.
double median(std::vector<double> values);

struct MannWhitney {
  double u = 0;        // U of the first sample: R1 - n1 (n1 + 1) / 2
  double z = 0;        // normal score (0 for the exact test)
  double p = 1;        // two-sided
  bool exact = false;  // exact permutation distribution (no ties, n1 and n2 <= kExactMax)
};
inline constexpr std::size_t kMannWhitneyExactMax = 20;
// Two-sided Mann-Whitney U test of x against y. Exact when there is no tie and both
// samples have at most 20 values; otherwise the normal approximation with the tie
// correction of the variance and a continuity correction of 0.5. Empty sample: p = 1.
MannWhitney mann_whitney(const std::vector<double>& x, const std::vector<double>& y);

// The same test from the rank sum r1 of the first sample in the pooled sample of
// n1 + n2 values whose tie term is tie_term (normal approximation, as above): what
// tool commonality uses to rank a step's wafers once for all its tools.
MannWhitney mann_whitney_from_ranks(double r1, std::size_t n1, std::size_t n2, double tie_term);

struct KruskalWallis {
  double h = 0;  // tie-corrected H
  int df = 0;    // groups with at least one value, minus 1
  double p = 1;  // chi-square approximation
};
// Kruskal-Wallis H test over the groups (empty groups ignored). Fewer than two
// non-empty groups, or every value tied: H = 0, p = 1.
KruskalWallis kruskal_wallis(const std::vector<std::vector<double>>& groups);

// Adjusted p-values in the input order (each capped at 1).
std::vector<double> holm_adjust(const std::vector<double>& p);
std::vector<double> benjamini_hochberg_adjust(const std::vector<double>& p);

}  // namespace yf::analytics
