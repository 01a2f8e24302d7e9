#include "stages/ImageStage.hpp"

#include <algorithm>
#include <cmath>
#include <limits>
#include <opencv2/imgproc.hpp>
#include <stdexcept>

#include "calibration/FlatFieldEstimate.hpp"
#include "calibration/ImageCalibrator.hpp"
#include "stages/ImageDecode.hpp"
#include "stages/ImageDetection.hpp"

namespace yf {
namespace {

constexpr double kPi = 3.14159265358979323846;

std::runtime_error image_error(const std::string& what) { return std::runtime_error("images: " + what); }

// Pixels closer to the rim than this (and the notch) are not compared die to die: the rim's
// own anti-aliased pixels would differ from every reference. Chips there come from the
// calibration's edge fit instead.
constexpr double kRimMarginPx = 2.0;

struct Rim {
  double cx = 0, cy = 0, r = 0;  // circle, px
  bool notch = false;
  double notch_angle = 0, notch_half_width = 0;  // radians
  double nx = 0, ny = 0, cos_half = 1;  // notch direction, cos of its half width
  void set_notch(bool found, double angle, double half_width) {
    notch = found;
    nx = std::cos(angle);
    ny = std::sin(angle);
    cos_half = std::cos(half_width);
    notch_angle = angle;
    notch_half_width = half_width;
  }
  // Squared distances and dot products only: called for every pixel of the rim's ring.
  bool outside(double x, double y, double margin) const {
    const double dx = x - cx, dy = y - cy;
    const double r2 = dx * dx + dy * dy, lim = r - margin;
    if (r2 > lim * lim) return true;
    if (!notch) return false;
    const double inner = lim - 3 * notch_half_width * r;
    if (inner > 0 && r2 < inner * inner) return false;
    const double dot = dx * nx + dy * ny;  // within the notch's wedge: cos(angle) > cos_half
    return dot > 0 && dot * dot > cos_half * cos_half * r2;
  }
};

// The die grid in pixels: a cell per die that lies at least partly on the wafer and wholly
// inside the image; (u, v) of a cell runs along wafer +x and -y from its upper-left corner.
DieCells die_cells(const ProductGeometry& g, const calib::WaferCalibration& cal, const cv::Size& image) {
  DieCells cells;
  const double s = cal.mm_per_px;
  cells.pitch_px = {g.die_width_mm / s, g.die_height_mm / s};
  cells.die_size_px = {static_cast<int>(std::floor(cells.pitch_px.width)),
                       static_cast<int>(std::floor(cells.pitch_px.height))};
  cells.angle_deg = cal.rotation_deg;
  const double R = g.wafer_diameter_mm / 2;
  const double t = cal.rotation_deg * kPi / 180, co = std::cos(t), si = std::sin(t);
  for (int r = 0; r < g.rows; ++r)
    for (int c = 0; c < g.cols; ++c) {
      const double x0 = g.grid_x0_mm + c * g.die_width_mm, y0 = g.grid_y0_mm - r * g.die_height_mm;
      // Nearest point of the die to the wafer centre: on the wafer?
      const double nx = std::clamp(0.0, x0, x0 + g.die_width_mm), ny = std::clamp(0.0, y0 - g.die_height_mm, y0);
      if (nx * nx + ny * ny >= R * R) continue;
      const cv::Point2d o = calib::mm_to_px(cal, {x0, y0});
      bool in_image = true;
      for (double u : {0.0, static_cast<double>(cells.die_size_px.width)})
        for (double v : {0.0, static_cast<double>(cells.die_size_px.height)}) {
          const double px = o.x + co * u + si * v, py = o.y - si * u + co * v;
          if (px < 1 || py < 1 || px > image.width - 2 || py > image.height - 2) in_image = false;
        }
      if (in_image) cells.origins_px.push_back(o);
    }
  return cells;
}

// Off the wafer (and in the rim margin and the notch), each pixel takes the value of the
// same pattern position in the nearest die inwards, so that partial dies at the rim can be
// compared with the reference die like whole ones. Only the pixels die-to-die reads are
// filled (`spans`, die_to_die_read_spans: beyond the outermost dies' frames nothing is
// read), and every pixel within 1 px outside the rim (the fill's own bilinear reads reach
// no farther out: a landing lies inside the margin + 1 px), so each pixel read gets the
// value a fill of the whole ring gives it.
void fill_off_wafer(cv::Mat& f, const Rim& rim, const DieCells& cells, const std::vector<cv::Vec2i>& spans) {
  const double t = cells.angle_deg * kPi / 180, co = std::cos(t), si = std::sin(t);
  const cv::Point2d ex(cells.pitch_px.width * co, -cells.pitch_px.width * si);
  const cv::Point2d ey(cells.pitch_px.height * si, cells.pitch_px.height * co);
  std::vector<cv::Point2d> steps;
  for (int a = -4; a <= 4; ++a)
    for (int b = -4; b <= 4; ++b)
      if (a || b) steps.push_back(a * ex + b * ey);
  std::sort(steps.begin(), steps.end(), [](const cv::Point2d& p, const cv::Point2d& q) { return p.dot(p) < q.dot(q); });
  // A cell at least partly on the wafer ends within one die diagonal of the rim; the die's
  // sampling margin and bicubic footprint (2 + 2 px) and rounding need a few pixels more.
  // Nothing beyond is read.
  const double reach = rim.r + std::hypot(cells.pitch_px.width, cells.pitch_px.height) + 8;
  // Reads (inside the margin + 1 px) never touch a written pixel (outside the margin), so
  // the image is its own source: no copy.
  const cv::Mat& src = f;
  // Pixels inside this radius are never outside (the rim margin and the notch's wedge lie
  // beyond it): each row skips its span.
  const double inner = std::max(0.0, std::min(rim.r - kRimMarginPx, rim.notch ? rim.r - kRimMarginPx - 3 * rim.notch_half_width * rim.r : rim.r) - 1);
  auto sample = [&](double x, double y) {
    const int x0 = static_cast<int>(std::floor(x)), y0 = static_cast<int>(std::floor(y));
    const double fx = x - x0, fy = y - y0;
    const float* r0 = src.ptr<float>(y0);
    const float* r1 = src.ptr<float>(y0 + 1);
    return static_cast<float>((1 - fy) * ((1 - fx) * r0[x0] + fx * r0[x0 + 1]) + fy * ((1 - fx) * r1[x0] + fx * r1[x0 + 1]));
  };
  const int y_lo = std::max(0, static_cast<int>(rim.cy - reach)), y_hi = std::min(f.rows - 1, static_cast<int>(rim.cy + reach));
  const int x_lo = std::max(0, static_cast<int>(rim.cx - reach)), x_hi = std::min(f.cols - 1, static_cast<int>(rim.cx + reach));
  // A pixel takes the first step, in order of length, that lands on a compared wafer pixel
  // (inside the margin + 1 px, off the notch, inside the image). Row by row: the steps
  // whose landing row crosses the landing disk at all are tried in order, each on the
  // row's pixels not yet given a step within its landing chord (found from the chord's
  // ends, widened by a pixel) - the exact test decides every landing, so each pixel gets
  // the same step as by trying every step on it, without trying the (many) that cannot
  // land. Then the row's values, pixel by pixel from the left: a landing's bilinear read
  // may touch a rim pixel written before it (within 1.42 px of the landing), so the
  // values are taken in the order a pixel-by-pixel fill takes them.
  const double land_lim = rim.r - (kRimMarginPx + 1);  // rim.outside's limit for the landing test
  auto lands = [&](double sx, double sy) {
    return !(sx < 0 || sy < 0 || sx > f.cols - 2 || sy > f.rows - 2 || rim.outside(sx, sy, kRimMarginPx + 1));
  };
  std::vector<int> todo;            // the row's pixels to fill, ascending
  std::vector<int> step_of;         // each one's step, -1 while none
  std::vector<std::size_t> open;    // indices into todo still without a step, ascending
  for (int y = y_lo; y <= y_hi; ++y) {
    float* row = f.ptr<float>(y);
    const double dy = y - rim.cy;
    int skip_lo = x_hi + 1, skip_hi = x_hi;  // the row's span inside `inner` (none: past the end)
    if (dy * dy < inner * inner) {
      const double half = std::sqrt(inner * inner - dy * dy);
      skip_lo = static_cast<int>(std::ceil(rim.cx - half));
      skip_hi = static_cast<int>(std::floor(rim.cx + half));
    }
    todo.clear();
    const cv::Vec2i span = spans[static_cast<std::size_t>(y)];
    const double near = rim.r + 1;  // within it, always filled (the fill's own reads)
    auto wanted = [&](int x) {
      const double ddx = x - rim.cx, d2 = ddx * ddx + dy * dy;
      return d2 <= reach * reach && rim.outside(x, y, kRimMarginPx) && ((x >= span[0] && x <= span[1]) || d2 < near * near);
    };
    // The columns where wanted() can hold: within the reach's chord, and within the span
    // or the near circle's chord (each a pixel wider; the exact test decides).
    auto chord = [&](double radius, int& lo, int& hi) {
      if (dy * dy > radius * radius) {
        lo = 1, hi = 0;
        return;
      }
      const double half = std::sqrt(radius * radius - dy * dy) + 1;
      lo = static_cast<int>(std::floor(rim.cx - half));
      hi = static_cast<int>(std::ceil(rim.cx + half));
    };
    int reach_lo = 0, reach_hi = 0, near_lo = 0, near_hi = 0;
    chord(reach, reach_lo, reach_hi);
    chord(near, near_lo, near_hi);
    int lo = span[0], hi = span[1];
    if (near_lo <= near_hi) {
      const bool has_span = lo <= hi;
      lo = has_span ? std::min(lo, near_lo) : near_lo;
      hi = has_span ? std::max(hi, near_hi) : near_hi;
    }
    const int first = std::max({x_lo, reach_lo, lo}), last = std::min({x_hi, reach_hi, hi});
    for (int x = first; x <= last && x < skip_lo; ++x)
      if (wanted(x)) todo.push_back(x);
    for (int x = std::max(first, skip_hi + 1); x <= last; ++x)
      if (wanted(x)) todo.push_back(x);
    if (todo.empty()) continue;
    step_of.assign(todo.size(), -1);
    open.resize(todo.size());
    for (std::size_t k = 0; k < open.size(); ++k) open[k] = k;
    for (std::size_t i = 0; i < steps.size() && !open.empty(); ++i) {
      const cv::Point2d& st = steps[i];
      const double sy = y - st.y;
      if (sy < 0 || sy > f.rows - 2) continue;
      const double ly = sy - rim.cy;
      if (ly * ly > land_lim * land_lim) continue;  // every landing of the row is outside
      const double half = std::sqrt(land_lim * land_lim - ly * ly) + 1;
      const double from = rim.cx - half + st.x, to = rim.cx + half + st.x;  // pixels whose landing may be inside
      auto it = std::lower_bound(open.begin(), open.end(), static_cast<int>(std::floor(from)),
                                 [&](std::size_t k, int x) { return todo[k] < x; });
      bool found = false;
      for (; it != open.end() && todo[*it] <= to; ++it)
        if (lands(todo[*it] - st.x, sy)) {
          step_of[*it] = static_cast<int>(i);
          found = true;
        }
      if (found) open.erase(std::remove_if(open.begin(), open.end(), [&](std::size_t k) { return step_of[k] >= 0; }), open.end());
    }
    for (std::size_t k = 0; k < todo.size(); ++k)
      if (step_of[k] >= 0) {
        const cv::Point2d& st = steps[static_cast<std::size_t>(step_of[k])];
        row[todo[k]] = sample(todo[k] - st.x, y - st.y);
      }
  }
}

// `scratch`: a continuous buffer whose contents are not needed yet, lent to the decode of a
// flat the reader left compressed.
cv::Mat flat_field(const cv::Mat& img, const ToolCalibration* tool, const calib::WaferCalibration& cal,
                   std::string& warnings, cv::Mat& scratch) {
  if (tool && !tool->flat_error.empty()) throw image_error(tool->flat_error);
  if (tool && (tool->flat || tool->stored_flat)) {
    // A flat the reader left compressed is decoded here, once for all its wafers.
    const FlatView f = tool->flat ? FlatView{tool->flat->width, tool->flat->height, tool->flat->values.data()}
                                  : decoded_flat(*tool->stored_flat, scratch.data, scratch.total() * scratch.elemSize());
    if (f.width != img.cols || f.height != img.rows)
      throw image_error("the tool's flat field is " + std::to_string(f.width) + "x" + std::to_string(f.height) +
                        ", the image " + std::to_string(img.cols) + "x" + std::to_string(img.rows));
    return cv::Mat(f.height, f.width, CV_32F, const_cast<float*>(f.values));
  }
  if (!warnings.empty()) warnings += "; ";
  warnings += "no flat field for the tool: estimated from this image";
  return calib::estimate_flat_field({img}, {cal});
}

// A found blob or rim bite, in image pixels.
struct Piece {
  cv::Point2d center;
  double area = 0;
  cv::Rect2d box;
  DefectShape shape = DefectShape::particle;
  double contrast = 0, elongation = 1, orientation_deg = 0;
  bool bite = false;  // from the rim (or merged with a rim bite)
};

// Merges pieces whose boxes lie within `gap` px of each other (transitively). A merged
// defect's centre and contrast are area-weighted; its shape is the largest piece's, except
// that a long thin union (box aspect >= the scratch elongation) is a scratch, and a large
// one a cluster.
std::vector<Piece> merge_touching(const std::vector<Piece>& in, double gap, const DetectionOptions& det) {
  const std::size_t n = in.size();
  std::vector<std::size_t> parent(n);
  for (std::size_t i = 0; i < n; ++i) parent[i] = i;
  auto find = [&](std::size_t i) {
    while (parent[i] != i) i = parent[i] = parent[parent[i]];
    return i;
  };
  for (std::size_t i = 0; i < n; ++i)
    for (std::size_t j = i + 1; j < n; ++j) {
      const cv::Rect2d& a = in[i].box;
      const cv::Rect2d& b = in[j].box;
      const bool near = a.x <= b.x + b.width + gap && b.x <= a.x + a.width + gap && a.y <= b.y + b.height + gap &&
                        b.y <= a.y + a.height + gap;
      if (near) parent[find(i)] = find(j);
    }
  std::vector<Piece> out;
  std::vector<std::vector<std::size_t>> groups(n);
  for (std::size_t i = 0; i < n; ++i) groups[find(i)].push_back(i);
  for (const auto& g : groups) {
    if (g.empty()) continue;
    if (g.size() == 1) {
      out.push_back(in[g[0]]);
      continue;
    }
    Piece m;
    m.box = in[g[0]].box;
    double largest = -1, cx = 0, cy = 0, con = 0;
    for (std::size_t i : g) {
      const Piece& p = in[i];
      m.area += p.area;
      cx += p.center.x * p.area;
      cy += p.center.y * p.area;
      con += p.contrast * p.area;
      m.box |= p.box;
      m.bite = m.bite || p.bite;
      if (p.area > largest) {
        largest = p.area;
        m.shape = p.shape;
        m.elongation = p.elongation;
        m.orientation_deg = p.orientation_deg;
      }
    }
    m.center = {cx / m.area, cy / m.area};
    m.contrast = con / m.area;
    const double lo = std::max(1.0, std::min(m.box.width, m.box.height)), hi = std::max(m.box.width, m.box.height);
    if (hi / lo >= det.scratch_min_elongation && hi >= det.scratch_min_length_px) {
      m.shape = DefectShape::scratch;
      m.elongation = std::max(m.elongation, hi / lo);
    } else if (m.area >= det.cluster_min_area_px && m.shape == DefectShape::particle) {
      m.shape = DefectShape::cluster;
    }
    out.push_back(m);
  }
  return out;
}

}  // namespace

struct ImageWorkspace::Buffers {
  cv::Mat gray;       // the decoded image
  cv::Mat corrected;  // flat-fielded, rim filled
  calib::GridRotationBuffers grid;
  DieToDieBuffers dies;
};

ImageWorkspace::ImageWorkspace() noexcept = default;
ImageWorkspace::~ImageWorkspace() = default;
ImageWorkspace::ImageWorkspace(ImageWorkspace&&) noexcept = default;
ImageWorkspace& ImageWorkspace::operator=(ImageWorkspace&&) noexcept = default;
ImageWorkspace::Buffers& ImageWorkspace::buffers() {
  if (!buffers_) buffers_ = std::make_unique<Buffers>();
  return *buffers_;
}

const ToolCalibration* tool_calibration_for(const WaferJob& job, const ImageStageOptions& o) {
  if (o.tool_calibrations) {
    auto it = o.tool_calibrations->find(job.meta.tool);
    if (it != o.tool_calibrations->end()) return &it->second;
  }
  if (job.tables) {
    auto it = job.tables->calibrations.find(job.meta.tool);
    if (it != job.tables->calibrations.end()) return &it->second;
  }
  return nullptr;
}

ImageStageResult run_image_stage(const WaferJob& job, const ProductGeometry& g, const ImageStageOptions& o) {
  ImageWorkspace workspace;
  return run_image_stage(job, g, o, workspace);
}

ImageStageResult run_image_stage(const WaferJob& job, const ProductGeometry& g, const ImageStageOptions& o,
                                 ImageWorkspace& workspace) {
  if (!job.image) throw std::logic_error("run_image_stage: the job has no image");
  const EncodedImage& enc = *job.image;
  if (enc.width <= 0 || enc.height <= 0) throw image_error("empty image");
  ImageWorkspace::Buffers& buffers = workspace.buffers();
  buffers.gray.create(enc.height, enc.width, CV_8UC1);  // every pixel decoded into it
  const cv::Mat img = buffers.gray;
  decode_image(enc, img.data, img.total());

  ImageStageResult out;
  ImageCalibrationReport& rep = out.calibration;
  const ToolCalibration* tool = tool_calibration_for(job, o);
  calib::CalibrationHint hint;
  if (tool && tool->mm_per_px > 0) hint.mm_per_px = tool->mm_per_px;
  if (tool && std::isfinite(tool->rotation_deg)) hint.rotation_deg = tool->rotation_deg;
  // The grid search's halves region (a square inside the image) and its blur are done with
  // before the comparison's difference and factor images are made: those lend it their memory
  // (one worker's first wafer then faults ~20 % fewer pages).
  buffers.dies.plain.create(img.size(), CV_32F);
  buffers.dies.factor_img.create(img.size(), CV_32F);
  buffers.grid.halves_lent = buffers.dies.plain;
  buffers.grid.halves_slow_lent = buffers.dies.factor_img;
  calib::ImageCalibration cal;
  try {
    cal = calib::calibrate_image(img, g.wafer_diameter_mm, hint, buffers.grid);
  } catch (const calib::CalibrationError& e) {
    throw std::runtime_error(e.what());  // already "images: ..."
  }
  const calib::WaferCalibration& w = cal.wafer;
  rep.center_x_px = w.center_x_px;
  rep.center_y_px = w.center_y_px;
  rep.radius_px = w.radius_px;
  rep.mm_per_px = w.mm_per_px;
  rep.rotation_deg = w.rotation_deg;
  rep.edge_rms_px = cal.residuals.rms_px;
  rep.edge_max_px = cal.residuals.max_px;
  rep.edge_inliers = cal.residuals.inliers;
  rep.edge_outliers = cal.residuals.outliers;
  rep.cut_off = cal.cut_off;
  for (const std::string& warning : cal.warnings) rep.warnings += (rep.warnings.empty() ? "" : "; ") + warning;

  // Flat field, then die-to-die.
  // Every pixel of `corrected` is written below; until then it is the scratch of a flat's
  // decode (the flat's inflated bytes, as many as the image's floats when the sizes match).
  buffers.corrected.create(img.size(), CV_32F);
  cv::Mat corrected = buffers.corrected;
  const cv::Mat flat = flat_field(img, tool, w, rep.warnings, corrected);
  // image / max(flat, 0.05) in one pass (the values of convertTo, max and divide; a NaN
  // flat counts as 0.05, as max's vector code takes it).
  if (flat.type() != CV_32FC1 || flat.size() != img.size()) throw std::logic_error("run_image_stage: flat field not float of the image's size");
  for (int r = 0; r < img.rows; ++r) {
    const std::uint8_t* s = img.ptr<std::uint8_t>(r);
    const float* fl = flat.ptr<float>(r);
    float* d = corrected.ptr<float>(r);
    for (int c = 0; c < img.cols; ++c) d[c] = static_cast<float>(s[c]) / (fl[c] > 0.05f ? fl[c] : 0.05f);
  }
  const DieCells cells = die_cells(g, w, img.size());
  Rim rim{w.center_x_px, w.center_y_px, w.radius_px};
  rim.set_notch(cal.notch_found, cal.notch_angle_rad, (cal.notch_depth_px + 3) / std::max(1.0, w.radius_px));
  fill_off_wafer(corrected, rim, cells, die_to_die_read_spans(cells, corrected.size()));
  DetectionOptions det;
  det.k_sigma = o.k_sigma;
  det.grow_k_sigma = std::min(o.grow_k_sigma, o.k_sigma);
  det.min_area_px = o.min_area_px;
  // The decoded image is not read again: the comparison's mask of compared pixels (8-bit,
  // the image's size, cleared before use) takes its memory - one fresh buffer fewer.
  buffers.dies.valid = buffers.gray;
  DieToDieResult found;
  try {
    found = detect_die_to_die(corrected, cells, det, buffers.dies);
  } catch (const ImageDetectionError& e) {
    throw image_error(std::string("die-to-die: ") + e.what());
  }
  rep.noise_sigma = found.noise_sigma;
  rep.dies_compared = found.dies_compared;

  const double s = w.mm_per_px;
  auto add = [&](cv::Point2d px, double area_px, const char* kind, double contrast, double elongation,
                 double orientation_deg) {
    ReportedDefect d;
    d.source = DefectSource::image;
    const cv::Point2d mm = calib::px_to_mm(w, px);
    d.x_mm = mm.x;
    d.y_mm = mm.y;
    d.size_um = std::sqrt(4 * area_px / kPi) * s * 1000;
    if (d.size_um < o.min_defect_um) return;
    d.class_id = kImageDefectClass;
    d.kind = kind;
    d.area_um2 = area_px * s * s * 1e6;
    d.contrast = contrast;
    d.elongation = elongation;
    // Orientation on the wafer: the image's screen angle less the image rotation.
    d.orientation_deg = std::fmod(orientation_deg - w.rotation_deg + 360.0, 180.0);
    out.defects.push_back(std::move(d));
  };
  // Found blobs and rim bites as pieces; pieces that touch (bounding boxes within 2 px)
  // are one defect: a particle, cluster or scratch across the border of two die cells is
  // found once per cell, and a chip deeper than the rim margin both on the rim and inside.
  std::vector<Piece> pieces;
  for (const ImageDefect& d : found.defects) {
    if (rim.outside(d.center_px.x, d.center_px.y, kRimMarginPx)) continue;
    pieces.push_back({d.center_px, d.area_px, cv::Rect2d(d.bbox), d.shape, d.contrast, d.elongation, d.orientation_deg,
                      false});
  }
  for (const calib::EdgeBite& b : cal.edge_bites) {
    const double half = std::max(b.chord_px, b.depth_px) / 2;
    pieces.push_back({b.center_px, b.area_px, cv::Rect2d(b.center_px.x - half, b.center_px.y - half, 2 * half, 2 * half),
                      DefectShape::edge, 0, 1, 0, true});
  }
  // Defects in the edge band (beyond the product's edge exclusion, where no product die
  // lies) and chips are `edge`.
  const double band_px = (g.wafer_diameter_mm / 2 - g.edge_exclusion_mm) / s;
  const double nan = std::numeric_limits<double>::quiet_NaN();
  for (const Piece& p : merge_touching(pieces, 2.0, det)) {
    const bool edge = p.bite || std::hypot(p.center.x - w.center_x_px, p.center.y - w.center_y_px) > band_px;
    if (p.bite)
      add(p.center, p.area, to_string(DefectShape::edge), nan, nan, nan);
    else
      add(p.center, p.area, edge ? to_string(DefectShape::edge) : to_string(p.shape), p.contrast, p.elongation,
          p.orientation_deg);
  }
  return out;
}

}  // namespace yf
