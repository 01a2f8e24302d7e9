// The flow graph: input order, one bad wafer or file failing alone, identical
// results for any thread count and token count.
#include <catch2/catch.hpp>

#include <fstream>

#include "io/SummaryJson.hpp"
#include "pipeline/WaferPipeline.hpp"
#include "support/MiniDataset.hpp"
#include "support/TempDir.hpp"

using yf::test::MiniDataset;
using Catch::Matchers::Contains;

namespace {

struct Collect : yf::ResultConsumer {
  std::vector<yf::WaferResult> results;
  void consume(const yf::WaferResult& r) override { results.push_back(r); }
};

// `n` wafers on the tiny product; wafer i has i % 3 killer defects in distinct
// central dies and a bin map failing i % 4 of the 4 central dies.
MiniDataset many_wafers(int n, const std::string& prefix) {
  MiniDataset d;
  const double centres[4][2] = {{-1, 1}, {1, 1}, {-1, -1}, {1, -1}};  // the 4 product dies
  for (int i = 0; i < n; ++i) {
    d.add_wafer(prefix + std::to_string(i));
    d.wafers.back().lot_id = "LOT" + std::to_string(i / 5);
    d.wafers.back().tool = i % 2 ? "TOOL-B" : "TOOL-A";
    std::vector<yf::Defect> defects;
    for (int k = 0; k < i % 3; ++k) defects.push_back({centres[k][0], centres[k][1], 1.0, 1});
    d.set_defects(static_cast<std::size_t>(i), defects);
    std::vector<std::int16_t> bins(16, -1);
    const int central[4] = {5, 6, 9, 10};
    for (int k = 0; k < 4; ++k) bins[central[k]] = k < i % 4 ? 3 : 1;
    d.set_binmap(static_cast<std::size_t>(i), bins);
  }
  return d;
}

yf::PipelineReport run(const std::vector<std::string>& files, int threads, int in_flight, Collect& out) {
  yf::PipelineOptions o;
  o.threads = threads;
  o.max_in_flight = in_flight;
  return yf::run_pipeline(files, o, &out);
}

}  // namespace

TEST_CASE("results leave in input order with the expected metrics", "[pipeline]") {
  yf::test::TempDir dir;
  many_wafers(40, "A").write(dir / "a.h5");
  many_wafers(7, "B").write(dir / "b.h5");
  Collect out;
  auto report = run({dir / "a.h5", dir / "b.h5"}, 2, 3, out);
  REQUIRE(out.results.size() == 47);
  CHECK(report.totals.wafers == 47);
  CHECK(report.totals.failed_wafers.empty());
  for (std::size_t i = 0; i < out.results.size(); ++i) {
    const auto& r = out.results[i];
    CHECK(r.seq == i);
    const int k = static_cast<int>(i < 40 ? i : i - 40);
    CHECK(r.meta.wafer_id == (i < 40 ? "A" : "B") + std::to_string(k));
    REQUIRE(r.ok);
    CHECK(r.metrics.product_dies == 4);
    CHECK(r.metrics.killed_dies == k % 3);
    CHECK(r.metrics.tested_dies == 4);
    CHECK(r.metrics.good_dies == 4 - k % 4);
  }
  // TOOL-A holds the even wafers: of A0..A39 and B0..B6, 24 wafers.
  CHECK(report.aggregate.groups(yf::GroupKind::tool).at("TOOL-A").wafers == 24);
}

TEST_CASE("threads 1 and 4 give identical results and aggregates", "[pipeline]") {
  yf::test::TempDir dir;
  many_wafers(300, "W").write(dir / "a.h5");
  Collect one, four;
  auto r1 = run({dir / "a.h5"}, 1, 0, one);
  auto r4 = run({dir / "a.h5"}, 4, 0, four);
  REQUIRE(one.results.size() == four.results.size());
  for (std::size_t i = 0; i < one.results.size(); ++i) {
    CHECK(one.results[i].meta.wafer_id == four.results[i].meta.wafer_id);
    CHECK(one.results[i].die_verdicts == four.results[i].die_verdicts);
    CHECK(one.results[i].metrics.sort_yield == four.results[i].metrics.sort_yield);
  }
  CHECK(yf::summary_json(r1.aggregate, r1.totals).dump() == yf::summary_json(r4.aggregate, r4.totals).dump());
}

TEST_CASE("a bad wafer fails alone, a bad file is skipped, the rest completes", "[pipeline][bad]") {
  yf::test::TempDir dir;
  MiniDataset a = many_wafers(10, "A");
  a.wafers[3].product = "NOPE";                        // unknown product
  a.defects[0].second.x_mm = std::nan("");             // wafer A1's first defect (A0 has none)
  a.write(dir / "a.h5");
  std::ofstream(dir / "junk.h5") << "not hdf5";
  many_wafers(5, "C").write(dir / "c.h5");

  Collect out;
  auto report = run({dir / "a.h5", dir / "junk.h5", dir / "missing.h5", dir / "c.h5"}, 2, 2, out);
  REQUIRE(out.results.size() == 15);
  CHECK(report.totals.wafers == 15);
  REQUIRE(report.totals.failed_wafers.size() == 2);
  CHECK(report.totals.failed_wafers[0].wafer_id == "A1");
  CHECK_THAT(report.totals.failed_wafers[0].error, Contains("a.h5") && Contains("wafer A1") && Contains("x_mm"));
  CHECK(report.totals.failed_wafers[1].wafer_id == "A3");
  CHECK_THAT(report.totals.failed_wafers[1].error, Contains("product") && Contains("NOPE"));
  REQUIRE(report.totals.failed_files.size() == 2);
  CHECK_THAT(report.totals.failed_files[0].error, Contains("junk.h5") && Contains("not an HDF5 file"));
  CHECK_THAT(report.totals.failed_files[1].error, Contains("missing.h5") && Contains("not found"));
  CHECK(out.results[14].meta.wafer_id == "C4");
  CHECK(out.results[14].ok);
  CHECK(report.aggregate.wafers() == 13);
}

TEST_CASE("one token in flight still completes", "[pipeline]") {
  yf::test::TempDir dir;
  many_wafers(20, "A").write(dir / "a.h5");
  Collect out;
  run({dir / "a.h5"}, 4, 1, out);
  CHECK(out.results.size() == 20);
}

TEST_CASE("a consumer that throws stops the run with its error", "[pipeline][bad]") {
  yf::test::TempDir dir;
  many_wafers(50, "A").write(dir / "a.h5");
  struct Failing : yf::ResultConsumer {
    void consume(const yf::WaferResult& r) override {
      if (r.seq == 10) throw std::runtime_error("disk full");
    }
  } failing;
  yf::PipelineOptions o;
  o.threads = 2;
  CHECK_THROWS_WITH(yf::run_pipeline({dir / "a.h5"}, o, &failing), Contains("disk full"));
}
