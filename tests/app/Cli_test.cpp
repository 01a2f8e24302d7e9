// The yieldflow command end to end on the committed samples: numbers checked
// against the generator's /truth, a golden folder through `regress`, thread
// count independence, exit statuses, and bad input.
#include <catch2/catch.hpp>

#include <sys/wait.h>

#include <algorithm>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <map>
#include <nlohmann/json.hpp>
#include <sstream>

#include "TestPaths.hpp"
#include "io/DatasetReader.hpp"
#include "io/WafersCsv.hpp"
#include "support/TempDir.hpp"

namespace fs = std::filesystem;
using Catch::Matchers::Contains;

namespace {

struct Outcome {
  int status = -1;
  std::string output;  // stdout and stderr together
};

Outcome yieldflow(const std::string& args, const yf::test::TempDir& dir) {
  const std::string log = dir / "command.log";
  const std::string cmd = std::string(YF_EXE) + " " + args + " > " + log + " 2>&1";
  int raw = std::system(cmd.c_str());
  Outcome o;
  o.status = WIFEXITED(raw) ? WEXITSTATUS(raw) : -1;
  std::ifstream in(log);
  std::stringstream ss;
  ss << in.rdbuf();
  o.output = ss.str();
  return o;
}

std::vector<std::string> sample_files() {
  std::vector<std::string> files;
  for (const auto& e : fs::directory_iterator(yf::test::kSamplesDir))
    if (e.path().extension() == ".h5") files.push_back(e.path().string());
  std::sort(files.begin(), files.end());
  return files;
}

std::string joined(const std::vector<std::string>& files) {
  std::string s;
  for (const auto& f : files) s += " " + f;
  return s;
}

std::string slurp(const std::string& path) {
  std::ifstream in(path);
  std::stringstream ss;
  ss << in.rdbuf();
  return ss.str();
}

// wafers.csv as rows of column -> value.
std::vector<std::map<std::string, std::string>> read_wafers_csv(const std::string& path) {
  std::ifstream in(path);
  std::string line;
  std::getline(in, line);
  auto header = yf::parse_csv_line(line);
  std::vector<std::map<std::string, std::string>> rows;
  while (std::getline(in, line)) {
    auto f = yf::parse_csv_line(line);
    std::map<std::string, std::string> row;
    for (std::size_t i = 0; i < header.size() && i < f.size(); ++i) row[header[i]] = f[i];
    rows.push_back(row);
  }
  return rows;
}

}  // namespace

TEST_CASE("run on the committed samples matches the generator's truth", "[app][samples]") {
  yf::test::TempDir dir;
  const auto files = sample_files();
  REQUIRE(files.size() >= 2);
  auto o = yieldflow("run -q -j2 -o " + (dir / "out") + joined(files), dir);
  INFO(o.output);
  REQUIRE(o.status == 0);
  auto rows = read_wafers_csv(dir / "out/wafers.csv");

  std::size_t checked = 0, with_bins = 0;
  std::size_t row_index = 0;
  for (const auto& file : files) {
    auto truth = yf::read_truth_wafers(file);
    REQUIRE_FALSE(truth.empty());
    for (const auto& t : truth) {
      REQUIRE(row_index < rows.size());
      const auto& row = rows[row_index++];
      INFO(file << " wafer " << row.at("wafer_id"));
      CHECK(row.at("status") == "ok");
      CHECK(std::stoll(row.at("killed_dies")) == t.killed_dies);
      if (t.tested_dies >= 0) {
        CHECK(std::stoll(row.at("tested_dies")) == t.tested_dies);
        CHECK(std::stoll(row.at("good_dies")) == t.good_dies);
        if (t.tested_dies > 0) {
          CHECK(std::stod(row.at("sort_yield")) ==
                Approx(static_cast<double>(t.good_dies) / static_cast<double>(t.tested_dies)).margin(1e-6));
          ++with_bins;
        }
      }
      ++checked;
    }
  }
  CHECK(checked == rows.size());
  CHECK(with_bins > 0);

  auto summary = nlohmann::json::parse(slurp(dir / "out/summary.json"));
  CHECK(summary["format"] == "yieldflow-summary");
  CHECK(summary["wafers"] == rows.size());
  CHECK(summary["failed_wafers"].empty());
  // Die-weighted group yields equal the sums over wafers.csv.
  for (auto& [fab, g] : summary["groups"]["fab"].items()) {
    long long good = 0, tested = 0;
    for (const auto& r : rows)
      if (r.at("fab") == fab) good += std::stoll(r.at("good_dies")), tested += std::stoll(r.at("tested_dies"));
    CHECK(g["good_dies"] == good);
    CHECK(g["tested_dies"] == tested);
    CHECK(g["sort_yield"].get<double>() == Approx(static_cast<double>(good) / static_cast<double>(tested)));
  }
  CHECK(fs::exists(dir / "out/results.h5"));
}

TEST_CASE("regress: the committed samples equal the golden folder", "[app][regress]") {
  yf::test::TempDir dir;
  auto o = yieldflow("regress -j2 --golden " + std::string(YF_GOLDEN_DIR) + joined(sample_files()), dir);
  INFO(o.output);
  CHECK(o.status == 0);
  CHECK_THAT(o.output, Contains("outputs equal"));
}

TEST_CASE("regress: a changed golden number is reported in a table, exit 1", "[app][regress]") {
  yf::test::TempDir dir;
  fs::copy(YF_GOLDEN_DIR, dir / "golden", fs::copy_options::recursive);
  // Change the second wafer's good_dies in the golden copy.
  auto rows = slurp(dir / "golden/wafers.csv");
  std::istringstream in(rows);
  std::string header, first, second, rest;
  std::getline(in, header);
  std::getline(in, first);
  std::getline(in, second);
  auto head = yf::parse_csv_line(header);
  auto fields = yf::parse_csv_line(second);
  auto col = static_cast<std::size_t>(std::find(head.begin(), head.end(), "good_dies") - head.begin());
  const std::string wafer = fields[1], original = fields[col];
  fields[col] = std::to_string(std::stoll(original) + 1);
  std::string changed;
  for (std::size_t i = 0; i < fields.size(); ++i) changed += (i ? "," : "") + yf::csv_field(fields[i]);
  std::stringstream out;
  out << header << "\n" << first << "\n" << changed << "\n" << in.rdbuf();
  std::ofstream(dir / "golden/wafers.csv") << out.str();

  auto o = yieldflow("regress -j1 --golden " + (dir / "golden") + joined(sample_files()), dir);
  INFO(o.output);
  CHECK(o.status == 1);
  CHECK_THAT(o.output, Contains("good_dies") && Contains(wafer) && Contains("1 differences"));
}

TEST_CASE("run with -j1 and -j4 writes identical wafers.csv and summary.json", "[app]") {
  yf::test::TempDir dir;
  const auto inputs = joined(sample_files());
  REQUIRE(yieldflow("run -q -j1 -o " + (dir / "one") + inputs, dir).status == 0);
  REQUIRE(yieldflow("run -q -j4 --max-in-flight 3 -o " + (dir / "four") + inputs, dir).status == 0);
  CHECK(slurp(dir / "one/wafers.csv") == slurp(dir / "four/wafers.csv"));
  CHECK(slurp(dir / "one/summary.json") == slurp(dir / "four/summary.json"));
}

TEST_CASE("a bad file among good ones: outputs written, listed, exit 1", "[app][bad]") {
  yf::test::TempDir dir;
  std::ofstream(dir / "junk.h5") << "garbage";
  const auto files = sample_files();
  auto o = yieldflow("run -j2 -o " + (dir / "out") + " " + (dir / "junk.h5") + joined(files), dir);
  CHECK(o.status == 1);
  CHECK_THAT(o.output, Contains("junk.h5: not an HDF5 file"));
  auto summary = nlohmann::json::parse(slurp(dir / "out/summary.json"));
  REQUIRE(summary["failed_files"].size() == 1);
  CHECK(summary["wafers"].get<std::size_t>() == read_wafers_csv(dir / "out/wafers.csv").size());
  // Nothing half-written is left behind.
  for (const auto& e : fs::directory_iterator(dir / "out")) CHECK(e.path().filename().string()[0] != '.');
}

TEST_CASE("configuration: the config file applies, bad values fail at start-up with exit 2", "[app][config]") {
  yf::test::TempDir dir;
  const auto inputs = joined(sample_files());
  std::ofstream(dir / "huge.yaml") << "min_kill_size_um: 1.0e9\nthreads: 2\n";
  REQUIRE(yieldflow("run -q --config " + (dir / "huge.yaml") + " -o " + (dir / "out") + inputs, dir).status == 0);
  for (const auto& row : read_wafers_csv(dir / "out/wafers.csv")) {
    CHECK(row.at("killer_defects") == "0");  // nothing is that large
    CHECK(row.at("killed_dies") == "0");
  }

  std::ofstream(dir / "bad.yaml") << "min_kill_size: 3\n";
  auto o = yieldflow("run --config " + (dir / "bad.yaml") + " -o " + (dir / "o2") + inputs, dir);
  CHECK(o.status == 2);
  CHECK_THAT(o.output, Contains("bad.yaml") && Contains("min_kill_size") && Contains("unknown option"));
  CHECK_FALSE(fs::exists(dir / "o2"));

  std::ofstream(dir / "neg.yaml") << "min_kill_size_um: -1\n";
  o = yieldflow("run --config " + (dir / "neg.yaml") + " -o " + (dir / "o3") + inputs, dir);
  CHECK(o.status == 2);
  CHECK_THAT(o.output, Contains("min_kill_size_um"));

  CHECK(yieldflow("run --no-such-flag", dir).status == 2);
}

TEST_CASE("inspect summarises a dataset", "[app]") {
  yf::test::TempDir dir;
  const auto files = sample_files();
  auto o = yieldflow("inspect " + files.front(), dir);
  INFO(o.output);
  CHECK(o.status == 0);
  yf::DatasetReader reader(files.front());
  CHECK_THAT(o.output, Contains(std::to_string(reader.wafer_count()) + " wafers") && Contains("products:") &&
                           Contains("pass bins"));
  CHECK(yieldflow("inspect " + (dir / "nothing.h5"), dir).status == 1);
}

TEST_CASE("a run that cannot finish its outputs exits 3 and leaves no summary.json", "[app][bad]") {
  yf::test::TempDir dir;
  const auto inputs = joined(sample_files());
  REQUIRE(yieldflow("run -q -o " + (dir / "out") + inputs, dir).status == 0);
  REQUIRE(fs::exists(dir / "out/summary.json"));
  // results.h5 cannot be renamed onto a non-empty folder: the second run fails at the end.
  fs::remove(dir / "out/results.h5");
  fs::create_directories(dir / "out/results.h5/blocker");
  auto o = yieldflow("run -o " + (dir / "out") + inputs, dir);
  CHECK(o.status == 3);
  CHECK_THAT(o.output, Contains("results.h5"));
  CHECK_FALSE(fs::exists(dir / "out/summary.json"));  // the earlier run's marker is gone too
  for (const auto& e : fs::directory_iterator(dir / "out")) CHECK(e.path().filename().string()[0] != '.');
}

TEST_CASE("run writes the yield analytics, --no-analytics leaves them out", "[app][analytics]") {
  yf::test::TempDir dir;
  const auto inputs = joined(sample_files());
  REQUIRE(yieldflow("run -q -o " + (dir / "with") + inputs, dir).status == 0);
  const auto summary = nlohmann::json::parse(slurp(dir / "with/summary.json"));
  REQUIRE(summary.contains("analytics"));
  CHECK(summary["analytics"]["wafers"] == summary["wafers"]);  // every wafer of the samples succeeds
  CHECK(summary["wafers"] == 104);                              // 100 in fab14/fab7.h5, 4 in images-000.h5
  CHECK(summary["analytics"]["fabs"].size() == 2);
  for (const char* table : {"yields.csv", "model_fits.csv", "kill_ratios.csv", "pareto_defect_class.csv",
                            "pareto_defect_size.csv", "pareto_failing_bins.csv", "zones.csv", "stacked_maps.csv",
                            "commonality.csv", "spc.csv", "worst_wafers.csv"})
    CHECK(fs::exists(fs::path(dir / "with/tables") / table));
  // commonality.csv: the first tool-level row of FAB14 is the planted excursion.
  std::ifstream in(dir / "with/tables/commonality.csv");
  std::string line;
  std::getline(in, line);
  const auto header = yf::parse_csv_line(line);
  bool found = false;
  while (!found && std::getline(in, line)) {
    const auto f = yf::parse_csv_line(line);
    std::map<std::string, std::string> row;
    for (std::size_t i = 0; i < header.size() && i < f.size(); ++i) row[header[i]] = f[i];
    if (row["fab"] != "FAB14" || row["level"] != "tool") continue;
    found = true;
    CHECK(row["rank"] == "1");
    CHECK(row["step"] == "POLY_ETCH");
    CHECK(row["tool"] == "ETCH-03");
    CHECK(row["significant"] == "1");
  }
  CHECK(found);

  // Failure patterns per fab (issue 6, shown in report.html): the analytics' counts are the
  // counts of wafers.csv's sort_pattern / inspection_pattern column per fab.
  std::map<std::string, std::map<std::string, std::int64_t>> sort_counts, kill_counts;
  std::ifstream wafers(dir / "with/wafers.csv");
  std::getline(wafers, line);
  const auto wheader = yf::parse_csv_line(line);
  while (std::getline(wafers, line)) {
    const auto f = yf::parse_csv_line(line);
    std::map<std::string, std::string> row;
    for (std::size_t i = 0; i < wheader.size() && i < f.size(); ++i) row[wheader[i]] = f[i];
    if (!row["sort_pattern"].empty()) ++sort_counts[row["fab"]][row["sort_pattern"]];
    if (!row["inspection_pattern"].empty()) ++kill_counts[row["fab"]][row["inspection_pattern"]];
  }
  REQUIRE(sort_counts.size() == 2);
  for (const auto& fab : summary["analytics"]["fabs"]) {
    CHECK(fab["sort_patterns"].get<std::map<std::string, std::int64_t>>() == sort_counts[fab["fab"].get<std::string>()]);
    CHECK(fab["inspection_patterns"].get<std::map<std::string, std::int64_t>>() ==
          kill_counts[fab["fab"].get<std::string>()]);
  }
  CHECK(slurp(dir / "with/report.html").find("<h3>Failure patterns</h3>") != std::string::npos);

  REQUIRE(yieldflow("run -q --no-analytics -o " + (dir / "without") + inputs, dir).status == 0);
  CHECK_FALSE(nlohmann::json::parse(slurp(dir / "without/summary.json")).contains("analytics"));
  CHECK_FALSE(fs::exists(dir / "without/tables"));
  // The per-wafer and group outputs do not depend on the analytics.
  CHECK(slurp(dir / "with/wafers.csv") == slurp(dir / "without/wafers.csv"));
}
