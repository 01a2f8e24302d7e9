// /analytics/json in results.h5: written by ResultsH5Writer, read back by
// read_analytics_json; a file without it, or not a results file, is told apart.
#include <catch2/catch.hpp>

#include <fstream>

#include "io/ResultsH5Reader.hpp"
#include "io/ResultsH5Writer.hpp"
#include "support/TempDir.hpp"

using namespace yf;

TEST_CASE("report: the analytics JSON text survives results.h5 unchanged", "[report]") {
  test::TempDir dir;
  const std::filesystem::path path = dir.path() / "results.h5";
  // UTF-8 and characters HDF5 strings could trip on (quotes, backslashes, newlines).
  const std::string json = "{\"format_version\":1,\"fab\":\"FAB \xC3\xA9\",\"x\":\"a\\\\b\\n\\\"q\\\"\"}\n";
  {
    ResultsH5Writer w(path);
    WaferResult r;
    r.meta.wafer_id = "W1";
    w.append(r);
    w.write_analytics_json(json);
    w.finish();
  }
  auto back = read_analytics_json(path);
  REQUIRE(back);
  CHECK(*back == json);
}

TEST_CASE("report: a results.h5 without analytics reads as empty", "[report]") {
  test::TempDir dir;
  const std::filesystem::path path = dir.path() / "results.h5";
  {
    ResultsH5Writer w(path);
    w.finish();
  }
  CHECK_FALSE(read_analytics_json(path));
}

TEST_CASE("report: read_analytics_json names the file it cannot use", "[report]") {
  test::TempDir dir;
  CHECK_THROWS_WITH(read_analytics_json(dir.path() / "none.h5"), Catch::Contains("none.h5: no such file"));
  std::ofstream(dir.path() / "text.h5") << "not hdf5";
  CHECK_THROWS_WITH(read_analytics_json(dir.path() / "text.h5"), Catch::Contains("text.h5: not an HDF5 file"));
}
