#include "io/import/KlarfFlatParser.hpp"

#include <string.h>  // memrchr

#include <algorithm>
#include <cctype>
#include <cstdint>
#include <memory>
#include <optional>
#include <vector>

#include "io/import/KlarfColumns.hpp"
#include "io/import/KlarfDefectBlock.hpp"

namespace yf::import {

namespace {

// A word that starts a statement: begins with a letter and is not NA.
bool is_keyword(const KToken& t) {
  return t.kind == KTok::word && !t.text.empty() && std::isalpha(static_cast<unsigned char>(t.text[0])) &&
         !klarf_na(t.text);
}

// Statements that some tools write inside a list (between rows, or between an
// image list's entries): skipped wherever they appear.
class FlatParser {
 public:
  FlatParser(KlarfTokenizer& tok, KlarfHandler& h) : tok_(tok), h_(h) {}

  void parse() {
    for (;;) {
      std::string kw;
      std::uint64_t line = 0;
      if (pushed_) {
        kw = std::move(pushed_kw_);
        line = pushed_line_;
        pushed_ = false;
      } else {
        const KToken& t = tok_.next();
        if (t.kind == KTok::end)
          tok_.fail(t, "the file ends without EndOfFile; (truncated?)");
        if (t.kind == KTok::semicolon) continue;  // a stray ';' (e.g. "row ; ;")
        if (!is_keyword(t)) tok_.fail(t, "expected a keyword, found " + describe(t));
        kw = t.text;
        line = t.line;
      }
      if (!statement(kw, line)) return;
    }
  }

 private:
  static std::string describe(const KToken& t) {
    if (t.kind == KTok::word) return "\"" + t.text + "\"";
    if (t.kind == KTok::string) return "the string \"" + t.text + "\"";
    return ktok_name(t.kind);
  }

  // The values of a statement up to its ';' (words and strings).
  std::vector<std::string> values(const std::string& kw, std::uint64_t line) {
    std::vector<std::string> out;
    for (;;) {
      const KToken& t = tok_.next();
      if (t.kind == KTok::semicolon) return out;
      if (t.kind == KTok::end)
        tok_.fail(line, kw + " is not closed with ';' before the end of the file (truncated?)");
      if (t.kind != KTok::word && t.kind != KTok::string) tok_.fail(t, "unexpected " + describe(t) + " in " + kw);
      if (out.size() > 64) tok_.fail(line, kw + " has more than 64 values: a ';' is missing");
      out.push_back(t.text);
    }
  }

  // The values of a list statement up to its ';': `lead` values (the count), then
  // rows of `row` values. A bare word in column `text_col` of a row is a value (an
  // unquoted class name). Any other keyword where a value should be ends the list
  // when the values so far are whole rows (some tools leave the last ';' out: the
  // keyword is then read as the next statement), unless it is one of the statements
  // tools write inside lists (TiffFileName, FILENAME), which is skipped.
  std::vector<std::string> list_values(const std::string& kw, std::uint64_t line, std::size_t lead, std::size_t row,
                                       int text_col = -1) {
    std::vector<std::string> out;
    list_scan(kw, line, lead, row, text_col, [&](std::string_view v) { out.emplace_back(v); });
    return out;
  }

  // list_values' reading, each value handed to on_value(std::string_view) (valid
  // during the call) instead of kept; returns the number of values. Plain values
  // (numbers) are scanned in place, a line at a time, as in defect_list.
  // With `block_ints`, plain whole lines of values after the lead go in bulk through
  // the block reader (KlarfDefectBlock::read_die_indices) into *block_ints instead of
  // on_value: for lists whose on_value stores exactly what that takes.
  template <class OnValue>
  std::size_t list_scan(const std::string& kw, std::uint64_t line, std::size_t lead, std::size_t row, int text_col,
                        OnValue&& on_value, std::vector<std::int64_t>* block_ints = nullptr) {
    std::size_t count = 0;
    for (;;) {
      if (block_ints && count >= lead) count += read_int_blocks(*block_ints);
      std::string_view rest;
      std::uint64_t at = 0;
      if (tok_.line_rest(rest, at)) {
        KlarfLineScanner sc(rest.data(), rest.data() + rest.size());
        while (!sc.done() && plain_start(sc.peek())) {
          on_value(sc.take_word());
          ++count;
        }
        tok_.consume_to(sc.pos());
        if (sc.done()) continue;
      }
      const KToken& t = tok_.next();
      if (t.kind == KTok::semicolon) return count;
      if (t.kind == KTok::end) tok_.fail(line, kw + " is not closed with ';' before the end of the file (truncated?)");
      const bool in_rows = count >= lead;
      const std::size_t pos = in_rows ? (count - lead) % row : 0;
      if (is_keyword(t) && !(in_rows && static_cast<int>(pos) == text_col)) {
        if (kequal(t.text, "EndOfFile") || (in_rows && pos == 0 && !embedded(t.text))) {
          h_.warning(t.line, kw + " (line " + std::to_string(line) + ") is not closed with ';'");
          push(t);
          return count;
        }
        const std::string k = t.text;
        skip_statement(k, t.line);
        continue;
      }
      if (t.kind != KTok::word && t.kind != KTok::string) tok_.fail(t, "unexpected " + describe(t) + " in " + kw);
      on_value(std::string_view(t.text));
      ++count;
    }
  }

  static bool embedded(const std::string& kw) {
    for (const char* k : {"TiffFileName", "FILENAME", "ImageFileName", "TiffFilename"})
      if (kequal(kw, k)) return true;
    return false;
  }

  void push(const KToken& t) { push(t.text, t.line); }
  void push(const std::string& kw, std::uint64_t line) {
    pushed_ = true;
    pushed_kw_ = kw;
    pushed_line_ = line;
  }

  // Any number of values (an unknown list can be long), nothing kept.
  void skip_statement(const std::string& kw, std::uint64_t line) {
    for (;;) {
      const KToken& t = tok_.next();
      if (t.kind == KTok::semicolon) return;
      if (t.kind == KTok::end) tok_.fail(line, kw + " is not closed with ';' before the end of the file (truncated?)");
      if (t.kind != KTok::word && t.kind != KTok::string) tok_.fail(t, "unexpected " + describe(t) + " in " + kw);
    }
  }

  double number(const std::string& s, const std::string& kw, std::uint64_t line) {
    const auto v = klarf_number(s);
    if (!v) tok_.fail(line, kw + ": \"" + s + "\" is not a number");
    return *v;
  }
  std::int64_t integer(const std::string& s, const std::string& kw, std::uint64_t line) {
    const auto v = klarf_integer(s);
    if (!v) tok_.fail(line, kw + ": \"" + s + "\" is not an integer");
    return *v;
  }
  std::int64_t die_index(const std::string& s, const std::string& kw, std::uint64_t line) {
    const auto v = klarf_integer(s);
    if (!v || *v < -1000000 || *v > 1000000) tok_.fail(line, kw + ": \"" + s + "\" is not a die index");
    return *v;
  }
  std::vector<std::string> exactly(const std::string& kw, std::uint64_t line, std::size_t n) {
    auto v = values(kw, line);
    if (v.size() < n)
      tok_.fail(line, kw + " needs " + std::to_string(n) + " values, has " + std::to_string(v.size()));
    return v;
  }
  std::pair<double, double> xy(const std::string& kw, std::uint64_t line) {
    const auto v = exactly(kw, line, 2);
    return {number(v[0], kw, line), number(v[1], kw, line)};
  }
  static std::string join(const std::vector<std::string>& v) {
    std::string s;
    for (const auto& x : v) s += (s.empty() ? "" : " ") + x;
    return s;
  }

  KlarfWafer& current(const std::string& kw, std::uint64_t line) {
    if (!wafer_) tok_.fail(line, kw + " before any WaferID");
    return *wafer_;
  }

  void finish_wafer() {
    if (!wafer_) return;
    if (!wafer_->has_defect_list)
      tok_.fail(wafer_->line, "wafer \"" + wafer_->wafer_id + "\" has no DefectList (a wafer record needs one, "
                              "even an empty `DefectList;`)");
    if (!wafer_->center) wafer_->center = last_center_;
    if (!wafer_->mirror) wafer_->mirror = mirror_;
    h_.wafer(header_, *wafer_);
    // The next wafer reuses the lists' memory (no regrowth per wafer).
    spare_defects_ = std::move(wafer_->defects);
    spare_defects_.clear();
    spare_plan_ = std::move(wafer_->plan);
    spare_plan_.clear();
    wafer_.reset();
  }

  // Returns false after EndOfFile.
  bool statement(const std::string& kw, std::uint64_t line) {
    auto is = [&](const char* k) { return kequal(kw, k); };
    if (is("EndOfFile")) {
      finish_wafer();
      return false;
    }
    if (is("FileVersion")) {
      const auto v = exactly(kw, line, 2);
      header_.version = v[0] + "." + v[1];
      if (v[0] != "1") tok_.fail(line, "FileVersion " + header_.version + ": only KLARF 1.x is read this way");
      header_.line = line;
    } else if (is("FileTimestamp")) {
      header_.file_timestamp = join(values(kw, line));
    } else if (is("ResultTimestamp")) {
      header_.result_timestamp = join(values(kw, line));
    } else if (is("InspectionStationID")) {
      const auto v = values(kw, line);
      for (std::size_t i = 0; i < 3; ++i) header_.station[i] = i < v.size() ? v[i] : "";
    } else if (is("LotID")) {
      header_.lot_id = exactly(kw, line, 1)[0];
    } else if (is("DeviceID")) {
      header_.device_id = exactly(kw, line, 1)[0];
    } else if (is("StepID")) {
      header_.step_id = exactly(kw, line, 1)[0];
    } else if (is("SetupID")) {
      header_.setup_id = exactly(kw, line, 1)[0];
    } else if (is("SampleSize")) {
      const auto v = exactly(kw, line, 2);
      header_.diameter = number(v[1], kw, line);  // shape code, then the diameter in mm
    } else if (is("OrientationMarkLocation")) {
      const std::string m = exactly(kw, line, 1)[0];
      if (kequal(m, "DOWN")) header_.mark = KlarfMark::down;
      else if (kequal(m, "UP")) header_.mark = KlarfMark::up;
      else if (kequal(m, "LEFT")) header_.mark = KlarfMark::left;
      else if (kequal(m, "RIGHT")) header_.mark = KlarfMark::right;
      else tok_.fail(line, "OrientationMarkLocation \"" + m + "\": expected UP, DOWN, LEFT or RIGHT");
    } else if (is("CoordinatesMirrored")) {
      const auto v = values(kw, line);
      const auto m = klarf_mirror(v);
      if (!m)
        tok_.fail(line, "CoordinatesMirrored \"" + join(v) + "\": expected YES or NO (or X, Y, XY)");
      // Wafer-level in the files seen (after WaferID); it stays in force for the
      // following wafers, like SampleCenterLocation. Before any wafer: the file's.
      mirror_ = *m;
      if (wafer_) wafer_->mirror = *m;
      else header_.mirror = *m;
    } else if (is("DiePitch")) {
      header_.die_pitch = xy(kw, line);
    } else if (is("DieOrigin")) {
      header_.die_origin = xy(kw, line);
    } else if (is("WaferID")) {
      finish_wafer();
      wafer_ = std::make_unique<KlarfWafer>();
      wafer_->defects = std::move(spare_defects_);
      wafer_->plan = std::move(spare_plan_);
      const auto v = values(kw, line);
      wafer_->wafer_id = v.empty() ? "" : v[0];
      wafer_->line = line;
      test_ = 1;
    } else if (is("Slot")) {
      current(kw, line).slot = integer(exactly(kw, line, 1)[0], kw, line);
    } else if (is("SampleCenterLocation")) {
      last_center_ = xy(kw, line);
      if (wafer_) wafer_->center = last_center_;
    } else if (is("InspectionTest")) {
      const auto t = integer(exactly(kw, line, 1)[0], kw, line);
      if (t < 0 || t > 1000000) tok_.fail(line, "InspectionTest " + std::to_string(t) + " is out of range");
      test_ = static_cast<std::int32_t>(t);
    } else if (is("ClassLookup")) {
      class_lookup(kw, line);
    } else if (is("SampleTestPlan")) {
      test_plan(kw, line);
    } else if (is("DefectRecordSpec")) {
      record_spec(kw, line);
    } else if (is("DefectList")) {
      defect_list(kw, line);
    } else if (is("SummarySpec")) {
      summary_spec(kw, line);
    } else if (is("SummaryList")) {
      summary_list(kw, line);
    } else {
      skip_statement(kw, line);
    }
    return true;
  }

  std::size_t declared_count(const std::string& kw, std::uint64_t line, std::vector<std::string>& v) {
    if (v.empty()) tok_.fail(line, kw + " has no count");
    const auto n = klarf_integer(v[0]);
    if (!n || *n < 0) tok_.fail(line, kw + ": count \"" + v[0] + "\" is not a non-negative integer");
    v.erase(v.begin());
    return static_cast<std::size_t>(*n);
  }

  void check_rows(const std::string& kw, std::uint64_t line, std::size_t declared, std::size_t values, std::size_t per_row,
                  const char* what) {
    if (values % per_row != 0)
      tok_.fail(line, kw + ": " + std::to_string(values) + " values do not make whole rows of " +
                          std::to_string(per_row));
    const std::size_t rows = values / per_row;
    if (rows != declared)
      tok_.fail(line, kw + " declares " + std::to_string(declared) + " " + what + " but lists " + std::to_string(rows) +
                          (rows < declared ? " (list shorter than declared)" : " (list longer than declared)"));
  }

  void class_lookup(const std::string& kw, std::uint64_t line) {
    auto v = list_values(kw, line, 1, 2, 1);
    const std::size_t n = declared_count(kw, line, v);
    check_rows(kw, line, n, v.size(), 2, "classes");
    std::vector<KlarfClass> classes;
    for (std::size_t i = 0; i < v.size(); i += 2) {
      const auto id = klarf_integer(v[i]);
      if (!id || *id < INT32_MIN || *id > INT32_MAX) tok_.fail(line, kw + ": class number \"" + v[i] + "\" is not an integer");
      classes.push_back({static_cast<std::int32_t>(*id), v[i + 1]});
    }
    h_.classes(classes, line);
  }

  // SampleTestPlan: die indices converted as they are read (no list kept as text);
  // a value that is not a die index is reported after the count checks, as the rows
  // are checked first.
  void test_plan(const std::string& kw, std::uint64_t line) {
    KlarfWafer& w = current(kw, line);
    std::vector<std::string> lead;
    std::optional<std::string> bad;
    plan_values_.clear();
    const std::size_t count = list_scan(kw, line, 1, 2, -1, [&](std::string_view v) {
      if (lead.empty()) return lead.emplace_back(v), void();
      if (std::int64_t fast = 0; klarf_fast_integer(v, fast) && fast >= -1000000 && fast <= 1000000)
        return plan_values_.push_back(fast);
      const auto i = klarf_integer(v);
      if (!i || *i < -1000000 || *i > 1000000) {
        if (!bad) bad = std::string(v);
        plan_values_.push_back(0);
      } else {
        plan_values_.push_back(*i);
      }
    }, &plan_values_);
    const std::size_t n = declared_count(kw, line, lead);
    check_rows(kw, line, n, count - 1, 2, "dies");
    if (bad) tok_.fail(line, kw + ": \"" + *bad + "\" is not a die index");
    w.plan.reserve(w.plan.size() + n);
    for (std::size_t i = 0; i < plan_values_.size(); i += 2)
      w.plan.push_back({test_, {plan_values_[i], plan_values_[i + 1]}});
  }

  void record_spec(const std::string& kw, std::uint64_t line) {
    auto v = values(kw, line);
    const std::size_t n = declared_count(kw, line, v);
    if (v.size() != n)
      tok_.fail(line, kw + " declares " + std::to_string(n) + " columns but names " + std::to_string(v.size()));
    columns_ = DefectColumns::from_names(v, {}, tok_, line);
    spec_line_ = line;
    if (KlarfDefectBlock* b = block()) b->set_columns(*columns_), block_rows_ = true;
  }

  // Rows of the DefectRecordSpec's columns up to ';'. IMAGELIST is a count N then N
  // (image, type) pairs, so rows are cut by reading values, not by lines. Each value
  // goes straight from the line buffer into the defect being read (no row is kept
  // as text). Plain values (words that start with a digit, '-', '+' or '.': numbers)
  // are scanned in place, a line at a time; anything else - a keyword, NA, ';', a
  // quoted string - takes the tokenizer's general path, one token at a time, and
  // both feed the same row state (take), so rows may span lines either way.
  void defect_list(const std::string& kw, std::uint64_t line) {
    KlarfWafer& w = current(kw, line);
    if (!columns_) tok_.fail(line, "DefectList before any DefectRecordSpec");
    const DefectColumns& c = *columns_;
    w.has_defect_list = true;
    std::size_t col = 0;
    std::int64_t images_left = -1;  // image-list values still to read in this row
    KlarfDefect d;
    std::string_view view;
    std::uint64_t view_line = 0;
    std::string keyword;
    // One value of the current row.
    auto take = [&](std::string_view v, std::uint64_t at) {
      if (col == 0 && images_left < 0) {
        d = KlarfDefect{};
        d.line = at;
        d.test = test_;
      }
      if (images_left > 0) {
        if (--images_left > 0) return;
      } else if (static_cast<int>(col) == c.imagelist) {
        const auto n = klarf_integer(v);
        if (!n || *n < 0 || *n > 100000)
          tok_.fail(at, "IMAGELIST count \"" + std::string(v) + "\" is not an image count");
        images_left = 2 * *n;
        if (images_left > 0) return;
      } else {
        value(d, c, col, v);
      }
      images_left = -1;
      if (++col == c.count) end_row(w, d, c), col = 0;
    };
    for (;;) {
      if (block_rows_ && col == 0 && images_left < 0) read_blocks(w);
      std::string_view rest;
      if (tok_.line_rest(rest, view_line)) {
        KlarfLineScanner sc(rest.data(), rest.data() + rest.size());
        while (!sc.done() && plain_start(sc.peek())) {
          if (col == 0 && images_left < 0) fast_row(sc, view_line, w, d, col, images_left, c);
          else take(sc.take_word(), view_line);
        }
        tok_.consume_to(sc.pos());
        if (sc.done()) continue;  // the line is used up
      }
      bool is_word = false;
      if (tok_.next_word_view(view, view_line)) {
        is_word = true;
      } else {
        const KToken& t = tok_.next();
        if (t.kind == KTok::semicolon) {
          if (col == 0 && images_left < 0) return;
          tok_.fail(t, "DefectList row (line " + std::to_string(d.line) + ") ends after " + std::to_string(col) +
                           " of the " + std::to_string(c.count) + " columns of the DefectRecordSpec (line " +
                           std::to_string(spec_line_) + ")");
        }
        if (t.kind == KTok::end)
          tok_.fail(t, "the file ends inside the DefectList of line " + std::to_string(line) + " (truncated?)");
        if (t.kind != KTok::word && t.kind != KTok::string)
          tok_.fail(t, "unexpected " + describe(t) + " in the DefectList");
        is_word = t.kind == KTok::word;
        keyword = t.text;  // the token's text outlives the next read
        view = keyword;
        view_line = t.line;
      }
      const char c0 = view.empty() ? '0' : view[0];
      if (is_word && ((c0 >= 'A' && c0 <= 'Z') || (c0 >= 'a' && c0 <= 'z')) && !klarf_na(view)) {
        // A keyword: at a row's start it ends a list whose ';' is missing (unless it
        // is a statement tools write inside lists); elsewhere it is such a statement.
        const std::string k(view);
        if (col == 0 && images_left < 0 && (kequal(k, "EndOfFile") || !embedded(k))) {
          h_.warning(view_line, "DefectList (line " + std::to_string(line) + ") is not closed with ';'");
          push(k, view_line);
          return;
        }
        if (kequal(k, "EndOfFile"))
          tok_.fail(view_line, "EndOfFile inside a DefectList row (line " + std::to_string(d.line) + ")");
        skip_statement(k, view_line);
        continue;
      }
      take(view, view_line);
    }
  }

  // The block reader, made when first needed; null when it is switched off.
  KlarfDefectBlock* block() {
    if (!block_ && klarf_block_mode() != KlarfBlockMode::off) block_ = std::make_unique<KlarfDefectBlock>();
    return block_.get();
  }

  // Whole lines from the line reader, when the tokenizer is at a line's start, in
  // blocks of up to `window_` bytes handed to `read(p, e, first_line, lines)`, which
  // returns the bytes it used (whole lines, `lines` of them) - until it stops short.
  // After a block that was not all used, the window halves (down to 4 KiB: less
  // scanned in vain where values the block reader declines are frequent); after a
  // whole one it doubles (up to 64 KiB). After a block of which nothing was used, the
  // next try waits a number of lines that doubles each time (up to 4096).
  template <class Read>
  void in_blocks(Read&& read) {
    LineReader* lines = tok_.at_line_start();
    if (!lines || lines->line_number() < block_retry_line_) return;
    for (;;) {
      std::string_view v = lines->whole_lines();
      while (v.size() < window_) {  // a read moves the buffer's bytes, even at the end
        const bool more = lines->top_up(KlarfDefectBlock::kMaxBlock);
        v = lines->whole_lines();
        if (!more) break;
      }
      if (v.size() > window_) {
        const void* nl = memrchr(v.data(), '\n', window_);
        if (!nl) return;  // a line longer than the window
        v = v.substr(0, static_cast<std::size_t>(static_cast<const char*>(nl) - v.data()) + 1);
      }
      if (v.empty()) return;
      std::uint64_t n = 0;
      const std::size_t used = read(v.data(), v.data() + v.size(), lines->line_number() + 1, n);
      lines->skip_whole_lines(used, n);
      if (used == 0) {
        block_retry_line_ = lines->line_number() + block_backoff_;
        block_backoff_ = std::min<std::uint64_t>(2 * block_backoff_, 4096);
      } else {
        block_backoff_ = 1;
      }
      if (used < v.size()) {
        window_ = std::max<std::size_t>(window_ / 2, 4096);
        return;
      }
      window_ = std::min<std::size_t>(window_ * 2, KlarfDefectBlock::kMaxBlock);
    }
  }

  // DefectList rows at a row's start on a fresh line (KlarfDefectBlock::read); the
  // line where the block reader stops, this reader takes.
  void read_blocks(KlarfWafer& w) {
    in_blocks([&](const char* p, const char* e, std::uint64_t first, std::uint64_t& n) {
      return block_->read(p, e, first, test_, w.defects, n);
    });
  }

  // List values that are die indices (KlarfDefectBlock::read_die_indices) into
  // `out`; returns how many.
  std::size_t read_int_blocks(std::vector<std::int64_t>& out) {
    if (!block()) return 0;
    const std::size_t before = out.size();
    in_blocks([&](const char* p, const char* e, std::uint64_t, std::uint64_t& n) {
      return block_->read_die_indices(p, e, out, n);
    });
    return out.size() - before;
  }

  // A row read straight off the line while its values are plain - the common case
  // of a whole row on one line - with the conversions inlined. Stops at the row's
  // end, at the line's end, at a value that is not plain, or after an IMAGELIST
  // count of images, leaving d, col and images_left as take() keeps them, so take()
  // carries on from there and nothing is read twice. Same values and errors as
  // take(): what the fast conversions do not take goes to set_defect_value.
  void fast_row(KlarfLineScanner& sc, std::uint64_t at, KlarfWafer& w, KlarfDefect& d, std::size_t& col,
                std::int64_t& images_left, const DefectColumns& c) {
    d = KlarfDefect{};
    d.line = at;
    d.test = test_;
    std::string_view lazy[3];  // DEFECTAREA, XSIZE, YSIZE text while the row is on this line
    std::size_t lazy_cols[3] = {kNoColumn, kNoColumn, kNoColumn};
    auto hand_off = [&] {
      for (int k = 0; k < 3; ++k)
        if (lazy_cols[k] != kNoColumn) lazy_[k].assign(lazy[k]), lazy_col_[k] = lazy_cols[k];
    };
    for (;;) {
      const std::string_view v = sc.take_word();
      std::int64_t i = 0;
      double x = 0;
      switch (const auto role = c.roles[col]) {
        case DefectColumns::other: break;
        case DefectColumns::xrel_:
          if (!klarf_fast_number(v, d.xrel)) set_defect_value(d, c, col, v, tok_, at);
          break;
        case DefectColumns::yrel_:
          if (!klarf_fast_number(v, d.yrel)) set_defect_value(d, c, col, v, tok_, at);
          break;
        case DefectColumns::xindex_:
        case DefectColumns::yindex_:
          if (klarf_fast_integer(v, i) && i >= -1000000 && i <= 1000000) (role == DefectColumns::xindex_ ? d.xindex : d.yindex) = i;
          else set_defect_value(d, c, col, v, tok_, at);
          break;
        case DefectColumns::dsize_:
          if (klarf_fast_number(v, x)) d.size = x;
          else set_defect_value(d, c, col, v, tok_, at);
          break;
        case DefectColumns::area_:
        case DefectColumns::xsize_:
        case DefectColumns::ysize_:
          if (c.dsize >= 0) {
            const int k = role - DefectColumns::dsize_ - 1;
            lazy[k] = v, lazy_cols[k] = col;
          } else if (klarf_fast_number(v, x)) {
            (role == DefectColumns::area_ ? d.area : role == DefectColumns::xsize_ ? d.xsize : d.ysize) = x;
          } else {
            set_defect_value(d, c, col, v, tok_, at);
          }
          break;
        case DefectColumns::class_:
        case DefectColumns::test_:
          if (klarf_fast_integer(v, i) && i >= INT32_MIN && i <= INT32_MAX)
            (role == DefectColumns::class_ ? d.class_number : d.test) = static_cast<std::int32_t>(i);
          else set_defect_value(d, c, col, v, tok_, at);
          break;
        case DefectColumns::image_: {
          if (klarf_fast_integer(v, i) && i == 0) break;  // no images: the usual case
          const auto n = klarf_integer(v);
          if (!n || *n < 0 || *n > 100000)
            tok_.fail(at, "IMAGELIST count \"" + std::string(v) + "\" is not an image count");
          if (*n > 0) {
            images_left = 2 * *n;
            hand_off();
            return;
          }
          break;
        }
      }
      if (++col == c.count) {
        if (c.dsize >= 0 && !d.size)
          for (int k = 0; k < 3; ++k)
            if (lazy_cols[k] != kNoColumn) set_defect_value(d, c, lazy_cols[k], lazy[k], tok_, at);
        w.defects.push_back(d);
        col = 0;
        return;
      }
      if (sc.done() || !plain_start(sc.peek())) {
        hand_off();
        return;
      }
    }
  }

  static bool plain_start(char ch) {
    return (ch >= '0' && ch <= '9') || ch == '-' || ch == '+' || ch == '.';
  }

  // XSIZE, YSIZE and DEFECTAREA only give the size when DSIZE is NA: with a DSIZE
  // column their text is kept aside and parsed at the row's end only if needed.
  void value(KlarfDefect& d, const DefectColumns& c, std::size_t col, std::string_view text) {
    const auto role = c.roles[col];
    if (role == DefectColumns::other || role == DefectColumns::image_) return;
    if (c.dsize >= 0 && (role == DefectColumns::area_ || role == DefectColumns::xsize_ || role == DefectColumns::ysize_)) {
      lazy_[role - DefectColumns::dsize_ - 1].assign(text);
      lazy_col_[role - DefectColumns::dsize_ - 1] = col;
      return;
    }
    set_defect_value(d, c, col, text, tok_, d.line);
  }
  void end_row(KlarfWafer& w, KlarfDefect& d, const DefectColumns& c) {
    if (c.dsize >= 0 && !d.size)
      for (int k = 0; k < 3; ++k)
        if (lazy_col_[k] != kNoColumn) set_defect_value(d, c, lazy_col_[k], lazy_[k], tok_, d.line);
    for (auto& k : lazy_col_) k = kNoColumn;
    w.defects.push_back(d);
  }

  void summary_spec(const std::string& kw, std::uint64_t line) {
    auto v = values(kw, line);
    const std::size_t n = declared_count(kw, line, v);
    if (v.size() != n)
      tok_.fail(line, kw + " declares " + std::to_string(n) + " columns but names " + std::to_string(v.size()));
    summary_cols_ = v;
  }

  void summary_list(const std::string& kw, std::uint64_t line) {
    KlarfWafer& w = current(kw, line);
    const std::size_t n = summary_cols_.size();
    if (n == 0) tok_.fail(line, "SummaryList before any SummarySpec");
    const auto v = list_values(kw, line, 0, n);
    if (v.size() % n != 0)
      tok_.fail(line, kw + ": " + std::to_string(v.size()) + " values do not make whole rows of the SummarySpec's " +
                          std::to_string(n) + " columns");
    for (std::size_t r = 0; r < v.size(); r += n) {
      KlarfSummaryRow row;
      row.line = line;
      for (std::size_t i = 0; i < n; ++i) {
        const auto value = klarf_integer(v[r + i]);
        const std::string& name = summary_cols_[i];
        if (kequal(name, "TESTNO")) row.testno = value;
        else if (kequal(name, "NDEFECT")) row.ndefect = value;
        else if (kequal(name, "NDIE")) row.ndie = value;
        else if (kequal(name, "NDEFDIE")) row.ndefdie = value;
      }
      w.summary.push_back(row);
    }
  }

  KlarfTokenizer& tok_;
  KlarfHandler& h_;
  KlarfHeader header_;
  std::unique_ptr<KlarfWafer> wafer_;
  std::optional<std::pair<double, double>> last_center_;
  std::optional<KlarfMirror> mirror_;  // the last CoordinatesMirrored read
  std::optional<DefectColumns> columns_;
  std::uint64_t spec_line_ = 0;
  std::unique_ptr<KlarfDefectBlock> block_;  // the block reader (rows of columns_ once block_rows_)
  bool block_rows_ = false;
  std::uint64_t block_retry_line_ = 0, block_backoff_ = 1;
  std::size_t window_ = KlarfDefectBlock::kMaxBlock;
  std::vector<std::string> summary_cols_;
  std::int32_t test_ = 1;
  static constexpr std::size_t kNoColumn = static_cast<std::size_t>(-1);
  std::string lazy_[3];  // DEFECTAREA, XSIZE, YSIZE text of the current row
  std::vector<std::int64_t> plan_values_;
  std::vector<KlarfDefect> spare_defects_;  // the last wafer's lists, emptied, for the next
  std::vector<std::pair<std::int32_t, std::pair<std::int64_t, std::int64_t>>> spare_plan_;  // SampleTestPlan indices being read (reused)
  std::size_t lazy_col_[3] = {kNoColumn, kNoColumn, kNoColumn};
  bool pushed_ = false;
  std::string pushed_kw_;
  std::uint64_t pushed_line_ = 0;
};

}  // namespace

void parse_klarf_flat(KlarfTokenizer& tok, KlarfHandler& handler) {
  FlatParser p(tok, handler);
  p.parse();
}

}  // namespace yf::import
