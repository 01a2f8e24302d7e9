// The DefectList block reader (KlarfDefectBlock) is a fast path that must read every
// file exactly as the line-at-a-time reader does: the same defects (every field, bit
// for bit, and the line each row starts on), the same warnings, the same error
// message. Checked on random files built to hit its edges - random column orders and
// subsets, image lists, rows over several lines or several rows on a line, CRLF,
// tabs, blank lines, values it must decline (NA, "3.0", "+-5", long or odd numbers,
// words starting with a letter, strings, statements inside the list), lists longer
// than a block, broken lists and truncated files - and on every real file, each
// read four ways: block reader off, portable (SSE2), AVX2 at most and automatic
// (AVX-512 or AVX2 where the CPU has them; a path the CPU lacks falls back, so the
// comparison then repeats the one below it).
#include <catch2/catch.hpp>

#include <cstring>
#include <filesystem>
#include <fstream>
#include <random>
#include <string>
#include <vector>

#include "CollectSink.hpp"
#include "TestPaths.hpp"
#include "core/SimdLevel.hpp"
#include "io/import/ImportSink.hpp"
#include "io/import/KlarfDefectBlock.hpp"
#include "io/import/KlarfFlatParser.hpp"
#include "io/import/KlarfImporter.hpp"
#include "support/TempDir.hpp"

using yf::import::KlarfBlockMode;

namespace {

// Restores the automatic mode when a test ends, whatever happens.
struct ModeGuard {
  ~ModeGuard() { yf::import::set_klarf_block_mode(KlarfBlockMode::automatic); }
};

bool same_double(double a, double b) { return std::memcmp(&a, &b, sizeof a) == 0; }
bool same_opt(const std::optional<double>& a, const std::optional<double>& b) {
  return a.has_value() == b.has_value() && (!a || same_double(*a, *b));
}

// Everything the flat parser reports, as text that compares bit for bit.
struct Recorder : yf::import::KlarfHandler {
  std::vector<std::vector<yf::import::KlarfDefect>> wafers;
  std::vector<std::vector<std::pair<std::int32_t, std::pair<std::int64_t, std::int64_t>>>> plans;
  std::vector<std::string> events;
  void wafer(const yf::import::KlarfHeader&, yf::import::KlarfWafer& w) override {
    wafers.push_back(w.defects);
    plans.push_back(w.plan);
    events.push_back("wafer " + w.wafer_id + " plan " + std::to_string(w.plan.size()) + " summary " +
                     std::to_string(w.summary.size()));
  }
  void classes(const std::vector<yf::import::KlarfClass>& c, std::uint64_t line) override {
    events.push_back("classes " + std::to_string(c.size()) + " at " + std::to_string(line));
  }
  void warning(std::uint64_t line, const std::string& message) override {
    events.push_back("warning " + std::to_string(line) + ": " + message);
  }
};

struct Reading {
  Recorder rec;
  std::string error;
};

Reading read_flat(const std::string& path, KlarfBlockMode mode) {
  yf::import::set_klarf_block_mode(mode);
  Reading r;
  try {
    yf::import::KlarfTokenizer tok(path);
    yf::import::parse_klarf_flat(tok, r.rec);
  } catch (const yf::import::ImportError& e) {
    r.error = e.what();
  }
  return r;
}

void require_same(const Reading& a, const Reading& b) {
  REQUIRE(a.error == b.error);
  REQUIRE(a.rec.events == b.rec.events);
  REQUIRE(a.rec.plans == b.rec.plans);
  REQUIRE(a.rec.wafers.size() == b.rec.wafers.size());
  for (std::size_t w = 0; w < a.rec.wafers.size(); ++w) {
    const auto& x = a.rec.wafers[w];
    const auto& y = b.rec.wafers[w];
    REQUIRE(x.size() == y.size());
    for (std::size_t k = 0; k < x.size(); ++k) {
      INFO("wafer " << w << " defect " << k << " line " << x[k].line);
      REQUIRE(x[k].line == y[k].line);
      REQUIRE(x[k].xindex == y[k].xindex);
      REQUIRE(x[k].yindex == y[k].yindex);
      REQUIRE(same_double(x[k].xrel, y[k].xrel));
      REQUIRE(same_double(x[k].yrel, y[k].yrel));
      REQUIRE(same_opt(x[k].size, y[k].size));
      REQUIRE(same_opt(x[k].area, y[k].area));
      REQUIRE(same_opt(x[k].xsize, y[k].xsize));
      REQUIRE(same_opt(x[k].ysize, y[k].ysize));
      REQUIRE(x[k].class_number == y[k].class_number);
      REQUIRE(x[k].test == y[k].test);
    }
  }
}

// A random KLARF 1.2 file. `odd` (0-100): how often a value, separator or list end
// is one the block reader must decline or the parser must complain about.
std::string random_klarf(std::mt19937_64& rng, int odd, std::size_t rows_per_wafer, bool* plain_rows) {
  const bool crlf = rng() % 3 == 0;
  const std::string nl = crlf ? "\r\n" : "\n";
  auto chance = [&](int percent) { return static_cast<int>(rng() % 100) < percent; };
  auto sep = [&]() -> std::string {
    if (!chance(odd * 2)) return rng() % 6 == 0 ? nl : " ";
    switch (rng() % 8) {
      case 0: return "\t";
      case 1: return "   ";
      case 2: return " " + nl + "  ";
      case 3: return nl + nl;
      case 4: return " \t" + nl;
      case 5: return chance(30) ? " " + nl + "TiffFileName img" + std::to_string(rng() % 9) + ".tif;" + nl : " ";
      case 6: return nl + "   " + nl;
      default: return " ";
    }
  };
  auto number = [&](double v) {
    char buf[64];
    switch (rng() % 6) {
      case 0: std::snprintf(buf, sizeof buf, "%.6e", v); break;
      case 1: std::snprintf(buf, sizeof buf, "%g", v); break;
      case 2: std::snprintf(buf, sizeof buf, "%.3f", v); break;
      case 3: std::snprintf(buf, sizeof buf, "%.17g", v); break;
      case 4: std::snprintf(buf, sizeof buf, "%.6E", v); break;
      default: std::snprintf(buf, sizeof buf, "%+.2f", v); break;
    }
    return std::string(buf);
  };
  static const char* const kOdd[] = {"NA",    "na",   "3.0",   "+-5",  "1.",   ".5",     "-0",   "+7",
                                     "1e400", "1e-400", "123456789012345678901234", "1e5", "1E+05", "0x10", "abc",
                                     "e5",    "E5",   "\"str\"", "1-2",  "--3",  "00000000000000000000001", "1e000005",
                                     "-",     "+",    "7.25e",  "1e+", "9999999", "-1000001", "2147483648",
                                     "0.000000000000000000000000000001", "1234567890123456", "\xc3\xa9"};
  auto odd_value = [&] { return std::string(kOdd[rng() % (sizeof kOdd / sizeof *kOdd)]); };
  auto maybe_odd = [&](std::string v) { return chance(odd) ? odd_value() : v; };

  std::string t = "FileVersion 1 2;" + nl + "LotID \"L\";" + nl + "SampleSize 1 300;" + nl + "DiePitch 1000 1000;" +
                  nl + "DieOrigin 0 0;" + nl;
  const int wafers = 1 + static_cast<int>(rng() % 3);
  *plain_rows = false;
  for (int wi = 0; wi < wafers; ++wi) {
    t += "WaferID \"W" + std::to_string(wi) + "\";" + nl + "SampleCenterLocation 0 0;" + nl;
    if (chance(40)) t += "InspectionTest " + std::to_string(1 + rng() % 3) + ";" + nl;
    std::vector<std::string> cols = {"XREL", "YREL", "XINDEX", "YINDEX"};
    for (const char* c : {"DEFECTID", "XSIZE", "YSIZE", "DEFECTAREA", "DSIZE", "CLASSNUMBER", "TEST", "IMAGECOUNT",
                          "IMAGELIST", "ROUGHBINNUMBER", "FINEBINNUMBER"})
      if (chance(60)) cols.push_back(c);
    std::shuffle(cols.begin(), cols.end(), rng);
    t += "DefectRecordSpec " + std::to_string(cols.size());
    for (const auto& c : cols) t += " " + c;
    t += ";" + nl + "DefectList" + (chance(10) ? std::string(" ") : nl);
    const std::size_t rows = rng() % (rows_per_wafer + 1);
    for (std::size_t r = 0; r < rows; ++r) {
      for (std::size_t k = 0; k < cols.size(); ++k) {
        const std::string& c = cols[k];
        std::string v;
        if (c == "XREL" || c == "YREL" || c == "XSIZE" || c == "YSIZE" || c == "DEFECTAREA" || c == "DSIZE")
          v = maybe_odd(number(static_cast<double>(rng() % 100000000) / 1000.0 - (chance(10) ? 50000.0 : 0.0)));
        else if (c == "XINDEX" || c == "YINDEX") v = maybe_odd(std::to_string(static_cast<int>(rng() % 61) - 30));
        else if (c == "CLASSNUMBER" || c == "TEST") v = maybe_odd(std::to_string(rng() % 9));
        else if (c == "IMAGELIST") {
          const int images = chance(70) ? 0 : static_cast<int>(rng() % 3);
          v = chance(odd) ? odd_value() : std::to_string(images);
          for (int m = 0; m < images; ++m)
            v += sep() +
                 (chance(20) ? (chance(odd) ? "" : "\"") + ("img" + std::to_string(m) + ".jpg") + (chance(odd) ? "" : "\"")
                             : std::to_string(m + 1)) +
                 sep() + (chance(5) ? "NA" : "0");
        } else {
          v = maybe_odd(std::to_string(rng() % 1000));
        }
        t += v;
        if (k + 1 < cols.size()) t += sep();
      }
      if (r + 1 < rows) t += chance(80) ? nl : sep();
    }
    if (rows > 50) *plain_rows = true;
    const int end = static_cast<int>(rng() % 100);
    if (end < odd / 4) t += nl;  // no ';': the next keyword ends the list (a warning)
    else if (end < odd / 2) t += " 1 2" + nl + ";" + nl;  // values left over: an error
    else t += (chance(50) ? ";" : nl + ";") + nl;
    t += "SummarySpec 2 TESTNO NDEFECT;" + nl + "SummaryList" + nl + "1 " + std::to_string(rows) + ";" + nl;
  }
  t += "EndOfFile;" + nl;
  if (chance(odd / 3)) t.resize(rng() % t.size());  // truncated anywhere
  return t;
}

// A one-wafer file of `rows` defects read by the line reader (off) and by the block
// reader in each of its modes: the same defects bit for bit, and most rows by blocks.
void require_block_modes_agree(const std::string& path, int rows) {
  const Reading off = read_flat(path, KlarfBlockMode::off);
  REQUIRE(off.error.empty());
  REQUIRE(off.rec.wafers.size() == 1);
  REQUIRE(off.rec.wafers[0].size() == static_cast<std::size_t>(rows));
  for (KlarfBlockMode mode : {KlarfBlockMode::portable, KlarfBlockMode::avx2, KlarfBlockMode::automatic}) {
    const auto before = yf::import::klarf_block_rows();
    const Reading r = read_flat(path, mode);
    CHECK(yf::import::klarf_block_rows() - before > static_cast<std::uint64_t>(rows) * 9 / 10);  // by blocks
    require_same(off, r);
  }
}

}  // namespace

TEST_CASE("KLARF block reader: random files read as the line reader reads them", "[klarf][block]") {
  ModeGuard guard;
  yf::test::TempDir dir;
  const std::string path = dir / "random.klarf";
  std::size_t block_rows = 0, files = 0, plain_rows = 0, plain_block_rows = 0;
  for (std::uint64_t seed = 1; seed <= 160; ++seed) {
    std::mt19937_64 rng(seed);
    const int odd = seed % 4 == 0 ? 0 : seed % 4 == 1 ? 1 : seed % 4 == 2 ? 5 : 30;
    // Mostly small files; every tenth one with lists longer than a block (64 KiB).
    const std::size_t rows = seed % 10 == 0 ? 4000 : 60;
    bool plain = false;
    const std::string text = random_klarf(rng, odd, rows, &plain);
    std::ofstream(path, std::ios::binary) << text;
    INFO("seed " << seed << " odd " << odd);
    const Reading off = read_flat(path, KlarfBlockMode::off);
    const auto before = yf::import::klarf_block_rows();
    const Reading portable = read_flat(path, KlarfBlockMode::portable);
    const Reading avx2 = read_flat(path, KlarfBlockMode::avx2);
    const Reading automatic = read_flat(path, KlarfBlockMode::automatic);
    const std::size_t by_block = yf::import::klarf_block_rows() - before;
    block_rows += by_block;
    if (odd == 0) {
      REQUIRE(off.error.empty());
      for (const auto& w : off.rec.wafers) plain_rows += 3 * w.size();  // read three times: portable, avx2, automatic
    }
    if (odd == 0) plain_block_rows += by_block;
    require_same(off, portable);
    require_same(off, avx2);
    require_same(off, automatic);
    ++files;
  }
  CHECK(files == 160);
  // The block reader did read most rows of the plain files (else this test would
  // compare the line reader with itself), and rows of the others.
  INFO("plain rows " << plain_rows << ", by blocks " << plain_block_rows << "; all by blocks " << block_rows);
  CHECK(plain_block_rows > plain_rows * 8 / 10);
  CHECK(block_rows > plain_block_rows + 1000);
}

TEST_CASE("KLARF block reader: a plain list is read by blocks, rows and line numbers as written", "[klarf][block]") {
  ModeGuard guard;
  yf::test::TempDir dir;
  const std::string path = dir / "plain.klarf";
  // Two rows on lines 9 and 10-11 (an image list's entries on the next line), a
  // third on line 12 whose ';' ends the list.
  const std::string text =
      "FileVersion 1 2;\nSampleSize 1 300;\nDiePitch 1000 1000;\nWaferID \"W\";\nSampleCenterLocation 0 0;\n"
      "InspectionTest 2;\nDefectRecordSpec 6 DEFECTID XREL YREL XINDEX YINDEX IMAGELIST;\nDefectList\n"
      "1 1.5e+002 -2.25 3 -4 0\n"
      "2 +0.125 7 -1 2 1\n   9 0\n"
      "3 1 2 3 4 0;\nEndOfFile;\n";
  std::ofstream(path, std::ios::binary) << text;
  for (KlarfBlockMode mode : {KlarfBlockMode::portable, KlarfBlockMode::avx2, KlarfBlockMode::automatic}) {
    const auto before = yf::import::klarf_block_rows();
    const Reading r = read_flat(path, mode);
    REQUIRE(r.error.empty());
    CHECK(yf::import::klarf_block_rows() - before == 2);  // the third row (with ';') is the line reader's
    REQUIRE(r.rec.wafers.size() == 1);
    const auto& d = r.rec.wafers[0];
    REQUIRE(d.size() == 3);
    CHECK(d[0].line == 9);
    CHECK(d[0].xrel == 150.0);
    CHECK(d[0].yrel == -2.25);
    CHECK(d[0].xindex == 3);
    CHECK(d[0].yindex == -4);
    CHECK(d[0].test == 2);
    CHECK(d[1].line == 10);
    CHECK(d[1].xrel == 0.125);
    CHECK(d[1].yrel == 7.0);
    CHECK(d[1].xindex == -1);
    CHECK(d[2].line == 12);
    CHECK(d[2].yindex == 4);
  }
}

TEST_CASE("KLARF block reader: every real file reads the same every way", "[klarf][block][real]") {
  ModeGuard guard;
  std::size_t files = 0;
  for (const auto& entry : std::filesystem::recursive_directory_iterator(std::string(yf::test::kSharedDataDir) + "/klarf")) {
    if (!entry.is_regular_file()) continue;
    const std::string path = entry.path().string();
    INFO(path);
    std::vector<yf::test::CollectSink> sinks(4);
    std::vector<std::string> errors(4);
    const KlarfBlockMode modes[] = {KlarfBlockMode::off, KlarfBlockMode::portable, KlarfBlockMode::avx2,
                                    KlarfBlockMode::automatic};
    for (int m = 0; m < 4; ++m) {
      yf::import::set_klarf_block_mode(modes[m]);
      try {
        yf::import::import_klarf(path, {}, sinks[m]);
      } catch (const yf::import::ImportError& e) {
        errors[m] = e.what();
      }
    }
    for (int m = 1; m < 4; ++m) {
      REQUIRE(errors[m] == errors[0]);
      REQUIRE(sinks[m].warnings == sinks[0].warnings);
      REQUIRE(sinks[m].wafers.size() == sinks[0].wafers.size());
      for (std::size_t w = 0; w < sinks[0].wafers.size(); ++w) {
        const auto& a = sinks[0].wafers[w].defects;
        const auto& b = sinks[m].wafers[w].defects;
        REQUIRE(a.size() == b.size());
        for (std::size_t k = 0; k < a.size(); ++k) {
          REQUIRE(same_double(a[k].x_mm, b[k].x_mm));
          REQUIRE(same_double(a[k].y_mm, b[k].y_mm));
          REQUIRE(same_double(a[k].size_um, b[k].size_um));
          REQUIRE(a[k].class_id == b[k].class_id);
        }
      }
    }
    ++files;
  }
  CHECK(files >= 11);
}

// The AVX2 path converts a number's digits 16 at a time and its exponent by the
// digit mask; the portable path by 8-byte runs: both must give the line reader's
// doubles and integers for every length of integer part, fraction and exponent
// (with and without signs, leading zeros, 'e' and 'E'), including the lengths they
// leave to klarf_number / klarf_integer (over 15 significant digits, over 5
// exponent digits).
TEST_CASE("KLARF block reader: numbers of every length read as the line reader reads them", "[klarf][block]") {
  ModeGuard guard;
  yf::test::TempDir dir;
  const std::string path = dir / "numbers.klarf";
  std::mt19937_64 rng(20261129);
  auto digits = [&](int n, bool leading_zero) {
    std::string s;
    for (int k = 0; k < n; ++k) s += static_cast<char>('0' + (k == 0 && !leading_zero ? 1 + rng() % 9 : rng() % 10));
    return s;
  };
  auto number = [&] {
    std::string s = rng() % 4 == 0 ? "-" : rng() % 8 == 0 ? "+" : "";
    const int a = 1 + static_cast<int>(rng() % 4 == 0 ? rng() % 18 : rng() % 6);
    s += digits(a, rng() % 6 == 0);
    if (rng() % 10 < 7) s += "." + digits(static_cast<int>(rng() % 4 == 0 ? rng() % 18 : 1 + rng() % 10), true);
    if (rng() % 10 < 6) {
      s += rng() % 2 ? "e" : "E";
      s += rng() % 3 == 0 ? "" : rng() % 2 ? "+" : "-";
      const int len = 1 + static_cast<int>(rng() % 6);  // 6 digits: left to klarf_number
      const unsigned value = static_cast<unsigned>(rng() % 31);
      std::string e = std::to_string(value);
      while (static_cast<int>(e.size()) < len) e = "0" + e;
      s += e;
    }
    return s;
  };
  auto integer = [&](std::int64_t lo, std::int64_t hi) {
    const std::int64_t v = lo + static_cast<std::int64_t>(rng() % static_cast<std::uint64_t>(hi - lo + 1));
    std::string s = std::to_string(v < 0 ? -v : v);
    const std::size_t width = rng() % 4 == 0 ? rng() % 18 : 0;  // leading zeros up to 17 digits
    while (s.size() < width) s = "0" + s;
    return (v < 0 ? "-" : rng() % 8 == 0 ? "+" : "") + s;
  };
  for (const char* spec : {"8 DEFECTID XREL YREL XINDEX YINDEX DSIZE CLASSNUMBER TEST",
                           "8 XSIZE YINDEX DEFECTAREA YREL XINDEX CLASSNUMBER XREL YSIZE"}) {
    INFO(spec);
    const bool with_dsize = std::string(spec).find("DSIZE") != std::string::npos;
    std::string t = "FileVersion 1 2;\nSampleSize 1 300;\nDiePitch 1000 1000;\nWaferID \"W\";\n"
                    "SampleCenterLocation 0 0;\nDefectRecordSpec " + std::string(spec) + ";\nDefectList\n";
    const int rows = 3000;  // ~200 KB: several blocks
    for (int r = 0; r < rows; ++r) {
      if (with_dsize)
        t += std::to_string(r + 1) + " " + number() + " " + number() + " " + integer(-1000000, 1000000) + " " +
             integer(-1000000, 1000000) + " " + number() + " " + integer(-2147483648LL, 2147483647LL) + " " +
             integer(1, 9);
      else
        t += number() + " " + integer(-1000000, 1000000) + " " + number() + " " + number() + " " +
             integer(-1000000, 1000000) + " " + integer(-2147483648LL, 2147483647LL) + " " + number() + " " + number();
      t += r + 1 < rows ? "\n" : ";\n";
    }
    t += "EndOfFile;\n";
    std::ofstream(path, std::ios::binary) << t;
    require_block_modes_agree(path, rows);
  }
}

// The AVX2 path keeps each number column's last two layouts (digit counts before
// and after the point, exponent letter, sign and digits) and converts a word of
// one of them with a fixed shuffle: columns here keep a layout for runs of rows,
// then change it by one step (a digit more or fewer in a part, the exponent's sign
// or letter flipped, the point or exponent dropped), go back to the one before,
// or slip in a single value of another layout; values past the cached range (over
// 8 significant digits, 4-5 exponent digits, powers of ten beyond 22) come in the
// same runs. Every value must read as the line reader reads it.
TEST_CASE("KLARF block reader: number columns that keep and change their layout read as the line reader reads them",
          "[klarf][block]") {
  ModeGuard guard;
  yf::test::TempDir dir;
  const std::string path = dir / "layouts.klarf";
  std::mt19937_64 rng(5005);
  struct Layout {
    int a = 1, f = 6, x = 2;  // integer, fraction (0: no point) and exponent (0: none) digits
    char letter = 'e', esign = '+';  // esign 0: none
  };
  auto random_layout = [&] {
    Layout l;
    l.a = 1 + static_cast<int>(rng() % 4 == 0 ? rng() % 9 : rng() % 4);
    l.f = static_cast<int>(rng() % 4 == 0 ? rng() % 10 : rng() % 7);
    l.x = static_cast<int>(rng() % 3 == 0 ? 0 : 1 + rng() % (rng() % 4 == 0 ? 5 : 3));
    l.letter = rng() % 4 == 0 ? 'E' : 'e';
    l.esign = rng() % 4 == 0 ? 0 : rng() % 3 == 0 ? '-' : '+';
    return l;
  };
  auto step = [&](Layout l) {
    switch (rng() % 8) {
      case 0: l.a = std::max(1, l.a + (rng() % 2 ? 1 : -1)); break;
      case 1: l.f = std::max(0, l.f + (rng() % 2 ? 1 : -1)); break;
      case 2: l.x = std::max(0, l.x + (rng() % 2 ? 1 : -1)); break;
      case 3: l.esign = l.esign == '+' ? '-' : l.esign == '-' ? 0 : '+'; break;
      case 4: l.letter = l.letter == 'e' ? 'E' : 'e'; break;
      case 5: l.f = 0; break;
      case 6: l.x = 0; break;
      default: l.x = l.x == 0 ? 2 : l.x; l.esign = '-'; break;
    }
    return l;
  };
  auto value = [&](const Layout& l) {
    std::string s = rng() % 10 == 0 ? "-" : rng() % 30 == 0 ? "+" : "";
    for (int k = 0; k < l.a; ++k) s += static_cast<char>('0' + rng() % 10);
    if (l.f > 0) {
      s += '.';
      for (int k = 0; k < l.f; ++k) s += static_cast<char>('0' + rng() % 10);
    }
    if (l.x > 0) {
      s += l.letter;
      if (l.esign) s += l.esign;
      std::string e = std::to_string(rng() % 4 == 0 ? rng() % 31 : rng() % 6);  // 22-30: beyond the exact powers
      while (static_cast<int>(e.size()) < l.x) e = "0" + e;
      s += e.substr(e.size() - static_cast<std::size_t>(l.x));
    }
    return s;
  };
  struct Column {
    Layout now, before;
    int left = 0;
  };
  auto next_value = [&](Column& c) {
    if (c.left-- <= 0) {
      const Layout old = c.now;
      const int how = static_cast<int>(rng() % 4);
      c.now = how == 0 ? random_layout() : how == 1 ? c.before : step(c.now);
      c.before = old;
      c.left = static_cast<int>(rng() % 60);
    }
    return rng() % 25 == 0 ? value(random_layout()) : value(c.now);
  };
  // Each spec with its columns' kinds: i the row's number, n a number, x a die index.
  for (const auto& [spec, kinds] : {std::pair<std::string, std::string>{"6 DEFECTID XREL YREL XINDEX YINDEX DSIZE", "innxxn"},
                                    {"7 XSIZE YINDEX DEFECTAREA YREL XINDEX XREL YSIZE", "nxnnxnn"}}) {
    INFO(spec);
    std::string t = "FileVersion 1 2;\nSampleSize 1 300;\nDiePitch 1000 1000;\nWaferID \"W\";\n"
                    "SampleCenterLocation 0 0;\nDefectRecordSpec " + spec + ";\nDefectList\n";
    std::vector<Column> cols(kinds.size());
    const int rows = 4000;  // ~300 KB: several blocks, the layouts kept across them
    for (int r = 0; r < rows; ++r) {
      for (std::size_t k = 0; k < kinds.size(); ++k) {
        if (k > 0) t += ' ';
        t += kinds[k] == 'i' ? std::to_string(r + 1)
             : kinds[k] == 'x' ? std::to_string(static_cast<int>(rng() % 41) - 20)
                               : next_value(cols[k]);
      }
      t += r + 1 < rows ? "\n" : ";\n";
    }
    t += "EndOfFile;\n";
    std::ofstream(path, std::ios::binary) << t;
    require_block_modes_agree(path, rows);
  }
}

// The test above compares the paths this CPU has; this says which ones those are
// (on a CPU without AVX-512 or AVX2 the faster modes repeat the slower path).
TEST_CASE("KLARF block reader: each mode takes the path the CPU allows", "[klarf][block]") {
  ModeGuard guard;
  auto level = [](KlarfBlockMode mode) {
    yf::import::set_klarf_block_mode(mode);
    return yf::import::KlarfDefectBlock().simd_level();
  };
#if defined(__x86_64__)
  const bool avx2 = __builtin_cpu_supports("avx2") && __builtin_cpu_supports("bmi") && __builtin_cpu_supports("bmi2") &&
                    __builtin_cpu_supports("popcnt");
  const bool avx512 = avx2 && __builtin_cpu_supports("avx512f") && __builtin_cpu_supports("avx512bw") &&
                      __builtin_cpu_supports("avx512vbmi2");
#else
  const bool avx2 = false, avx512 = false;
#endif
  {
    const yf::ScopedSimdLevel cpu(yf::SimdLevel::avx512);  // whatever YF_SIMD says
    CHECK(level(KlarfBlockMode::portable) == 0);
    CHECK(level(KlarfBlockMode::avx2) == (avx2 ? 1 : 0));
    CHECK(level(KlarfBlockMode::automatic) == (avx512 ? 2 : avx2 ? 1 : 0));
  }
  // The process-wide switch keeps every mode on the portable path.
  const yf::ScopedSimdLevel portable(yf::SimdLevel::sse2);
  CHECK(level(KlarfBlockMode::avx2) == 0);
  CHECK(level(KlarfBlockMode::automatic) == 0);
}

// The AVX-512 path converts a column for 8 rows at once, its words' offsets taken
// from a row's first 16 words by one permutation (or, for a column past the 16th,
// gathered), moved by the image list's entries for the columns after it. Rows of
// 20 columns with the converted ones before and after an image list, and all of
// them past the 16th, with signs, "%u" sizes, plain and odd values: read as the line
// reader reads them, every way.
TEST_CASE("KLARF block reader: converted columns before and after an image list, and past the 16th",
          "[klarf][block]") {
  ModeGuard guard;
  yf::test::TempDir dir;
  const std::string path = dir / "wide.klarf";
  std::mt19937_64 rng(66);
  auto number = [&] {
    char buf[64];
    const double v = static_cast<double>(rng() % 1000000) / 100.0 * (rng() % 5 == 0 ? -1 : 1);
    switch (rng() % 8) {
      case 0: std::snprintf(buf, sizeof buf, "%g", v); break;
      case 1: std::snprintf(buf, sizeof buf, "%u", static_cast<unsigned>(rng() % 60)); break;
      case 2: std::snprintf(buf, sizeof buf, "+%.3f", v < 0 ? -v : v); break;
      case 3: std::snprintf(buf, sizeof buf, "%s", rng() % 2 ? "-0" : "1234567"); break;
      default: std::snprintf(buf, sizeof buf, "%.6e", v); break;
    }
    return std::string(buf);
  };
  auto integer = [&] {
    const bool wide = rng() % 50 == 0;  // up to 7 digits: left to the per-word conversion
    const int v = wide ? static_cast<int>(rng() % 2000001) - 1000000 : static_cast<int>(rng() % 41) - 20;
    return (rng() % 20 == 0 ? "+" : "") + std::to_string(v);
  };
  // '-': a column nothing reads; n / x: a number / an integer column; I: the image list.
  const std::pair<std::string, std::string> specs[] = {
      {"20 DEFECTID XREL YREL XINDEX YINDEX IMAGELIST DSIZE CLASSNUMBER TEST F1 F2 F3 F4 F5 F6 F7 F8 F9 F10 F11",
       "-nnxxInxx-----------"},
      {"20 DEFECTID F1 F2 F3 F4 F5 F6 F7 F8 F9 F10 F11 F12 IMAGELIST F13 F14 XREL YREL XINDEX YINDEX",
       "-------------I--nnxx"},
      {"24 DEFECTID F1 F2 F3 F4 F5 F6 F7 F8 F9 F10 F11 F12 F13 F14 F15 XSIZE YSIZE CLASSNUMBER XREL YREL XINDEX YINDEX"
       " DEFECTAREA",
       "----------------nnxnnxxn"}};
  for (const auto& [spec, kinds] : specs) {
    INFO(spec);
    std::string t = "FileVersion 1 2;\nSampleSize 1 300;\nDiePitch 1000 1000;\nWaferID \"W\";\n"
                    "SampleCenterLocation 0 0;\nDefectRecordSpec " + spec + ";\nDefectList\n";
    const int rows = 2500;
    for (int r = 0; r < rows; ++r) {
      for (std::size_t k = 0; k < kinds.size(); ++k) {
        if (k > 0) t += ' ';
        if (kinds[k] == 'n') t += number();
        else if (kinds[k] == 'x') t += integer();
        else if (kinds[k] == 'I') {
          const int images = rng() % 3 == 0 ? static_cast<int>(1 + rng() % 2) : 0;
          t += std::to_string(images);
          for (int m = 0; m < images; ++m) t += (rng() % 2 ? "\n" : " ") + std::to_string(m + 1) + " 0";
        } else {
          t += std::to_string(rng() % 1000);
        }
      }
      t += r + 1 < rows ? "\n" : ";\n";
    }
    t += "EndOfFile;\n";
    std::ofstream(path, std::ios::binary) << t;
    require_block_modes_agree(path, rows);
  }
}

// SampleTestPlan die indices go through the block reader's integer conversion too
// (on the AVX-512 path 8 at a time): plans of plain indices with signs, leading
// zeros, 6 and 7 digits, out-of-range and odd values, over several lines and
// blocks, read four ways: the same plans (every index), errors and warnings.
TEST_CASE("KLARF block reader: test plans read as the line reader reads them", "[klarf][block]") {
  ModeGuard guard;
  yf::test::TempDir dir;
  const std::string path = dir / "plans.klarf";
  std::mt19937_64 rng(777);
  static const char* const kOdd[] = {"NA", "3.0", "+-5", "1e2", "1000001", "-1000001", "0000000000000000012", "abc"};
  for (int file = 0; file < 24; ++file) {
    INFO("file " << file);
    const int odd = file % 3 == 0 ? 0 : file % 3 == 1 ? 1 : 20;  // per mille
    std::string t = "FileVersion 1 2;\nSampleSize 1 300;\nDiePitch 1000 1000;\nWaferID \"W\";\n"
                    "SampleCenterLocation 0 0;\n";
    const int dies = static_cast<int>(rng() % 12000);  // up to ~100 KB: several blocks
    t += "SampleTestPlan " + std::to_string(dies) + "\n";
    for (int k = 0; k < 2 * dies; ++k) {
      std::string v;
      if (static_cast<int>(rng() % 1000) < odd) {
        v = kOdd[rng() % (sizeof kOdd / sizeof *kOdd)];
      } else {
        const auto r = rng() % 100;
        const std::int64_t x = r < 80 ? static_cast<std::int64_t>(rng() % 61) - 30
                               : r < 95 ? static_cast<std::int64_t>(rng() % 2000001) - 1000000
                                        : static_cast<std::int64_t>(rng() % 200) - 100;
        v = (x < 0 ? "-" : rng() % 20 == 0 ? "+" : "") + std::string(r >= 95 ? "00" : "") + std::to_string(x < 0 ? -x : x);
      }
      t += v + (k % 2 == 0 ? " " : rng() % 10 == 0 ? "  \t" : "\n");
    }
    t += ";\nDefectRecordSpec 4 XREL YREL XINDEX YINDEX;\nDefectList\n1 2 3 4;\nEndOfFile;\n";
    std::ofstream(path, std::ios::binary) << t;
    const Reading off = read_flat(path, KlarfBlockMode::off);
    if (odd == 0) {
      REQUIRE(off.error.empty());
      REQUIRE(off.rec.plans.size() == 1);
      REQUIRE(off.rec.plans[0].size() == static_cast<std::size_t>(dies));
    }
    for (KlarfBlockMode mode : {KlarfBlockMode::portable, KlarfBlockMode::avx2, KlarfBlockMode::automatic})
      require_same(off, read_flat(path, mode));
  }
}
