// `yieldflow import` end to end, then `yieldflow run` on its output; `run` straight
// on a KLARF file (imported on the fly, the temporary dataset removed); exit statuses.
// Expected numbers: defect counts from ../shared/data/README.md; product dies from
// the throwaway script described in KlarfImporter_test.cpp.
#include <catch2/catch.hpp>

#include <sys/wait.h>

#include <filesystem>
#include <fstream>
#include <sstream>

#include "TestPaths.hpp"
#include "io/DatasetReader.hpp"
#include "support/TempDir.hpp"

namespace fs = std::filesystem;
using Catch::Contains;

namespace {

struct Outcome {
  int status = -1;
  std::string output;
};

Outcome yieldflow(const std::string& args, const yf::test::TempDir& dir, const std::string& env = "") {
  const std::string log = dir / "command.log";
  const std::string cmd = env + " " + std::string(YF_EXE) + " " + args + " > " + log + " 2>&1";
  const int raw = std::system(cmd.c_str());
  Outcome o;
  o.status = WIFEXITED(raw) ? WEXITSTATUS(raw) : -1;
  std::ifstream in(log);
  std::stringstream ss;
  ss << in.rdbuf();
  o.output = ss.str();
  return o;
}

std::string data(const std::string& name) { return std::string(yf::test::kSharedDataDir) + "/" + name; }

std::vector<std::vector<std::string>> csv_rows(const std::string& path) {
  std::ifstream in(path);
  std::vector<std::vector<std::string>> rows;
  std::string line;
  while (std::getline(in, line)) {
    std::vector<std::string> cells;
    std::stringstream ss(line);
    std::string cell;
    while (std::getline(ss, cell, ',')) cells.push_back(cell);
    rows.push_back(cells);
  }
  return rows;
}

std::string column(const std::vector<std::vector<std::string>>& rows, std::size_t row, const std::string& name) {
  for (std::size_t i = 0; i < rows[0].size(); ++i)
    if (rows[0][i] == name) return i < rows[row].size() ? rows[row][i] : "";
  return "(no column " + name + ")";
}

}  // namespace

TEST_CASE("yieldflow import KLARF + WM-811K, then run on the dataset", "[cli][real]") {
  yf::test::TempDir dir;
  const std::string ds = dir / "imported.h5";
  const auto imp = yieldflow("import " + data("klarf/amat_complus_v1.1.001") + " " + data("klarf/ati_wind_v1.2.001") +
                                 " --fab FAB9 -o " + ds,
                             dir);
  INFO(imp.output);
  REQUIRE(imp.status == 0);
  CHECK_THAT(imp.output, Contains("2 wafers from 2 files"));
  CHECK_THAT(imp.output, Contains("warning:") && Contains("NDEFDIE 0"));  // ATI's summary, logged
  const auto run = yieldflow("run --no-patterns -o " + (dir / "out") + " " + ds, dir);
  INFO(run.output);
  REQUIRE(run.status == 0);
  const auto rows = csv_rows(dir / "out/wafers.csv");
  REQUIRE(rows.size() == 3);
  CHECK(column(rows, 1, "wafer_id") == "25");
  CHECK(column(rows, 1, "fab") == "FAB9");
  CHECK(column(rows, 1, "defects") == "16");
  CHECK(column(rows, 1, "product_dies") == "5289");
  CHECK(column(rows, 2, "defects") == "453");
  CHECK(column(rows, 2, "product_dies") == "1000");
  CHECK(column(rows, 1, "status") == "ok");
}

TEST_CASE("yieldflow run straight on a KLARF file and a WM-811K file", "[cli][real]") {
  yf::test::TempDir dir;
  fs::create_directories(dir / "tmp");
  const auto run = yieldflow("run --no-patterns -o " + (dir / "out") + " " + data("klarf/amat_complus_v1.1.001") + " " +
                                 data("wm811k/lots_first100.jsonl"),
                             dir, "TMPDIR=" + (dir / "tmp"));
  INFO(run.output);
  REQUIRE(run.status == 0);
  const auto rows = csv_rows(dir / "out/wafers.csv");
  REQUIRE(rows.size() == 1 + 1 + 100);
  CHECK(column(rows, 1, "defects") == "16");
  CHECK_THAT(column(rows, 1, "source_file"), Contains("amat_complus_v1.1.001"));
  // WM-811K lot1 wafer 1: its map has n_pass 1595, n_fail 88 (the file's own counts).
  CHECK(column(rows, 2, "tested_dies") == "1683");
  CHECK(column(rows, 2, "good_dies") == "1595");
  // The temporary datasets are gone.
  CHECK(fs::is_empty(dir / "tmp"));
}

TEST_CASE("yieldflow import: exit statuses and messages for bad input", "[cli]") {
  yf::test::TempDir dir;
  const std::string out = dir / "x.h5";
  const auto bad = yieldflow("import " + data("klarf/parser_fixtures/bad12DefectList.klarf") + " -o " + out, dir);
  CHECK(bad.status == 3);
  CHECK_THAT(bad.output, Contains("bad12DefectList.klarf: line 29:"));
  CHECK(!fs::exists(out));
  const auto fmt = yieldflow("import --format csv " + data("klarf/amat_complus_v1.1.001") + " -o " + out, dir);
  CHECK(fmt.status == 2);
  const auto none = yieldflow("import -o " + out, dir);
  CHECK(none.status == 2);
  const auto unknown = yieldflow("import " + data("README.md") + " -o " + out, dir);
  CHECK(unknown.status == 3);
  CHECK_THAT(unknown.output, Contains("not a file of a known format"));
  // run: an input that fails to import is a failed file (exit 1), the others run.
  const auto run = yieldflow("run --no-patterns -o " + (dir / "out") + " " + data("klarf/parser_fixtures/bad12.klarf") +
                                 " " + data("klarf/parser_fixtures/simple12.klarf"),
                             dir);
  CHECK(run.status == 1);
  CHECK_THAT(run.output, Contains("bad12.klarf: line 36:"));
}
