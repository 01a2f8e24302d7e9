// The WM-811K JSON-lines reader on the shared real files and on broken lines.
#include "io/Wm811kJson.hpp"

#include <catch2/catch.hpp>
#include <fstream>
#include <map>

#include "TestPaths.hpp"
#include "support/TempDir.hpp"

namespace {

std::string error_of(const std::string& path) {
  try {
    yf::read_wm811k_jsonl(path);
  } catch (const std::runtime_error& e) {
    return e.what();
  }
  return "(read)";
}

}  // namespace

TEST_CASE("WM-811K dev set: 103 labelled maps whose fails and passes match the file's counts", "[Wm811kJson][real]") {
  const auto maps = yf::read_wm811k_jsonl(std::string(yf::test::kSharedDataDir) + "/wm811k/labelled_dev.jsonl");
  REQUIRE(maps.size() == 103);
  std::map<std::string, int> per_class;
  for (const auto& m : maps) ++per_class[m.failure_type];
  CHECK(per_class == std::map<std::string, int>{{"Center", 21}, {"Donut", 3}, {"Edge-Loc", 22}, {"Edge-Ring", 35},
                                                {"Loc", 13}, {"Near-full", 1}, {"Random", 3}, {"Scratch", 5}});
  const auto& first = maps.front();  // lot5945 wafer 19: 39 x 31, 294 pass, 645 fail
  CHECK(first.lot == "lot5945");
  CHECK(first.wafer_index == 19);
  CHECK(first.map.rows == 39);
  CHECK(first.map.cols == 31);
  int pass = 0, fail = 0;
  for (auto s : first.map.cells) pass += s == yf::DieState::pass, fail += s == yf::DieState::fail;
  CHECK(pass == 294);
  CHECK(fail == 645);
}

TEST_CASE("WM-811K first lots: unlabelled rows read with an empty failure type", "[Wm811kJson][real]") {
  const auto maps = yf::read_wm811k_jsonl(std::string(yf::test::kSharedDataDir) + "/wm811k/lots_first100.jsonl");
  REQUIRE(maps.size() == 100);
  int none = 0, unlabelled = 0;
  for (const auto& m : maps) none += m.failure_type == "none", unlabelled += m.failure_type.empty();
  CHECK(none == 83);
  CHECK(unlabelled == 3);
}

TEST_CASE("broken WM-811K lines name the file and the line", "[Wm811kJson]") {
  yf::test::TempDir dir;
  const std::string good = R"({"lotName": "L", "waferIndex": 1, "failureType": "Loc", "rows": 2, "cols": 3, "map": ["012", "210"]})";
  auto write = [&](const std::string& second) {
    std::ofstream(dir / "maps.jsonl") << good << "\n\n" << second << "\n";
    return dir / "maps.jsonl";
  };
  CHECK(yf::read_wm811k_jsonl(write(good)).size() == 2);  // the blank line is skipped
  CHECK_THAT(error_of(write("{not json")), Catch::Contains("maps.jsonl:3"));
  CHECK_THAT(error_of(write(R"({"lotName": "L", "waferIndex": 1, "failureType": "", "rows": 2, "cols": 3})")),
             Catch::Contains("maps.jsonl:3") && Catch::Contains("map"));
  CHECK_THAT(error_of(write(R"({"lotName": "L", "waferIndex": 1, "failureType": "", "rows": 2, "cols": 3, "map": ["012", "21"]})")),
             Catch::Contains("2 characters, expected 3"));
  CHECK_THAT(error_of(write(R"({"lotName": "L", "waferIndex": 1, "failureType": "", "rows": 2, "cols": 3, "map": ["012", "213"]})")),
             Catch::Contains("'3'"));
  CHECK_THAT(error_of(write(R"({"lotName": "L", "waferIndex": 1, "failureType": "", "rows": 3, "cols": 3, "map": ["012", "210"]})")),
             Catch::Contains("expected 3"));
  CHECK_THAT(error_of(dir / "absent.jsonl"), Catch::Contains("absent.jsonl") && Catch::Contains("cannot open"));
}

TEST_CASE("WM-811K integer fields: whole numbers within int's range, else an error naming the field", "[Wm811kJson]") {
  yf::test::TempDir dir;
  auto line = [](const std::string& rows, const std::string& index = "1") {
    return R"({"lotName": "L", "waferIndex": )" + index + R"(, "failureType": "", "rows": )" + rows +
           R"(, "cols": 3, "map": ["012", "210"]})";
  };
  auto error = [&](const std::string& text) {
    std::ofstream(dir / "m.jsonl") << text << "\n";
    return error_of(dir / "m.jsonl");
  };
  // 2.0 is the integer 2 written as a float: read as 2.
  std::ofstream(dir / "ok.jsonl") << line("2.0") << "\n";
  const auto maps = yf::read_wm811k_jsonl(dir / "ok.jsonl");
  REQUIRE(maps.size() == 1);
  CHECK(maps[0].map.rows == 2);
  // Found by fuzz_wm811k: 6.7e30 rows was converted to int (undefined behaviour).
  CHECK_THAT(error(line("6666666666666666666666666666665")), Catch::Contains("m.jsonl:1") && Catch::Contains("rows") &&
                                                                   Catch::Contains("out of range"));
  CHECK_THAT(error(line("4294967298")), Catch::Contains("rows") && Catch::Contains("out of range"));
  CHECK_THAT(error(line("2.5")), Catch::Contains("rows") && Catch::Contains("not a whole number"));
  CHECK_THAT(error(line("\"2\"")), Catch::Contains("rows is not a number"));
  CHECK_THAT(error(line("2", "-1e300")), Catch::Contains("waferIndex") && Catch::Contains("out of range"));
}
