// WM-811K JSON lines into bin maps and /truth labels. Counts from ../shared/data/README.md;
// the first map's pass and fail counts are the file's own n_pass / n_fail.
#include <catch2/catch.hpp>

#include <fstream>
#include <map>

#include "CollectSink.hpp"
#include "TestPaths.hpp"
#include "io/import/Wm811kImporter.hpp"
#include "support/TempDir.hpp"

using yf::test::CollectSink;

namespace {
std::string wm(const std::string& name) { return std::string(yf::test::kSharedDataDir) + "/wm811k/" + name; }
}  // namespace

TEST_CASE("WM-811K labelled_dev: 103 maps, labels as the README counts them, bins 1/2/-1", "[wm811k][real]") {
  CollectSink s;
  yf::import::import_wm811k(wm("labelled_dev.jsonl"), {}, s);
  REQUIRE(s.wafers.size() == 103);
  std::map<std::string, int> labels;
  for (const auto& w : s.wafers) ++labels[w.truth->pattern];
  CHECK(labels == std::map<std::string, int>{{"Center", 21}, {"Donut", 3}, {"Edge-Loc", 22}, {"Edge-Ring", 35},
                                             {"Loc", 13}, {"Near-full", 1}, {"Random", 3}, {"Scratch", 5}});
  const auto& first = s.wafers[0];  // lot5945 wafer 19: 39 x 31, n_pass 294, n_fail 645
  CHECK(first.meta.lot_id == "lot5945");
  CHECK(first.meta.wafer_id == "lot5945-19");
  CHECK(first.meta.slot == 19);
  REQUIRE(first.binmap);
  CHECK(first.binmap->rows == 39);
  CHECK(first.binmap->cols == 31);
  std::map<int, int> bins;
  for (auto b : first.binmap->bins) ++bins[b];
  CHECK(bins[1] == 294);
  CHECK(bins[2] == 645);
  CHECK(bins[-1] == 39 * 31 - 294 - 645);
  CHECK(first.truth->good_dies == 294);
  CHECK(first.truth->tested_dies == 939);
  // Its first row "0000000000002222212000000000000": columns 12-16 fail, 17 passes.
  CHECK(first.binmap->bins[11] == -1);
  CHECK(first.binmap->bins[12] == 2);
  CHECK(first.binmap->bins[17] == 1);
  REQUIRE(s.bins.size() == 2);
  CHECK((s.bins[0].bin == 1 && s.bins[0].pass));
  CHECK((s.bins[1].bin == 2 && !s.bins[1].pass));
  CHECK(s.warnings.empty());  // every n_pass / n_fail agrees with its map
  // One product per grid size, named after it.
  CHECK(first.meta.product == "WM811K_39x31");
}

TEST_CASE("WM-811K lots_first100: 4 lots of 25, none 83, unlabelled 3", "[wm811k][real]") {
  CollectSink s;
  yf::import::import_wm811k(wm("lots_first100.jsonl"), {}, s);
  REQUIRE(s.wafers.size() == 100);
  std::map<std::string, int> labels, lots;
  for (const auto& w : s.wafers) ++labels[w.truth->pattern], ++lots[w.meta.lot_id];
  CHECK(labels == std::map<std::string, int>{{"", 3}, {"Center", 2}, {"Edge-Loc", 8}, {"Loc", 4}, {"none", 83}});
  CHECK(lots.size() == 4);
  for (const auto& [lot, n] : lots) CHECK(n == 25);
}

TEST_CASE("WM-811K bad lines fail with file and line, a wrong n_pass is a warning", "[wm811k][bad]") {
  yf::test::TempDir dir;
  const std::string ok = R"({"lotName": "L", "waferIndex": 1, "failureType": "none", "rows": 2, "cols": 3, "n_pass": 2, "map": ["012", "110"]})";
  const std::string path = dir / "w.jsonl";
  std::ofstream(path) << ok << "\n\n" << R"({"lotName": "L", "waferIndex": 2, "failureType": "none", "rows": 2, "cols": 3, "map": ["012", "11"]})" << "\n";
  CollectSink s;
  CHECK_THROWS_WITH(yf::import::import_wm811k(path, {}, s), Catch::Contains("w.jsonl: line 3:") && Catch::Contains("expected 3"));
  const std::string warn = dir / "n.jsonl";
  std::ofstream(warn) << ok << "\n";
  CollectSink s2;
  yf::import::import_wm811k(warn, {}, s2);
  REQUIRE(s2.wafers.size() == 1);
  CHECK(s2.wafers[0].binmap->bins == std::vector<std::int16_t>{-1, 1, 2, 1, 1, -1});
  CHECK(s2.warned("n.jsonl: line 1: n_pass says 2, the map has 3"));
  const std::string junk = dir / "j.jsonl";
  std::ofstream(junk) << "{\"lotName\": \n";
  CollectSink s3;
  CHECK_THROWS_WITH(yf::import::import_wm811k(junk, {}, s3), Catch::Contains("j.jsonl: line 1:"));
}
