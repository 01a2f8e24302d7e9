// Yield models: the formulas at a point, exact recovery from noiseless model curves,
// and recovery of a planted D0 and alpha from generated wafers whose die defect
// counts are negative binomial (gamma-mixed Poisson).
#include "stages/analytics/YieldModels.hpp"

#include <catch2/catch.hpp>
#include <cmath>
#include <random>

#include "core/WaferResult.hpp"
#include "stages/WaferTallyStage.hpp"

using namespace yf::analytics;

TEST_CASE("yield models at A D = 1", "[YieldModels]") {
  CHECK(model_yield(YieldModel::poisson, 1) == Approx(std::exp(-1.0)));
  CHECK(model_yield(YieldModel::murphy, 1) == Approx(0.39957640089372803));  // ((1 - e^-1) / 1)^2
  CHECK(model_yield(YieldModel::seeds, 1) == Approx(0.5));
  CHECK(model_yield(YieldModel::negative_binomial, 1, 2) == Approx(1 / 2.25));  // (1 + 1/2)^-2
  CHECK(model_yield(YieldModel::murphy, 0) == 1);
  // The negative binomial tends to Poisson as alpha grows, and is Seeds at alpha = 1.
  CHECK(model_yield(YieldModel::negative_binomial, 1, 1e7) == Approx(std::exp(-1.0)).epsilon(1e-6));
  CHECK(model_yield(YieldModel::negative_binomial, 0.7, 1) == Approx(model_yield(YieldModel::seeds, 0.7)));
}

namespace {
std::vector<YieldPoint> curve(YieldModel m, double d0, double alpha) {
  std::vector<YieldPoint> pts;
  for (int k : {1, 2, 4, 6, 9}) {
    YieldPoint p;
    p.product = "P";
    p.block_dies = k;
    p.area_cm2 = 0.5 * k;
    p.blocks = 1000000 / k;
    p.yield = model_yield(m, p.area_cm2 * d0, alpha);
    p.good_blocks = std::llround(p.yield * static_cast<double>(p.blocks));
    pts.push_back(p);
  }
  return pts;
}
const ModelFit& fit_of(const YieldModelFits& f, const char* name) {
  for (const auto& x : f.fits)
    if (x.model == name) return x;
  FAIL("no fit " << name);
  return f.fits.front();
}
}  // namespace

TEST_CASE("yield model fits recover the model that made the curve", "[YieldModels]") {
  // Yields rounded to 1e-6 blocks: D0 comes back to ~1e-5 relative, and the maker wins on AIC.
  for (YieldModel m : {YieldModel::poisson, YieldModel::murphy, YieldModel::seeds}) {
    const YieldModelFits f = fit_yield_models(curve(m, 0.8, 1), "sort");
    const ModelFit& fit = fit_of(f, yield_model_name(m));
    REQUIRE(fit.converged);
    CHECK(*fit.d0_per_cm2 == Approx(0.8).epsilon(1e-4));
    CHECK(*fit.rmse < 1e-4);
    // Seeds data is also the negative binomial at alpha = 1: NB fits as well, AIC prefers the 1-parameter model.
    CHECK(f.trusted_model == yield_model_name(m));
  }
  const YieldModelFits nb = fit_yield_models(curve(YieldModel::negative_binomial, 0.6, 2.5), "sort");
  const ModelFit& fit = fit_of(nb, "negative_binomial");
  CHECK(*fit.d0_per_cm2 == Approx(0.6).epsilon(1e-3));
  CHECK(*fit.alpha == Approx(2.5).epsilon(1e-2));
  CHECK(nb.trusted_model == "negative_binomial");
  // One area only: alpha cannot be told from D0, the NB fit is not attempted.
  auto one = curve(YieldModel::poisson, 0.5, 1);
  one.resize(1);
  const YieldModelFits f1 = fit_yield_models(one, "sort");
  CHECK_FALSE(fit_of(f1, "negative_binomial").converged);
  CHECK(fit_of(f1, "poisson").converged);
  CHECK(fit_yield_models({}, "sort").trusted_model.empty());
}

TEST_CASE("negative binomial log pmf", "[YieldModels]") {
  // alpha = 2, mu = 1: P(0) = (2/3)^2 = 4/9; P(1) = alpha * (2/3)^2 * (1/3) = 8/27; P(2) = 3 * (4/9) * (1/9) = 4/27.
  CHECK(std::exp(nb_log_pmf(0, 1, 2)) == Approx(4.0 / 9.0));
  CHECK(std::exp(nb_log_pmf(1, 1, 2)) == Approx(8.0 / 27.0));
  CHECK(std::exp(nb_log_pmf(2, 1, 2)) == Approx(4.0 / 27.0));
}

namespace {

// 30 x 30 grid of 10 x 10 mm dies (1 cm^2), every die a product die and tested
// (a 500 mm "wafer" so that the grid sits inside the exclusion circle).
yf::ProductGeometry square_product() {
  yf::ProductGeometry g;
  g.name = "SQ";
  g.wafer_diameter_mm = 500;
  g.edge_exclusion_mm = 0;
  g.die_width_mm = 10;
  g.die_height_mm = 10;
  g.cols = 30;
  g.rows = 30;
  g.grid_x0_mm = -150;
  g.grid_y0_mm = 150;
  return g;
}

// Killer-defect counts of each die are Poisson(A * lambda_w) with the wafer's density
// lambda_w ~ Gamma(shape alpha, scale D0 / alpha): per die, the count is negative
// binomial with mean A D0 and clustering alpha, and the yield of a block of k dies is
// exactly (1 + k A D0 / alpha)^-alpha. A die fails sort iff it holds a defect.
struct Generated {
  std::vector<YieldPoint> points;
  DefectCounts counts;
};
Generated generate(double d0, double alpha, int wafers, std::uint64_t seed) {
  const yf::ProductGeometry g = square_product();
  const double area = 1.0;
  std::mt19937_64 rng(seed);
  std::gamma_distribution<double> density(alpha, d0 / alpha);
  yf::TallyOptions opt;
  std::vector<yf::BlockTally> blocks(opt.window_block_dies.size());
  Generated out;
  out.counts.die_area_cm2 = area;
  out.counts.histogram.assign(yf::kKillerCountCap + 1, 0);
  for (int w = 0; w < wafers; ++w) {
    std::poisson_distribution<int> defects(area * density(rng));
    std::vector<std::uint8_t> verdicts(900);
    std::vector<std::uint16_t> killers(900);
    for (std::size_t i = 0; i < 900; ++i) {
      const int n = defects(rng);
      killers[i] = static_cast<std::uint16_t>(n);
      verdicts[i] = yf::kDieProduct | yf::kDieTested | (n > 0 ? yf::kDieKilled : yf::kDieSortPass);
      out.counts.killer_defects += n;
    }
    yf::BinMap bm;  // only its presence matters to the windows
    bm.rows = 30;
    bm.cols = 30;
    bm.bins.assign(900, 1);
    const yf::WaferTallies t = yf::tally_wafer(g, verdicts, {}, {}, killers, &bm, yf::DatasetTables{}, opt);
    for (std::size_t k = 0; k < blocks.size(); ++k) {
      blocks[k].blocks += t.sort_blocks[k].blocks;
      blocks[k].good_blocks += t.sort_blocks[k].good_blocks;
    }
    for (std::size_t k = 0; k < t.killer_count_hist.size(); ++k) out.counts.histogram[k] += t.killer_count_hist[k];
  }
  for (std::size_t k = 0; k < blocks.size(); ++k) {
    YieldPoint p;
    p.product = "SQ";
    p.block_dies = opt.window_block_dies[k];
    p.area_cm2 = p.block_dies * area;
    p.blocks = blocks[k].blocks;
    p.good_blocks = blocks[k].good_blocks;
    out.points.push_back(p);
  }
  return out;
}

}  // namespace

TEST_CASE("planted D0 and alpha come back from generated wafers", "[YieldModels]") {
  // D0 = 0.5 /cm^2, alpha = 2 on 1 cm^2 dies: die yield (1 + 0.25)^-2 = 0.64.
  // 600 wafers of 900 dies. Tolerances: D0 within 10 %, alpha within 30 % (alpha is
  // estimated from the spread of 600 wafer densities: its standard error is ~10 %).
  const Generated gen = generate(0.5, 2.0, 600, 42);
  const YieldModelFits f = fit_yield_models(gen.points, "sort");
  const ModelFit& nb = fit_of(f, "negative_binomial");
  REQUIRE(nb.converged);
  CHECK(*nb.d0_per_cm2 == Approx(0.5).epsilon(0.10));
  CHECK(*nb.alpha == Approx(2.0).epsilon(0.30));
  CHECK(f.trusted_model == "negative_binomial");
  // Clustered defects: Poisson fits the window curve worse than the negative binomial.
  CHECK(*fit_of(f, "poisson").rmse > *nb.rmse);

  // Maximum likelihood on the killer counts per die: same D0 and alpha.
  const DefectCountFit c = fit_defect_counts({gen.counts});
  REQUIRE(c.d0_per_cm2);
  CHECK(*c.d0_per_cm2 == Approx(0.5).epsilon(0.10));
  REQUIRE(c.alpha);
  CHECK(*c.alpha == Approx(2.0).epsilon(0.30));
  CHECK_FALSE(c.poisson);
  CHECK(c.dies == 600 * 900);
}

TEST_CASE("Poisson defects: no clustering found", "[YieldModels]") {
  // alpha huge: every wafer has D0 = 0.3; counts are Poisson, the variance equals the mean.
  const Generated gen = generate(0.3, 1e9, 300, 7);
  const DefectCountFit c = fit_defect_counts({gen.counts});
  CHECK(*c.d0_per_cm2 == Approx(0.3).epsilon(0.05));
  // Either flagged Poisson or an alpha so large it makes no difference.
  CHECK((c.poisson || *c.alpha > 50));
  const YieldModelFits f = fit_yield_models(gen.points, "sort");
  CHECK(*fit_of(f, "poisson").d0_per_cm2 == Approx(0.3).epsilon(0.05));
  // No defect at all: D0 = 0 and nothing to fit.
  DefectCounts none;
  none.die_area_cm2 = 1;
  none.histogram = {100, 0, 0};
  const DefectCountFit z = fit_defect_counts({none});
  CHECK(*z.d0_per_cm2 == 0);
  CHECK_FALSE(z.alpha);
}
