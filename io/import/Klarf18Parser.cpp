#include "io/import/Klarf18Parser.hpp"

#include <cctype>
#include <cmath>
#include <cstdlib>
#include <map>
#include <vector>

#include "io/import/KlarfColumns.hpp"

namespace yf::import {

namespace {

using Fields = std::map<std::string, std::vector<std::string>>;  // upper-case name -> values

std::string upper(std::string s) {
  for (char& c : s) c = static_cast<char>(std::toupper(static_cast<unsigned char>(c)));
  return s;
}

struct ListColumns {
  std::vector<std::string> names;  // upper case
  std::vector<bool> image;         // type ImageList
  int index(const char* name) const {
    for (std::size_t i = 0; i < names.size(); ++i)
      if (names[i] == name) return static_cast<int>(i);
    return -1;
  }
};

enum class Level { file, lot, wafer, test, summary, other };

class Parser18 {
 public:
  Parser18(const std::string& path, KlarfHandler& h, bool prescan, const std::vector<Fields>* lots_in,
           const Fields* file_in)
      : tok_(path), h_(h), prescan_(prescan), lots_in_(lots_in), file_in_(file_in) {}

  void parse() {
    const KToken& r = tok_.next();
    if (!(r.kind == KTok::word && kequal(r.text, "Record"))) tok_.fail(r, "expected `Record FileRecord`");
    const KToken& f = tok_.next();
    if (!(f.kind == KTok::word && kequal(f.text, "FileRecord"))) tok_.fail(f, "expected `Record FileRecord`");
    const KToken& v = tok_.next();
    if (v.kind != KTok::string && v.kind != KTok::word) tok_.fail(v, "expected the FileRecord's version");
    version_ = v.text;
    if (version_.substr(0, 2) != "1.") tok_.fail(v, "FileRecord version \"" + version_ + "\": not KLARF 1.x");
    const std::uint64_t line = v.line;
    expect(KTok::lbrace, "after the FileRecord's version");
    body(Level::file, line, prescan_ ? &file_fields : nullptr);
    const KToken& e = tok_.next();
    if (e.kind == KTok::end) tok_.fail(e, "the file ends without EndOfFile; (truncated?)");
    if (!(e.kind == KTok::word && kequal(e.text, "EndOfFile")))
      tok_.fail(e, "expected EndOfFile after the FileRecord, found " + describe(e));
  }

  std::vector<Fields> lots;  // prescan: each lot's own fields, in order
  Fields file_fields;        // prescan: the FileRecord's own fields

 private:
  static std::string describe(const KToken& t) {
    if (t.kind == KTok::word) return "\"" + t.text + "\"";
    if (t.kind == KTok::string) return "the string \"" + t.text + "\"";
    return ktok_name(t.kind);
  }

  void expect(KTok kind, const std::string& where) {
    const KToken& t = tok_.next();
    if (t.kind != kind) tok_.fail(t, std::string("expected ") + ktok_name(kind) + " " + where + ", found " + describe(t));
  }

  std::string word(const std::string& what) {
    const KToken& t = tok_.next();
    if (t.kind != KTok::word) tok_.fail(t, "expected " + what + ", found " + describe(t));
    return t.text;
  }

  std::int64_t count(const std::string& what) {
    const KToken& t = tok_.next();
    const auto n = t.kind == KTok::word ? klarf_integer(t.text) : std::nullopt;
    if (!n || *n < 0 || *n > 100000000) tok_.fail(t, what + ": expected a count, found " + describe(t));
    return *n;
  }

  // Skips a { ... } block whose '{' was just read.
  void skip_block(std::uint64_t line) {
    int depth = 1;
    while (depth > 0) {
      const KToken& t = tok_.next();
      if (t.kind == KTok::lbrace) ++depth;
      else if (t.kind == KTok::rbrace) --depth;
      else if (t.kind == KTok::end) tok_.fail(t, "the file ends inside the block of line " + std::to_string(line) + " (truncated?)");
    }
  }

  // Record, Field and List statements up to the '}' closing the block.
  void body(Level level, std::uint64_t open_line, Fields* fields = nullptr) {
    for (;;) {
      const KToken& t = tok_.next();
      if (t.kind == KTok::rbrace) return;
      if (t.kind == KTok::end)
        tok_.fail(t, "the file ends inside the record of line " + std::to_string(open_line) + " (truncated?)");
      if (t.kind != KTok::word) tok_.fail(t, "expected Record, Field, List or '}', found " + describe(t));
      const std::uint64_t line = t.line;
      if (kequal(t.text, "Record")) record(level, line);
      else if (kequal(t.text, "Field")) field(fields, line);
      else if (kequal(t.text, "List")) list(level, line);
      else tok_.fail(t, "expected Record, Field, List or '}', found " + describe(t));
    }
  }

  void record(Level level, std::uint64_t line) {
    const std::string type = word("a record type");
    std::string name;
    const KToken& n = tok_.next();
    if (n.kind == KTok::string || n.kind == KTok::word) {
      name = n.text;
      expect(KTok::lbrace, "after the " + type + " record's name");
    } else if (n.kind != KTok::lbrace) {
      tok_.fail(n, "expected the " + type + " record's name or '{', found " + describe(n));
    }
    if (level == Level::file && kequal(type, "LotRecord")) return lot(name, line);
    if (level == Level::lot && kequal(type, "WaferRecord")) return wafer(name, line);
    if (level == Level::wafer && kequal(type, "TestRecord")) return test(name, line);
    if (level == Level::wafer && kequal(type, "SummaryRecord")) return body(Level::summary, line);
    if (prescan_) return skip_block(line);
    body(Level::other, line);
  }

  void field(Fields* fields, std::uint64_t line) {
    const std::string name = word("a field name");
    const std::int64_t n = count("Field " + name);
    expect(KTok::lbrace, "after Field " + name + "'s count");
    std::vector<std::string> values;
    for (;;) {
      const KToken& t = tok_.next();
      if (t.kind == KTok::rbrace) break;
      if (t.kind == KTok::comma) continue;
      if (t.kind != KTok::word && t.kind != KTok::string)
        tok_.fail(t, "Field " + name + " (line " + std::to_string(line) + "): unexpected " + describe(t));
      if (values.size() > 1024) tok_.fail(line, "Field " + name + " has more than 1024 values: a '}' is missing");
      values.push_back(t.text);
    }
    if (static_cast<std::int64_t>(values.size()) != n)
      tok_.fail(line, "Field " + name + " declares " + std::to_string(n) + " values but has " +
                          std::to_string(values.size()));
    if (fields) (*fields)[upper(name)] = std::move(values);
  }

  ListColumns columns(const std::string& list, std::uint64_t line) {
    const std::string c = word("Columns");
    if (!kequal(c, "Columns")) tok_.fail(line, "List " + list + ": expected Columns, found \"" + c + "\"");
    const std::int64_t n = count("List " + list + " Columns");
    expect(KTok::lbrace, "after List " + list + "'s column count");
    ListColumns cols;
    for (;;) {
      const KToken& t = tok_.next();
      if (t.kind == KTok::rbrace) break;
      if (t.kind == KTok::comma) continue;
      if (t.kind != KTok::word) tok_.fail(t, "List " + list + " Columns: expected a type, found " + describe(t));
      const bool image = kequal(t.text, "ImageList");
      const KToken& name = tok_.next();
      if (name.kind != KTok::word) tok_.fail(name, "List " + list + " Columns: expected a column name, found " + describe(name));
      if (cols.names.size() > 4096) tok_.fail(line, "List " + list + ": more than 4096 columns");
      cols.names.push_back(upper(name.text));
      cols.image.push_back(image);
    }
    if (static_cast<std::int64_t>(cols.names.size()) != n)
      tok_.fail(line, "List " + list + " declares " + std::to_string(n) + " columns but names " +
                          std::to_string(cols.names.size()));
    return cols;
  }

  // One image-list value: a word (N: no images), or `Images K { entry, ... }`.
  void image_value(const KToken& first) {
    if (first.kind == KTok::string) return;
    if (klarf_na(first.text) || first.text == "N" || !std::isalpha(static_cast<unsigned char>(first.text[0]))) return;
    const std::uint64_t line = first.line;
    const std::int64_t n = count("image list");
    expect(KTok::lbrace, "after the image list's count");
    std::int64_t entries = 0;
    bool in_entry = false;
    for (;;) {
      const KToken& t = tok_.next();
      if (t.kind == KTok::rbrace) break;
      if (t.kind == KTok::end) tok_.fail(t, "the file ends inside the image list of line " + std::to_string(line));
      if (t.kind == KTok::comma) {
        in_entry = false;
      } else if (t.kind == KTok::lbrace || t.kind == KTok::semicolon) {
        tok_.fail(t, "unexpected " + describe(t) + " in the image list of line " + std::to_string(line));
      } else if (!in_entry) {
        in_entry = true;
        ++entries;
      }
    }
    if (entries != n)
      tok_.fail(line, "the image list declares " + std::to_string(n) + " images but has " + std::to_string(entries));
  }

  // Reads `List NAME { Columns ... Data M { rows } }`; calls on_row(values, line).
  template <class OnRow>
  void rows(const std::string& name, std::uint64_t line, const ListColumns& cols, OnRow on_row) {
    const std::string d = word("Data");
    if (!kequal(d, "Data")) tok_.fail(line, "List " + name + ": expected Data, found \"" + d + "\"");
    const std::int64_t m = count("List " + name + " Data");
    expect(KTok::lbrace, "after List " + name + "'s row count");
    std::vector<std::string> values(cols.names.size());
    std::int64_t seen = 0;
    std::size_t col = 0;
    std::uint64_t row_line = 0;
    for (;;) {
      const KToken& t = tok_.next();
      if (t.kind == KTok::rbrace) {
        if (col != 0) tok_.fail(t, "List " + name + ": the row of line " + std::to_string(row_line) + " has no ';'");
        break;
      }
      if (t.kind == KTok::end) tok_.fail(t, "the file ends inside List " + name + " of line " + std::to_string(line) + " (truncated?)");
      if (t.kind == KTok::semicolon) {
        if (col == 0) continue;  // an empty statement
        if (col != cols.names.size())
          tok_.fail(t, "List " + name + ": the row of line " + std::to_string(row_line) + " has " + std::to_string(col) +
                           " values, the list has " + std::to_string(cols.names.size()) + " columns");
        ++seen;
        if (seen > m)
          tok_.fail(t, "List " + name + " (line " + std::to_string(line) + ") declares " + std::to_string(m) +
                           " rows but has more (list longer than declared)");
        on_row(values, row_line);
        col = 0;
        continue;
      }
      if (t.kind != KTok::word && t.kind != KTok::string)
        tok_.fail(t, "List " + name + ": unexpected " + describe(t) + " in a row");
      if (col == 0) row_line = t.line;
      if (col >= cols.names.size())
        tok_.fail(t, "List " + name + ": the row of line " + std::to_string(row_line) + " has more than its " +
                         std::to_string(cols.names.size()) + " columns");
      if (cols.image[col]) {
        values[col] = t.text;
        const KToken copy = t;
        image_value(copy);
      } else {
        values[col] = t.text;
      }
      ++col;
    }
    if (seen != m)
      tok_.fail(line, "List " + name + " declares " + std::to_string(m) + " rows but has " + std::to_string(seen) +
                          " (list shorter than declared)");
    expect(KTok::rbrace, "closing List " + name);
  }

  void list(Level level, std::uint64_t line) {
    const std::string name = word("a list name");
    expect(KTok::lbrace, "after List " + name);
    const bool wanted = !prescan_ && ((level == Level::wafer && kequal(name, "DefectList")) ||
                                      (level == Level::test && kequal(name, "SampleTestPlanList")) ||
                                      (level == Level::summary && kequal(name, "TestSummaryList")) ||
                                      (level == Level::lot && kequal(name, "ClassLookupList")));
    if (prescan_ && level != Level::file && level != Level::lot) return skip_block(line);
    const ListColumns cols = columns(name, line);
    if (!wanted) return rows(name, line, cols, [](const std::vector<std::string>&, std::uint64_t) {});
    if (kequal(name, "DefectList")) {
      const DefectColumns dc = DefectColumns::from_names(cols.names, cols.image, tok_, line);
      wafer_.has_defect_list = true;
      rows(name, line, cols, [&](const std::vector<std::string>& v, std::uint64_t l) {
        wafer_.defects.push_back(make_defect(v, dc, tok_, l));
      });
    } else if (kequal(name, "SampleTestPlanList")) {
      const int xi = cols.index("XINDEX"), yi = cols.index("YINDEX");
      if (xi < 0 || yi < 0) tok_.fail(line, "SampleTestPlanList has no XINDEX or YINDEX column");
      rows(name, line, cols, [&](const std::vector<std::string>& v, std::uint64_t l) {
        const auto x = klarf_integer(v[static_cast<std::size_t>(xi)]), y = klarf_integer(v[static_cast<std::size_t>(yi)]);
        if (!x || !y || std::abs(*x) > 1000000 || std::abs(*y) > 1000000)
          tok_.fail(l, "SampleTestPlanList: a die index is not an integer in range");
        wafer_.plan.push_back({test_, {*x, *y}});
      });
    } else if (kequal(name, "TestSummaryList")) {
      const int tn = cols.index("TESTNO"), nd = cols.index("NDEFECT"), ndie = cols.index("NDIE"),
                ndd = cols.index("NDEFDIE");
      rows(name, line, cols, [&](const std::vector<std::string>& v, std::uint64_t l) {
        auto get = [&](int i) { return i < 0 ? std::nullopt : klarf_integer(v[static_cast<std::size_t>(i)]); };
        wafer_.summary.push_back({get(tn), get(nd), get(ndie), get(ndd), l});
      });
    } else {  // ClassLookupList
      const int num = cols.index("CLASSNUMBER"), nm = cols.index("CLASSNAME");
      if (num < 0) tok_.fail(line, "ClassLookupList has no CLASSNUMBER column");
      std::vector<KlarfClass> classes;
      rows(name, line, cols, [&](const std::vector<std::string>& v, std::uint64_t l) {
        const auto id = klarf_integer(v[static_cast<std::size_t>(num)]);
        if (!id || *id < INT32_MIN || *id > INT32_MAX) tok_.fail(l, "ClassLookupList: CLASSNUMBER is not an integer");
        classes.push_back({static_cast<std::int32_t>(*id), nm < 0 ? "" : v[static_cast<std::size_t>(nm)]});
      });
      h_.classes(classes, line);
    }
  }

  void lot(const std::string& name, std::uint64_t line) {
    const std::size_t index = lot_index_++;
    if (prescan_) {
      lots.emplace_back();
      body(Level::lot, line, &lots.back());
      return;
    }
    if (!lots_in_ || index >= lots_in_->size()) tok_.fail(line, "LotRecord not seen by the first pass");
    header_ = make_header(name, (*lots_in_)[index], line);
    body(Level::lot, line);
  }

  void wafer(const std::string& name, std::uint64_t line) {
    if (prescan_) return skip_block(line);
    wafer_ = KlarfWafer{};
    wafer_.wafer_id = name;
    wafer_.line = line;
    Fields fields;
    body(Level::wafer, line, &fields);
    auto get = [&](const char* key) -> const std::vector<std::string>* {
      auto it = fields.find(key);
      return it == fields.end() ? nullptr : &it->second;
    };
    if (auto* v = get("SLOTNUMBER"); v && !v->empty()) wafer_.slot = klarf_integer((*v)[0]);
    if (auto* v = get("SAMPLECENTERLOCATION")) wafer_.center = pair(*v, "SampleCenterLocation", line);
    if (auto* v = get("DIEORIGIN")) wafer_.die_origin = pair(*v, "DieOrigin", line);
    if (auto* v = get("RESULTTIMESTAMP")) wafer_.result_timestamp = join(*v);
    if (auto* v = get("COORDINATESMIRRORED")) wafer_.mirror = mirror(*v, line);
    if (!wafer_.has_defect_list)
      tok_.fail(line, "WaferRecord \"" + name + "\" has no DefectList (a wafer record needs one, even with Data 0)");
    h_.wafer(header_, wafer_);
  }

  void test(const std::string& name, std::uint64_t line) {
    const auto n = klarf_integer(name);
    test_ = n && *n >= 0 && *n <= 1000000 ? static_cast<std::int32_t>(*n) : 1;
    body(Level::test, line);
    test_ = 1;
  }

  std::pair<double, double> pair(const std::vector<std::string>& v, const char* name, std::uint64_t line) {
    if (v.size() < 2) tok_.fail(line, std::string(name) + " needs 2 values");
    const auto x = klarf_number(v[0]), y = klarf_number(v[1]);
    if (!x || !y) tok_.fail(line, std::string(name) + ": \"" + v[0] + "\", \"" + v[1] + "\" are not numbers");
    return {*x, *y};
  }

  static std::string join(const std::vector<std::string>& v) {
    std::string s;
    for (const auto& x : v) s += (s.empty() ? "" : " ") + x;
    return s;
  }

  KlarfHeader make_header(const std::string& lot_name, const Fields& lot, std::uint64_t line) {
    KlarfHeader h;
    h.version = version_;
    h.lot_id = lot_name;
    h.line = line;
    h.units_per_mm = 1e6;  // 1.8 positions are integer nanometres
    auto get = [&](const char* key) -> const std::vector<std::string>* {
      auto it = lot.find(key);
      if (it != lot.end()) return &it->second;
      if (file_in_) {
        auto f = file_in_->find(key);
        if (f != file_in_->end()) return &f->second;
      }
      return nullptr;
    };
    auto first = [&](const char* key) {
      const auto* v = get(key);
      return v && !v->empty() ? (*v)[0] : std::string();
    };
    h.device_id = first("DEVICEID");
    h.step_id = first("STEPID");
    h.setup_id = first("RECIPEID");
    if (h.setup_id.empty()) h.setup_id = first("SETUPID");
    if (const auto* v = get("INSPECTIONSTATIONID"))
      for (std::size_t i = 0; i < 3 && i < v->size(); ++i) h.station[i] = (*v)[i];
    if (const auto* v = get("RESULTTIMESTAMP")) h.result_timestamp = join(*v);
    if (const auto* v = get("FILETIMESTAMP")) h.file_timestamp = join(*v);
    if (const auto* v = get("DIEPITCH")) h.die_pitch = pair(*v, "DiePitch", line);
    if (const auto* v = get("DIEORIGIN")) h.die_origin = pair(*v, "DieOrigin", line);
    if (const auto* v = get("ORIENTATIONMARKLOCATION"); v && !v->empty()) h.mark = mark((*v)[0], line);
    if (const auto* v = get("SAMPLESIZE")) sample_size(h, *v, line);
    if (const auto* v = get("COORDINATESMIRRORED")) h.mirror = mirror(*v, line);
    return h;
  }

  KlarfMirror mirror(const std::vector<std::string>& v, std::uint64_t line) {
    const auto m = klarf_mirror(v);
    if (!m) tok_.fail(line, "CoordinatesMirrored \"" + join(v) + "\": expected YES or NO (or X, Y, XY)");
    return *m;
  }

  // 1.8 gives the angle of the mark in degrees, counter-clockwise from the bottom
  // (0 = DOWN); the 1.x words are accepted too.
  KlarfMark mark(const std::string& s, std::uint64_t line) {
    if (kequal(s, "DOWN")) return KlarfMark::down;
    if (kequal(s, "UP")) return KlarfMark::up;
    if (kequal(s, "LEFT")) return KlarfMark::left;
    if (kequal(s, "RIGHT")) return KlarfMark::right;
    const auto deg = klarf_integer(s);
    if (deg && *deg == 0) return KlarfMark::down;
    if (deg && *deg == 90) return KlarfMark::right;
    if (deg && *deg == 180) return KlarfMark::up;
    if (deg && *deg == 270) return KlarfMark::left;
    tok_.fail(line, "OrientationMarkLocation \"" + s + "\": expected 0, 90, 180, 270 or UP, DOWN, LEFT, RIGHT");
  }

  // SampleSize {diameter, ...}: 1.8 writes the diameter in the position unit
  // (300000000 for 300 mm in nanometres), which also tells that unit.
  void sample_size(KlarfHeader& h, const std::vector<std::string>& v, std::uint64_t line) {
    const auto d = v.empty() ? std::nullopt : klarf_number(v[0]);
    auto plausible = [](double mm) { return mm >= 10 && mm <= 1000; };
    if (d && plausible(*d / 1e6)) {
      h.diameter = *d / 1e6;
    } else if (d && plausible(*d / 1e3)) {
      h.units_per_mm = 1e3;
      h.diameter = *d / 1e3;
      h_.warning(line, "SampleSize " + v[0] + " reads as micrometres: positions are taken in micrometres");
    } else if (v.size() >= 2 && klarf_number(v[1]) && plausible(*klarf_number(v[1]))) {
      h.diameter = *klarf_number(v[1]);
      h_.warning(line, "SampleSize gives the diameter in mm (1.x style); positions are taken in nanometres");
    } else {
      tok_.fail(line, "SampleSize {" + join(v) + "} gives no wafer diameter (expected nanometres, e.g. 300000000)");
    }
  }

  KlarfTokenizer tok_;
  KlarfHandler& h_;
  bool prescan_;
  const std::vector<Fields>* lots_in_;
  const Fields* file_in_;
  std::string version_;
  std::size_t lot_index_ = 0;
  KlarfHeader header_;
  KlarfWafer wafer_;
  std::int32_t test_ = 1;
};

}  // namespace

void parse_klarf_18(const std::string& path, KlarfHandler& handler) {
  // Pass 1: the FileRecord's and every LotRecord's own fields.
  struct Quiet : KlarfHandler {
    void wafer(const KlarfHeader&, KlarfWafer&) override {}
    void classes(const std::vector<KlarfClass>&, std::uint64_t) override {}
    void warning(std::uint64_t, const std::string&) override {}
  } quiet;
  Parser18 first(path, quiet, true, nullptr, nullptr);
  first.parse();
  // Pass 2: the wafers, with their lot's fields known.
  Parser18 second(path, handler, false, &first.lots, &first.file_fields);
  second.parse();
}

}  // namespace yf::import
