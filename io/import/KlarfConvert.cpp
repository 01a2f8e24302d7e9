#include "io/import/KlarfConvert.hpp"

#include <algorithm>
#include <cmath>
#include <cstdio>
#include <limits>
#include <set>
#include <tuple>

namespace yf::import {

namespace {

constexpr double kPi = 3.14159265358979323846;

// Two doubles in one register (GCC / clang vector extension: SSE2 on x86-64).
typedef double V2 __attribute__((vector_size(16)));

std::int64_t days_from_civil(std::int64_t y, unsigned m, unsigned d) {
  y -= m <= 2;
  const std::int64_t era = (y >= 0 ? y : y - 399) / 400;
  const auto yoe = static_cast<unsigned>(y - era * 400);
  const unsigned doy = (153 * (m + (m > 2 ? -3 : 9)) + 2) / 5 + d - 1;
  const unsigned doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
  return era * 146097 + static_cast<std::int64_t>(doe) - 719468;
}

// (x, y) of the file's frame turned so that the mark is at the bottom.
std::pair<double, double> turn(KlarfMark m, double x, double y) {
  switch (m) {
    case KlarfMark::down: return {x, y};
    case KlarfMark::up: return {-x, -y};
    case KlarfMark::right: return {y, -x};
    case KlarfMark::left: return {-y, x};
  }
  return {x, y};
}

struct Frame {  // the file's die frame in mm, centred on the wafer
  double px = 0, py = 0, ox = 0, oy = 0, cx = 0, cy = 0;
  double left(std::int64_t i) const { return static_cast<double>(i) * px + ox - cx; }
  double bottom(std::int64_t j) const { return static_cast<double>(j) * py + oy - cy; }
};

KlarfConverter::Grid make_grid(const std::string& name, double diameter, KlarfMark mark, const Frame& f,
                               std::int64_t i0, std::int64_t i1, std::int64_t j0, std::int64_t j1) {
  KlarfConverter::Grid g;
  g.mark = mark;
  g.i0 = i0, g.i1 = i1, g.j0 = j0, g.j1 = j1;
  ProductGeometry& p = g.geometry;
  p.name = name;
  p.wafer_diameter_mm = diameter;
  p.edge_exclusion_mm = 0;
  const int ni = static_cast<int>(i1 - i0 + 1), nj = static_cast<int>(j1 - j0 + 1);
  const double fx0 = f.left(i0), fx1 = f.left(i1 + 1), fy0 = f.bottom(j0), fy1 = f.bottom(j1 + 1);
  switch (mark) {
    case KlarfMark::down:
      p.die_width_mm = f.px, p.die_height_mm = f.py, p.cols = ni, p.rows = nj, p.grid_x0_mm = fx0, p.grid_y0_mm = fy1;
      break;
    case KlarfMark::up:
      p.die_width_mm = f.px, p.die_height_mm = f.py, p.cols = ni, p.rows = nj, p.grid_x0_mm = -fx1, p.grid_y0_mm = -fy0;
      break;
    case KlarfMark::right:
      p.die_width_mm = f.py, p.die_height_mm = f.px, p.cols = nj, p.rows = ni, p.grid_x0_mm = fy0, p.grid_y0_mm = -fx0;
      break;
    case KlarfMark::left:
      p.die_width_mm = f.py, p.die_height_mm = f.px, p.cols = nj, p.rows = ni, p.grid_x0_mm = -fy1, p.grid_y0_mm = fx1;
      break;
  }
  return g;
}

// The v1 cell (col, row) of die (i, j); false outside the grid.
bool cell_of(const KlarfConverter::Grid& g, std::int64_t i, std::int64_t j, int& c, int& r) {
  if (i < g.i0 || i > g.i1 || j < g.j0 || j > g.j1) return false;
  std::int64_t cc = 0, rr = 0;
  switch (g.mark) {
    case KlarfMark::down: cc = i - g.i0, rr = g.j1 - j; break;
    case KlarfMark::up: cc = g.i1 - i, rr = j - g.j0; break;
    case KlarfMark::right: cc = j - g.j0, rr = i - g.i0; break;
    case KlarfMark::left: cc = g.j1 - j, rr = g.i1 - i; break;
  }
  c = static_cast<int>(cc);
  r = static_cast<int>(rr);
  return true;
}

std::string fmt_num(double v) {
  char buf[64];
  std::snprintf(buf, sizeof buf, "%.6g", v);
  return buf;
}

}  // namespace

std::optional<std::int64_t> parse_klarf_timestamp(const std::string& text) {
  int a = 0, b = 0, c = 0, hh = 0, mm = 0, ss = 0;
  char s1 = 0, s2 = 0;
  int consumed = 0;
  std::string t = text;
  std::replace(t.begin(), t.end(), 'T', ' ');
  if (std::sscanf(t.c_str(), "%d%c%d%c%d%n", &a, &s1, &b, &s2, &c, &consumed) < 5) return std::nullopt;
  if (!((s1 == '-' || s1 == '/') && s2 == s1)) return std::nullopt;
  const std::string rest = t.substr(static_cast<std::size_t>(consumed));
  if (std::sscanf(rest.c_str(), " %d:%d:%d", &hh, &mm, &ss) != 3) hh = mm = ss = 0;
  int year = 0, month = 0, day = 0;
  const std::size_t first_len = t.find(s1);
  if (first_len == 4) year = a, month = b, day = c;  // ISO year-month-day
  else {
    month = a, day = b, year = c;
    const std::size_t last = t.find(s1, first_len + 1);
    const std::size_t year_len = t.find_first_of(" ", last) == std::string::npos ? t.size() - last - 1
                                                                                 : t.find_first_of(" ", last) - last - 1;
    if (year_len <= 2) year += year >= 70 ? 1900 : 2000;
  }
  if (month < 1 || month > 12 || day < 1 || day > 31 || hh < 0 || hh > 23 || mm < 0 || mm > 59 || ss < 0 || ss > 60)
    return std::nullopt;
  return days_from_civil(year, static_cast<unsigned>(month), static_cast<unsigned>(day)) * 86400 + hh * 3600 + mm * 60 + ss;
}

KlarfConverter::KlarfConverter(std::string path, const ImportOptions& options, ImportSink& sink)
    : path_(std::move(path)), options_(options), sink_(sink) {}

void KlarfConverter::warning(std::uint64_t line, const std::string& message) {
  sink_.warning(path_ + ": line " + std::to_string(line), message);
}

void KlarfConverter::classes(const std::vector<KlarfClass>& classes, std::uint64_t) {
  std::vector<DefectClass> out;
  std::set<std::int32_t> seen;
  for (const KlarfClass& k : classes)
    if (seen.insert(k.number).second) out.push_back(DefectClass{k.number, k.name, true});  // KLARF has no killer flag
  sink_.add_defect_classes(out);
}

void KlarfConverter::wafer(const KlarfHeader& h, KlarfWafer& w) {
  ++wafers_;
  const std::string where = path_ + ": line " + std::to_string(w.line) + ": wafer \"" + w.wafer_id + "\": ";
  auto fail = [&](const std::string& m) { throw ImportError(where + m); };
  if (!h.die_pitch) fail("no DiePitch: the die grid is unknown");
  if (!h.diameter) fail("no SampleSize: the wafer diameter is unknown");
  if (!w.center) fail("no SampleCenterLocation: defects cannot be placed on the wafer");
  const double u = h.units_per_mm;
  Frame f;
  f.px = h.die_pitch->first / u;
  f.py = h.die_pitch->second / u;
  const auto origin = w.die_origin ? *w.die_origin : h.die_origin;
  f.ox = origin.first / u;
  f.oy = origin.second / u;
  f.cx = w.center->first / u;
  f.cy = w.center->second / u;
  // CoordinatesMirrored: the file's die frame is the front view mirrored along X
  // (and/or Y). Undone first, by re-expressing the wafer in an unmirrored frame:
  // x -> -x turns die i, which spans [i p + o - c, (i + 1) p + o - c], into die
  // -i - 1 of a frame with origin -o and centre -c, and a defect XREL r from the
  // die's left edge into p - r from the new left edge. The mark's side is read in
  // the file's frame, so it turns with it (LEFT <-> RIGHT). Likewise for Y.
  KlarfMark mark = h.mark;
  const KlarfMirror mirror = w.mirror.value_or(h.mirror);
  if (mirror.x) {
    f.ox = -f.ox, f.cx = -f.cx;
    for (auto& p : w.plan) p.second.first = -p.second.first - 1;
    for (KlarfDefect& d : w.defects) d.xindex = -d.xindex - 1, d.xrel = h.die_pitch->first - d.xrel;
    if (mark == KlarfMark::left) mark = KlarfMark::right;
    else if (mark == KlarfMark::right) mark = KlarfMark::left;
  }
  if (mirror.y) {
    f.oy = -f.oy, f.cy = -f.cy;
    for (auto& p : w.plan) p.second.second = -p.second.second - 1;
    for (KlarfDefect& d : w.defects) d.yindex = -d.yindex - 1, d.yrel = h.die_pitch->second - d.yrel;
    if (mark == KlarfMark::up) mark = KlarfMark::down;
    else if (mark == KlarfMark::down) mark = KlarfMark::up;
  }
  const double diameter = *h.diameter;
  if (!(f.px > 0 && f.py > 0 && std::isfinite(f.px) && std::isfinite(f.py)))
    fail("DiePitch must be positive, is " + fmt_num(h.die_pitch->first) + " x " + fmt_num(h.die_pitch->second));
  if (!(diameter > 0 && diameter < 10000)) fail("SampleSize diameter " + fmt_num(diameter) + " mm is not a wafer");
  const double radius = diameter / 2;

  // Die index extent of the plan and the defects.
  std::int64_t i0 = std::numeric_limits<std::int64_t>::max(), i1 = std::numeric_limits<std::int64_t>::min();
  std::int64_t j0 = i0, j1 = i1;
  auto extend = [&](std::int64_t i, std::int64_t j) {
    i0 = std::min(i0, i), i1 = std::max(i1, i), j0 = std::min(j0, j), j1 = std::max(j1, j);
  };
  for (const auto& p : w.plan) extend(p.second.first, p.second.second);
  for (const KlarfDefect& d : w.defects) extend(d.xindex, d.yindex);

  // A test plan that the file's SampleCenterLocation puts mostly off the wafer,
  // while a wafer centred on the die frame's origin holds it, comes from a writer
  // that gives the centre in another frame (seen in real files): take the latter.
  if (!w.plan.empty()) {
    auto on_wafer = [&](double cx, double cy) {
      std::size_t n = 0;
      for (const auto& p : w.plan) {
        const double x = f.left(p.second.first) + f.cx - cx + f.px / 2, y = f.bottom(p.second.second) + f.cy - cy + f.py / 2;
        n += x * x + y * y < radius * radius;
      }
      return n;
    };
    // (the centred count only when the given centre fails)
    const std::size_t given = on_wafer(f.cx, f.cy);
    if (2 * given < w.plan.size() && 2 * on_wafer(0, 0) >= w.plan.size()) {
      sink_.warning(where.substr(0, where.size() - 2),
                    "SampleCenterLocation (" + fmt_num(w.center->first) + ", " + fmt_num(w.center->second) + ") puts " +
                        std::to_string(w.plan.size() - given) + " of the " + std::to_string(w.plan.size()) +
                        " test-plan dies off the wafer; the wafer centre is taken at the die frame's origin instead");
      f.cx = 0;
      f.cy = 0;
    }
  }
  // Every die that touches the wafer (for a wafer without a test plan).
  auto add_circle = [&] {
    if (!(radius / f.px < 1e5 && radius / f.py < 1e5 && std::abs(f.cx - f.ox) / f.px < 1e5 &&
          std::abs(f.cy - f.oy) / f.py < 1e5))
      fail("DiePitch, DieOrigin and SampleCenterLocation do not make a die grid on a " + fmt_num(diameter) +
           " mm wafer");
    extend(static_cast<std::int64_t>(std::floor((-radius + f.cx - f.ox) / f.px)),
           static_cast<std::int64_t>(std::floor((-radius + f.cy - f.oy) / f.py)));
    extend(static_cast<std::int64_t>(std::floor((radius + f.cx - f.ox) / f.px)),
           static_cast<std::int64_t>(std::floor((radius + f.cy - f.oy) / f.py)));
  };
  if (i0 > i1) add_circle();  // neither plan nor defects
  if (i1 - i0 >= 20000 || j1 - j0 >= 20000 || (i1 - i0 + 1) * (j1 - j0 + 1) > 50'000'000)
    fail("the dies span " + std::to_string(i1 - i0 + 1) + " x " + std::to_string(j1 - j0 + 1) +
         " die indices: not a wafer's die grid");

  // The product and its grid: declared by the first wafer of the file that names it.
  // A later wafer whose dies do not fit that grid (another orientation, wafer size or
  // pitch, or dies outside it) gets a product of its own, NAME-<cols>x<rows>, with a
  // warning, so that none of its defects falls off the grid.
  std::string base = !h.device_id.empty() ? h.device_id : options_.product;
  if (base.empty()) base = "KLARF_" + fmt_num(f.px) + "x" + fmt_num(f.py) + "mm";
  const Grid* chosen = nullptr;
  for (const Grid& g : grids_[base]) {
    const bool along = g.mark == KlarfMark::down || g.mark == KlarfMark::up;
    const double gpx = along ? g.geometry.die_width_mm : g.geometry.die_height_mm;
    const double gpy = along ? g.geometry.die_height_mm : g.geometry.die_width_mm;
    if (g.mark == mark && std::abs(g.geometry.wafer_diameter_mm - diameter) <= 1e-9 &&
        std::abs(gpx - f.px) <= 1e-9 * f.px && std::abs(gpy - f.py) <= 1e-9 * f.py && i0 >= g.i0 && i1 <= g.i1 &&
        j0 >= g.j0 && j1 <= g.j1) {
      chosen = &g;
      break;
    }
  }
  if (!chosen && w.plan.empty()) add_circle();  // no plan, defects off the earlier grids: the whole wafer
  if (i1 - i0 >= 20000 || j1 - j0 >= 20000 || (i1 - i0 + 1) * (j1 - j0 + 1) > 50'000'000)
    fail("the dies span " + std::to_string(i1 - i0 + 1) + " x " + std::to_string(j1 - j0 + 1) +
         " die indices: not a wafer's die grid");
  if (!chosen) {
    auto& variants = grids_[base];
    std::string name = base;
    Grid g = make_grid(name, diameter, mark, f, i0, i1, j0, j1);
    if (!variants.empty()) {
      name = base + "-" + std::to_string(g.geometry.cols) + "x" + std::to_string(g.geometry.rows);
      for (int n = 2; std::any_of(variants.begin(), variants.end(), [&](const Grid& v) { return v.geometry.name == name; });
           ++n)
        name = base + "-" + std::to_string(g.geometry.cols) + "x" + std::to_string(g.geometry.rows) + "-" + std::to_string(n);
      g.geometry.name = name;
      sink_.warning(where.substr(0, where.size() - 2),
                    "its dies do not fit the grid of product \"" + base + "\" set by an earlier wafer of the file: "
                    "stored as product \"" + name + "\"");
    }
    const ProductGeometry& pg = g.geometry;
    if (!std::isfinite(pg.grid_x0_mm) || !std::isfinite(pg.grid_y0_mm) || !std::isfinite(pg.die_width_mm) ||
        !std::isfinite(pg.die_height_mm))
      fail("the die grid's corner is out of range (DieOrigin or SampleCenterLocation too large)");
    sink_.add_product(pg);
    variants.push_back(g);
    chosen = &variants.back();
  }
  const Grid& g = *chosen;
  const std::string product = g.geometry.name;

  WaferRecord out;
  WaferMeta& m = out.meta;
  m.lot_id = h.lot_id;
  if (w.slot && *w.slot >= std::numeric_limits<int>::min() && *w.slot <= std::numeric_limits<int>::max())
    m.slot = static_cast<int>(*w.slot);
  m.wafer_id = w.wafer_id;
  if (m.wafer_id.empty()) m.wafer_id = h.lot_id + "-" + (w.slot ? std::to_string(*w.slot) : "w" + std::to_string(wafers_));
  m.fab = options_.fab;
  for (int k = 2; k >= 0 && m.tool.empty(); --k) m.tool = h.station[k];
  if (m.tool.empty()) m.tool = options_.tool;
  m.product = product;
  m.step = !h.step_id.empty() ? h.step_id : options_.step;
  const std::string& stamp = !w.result_timestamp.empty() ? w.result_timestamp
                             : !h.result_timestamp.empty() ? h.result_timestamp
                                                           : h.file_timestamp;
  if (!stamp.empty()) {
    if (auto t = parse_klarf_timestamp(stamp)) m.timestamp = *t;
    else sink_.warning(where.substr(0, where.size() - 2), "timestamp \"" + stamp + "\" does not read as a date and time; 0 stored");
  }

  // Defects. A defect a little outside the die its XINDEX/YINDEX name (a rounding
  // at the die's edge, or a later wafer whose SampleCenterLocation differs by a few
  // micrometres from the first's, which set the grid) is moved into that die: the
  // tool's die index says which die it is on. One far outside (XREL/YREL beyond the
  // pitch) keeps its computed position, and a warning says so.
  const double to_um = 1000.0 / u;
  const double nudge_limit = 0.02 * std::min(g.geometry.die_width_mm, g.geometry.die_height_mm);
  std::size_t moved = 0, away = 0, outside = 0;
  double max_move = 0, max_away = 0;
  // The die frame's edges per die index of the extent (f.left, f.bottom) and the
  // grid cells' edges (distance_to_cell's expressions), computed once per wafer and
  // looked up per defect: the same doubles.
  const ProductGeometry& pg = g.geometry;
  frame_x_.resize(static_cast<std::size_t>(i1 - i0 + 1));
  frame_y_.resize(static_cast<std::size_t>(j1 - j0 + 1));
  for (std::int64_t i = i0; i <= i1; ++i) frame_x_[static_cast<std::size_t>(i - i0)] = f.left(i);
  for (std::int64_t j = j0; j <= j1; ++j) frame_y_[static_cast<std::size_t>(j - j0)] = f.bottom(j);
  cell_x_.resize(static_cast<std::size_t>(pg.cols) + 1);
  cell_y_.resize(static_cast<std::size_t>(pg.rows) + 1);
  for (int c = 0; c <= pg.cols; ++c) cell_x_[static_cast<std::size_t>(c)] = pg.grid_x0_mm + static_cast<double>(c) * pg.die_width_mm;
  for (int r = 0; r <= pg.rows; ++r) cell_y_[static_cast<std::size_t>(r)] = pg.grid_y0_mm - static_cast<double>(r) * pg.die_height_mm;

  // The file's own summary against the data: counted in the same pass.
  const bool check_summary = !w.summary.empty();
  std::map<std::int32_t, std::int64_t> per_test_defects, per_test_dies, per_test_defect_dies;
  bool want_dies = false;
  for (const KlarfSummaryRow& s : w.summary) want_dies = want_dies || s.ndefdie;
  // Dies with defects per test: one flag per die of the extent (bounded above).
  std::map<std::int32_t, std::vector<std::uint8_t>> seen;
  const std::int64_t nj = j1 - j0 + 1;
  // The current test's counts kept in locals (tests come in runs), added to the
  // maps when the test changes: no map lookup and no count in memory per defect.
  std::int32_t last_test = 0;
  bool have_test = false;
  std::int64_t run_defects = 0, run_dies = 0;
  std::vector<std::uint8_t>* last_flags = nullptr;
  auto flush = [&] {
    if (!have_test) return;
    per_test_defects[last_test] += run_defects;
    per_test_defect_dies[last_test] += run_dies;
    run_defects = run_dies = 0;
  };

  out.defects.reserve(w.defects.size());
  for (const KlarfDefect& d : w.defects) {
    // XREL and YREL divided together (two lanes of one IEEE division: the same doubles).
    const V2 rel = V2{d.xrel, d.yrel} / V2{u, u};
    const double fx = frame_x_[static_cast<std::size_t>(d.xindex - i0)] + rel[0];
    const double fy = frame_y_[static_cast<std::size_t>(d.yindex - j0)] + rel[1];
    auto [x, y] = turn(g.mark, fx, fy);
    int c = 0, r = 0;
    if (cell_of(g, d.xindex, d.yindex, c, r)) {
      const double left = cell_x_[static_cast<std::size_t>(c)], right = cell_x_[static_cast<std::size_t>(c) + 1];
      const double top = cell_y_[static_cast<std::size_t>(r)], bottom = cell_y_[static_cast<std::size_t>(r) + 1];
      if (!(x >= left && x < right && y > bottom && y <= top)) {
        const double nx = std::clamp(x, left, std::nextafter(right, -std::numeric_limits<double>::infinity()));
        const double ny = std::clamp(y, std::nextafter(bottom, std::numeric_limits<double>::infinity()), top);
        const double dist = std::hypot(nx - x, ny - y);
        if (dist > 0 && dist <= nudge_limit) {
          x = nx, y = ny;
          ++moved, max_move = std::max(max_move, dist);
        } else if (dist > nudge_limit) {
          ++away, max_away = std::max(max_away, dist);
        }
      }
    } else {
      ++outside;
    }
    Defect o;
    o.x_mm = x;
    o.y_mm = y;
    if (d.size) o.size_um = *d.size * to_um;
    else if (d.area && *d.area >= 0) o.size_um = 2 * std::sqrt(*d.area / kPi) * to_um;
    else if (d.xsize || d.ysize) o.size_um = std::max(d.xsize.value_or(0), d.ysize.value_or(0)) * to_um;
    if (!std::isfinite(o.x_mm) || !std::isfinite(o.y_mm) || !std::isfinite(o.size_um))
      throw ImportError(path_ + ": line " + std::to_string(d.line) + ": defect position or size is out of range");
    o.class_id = d.class_number;
    out.defects.push_back(o);
    if (!check_summary) continue;
    if (!have_test || d.test != last_test) {
      flush();
      have_test = true;
      last_test = d.test, last_flags = &seen[d.test];
    }
    ++run_defects;
    if (!want_dies || d.xindex < i0 || d.xindex > i1 || d.yindex < j0 || d.yindex > j1) continue;
    if (last_flags->empty()) last_flags->assign(static_cast<std::size_t>((i1 - i0 + 1) * nj), 0);
    std::uint8_t& flag = (*last_flags)[static_cast<std::size_t>((d.xindex - i0) * nj + (d.yindex - j0))];
    run_dies += flag == 0;
    flag = 1;
  }
  flush();
  const std::string wloc = where.substr(0, where.size() - 2);
  if (max_move > 1e-6)
    sink_.warning(wloc, std::to_string(moved) + " defects moved by up to " + fmt_num(max_move * 1000) +
                            " um into the die of their XINDEX/YINDEX (this wafer's SampleCenterLocation differs "
                            "from that of the wafer that set the product grid)");
  if (away > 0)
    sink_.warning(wloc, std::to_string(away) + " defects lie up to " + fmt_num(max_away * 1000) +
                            " um outside the die of their XINDEX/YINDEX (XREL/YREL beyond the die pitch?): their "
                            "computed positions are kept");
  if (outside > 0)
    sink_.warning(wloc, std::to_string(outside) + " defects lie on dies outside the product grid of the file's first "
                                                  "wafer: they count on no die");

  if (check_summary) {
    std::int64_t* last_count = nullptr;
    for (const auto& p : w.plan) {
      if (!last_count || p.first != last_test) last_test = p.first, last_count = &per_test_dies[p.first];
      ++*last_count;
    }
    for (const KlarfSummaryRow& s : w.summary) {
      const std::int32_t test = s.testno ? static_cast<std::int32_t>(*s.testno) : 1;
      const std::string at = path_ + ": line " + std::to_string(s.line);
      auto check = [&](const std::optional<std::int64_t>& said, std::int64_t counted, const char* what,
                       const char* where_from) {
        if (said && *said != counted)
          sink_.warning(at, "summary of test " + std::to_string(test) + " says " + what + " " + std::to_string(*said) +
                                ", " + where_from + " " + std::to_string(counted));
      };
      check(s.ndefect, per_test_defects[test], "NDEFECT", "the DefectList has");
      if (!w.plan.empty()) check(s.ndie, per_test_dies[test], "NDIE", "the SampleTestPlan has");
      check(s.ndefdie, per_test_defect_dies[test], "NDEFDIE", "dies with defects:");
    }
  }
  sink_.add_wafer(std::move(out));
}

}  // namespace yf::import
