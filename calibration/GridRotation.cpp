#include "calibration/GridRotation.hpp"

#include <algorithm>
#include <cmath>
#include <opencv2/imgproc.hpp>
#include <vector>

#include "calibration/WaferCalibration.hpp"

namespace yf::calib {
namespace {

constexpr double kDegToRad = 3.14159265358979323846 / 180.0;

// The region's pixels, zero-mean after removing the slow illumination (a wide blur); the
// vectors are the caller's buffers.
struct Samples {
  std::vector<float>& x;
  std::vector<float>& y;
  std::vector<float>& v;
};

// The square of half-width `half` around the centre, as float, minus its slow illumination
// (a 31x31 box mean).
struct HighPassed {
  cv::Rect roi;
  cv::Mat f;
};

// f and slow: the caller's buffers (f is returned in HighPassed::f).
HighPassed high_pass(const cv::Mat& img, double cx, double cy, int half, cv::Mat& f, cv::Mat& slow) {
  const cv::Rect roi(static_cast<int>(std::lround(cx)) - half, static_cast<int>(std::lround(cy)) - half, 2 * half + 1,
                     2 * half + 1);
  img(roi).convertTo(f, CV_32F);
  cv::blur(f, slow, cv::Size(31, 31), cv::Point(-1, -1), cv::BORDER_REFLECT);
  f -= slow;
  return {roi, f};
}

// A side x side float view of `lent` into `view` when `lent` is continuous float memory
// large enough for it.
bool lend(const cv::Mat& lent, int side, cv::Mat& view) {
  const auto need = static_cast<std::size_t>(side) * static_cast<std::size_t>(side);
  if (lent.empty() || !lent.isContinuous() || lent.type() != CV_32FC1 || lent.total() < need) return false;
  view = cv::Mat(side, side, CV_32F, const_cast<uchar*>(lent.data));
  return true;
}

// Every stride-th pixel of every stride-th row whose position (x, y from the centre, as
// float) lies within sqrt(r2) of the centre, in row order, into s (emptied first).
void collect_disk(const HighPassed& h, double cx, double cy, int stride, double r2, Samples& s) {
  const cv::Rect& roi = h.roi;
  const cv::Mat& f = h.f;
  s.x.clear();
  s.y.clear();
  s.v.clear();
  for (int r = 0; r < f.rows; r += stride) {
    const float* p = f.ptr<float>(r);
    const auto y = static_cast<float>(roi.y + r - cy);
    for (int c = 0; c < f.cols; c += stride) {
      const auto x = static_cast<float>(roi.x + c - cx);
      if (static_cast<double>(x) * x + static_cast<double>(y) * y < r2) {
        s.x.push_back(x);
        s.y.push_back(y);
        s.v.push_back(p[c]);
      }
    }
  }
}

// The coarse search's form of the samples (every 2nd pixel of every 2nd row, as the search
// always used): the region cut into strips kStripPx wide across each projection axis, each
// strip's samples summed along the other image axis once. A projection at angle t then
// moves each strip's profile as a whole, by its centre's offset times sin t, instead of
// every sample by its own: within +-kStripPx/2 of the centre the samples are misplaced by
// at most 8 x sin 1.2 deg = 0.17 px (at the true angle, near 0: far less), below what the
// coarse search needs (0.05-degree steps; the fine search then works on every sample).
// Per angle: 2 x 50 x 400 strip bins instead of 2 x 160,000 samples.
constexpr int kStripPx = 16;
constexpr int kCoarseStride = 2;
// The fine search's strips: every pixel, 4 px wide (misplaced by at most 2 x sin 1.2 deg =
// 0.04 px; at the angles it scores, near the grid's, far less).
constexpr int kFineStripPx = 4;

struct Strips {
  int n = 0, len = 0;         // strips, bins a strip (one per sampled row or column)
  std::vector<double> sum;    // [strip][bin]: samples summed across the strip
  std::vector<double> count;  // [strip][bin]: how many
  std::vector<double> at;     // offset of the strip's samples' centre from the wafer centre, along the strip axis
  double start = 0;           // offset of bin 0 from the wafer centre, along the profile axis
  int stride = 1;             // bins this many pixels apart
};

// Strips of columns (by_columns: each bin a sampled row's sum over the strip's sampled
// columns) or of rows.
Strips make_strips(const HighPassed& h, double cx, double cy, bool by_columns, int st, int width) {
  const cv::Mat& f = h.f;
  Strips s;
  s.stride = st;
  const int across = by_columns ? f.cols : f.rows;
  const int along = by_columns ? f.rows : f.cols;
  s.len = (along + st - 1) / st;
  s.n = (across + width - 1) / width;
  s.sum.assign(static_cast<std::size_t>(s.n) * static_cast<std::size_t>(s.len), 0);
  s.count.assign(s.sum.size(), 0);
  s.at.resize(static_cast<std::size_t>(s.n));
  s.start = by_columns ? h.roi.y - cy : h.roi.x - cx;
  const double origin = by_columns ? h.roi.x - cx : h.roi.y - cy;
  for (int k = 0; k < s.n; ++k) {
    const int a0 = k * width, a1 = std::min(across, a0 + width);  // a0 is a multiple of the stride
    int samples = 0;
    double mean = 0;
    for (int a = a0; a < a1; a += st, ++samples) mean += a;
    s.at[static_cast<std::size_t>(k)] = origin + mean / samples;
    double* sum = s.sum.data() + static_cast<std::size_t>(k) * static_cast<std::size_t>(s.len);
    double* cnt = s.count.data() + static_cast<std::size_t>(k) * static_cast<std::size_t>(s.len);
    if (by_columns) {
      for (int i = 0; i < s.len; ++i) {
        const float* p = f.ptr<float>(i * st);
        double acc = 0;
        for (int c = a0; c < a1; c += st) acc += p[c];
        sum[i] = acc;
      }
    } else {
      for (int r = a0; r < a1; r += st) {
        const float* p = f.ptr<float>(r);
        for (int i = 0; i < s.len; ++i) sum[i] += p[i * st];
      }
    }
    for (int i = 0; i < s.len; ++i) cnt[i] = samples;
  }
  return s;
}

// Sharpness of the two projection profiles at rotation `deg`: sum over 1-px bins of
// (bin sum)^2 / (bin weight), with linear splatting so the score is smooth in angle. The
// row profile from the column strips (p = x sin t + y cos t), the column profile from the
// row strips (p = x cos t - y sin t).
double strip_score(const Strips& cols, const Strips& rows, double deg, int half, std::vector<double>& sum,
                   std::vector<double>& wt) {
  const double t = deg * kDegToRad, co = std::cos(t), si = std::sin(t);
  const auto bins = static_cast<std::size_t>(4 * half + 8);
  sum.assign(2 * bins, 0);
  wt.assign(2 * bins, 0);
  auto splat = [&](const Strips& s, double along, double across, std::size_t base) {
    // p = at * along + (start + i) * across + offset
    for (int k = 0; k < s.n; ++k) {
      const double p0 = s.at[static_cast<std::size_t>(k)] * along + s.start * across + 2 * half + 2;
      const double* sv = s.sum.data() + static_cast<std::size_t>(k) * s.len;
      const double* sc = s.count.data() + static_cast<std::size_t>(k) * s.len;
      for (int i = 0; i < s.len; ++i) {
        const double p = p0 + (i * s.stride) * across;
        const auto b = static_cast<std::size_t>(static_cast<int>(p));
        const double fr = p - static_cast<double>(b);
        sum[base + b] += (1 - fr) * sv[i];
        wt[base + b] += (1 - fr) * sc[i];
        sum[base + b + 1] += fr * sv[i];
        wt[base + b + 1] += fr * sc[i];
      }
    }
  };
  splat(cols, si, co, 0);
  splat(rows, -si, co, bins);
  double total = 0;
  for (std::size_t b = 0; b < 2 * bins; ++b)
    if (wt[b] > 4) total += sum[b] * sum[b] / wt[b];
  return total;
}

// Best angle on a grid of steps, refined by a parabola through the best and its neighbours.
double search(const Strips& cols, const Strips& rows, int half, double lo, double hi, double step,
              std::vector<double>* all_scores, double* best_score) {
  std::vector<double> sum, wt, sc;
  const int n = static_cast<int>(std::lround((hi - lo) / step)) + 1;
  for (int i = 0; i < n; ++i) sc.push_back(strip_score(cols, rows, lo + i * step, half, sum, wt));
  const auto bi = static_cast<int>(std::max_element(sc.begin(), sc.end()) - sc.begin());
  if (all_scores) *all_scores = sc;
  if (best_score) *best_score = sc[static_cast<std::size_t>(bi)];
  double best = lo + bi * step;
  if (bi > 0 && bi < n - 1) {
    const double a = sc[static_cast<std::size_t>(bi - 1)], b = sc[static_cast<std::size_t>(bi)],
                 c = sc[static_cast<std::size_t>(bi + 1)];
    const double d = a - 2 * b + c;
    if (d < 0) best += std::clamp(0.5 * (a - c) / d, -0.5, 0.5) * step;
  }
  return best;
}

// As `search`, but climbing from the middle of the grid of steps to the nearest local
// maximum instead of scoring every step: over the fine search's +-0.06 degrees around the
// coarse peak (whose width is some 0.3 degrees) the score is unimodal, so this lands on the
// same step - scoring 3-5 angles instead of 13.
double climb(const Strips& cols, const Strips& rows, int half, double lo, double hi, double step) {
  std::vector<double> sum, wt;
  const int n = static_cast<int>(std::lround((hi - lo) / step)) + 1;
  std::vector<double> sc(static_cast<std::size_t>(n), -1);  // scores are >= 0; -1: not yet scored
  auto at = [&](int i) {
    double& v = sc[static_cast<std::size_t>(i)];
    if (v < 0) v = strip_score(cols, rows, lo + i * step, half, sum, wt);
    return v;
  };
  int bi = n / 2;
  for (;;) {
    if (bi > 0 && at(bi - 1) > at(bi)) {
      --bi;
    } else if (bi < n - 1 && at(bi + 1) > at(bi)) {
      ++bi;
    } else {
      break;
    }
  }
  double best = lo + bi * step;
  if (bi > 0 && bi < n - 1) {
    const double a = at(bi - 1), b = at(bi), c = at(bi + 1);
    const double d = a - 2 * b + c;
    if (d < 0) best += std::clamp(0.5 * (a - c) / d, -0.5, 0.5) * step;
  }
  return best;
}

// Profiles of the samples projected on (ax, ay) (bins of `bin` px from tmin), one of the
// samples whose along-axis coordinate (on (bx, by)) is below -gap and one of those at or
// above +gap, in one pass. Each: bin means (0 where empty) and the mean along-axis position.
struct HalfProfile {
  std::vector<double> prof;
  double mean_along = 0;
};

std::pair<HalfProfile, HalfProfile> half_profiles(const Samples& s, double ax, double ay, double bx, double by,
                                                  double gap, double tmin, int bins, double bin) {
  const auto size = static_cast<std::size_t>(bins) + 1;
  std::vector<double> sum[2] = {std::vector<double>(size, 0), std::vector<double>(size, 0)};
  std::vector<double> wt[2] = {std::vector<double>(size, 0), std::vector<double>(size, 0)};
  double along[2] = {0, 0};
  int n[2] = {0, 0};
  for (std::size_t i = 0; i < s.v.size(); ++i) {
    const double a = s.x[i] * bx + s.y[i] * by;
    const int h = a < -gap ? 0 : a >= gap ? 1 : -1;
    if (h < 0) continue;
    const double p = (s.x[i] * ax + s.y[i] * ay - tmin) / bin;
    const int b = static_cast<int>(p);
    if (b < 0 || b >= bins) continue;
    const double f = p - b;
    sum[h][static_cast<std::size_t>(b)] += (1 - f) * s.v[i];
    wt[h][static_cast<std::size_t>(b)] += 1 - f;
    sum[h][static_cast<std::size_t>(b + 1)] += f * s.v[i];
    wt[h][static_cast<std::size_t>(b + 1)] += f;
    along[h] += a;
    ++n[h];
  }
  HalfProfile out[2];
  for (int h = 0; h < 2; ++h) {
    out[h].mean_along = n[h] ? along[h] / n[h] : 0;
    out[h].prof.assign(static_cast<std::size_t>(bins), 0);
    for (int b = 0; b < bins; ++b)
      if (wt[h][static_cast<std::size_t>(b)] > 2)
        out[h].prof[static_cast<std::size_t>(b)] = sum[h][static_cast<std::size_t>(b)] / wt[h][static_cast<std::size_t>(b)];
  }
  return {std::move(out[0]), std::move(out[1])};
}

// Sub-bin shift d maximising sum p(t) q(t + d) (|d| <= max_bins), parabola-refined.
double profile_shift(const std::vector<double>& p, const std::vector<double>& q, int max_bins) {
  std::vector<double> c;
  const int n = static_cast<int>(p.size());
  for (int d = -max_bins; d <= max_bins; ++d) {
    double acc = 0;
    for (int i = std::max(0, -d); i < std::min(n, n - d); ++i) acc += p[static_cast<std::size_t>(i)] * q[static_cast<std::size_t>(i + d)];
    c.push_back(acc);
  }
  const auto bi = static_cast<int>(std::max_element(c.begin(), c.end()) - c.begin());
  double off = 0;
  if (bi > 0 && bi < static_cast<int>(c.size()) - 1) {
    const double a = c[static_cast<std::size_t>(bi - 1)], b = c[static_cast<std::size_t>(bi)], cc = c[static_cast<std::size_t>(bi + 1)];
    const double den = a - 2 * b + cc;
    if (den < 0) off = std::clamp(0.5 * (a - cc) / den, -0.5, 0.5);
  }
  return bi - max_bins + off;
}

// Refines the angle from how far the street profile of one half of the wafer is shifted
// against the other half's: a residual angle e shifts it by e times the halves' distance.
// Uses the disk inside 0.85 R, so the baseline is the whole wafer, not the search region.
double refine_by_halves(const cv::Mat& img, double cx, double cy, double radius, double deg, GridRotationBuffers& b) {
  const int half = static_cast<int>(std::min({0.85 * radius, cx - 1, cy - 1, img.cols - 2 - cx, img.rows - 2 - cy}));
  if (half < 32) return deg;
  const int stride = std::max(1, static_cast<int>(std::ceil(2.0 * half / 1400)));  // at most ~1.5M samples
  // The disk's samples.
  Samples d{b.x, b.y, b.v};
  cv::Mat lent_f, lent_slow;
  const int side = 2 * half + 1;  // high_pass's square
  cv::Mat& f = lend(b.halves_lent, side, lent_f) ? lent_f : b.halves;
  cv::Mat& slow = lend(b.halves_slow_lent, side, lent_slow) ? lent_slow : b.halves_slow;
  collect_disk(high_pass(img, cx, cy, half, f, slow), cx, cy, stride, 0.85 * 0.85 * radius * radius, d);
  const double bin = 0.5;
  const int bins = static_cast<int>(2 * half / bin) + 8;
  const double tmin = -half - 2;
  const double gap = 0.25 * radius;  // the halves exclude a central band, for a long baseline
  for (int iter = 0; iter < 2; ++iter) {
    const double t = deg * kDegToRad, co = std::cos(t), si = std::sin(t);
    double sum = 0;
    int n = 0;
    // Rows: profile across (si, co), halves along (co, -si).
    {
      const auto [L, R] = half_profiles(d, si, co, co, -si, gap, tmin, bins, bin);
      const double aL = L.mean_along, aR = R.mean_along;
      const double delta = profile_shift(L.prof, R.prof, 8) * bin;  // t_R - t_L
      if (aR - aL > 1) {
        sum += -delta / (aR - aL);
        ++n;
      }
    }
    // Columns: profile across (co, -si), halves along (si, co).
    {
      const auto [T, B] = half_profiles(d, co, -si, si, co, gap, tmin, bins, bin);
      const double bT = T.mean_along, bB = B.mean_along;
      const double delta = profile_shift(T.prof, B.prof, 8) * bin;  // t1(bottom) - t1(top)
      if (bB - bT > 1) {
        sum += delta / (bB - bT);
        ++n;
      }
    }
    if (n == 0) break;
    deg += sum / n / kDegToRad;
  }
  return deg;
}

}  // namespace

GridRotation find_grid_rotation(const cv::Mat& img, double cx, double cy, double radius, double start_deg,
                                const GridRotationOptions& o) {
  GridRotationBuffers buffers;
  return find_grid_rotation(img, cx, cy, radius, start_deg, o, buffers);
}

GridRotation find_grid_rotation(const cv::Mat& img, double cx, double cy, double radius, double start_deg,
                                const GridRotationOptions& o, GridRotationBuffers& b) {
  // The region: a square inside the wafer (inscribed in 0.65 R) and inside the image.
  int half = std::min<int>(o.roi_half_size_px, static_cast<int>(0.65 * radius / std::sqrt(2.0)));
  half = std::min({half, static_cast<int>(cx) - 1, static_cast<int>(cy) - 1, img.cols - 2 - static_cast<int>(cx),
                   img.rows - 2 - static_cast<int>(cy)});
  if (half < 24) throw CalibrationError("images: too little of the wafer in view to measure the grid rotation");
  // Coarse search on strips of every 2nd pixel, fine search on every pixel.
  const HighPassed region = high_pass(img, cx, cy, half, b.search, b.search_slow);
  std::vector<double> scores;
  double best_score = 0;
  const double r = o.search_half_range_deg;
  const double c = search(make_strips(region, cx, cy, true, kCoarseStride, kStripPx),
                          make_strips(region, cx, cy, false, kCoarseStride, kStripPx), half,
                          start_deg - r, start_deg + r, 0.05, &scores, &best_score);
  std::vector<double> sorted = scores;
  std::nth_element(sorted.begin(), sorted.begin() + static_cast<std::ptrdiff_t>(sorted.size() / 2), sorted.end());
  const double med = sorted[sorted.size() / 2];
  GridRotation out;
  out.sharpness = med > 0 ? best_score / med : 0;
  if (!(best_score > 0) || out.sharpness < 1.05)
    throw CalibrationError("images: no die-street grid found near the wafer centre (blank or unpatterned wafer)");
  const double searched = climb(make_strips(region, cx, cy, true, 1, kFineStripPx),
                                make_strips(region, cx, cy, false, 1, kFineStripPx), half, c - 0.06, c + 0.06, 0.01);
  const double refined = refine_by_halves(img, cx, cy, radius, searched, b);
  // The refinement only corrects what the search could not resolve: a large jump means the
  // halves' profiles matched the wrong street (a blank half, say): keep the search's answer.
  out.rotation_deg = std::abs(refined - searched) < 0.15 ? refined : searched;
  return out;
}

}  // namespace yf::calib
