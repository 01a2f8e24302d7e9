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

TEST_CASE("yieldflow import: every shared file of every format into one dataset, then run", "[cli][real]") {
  // Wafers per file (../shared/data/README.md): STDF 1 + 1, E142 G6P139 2, E142 and G85
  // examples 1 each, SINF 1, KLARF 3 x 1, WM-811K 103 + 100: 213.
  yf::test::TempDir dir;
  const std::string d = yf::test::kSharedDataDir;
  const std::string files = d + "/stdf/lot2.stdf.gz " + d + "/stdf/lot3.stdf.gz " + d + "/maps/e142_G6P139.xml " + d +
                            "/maps/e142_example_inconsistent_header.xml " + d + "/maps/g85_example_inconsistent_header.xml " +
                            d + "/maps/sinf_S67608.inf " + d + "/klarf/amat_complus_v1.1.001 " + d +
                            "/klarf/ati_wind_v1.2.001 " + d + "/klarf/altatech_v1.2_nodefects.klarf " + d +
                            "/wm811k/labelled_dev.jsonl " + d + "/wm811k/lots_first100.jsonl";
  const auto imp = yieldflow("import " + files + " -o " + (dir / "all.h5"), dir);
  INFO(imp.output);
  REQUIRE(imp.status == 0);
  CHECK_THAT(imp.output, Contains("213 wafers from 11 files"));
  const auto run = yieldflow("run --no-patterns -o " + (dir / "out") + " " + (dir / "all.h5"), dir);
  INFO(run.output);
  REQUIRE(run.status == 0);
  const auto rows = csv_rows(dir / "out/wafers.csv");
  REQUIRE(rows.size() == 1 + 213);
  // SINF S67608: 5516 bin 01 + 92 bin 02 + 28 bin 03 tested dies (README).
  bool sinf = false;
  for (std::size_t r = 1; r < rows.size(); ++r) sinf = sinf || column(rows, r, "tested_dies") == "5636";
  CHECK(sinf);
  // E142's substrate id of 64 bytes is kept whole (variable-length strings).
  bool long_id = false;
  for (std::size_t r = 1; r < rows.size(); ++r)
    long_id = long_id || column(rows, r, "wafer_id").find("EVAKRUN1SWJ1_VF0KH4F_j973t10_77611_030113_111457_8Z") == 0;
  CHECK(long_id);
}
