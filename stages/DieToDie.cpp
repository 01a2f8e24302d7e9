// Die-to-die comparison of a full-wafer image (stages/ImageDetection.hpp;
// docs/detection.md "Die-to-die").
//
// 1. Each whole die is resampled into the die frame (sub-pixel, rotated),
//    then registered on the median of them (a fraction of a pixel of grid error).
// 2. The reference die is the per-pixel median of them, after removing each
//    die's own brightness offset: a defect in a minority of dies vanishes.
// 3. The spread across dies at each die position (robust, in units of each
//    die's noise) says where the dies disagree anyway - pattern edges, where
//    resampling and sub-pixel misregistration leave differences - and widens
//    the threshold there.
// 4. The reference (and that spread) is resampled back onto every die's own
//    pixels, so the image's pixels are compared as they are: their noise is
//    never smoothed by interpolation, and blobs come out in image pixels.
// 5. One difference image for the whole wafer -> extract_blobs (a scratch that
//    crosses a street stays one blob).
#include <xmmintrin.h>

#include <opencv2/imgproc.hpp>

#include <algorithm>
#include <array>
#include <cmath>
#include <cstring>
#include <numbers>
#include <string>
#include <vector>

#include "stages/CubicWarp.hpp"
#include "stages/ImageDetection.hpp"
#include "stages/MiddleValues.hpp"

namespace yf {
namespace {

constexpr int kMinDies = 3;
constexpr int kMinDieSide = 4;
// The die frame is sampled with this many pixels of margin on every side, so
// that the pixels a die owns (centres within half a pixel of its frame) are
// compared against interpolated, not extrapolated, reference values.
constexpr int kMargin = 2;  // bicubic reads 2 samples either side
// Die registration: dies smaller than this have too little pattern to register
// on; corrections beyond this are not a grid error but a wrong match.
constexpr int kMinRegisterSide = 12;
constexpr double kMaxDieShiftPx = 1.5;
constexpr int kDieRegisterIterations = 3;
constexpr std::size_t kMaxRegisteredDies = 96;
// The registration template: the median of at most this many dies (evenly spread).
constexpr std::size_t kMaxTemplateDies = 127;

// The die frame -> image map of one die: X = o + R (u, v).
struct DieFrame {
  double c = 1, s = 0;
  cv::Point2d origin;
  cv::Point2d to_image(double u, double v) const { return {origin.x + c * u + s * v, origin.y - s * u + c * v}; }
  // Die frame -> image (for warpAffine with WARP_INVERSE_MAP onto a die-size image).
  cv::Matx23d die_to_image() const { return {c, s, origin.x, -s, c, origin.y}; }
  // Image pixels of `box` -> die frame (WARP_INVERSE_MAP onto a box-size image).
  cv::Matx23d box_to_die(cv::Point box_tl) const {
    const double dx = box_tl.x - origin.x, dy = box_tl.y - origin.y;
    return {c, -s, c * dx - s * dy, s, c, s * dx + c * dy};
  }
};

cv::Mat checked_float(const cv::Mat& image) {
  if (image.empty()) throw ImageDetectionError("detect_die_to_die: the image is empty");
  if (image.channels() != 1)
    throw ImageDetectionError("detect_die_to_die: the image has " + std::to_string(image.channels()) +
                              " channels; expected a single-channel (grey) image");
  const int depth = image.depth();
  if (depth != CV_8U && depth != CV_16U && depth != CV_32F)
    throw ImageDetectionError("detect_die_to_die: unsupported pixel type (depth " + std::to_string(depth) +
                              "); expected 8-bit, 16-bit or 32-bit float");
  if (depth == CV_32F) return image;  // read only here: no copy
  cv::Mat f;
  image.convertTo(f, CV_32F);
  return f;
}

// cv::checkRange's answer for a CV_32F image (no NaN, no +-inf) in one pass the compiler
// vectorises: x - x is 0 for every finite x, NaN for NaN and +-inf.
bool all_finite(const cv::Mat& m) {
  for (int r = 0; r < m.rows; ++r) {
    const float* p = m.ptr<float>(r);
    int bad = 0;
    for (int c = 0; c < m.cols; ++c) bad |= !(p[c] - p[c] == 0.0f);
    if (bad) return false;
  }
  return true;
}

// Per-pixel median over the stack (all of the same size), into `out`: the mean of the
// two middle values for an even count. Exact (middle_values). The dies' values of a pixel
// lie a frame apart in memory (each die in its own frame, some 20-80 KB), so they are
// gathered for kTile neighbouring pixels at once: one cache line of each die serves 16
// pixels instead of one (the same values, in the same order, for each pixel).
// `offsets` (or null): each die's level, subtracted from its values as they are gathered -
// the values a pass of die -= offset over every frame would leave, without that pass.
void median_stack(const std::vector<cv::Mat>& stack, cv::Mat& out, const float* offsets = nullptr) {
  constexpr int kTile = 16;
  const std::size_t n = stack.size();
  out.create(stack[0].size(), CV_32F);
  std::vector<float> tile(kTile * n);  // pixel j's values at tile[j * n ..]
  std::vector<const float*> rows(n);
  MiddleScratch scratch;
  for (int r = 0; r < out.rows; ++r) {
    for (std::size_t d = 0; d < n; ++d) rows[d] = stack[d].ptr<float>(r);
    float* o = out.ptr<float>(r);
    for (int c0 = 0; c0 < out.cols; c0 += kTile) {
      const int w = std::min(kTile, out.cols - c0);
      std::size_t d = 0;
      if (w == kTile) {
        // Four dies by four pixels at a time, transposed in SSE2 registers (the same values).
        for (; d + 4 <= n; d += 4)
          for (int q = 0; q < kTile; q += 4) {
            __m128 a = _mm_loadu_ps(rows[d] + c0 + q), b = _mm_loadu_ps(rows[d + 1] + c0 + q);
            __m128 c = _mm_loadu_ps(rows[d + 2] + c0 + q), e = _mm_loadu_ps(rows[d + 3] + c0 + q);
            _MM_TRANSPOSE4_PS(a, b, c, e);
            if (offsets != nullptr) {  // a, b, c, e: one pixel each, dies d .. d + 3 in the lanes
              const __m128 off = _mm_loadu_ps(offsets + d);
              a = _mm_sub_ps(a, off);
              b = _mm_sub_ps(b, off);
              c = _mm_sub_ps(c, off);
              e = _mm_sub_ps(e, off);
            }
            _mm_storeu_ps(&tile[static_cast<std::size_t>(q) * n + d], a);
            _mm_storeu_ps(&tile[static_cast<std::size_t>(q + 1) * n + d], b);
            _mm_storeu_ps(&tile[static_cast<std::size_t>(q + 2) * n + d], c);
            _mm_storeu_ps(&tile[static_cast<std::size_t>(q + 3) * n + d], e);
          }
      }
      for (; d < n; ++d) {
        const float* src = rows[d] + c0;
        if (offsets != nullptr) {
          for (int j = 0; j < w; ++j) tile[static_cast<std::size_t>(j) * n + d] = src[j] - offsets[d];
        } else {
          for (int j = 0; j < w; ++j) tile[static_cast<std::size_t>(j) * n + d] = src[j];
        }
      }
      for (int j = 0; j < w; ++j) {
        const auto [lo, hi] = middle_values(tile.data() + static_cast<std::size_t>(j) * n, n, scratch);
        o[c0 + j] = n % 2 == 0 ? 0.5f * (hi + lo) : hi;
      }
    }
  }
}

// The factor (>= 1) by which dies disagree at each die position beyond their
// noise: 1.4826 * median over dies of |die - ref| / sigma_die, smoothed a
// little (few dies make it noisy). At pattern edges it is large: resampling a
// sharp edge at another sub-pixel phase leaves differences of a good part of
// the edge's height. It is not dilated: a defect on a narrow line between two
// edges keeps its full sensitivity.
// The dies are not needed after it: each die's frame is overwritten by its scaled
// difference (|die - ref| / sigma_die), and the factor is their median.
// The dies come unlevelled with their `offsets`: each difference is (die - offset) - ref,
// the values of the levelled die's.
cv::Mat spread_factor(std::vector<cv::Mat>& stack, const std::vector<float>& offsets, const cv::Mat& ref,
                      double min_sigma, DieToDieBuffers& b) {
  for (std::size_t d = 0; d < stack.size(); ++d) {
    cv::Mat& die = stack[d];
    b.die_diff.create(die.size(), CV_32F);
    const float* sv = die.ptr<float>();
    const float* rv = ref.ptr<float>();
    float* dv = b.die_diff.ptr<float>();
    const float offset = offsets[d];
    for (std::size_t i = 0, n = die.total(); i < n; ++i) dv[i] = (sv[i] - offset) - rv[i];
    const double sigma = std::max(robust_sigma(b.die_diff, cv::Mat(), b.blobs.sample), min_sigma);
    die = cv::abs(b.die_diff) * (1.4826 / sigma);  // into the die's own frame (same size and type)
  }
  cv::Mat spread;
  median_stack(stack, spread);
  cv::GaussianBlur(spread, spread, cv::Size(3, 3), 0.5);
  cv::max(spread, 1.0, spread);
  return spread;
}

// The grid's error is smooth over the wafer (a slightly wrong rotation, scale
// or centre moves the dies by an affine function of their position), while a
// single die's registration can be thrown by a defect, a filled rim or plain
// noise. So the per-die shifts are fitted by an affine function of the die
// position (least squares, refitted without the dies beyond 3 robust sigmas)
// and every die of `all` gets the fitted shift. Fewer than 6: the median shift.
std::vector<cv::Point2d> smooth_grid_shifts(const std::vector<cv::Point2d>& at, const std::vector<cv::Point2d>& shift,
                                            const std::vector<DieFrame>& all) {
  const std::size_t n = at.size();
  std::vector<bool> use(n);
  for (std::size_t i = 0; i < n; ++i) use[i] = std::hypot(shift[i].x, shift[i].y) <= kMaxDieShiftPx;
  auto median_shift = [&]() {
    std::vector<float> xs, ys;
    for (std::size_t i = 0; i < n; ++i)
      if (use[i]) {
        xs.push_back(static_cast<float>(shift[i].x));
        ys.push_back(static_cast<float>(shift[i].y));
      }
    if (xs.empty()) return cv::Point2d(0, 0);
    std::nth_element(xs.begin(), xs.begin() + static_cast<std::ptrdiff_t>(xs.size() / 2), xs.end());
    std::nth_element(ys.begin(), ys.begin() + static_cast<std::ptrdiff_t>(ys.size() / 2), ys.end());
    return cv::Point2d(xs[xs.size() / 2], ys[ys.size() / 2]);
  };
  if (n < 6) return std::vector<cv::Point2d>(all.size(), median_shift());
  // Positions centred and scaled for a well-conditioned fit.
  cv::Point2d mean(0, 0);
  for (const auto& p : at) mean += p;
  mean *= 1.0 / static_cast<double>(n);
  double scale = 1;
  for (const auto& p : at) scale = std::max(scale, cv::norm(p - mean));
  cv::Mat ax, ay;
  for (int pass = 0; pass < 2; ++pass) {
    cv::Mat a(0, 3, CV_64F), bx(0, 1, CV_64F), by(0, 1, CV_64F);
    for (std::size_t i = 0; i < n; ++i) {
      if (!use[i]) continue;
      const cv::Point2d q = (at[i] - mean) * (1.0 / scale);
      a.push_back(cv::Mat(cv::Matx13d(1, q.x, q.y)));
      bx.push_back(shift[i].x);
      by.push_back(shift[i].y);
    }
    if (a.rows < 6) return std::vector<cv::Point2d>(all.size(), median_shift());
    cv::solve(a, bx, ax, cv::DECOMP_SVD);
    cv::solve(a, by, ay, cv::DECOMP_SVD);
    // Residuals of every die; the cut at 3 robust sigmas (at least 0.05 px).
    std::vector<float> res(n);
    std::vector<float> kept;
    for (std::size_t i = 0; i < n; ++i) {
      const cv::Point2d q = (at[i] - mean) * (1.0 / scale);
      const double fx = ax.at<double>(0) + ax.at<double>(1) * q.x + ax.at<double>(2) * q.y;
      const double fy = ay.at<double>(0) + ay.at<double>(1) * q.x + ay.at<double>(2) * q.y;
      res[i] = static_cast<float>(std::hypot(shift[i].x - fx, shift[i].y - fy));
      if (use[i]) kept.push_back(res[i]);
    }
    std::nth_element(kept.begin(), kept.begin() + static_cast<std::ptrdiff_t>(kept.size() / 2), kept.end());
    const double cut = std::max(0.05, 3 * 1.4826 * kept[kept.size() / 2]);
    for (std::size_t i = 0; i < n; ++i) use[i] = use[i] && res[i] <= cut;
  }
  std::vector<cv::Point2d> out(all.size());
  for (std::size_t i = 0; i < all.size(); ++i) {
    const cv::Point2d q = (all[i].origin - mean) * (1.0 / scale);
    out[i] = {ax.at<double>(0) + ax.at<double>(1) * q.x + ax.at<double>(2) * q.y,
              ay.at<double>(0) + ay.at<double>(1) * q.x + ay.at<double>(2) * q.y};
  }
  return out;
}

}  // namespace

std::vector<cv::Vec2i> die_to_die_read_spans(const DieCells& cells, cv::Size image) {
  std::vector<cv::Vec2i> spans(static_cast<std::size_t>(std::max(image.height, 0)), cv::Vec2i(0, -1));
  const double a = cells.angle_deg * std::numbers::pi / 180.0;
  const cv::Size die = cells.die_size_px;
  // A die's sampled frame reaches kMargin beyond the die; registration moves it by at most
  // kMaxDieShiftPx; bicubic reads from 1 px before to 2 px after a position (floor, then
  // +2); the step-5 comparison reads only pixels inside the frame's box. One pixel more
  // for rounding.
  const double reach = kMaxDieShiftPx + 2 + 1;
  for (const cv::Point2d& o : cells.origins_px) {
    if (!std::isfinite(o.x) || !std::isfinite(o.y)) continue;
    const DieFrame f{std::cos(a), std::sin(a), o};
    double x0 = 1e300, x1 = -1e300, y0 = 1e300, y1 = -1e300;
    for (const double u : {-static_cast<double>(kMargin), die.width - 1.0 + kMargin})
      for (const double v : {-static_cast<double>(kMargin), die.height - 1.0 + kMargin}) {
        const cv::Point2d p = f.to_image(u, v);
        x0 = std::min(x0, p.x);
        x1 = std::max(x1, p.x);
        y0 = std::min(y0, p.y);
        y1 = std::max(y1, p.y);
      }
    const int c0 = static_cast<int>(std::clamp(std::floor(x0 - reach), -1.0, static_cast<double>(image.width)));
    const int c1 = static_cast<int>(std::clamp(std::ceil(x1 + reach), -1.0, static_cast<double>(image.width)));
    const int r0 = static_cast<int>(std::clamp(std::floor(y0 - reach), 0.0, static_cast<double>(image.height)));
    const int r1 = static_cast<int>(std::clamp(std::ceil(y1 + reach), -1.0, static_cast<double>(image.height - 1)));
    for (int r = r0; r <= r1; ++r) {
      cv::Vec2i& s = spans[static_cast<std::size_t>(r)];
      if (s[0] > s[1]) {
        s = {std::max(c0, 0), std::min(c1, image.width - 1)};
      } else {
        s[0] = std::min(s[0], std::max(c0, 0));
        s[1] = std::max(s[1], std::min(c1, image.width - 1));
      }
    }
  }
  return spans;
}

DieToDieResult detect_die_to_die(const cv::Mat& flat_fielded, const DieCells& cells,
                                 const DetectionOptions& options) {
  DieToDieBuffers buffers;
  return detect_die_to_die(flat_fielded, cells, options, buffers);
}

DieToDieResult detect_die_to_die(const cv::Mat& flat_fielded, const DieCells& cells,
                                 const DetectionOptions& options, DieToDieBuffers& b) {
  options.validate();
  const cv::Mat image = checked_float(flat_fielded);
  const cv::Size die = cells.die_size_px;
  if (die.width < kMinDieSide || die.height < kMinDieSide)
    throw ImageDetectionError("detect_die_to_die: die_size_px " + std::to_string(die.width) + "x" +
                              std::to_string(die.height) + " is smaller than 4x4 px");
  if (!std::isfinite(cells.angle_deg) || std::abs(cells.angle_deg) > 45)
    throw ImageDetectionError("detect_die_to_die: angle_deg must be finite and within +-45 degrees");

  const double a = cells.angle_deg * std::numbers::pi / 180.0;
  DieToDieResult out;

  // 1. The whole dies inside the image, each resampled into the die frame.
  const cv::Size framed_size(die.width + 2 * kMargin, die.height + 2 * kMargin);
  std::vector<DieFrame> frames;
  std::vector<int> index;
  // A die is resampled when first needed: most only once, after registration. The frames
  // lie one after another (room for every listed die), each stack entry a view: in the
  // memory of the comparison's `plain` image when it holds them all (it is written only in
  // step 5, once the frames are spent: a worker's first wafer faults in tens of MB fewer
  // fresh pages), else in b.dies.
  std::vector<cv::Mat> stack;
  std::vector<char> resampled;
  const std::size_t frame_area = static_cast<std::size_t>(framed_size.area());
  const std::size_t frames_need = cells.origins_px.size() * frame_area;
  b.plain.create(image.size(), CV_32F);
  float* frames_memory = nullptr;
  if (b.plain.isContinuous() && b.plain.total() >= frames_need) {
    frames_memory = b.plain.ptr<float>();
  } else {
    if (b.dies.size() < frames_need) b.dies.resize(frames_need);
    frames_memory = b.dies.data();
  }
  auto resample = [&](std::size_t d) {
    warp_affine_cubic(image, stack[d], frames[d].die_to_image(), framed_size);  // into its view
    resampled[d] = 1;
  };
  auto ensure = [&](std::size_t d) {
    if (!resampled[d]) resample(d);
  };
  // NaN/inf (outside a flat field's support) only where the image has them: then each die is
  // resampled at once and one holding them is not comparable.
  const bool image_finite = all_finite(image);
  for (std::size_t i = 0; i < cells.origins_px.size(); ++i) {
    const DieFrame f{std::cos(a), std::sin(a), cells.origins_px[i]};
    bool inside = std::isfinite(f.origin.x) && std::isfinite(f.origin.y);
    for (const auto& [u, v] : std::array<std::pair<double, double>, 4>{
             {{0, 0}, {die.width - 1.0, 0}, {0, die.height - 1.0}, {die.width - 1.0, die.height - 1.0}}}) {
      const cv::Point2d p = f.to_image(u, v);
      inside = inside && p.x >= 0 && p.y >= 0 && p.x <= image.cols - 1 && p.y <= image.rows - 1;
    }
    if (!inside) {
      ++out.dies_skipped;
      continue;
    }
    frames.push_back({f.c, f.s, f.to_image(-kMargin, -kMargin)});
    index.push_back(static_cast<int>(i));
    stack.emplace_back(framed_size, CV_32F, frames_memory + stack.size() * frame_area);
    resampled.push_back(0);
    if (!image_finite) {
      resample(stack.size() - 1);
      if (!all_finite(stack.back())) {
        ++out.dies_skipped;
        frames.pop_back();
        index.pop_back();
        stack.pop_back();
        resampled.pop_back();
      }
    }
  }
  out.dies_compared = static_cast<int>(stack.size());
  if (out.dies_compared < kMinDies)
    throw ImageDetectionError("detect_die_to_die: " + std::to_string(out.dies_compared) +
                              " whole dies inside the image (of " + std::to_string(cells.origins_px.size()) +
                              " listed); die-to-die needs at least 3, since a median of two cannot out-vote a defect");

  // 2. Every die registered on a first median: the grid from calibration may
  // be off by a fraction of a pixel (more towards the rim when the rotation is
  // a little off), and misregistered pattern edges would come out as defects.
  // That template is the median of an even sample of at most kMaxTemplateDies
  // dies (its noise, ~0.1 of a die's, does not matter to the registration nor
  // to the levelling below, each a fit over thousands of pixels); the reference
  // of the comparison is the median of all of them (step 3).
  cv::Mat ref;
  {
    const std::size_t step = (stack.size() + kMaxTemplateDies - 1) / kMaxTemplateDies;
    std::vector<cv::Mat> sample;
    for (std::size_t d = step / 2; d < stack.size(); d += step) {
      ensure(d);
      sample.push_back(stack[d]);
    }
    median_stack(sample, ref);
  }
  if (options.register_dies && die.width >= kMinRegisterSide && die.height >= kMinRegisterSide) {
    // An even sample of at most kMaxRegisteredDies dies measures the grid's
    // (affine) error as well as all of them would, at a fraction of the cost.
    const std::size_t step = std::max<std::size_t>(1, (stack.size() + kMaxRegisteredDies - 1) / kMaxRegisteredDies);
    std::vector<cv::Point2d> at, shift;
    for (std::size_t d = 0; d < stack.size(); d += step) {
      ensure(d);
      at.push_back(frames[d].origin);
      shift.push_back(refine_shift(ref, stack[d], {0, 0}, kDieRegisterIterations));
    }
    const std::vector<cv::Point2d> smooth = smooth_grid_shifts(at, shift, frames);
    for (std::size_t d = 0; d < stack.size(); ++d) {
      const double norm = std::hypot(smooth[d].x, smooth[d].y);
      if (!(norm <= kMaxDieShiftPx) || norm < 1e-3) {
        ensure(d);
        continue;
      }
      out.max_die_shift_px = std::max(out.max_die_shift_px, norm);
      frames[d].origin = frames[d].to_image(smooth[d].x, smooth[d].y);
      resample(d);
    }
  }
  for (std::size_t d = 0; d < stack.size(); ++d) ensure(d);  // no registration

  // 3. Reference = median of the dies, each first brought to the common level
  // (its median difference from the template, on which the dies are now
  // registered): residual illumination between dies must not bias the vote.
  std::vector<float> offsets(stack.size());
  {
    MiddleScratch scratch;
    cv::Mat& level_diff = b.level_diff;
    for (std::size_t d = 0; d < stack.size(); ++d) {
      // die - template (cv::subtract's values; frames and template are continuous).
      level_diff.create(stack[d].size(), CV_32F);
      const float* sv = stack[d].ptr<float>();
      const float* rv = ref.ptr<float>();
      float* lv = level_diff.ptr<float>();
      for (std::size_t i = 0, n = level_diff.total(); i < n; ++i) lv[i] = sv[i] - rv[i];
      offsets[d] = middle_values(lv, level_diff.total(), scratch).second;  // the upper middle
    }
  }
  // The levels are subtracted as the medians gather the values (and again in step 4), not
  // in a pass over every frame.
  median_stack(stack, ref, offsets.data());

  // 4. Where the dies disagree anyway (the dies' frames are spent on it).
  const cv::Mat factor = spread_factor(stack, offsets, ref, options.min_noise_sigma, b);
  stack.clear();

  // 5. Every die's own pixels against the reference resampled onto them.
  const bool tolerant = options.die_edge_tolerance_px > 0;
  // Whole-image buffers kept in b: zeroed (the factor set to 1) as new ones would be.
  auto cleared = [&](cv::Mat& m, int type, double value) -> cv::Mat {
    m.create(image.size(), type);
    m.setTo(cv::Scalar(value));
    return m;
  };
  cv::Mat plain = cleared(b.plain, CV_32F, 0);
  cv::Mat diff = tolerant ? cleared(b.diff, CV_32F, 0) : plain;
  cv::Mat factor_img = cleared(b.factor_img, CV_32F, 1);
  cv::Mat valid = cleared(b.valid, CV_8U, 0);
  const cv::Rect whole(0, 0, image.cols, image.rows);
  // Each die's box (its sampled frame's bounding box in the image) and box -> die frame
  // map: which die owns a pixel is asked again for the blobs' centres (step 6).
  std::vector<cv::Rect> boxes(frames.size());
  std::vector<cv::Matx23d> box_maps(frames.size());
  // A die owns the pixels of its box whose centre lies within half a pixel of its sampled
  // frame: with die_size_px = ceil(pitch) the dies tile the image.
  auto owns_in = [&](std::size_t d, int c, int r) {  // (c, r) relative to the box
    const cv::Matx23d& m = box_maps[d];
    const double u = m(0, 0) * c + m(0, 1) * r + m(0, 2) - kMargin;
    const double v = m(1, 0) * c + m(1, 1) * r + m(1, 2) - kMargin;
    return !(u < -0.5 || v < -0.5 || u >= die.width - 0.5 || v >= die.height - 0.5);
  };
  cv::Mat ref_box, factor_box;  // reused across dies
  std::vector<float> ref_row, factor_row;
  for (std::size_t d = 0; d < frames.size(); ++d) {
    const DieFrame& f = frames[d];
    const double w = framed_size.width - 1.0, h = framed_size.height - 1.0;
    const cv::Point2d c0 = f.to_image(0, 0), c1 = f.to_image(w, 0), c2 = f.to_image(0, h), c3 = f.to_image(w, h);
    const int x0 = static_cast<int>(std::floor(std::min({c0.x, c1.x, c2.x, c3.x})));
    const int y0 = static_cast<int>(std::floor(std::min({c0.y, c1.y, c2.y, c3.y})));
    const int x1 = static_cast<int>(std::ceil(std::max({c0.x, c1.x, c2.x, c3.x})));
    const int y1 = static_cast<int>(std::ceil(std::max({c0.y, c1.y, c2.y, c3.y})));
    boxes[d] = cv::Rect(x0, y0, x1 - x0 + 1, y1 - y0 + 1) & whole;
    box_maps[d] = f.box_to_die(boxes[d].tl());
    const cv::Rect& box = boxes[d];
    const cv::Matx23d& m = box_maps[d];
    // The owned pixels of a row of the box are one run of columns (u and v are linear in
    // the column).
    auto owns = [&](int c, int r) { return owns_in(d, c, r); };
    auto owned_run = [&](int r, int& lo, int& hi) {  // [lo, hi), empty when lo >= hi
      double from = -1e300, to = 1e300;  // c within [from, to]: from u and v, each linear in c
      auto clip = [&](double slope, double at0, double min, double max) {
        if (slope > 0) {
          from = std::max(from, (min - at0) / slope);
          to = std::min(to, (max - at0) / slope);
        } else if (slope < 0) {
          from = std::max(from, (max - at0) / slope);
          to = std::min(to, (min - at0) / slope);
        } else if (at0 < min || at0 >= max) {
          from = 1, to = 0;
        }
      };
      clip(m(0, 0), m(0, 1) * r + m(0, 2) - kMargin, -0.5, die.width - 0.5);
      clip(m(1, 0), m(1, 1) * r + m(1, 2) - kMargin, -0.5, die.height - 0.5);
      lo = static_cast<int>(std::clamp(std::ceil(from), -1.0, static_cast<double>(box.width)));
      hi = static_cast<int>(std::clamp(std::floor(to), -1.0, static_cast<double>(box.width - 1))) + 1;
      lo = std::max(lo, 0);
      // The exact test at the ends (the division above may round either way).
      while (lo > 0 && owns(lo - 1, r)) --lo;
      while (lo < hi && !owns(lo, r)) ++lo;
      while (hi < box.width && hi > lo && owns(hi, r)) ++hi;
      while (hi > lo && !owns(hi - 1, r)) --hi;
    };
    if (!tolerant) {
      // One pass over the owned pixels: the levelled reference (bicubic) and the spread
      // factor (bilinear) sampled at each pixel's position in the die frame exactly as
      // warpAffine would (stages/CubicWarp.hpp), the difference over the factor, the factor,
      // the die and the compared mask.
      const float offset = offsets[d];
      AffineSampler at(m, box.width);
      for (int r = 0; r < box.height; ++r) {
        int lo = 0, hi = 0;
        owned_run(r, lo, hi);
        if (lo >= hi) continue;
        at.row(r);
        ref_row.resize(static_cast<std::size_t>(hi - lo));
        factor_row.resize(ref_row.size());
        at.cubic_row(ref, lo, hi, ref_row.data());
        at.linear_row_inside(factor, lo, hi, factor_row.data());
        const float* raw = image.ptr<float>(box.y + r) + box.x;
        float* od = diff.ptr<float>(box.y + r) + box.x;
        float* of = factor_img.ptr<float>(box.y + r) + box.x;
        std::memset(valid.ptr<std::uint8_t>(box.y + r) + box.x + lo, 255, static_cast<std::size_t>(hi - lo));
        for (int c = lo; c < hi; ++c) {
          const auto k = static_cast<std::size_t>(c - lo);
          const float fac = factor_row[k];
          of[c] = fac;
          od[c] = (raw[c] - (ref_row[k] + offset)) / fac;
        }
      }
      continue;
    }
    warp_affine_cubic(ref, ref_box, m, box.size());
    cv::warpAffine(factor, factor_box, m, box.size(), cv::INTER_LINEAR | cv::WARP_INVERSE_MAP, cv::BORDER_REPLICATE);
    ref_box += offsets[d];
    const cv::Mat raw_box = image(box);
    const cv::Mat plain_box = raw_box - ref_box;
    const cv::Mat diff_box = tolerant_difference(raw_box, ref_box, options.die_edge_tolerance_px);
    for (int r = 0; r < box.height; ++r) {
      int lo = 0, hi = 0;
      owned_run(r, lo, hi);
      const float* pd = plain_box.ptr<float>(r);
      const float* dd = diff_box.ptr<float>(r);
      const float* fb = factor_box.ptr<float>(r);
      float* op = plain.ptr<float>(box.y + r) + box.x;
      float* od = diff.ptr<float>(box.y + r) + box.x;
      float* of = factor_img.ptr<float>(box.y + r) + box.x;
      std::uint8_t* ov = valid.ptr<std::uint8_t>(box.y + r) + box.x;
      for (int c = lo; c < hi; ++c) {
        op[c] = pd[c];
        od[c] = dd[c];
        of[c] = fb[c];
        ov[c] = 255;
      }
    }
  }

  // 6. Noise of the plain difference (a tolerant one is mostly exact zeros)
  // in units of the spread factor - the noise where dies agree, not inflated
  // by pattern edges - then the threshold scaled by the spread, and blobs.
  // (Without tolerance `diff` is `plain`, already divided in step 5.)
  if (tolerant) cv::divide(plain, factor_img, plain);
  out.noise_sigma = robust_sigma(plain, valid, b.blobs.sample);
  const double sigma = std::max(out.noise_sigma, options.min_noise_sigma);
  // The local sigma is factor * sigma (extract_blobs forms the product, as `factor_img * sigma` would).
  out.defects = extract_blobs(diff, sigma, factor_img, static_cast<float>(sigma), valid, options, b.blobs);
  // The die of a pixel: the last in order that owns it (as the comparison wrote them), -1 for none.
  auto die_at = [&](cv::Point p, const std::vector<std::size_t>& candidates) {
    for (auto it = candidates.rbegin(); it != candidates.rend(); ++it)
      if (boxes[*it].contains(p) && owns_in(*it, p.x - boxes[*it].x, p.y - boxes[*it].y)) return index[*it];
    return -1;
  };
  std::vector<std::size_t> near;
  for (auto& blob : out.defects) {
    const cv::Point p(static_cast<int>(std::lround(blob.center_px.x)), static_cast<int>(std::lround(blob.center_px.y)));
    const cv::Rect area = blob.bbox & whole;
    near.clear();
    for (std::size_t d = 0; d < boxes.size(); ++d)
      if ((boxes[d] & (area | cv::Rect(p, cv::Size(1, 1)))).area() > 0) near.push_back(d);
    if (whole.contains(p)) blob.die_index = die_at(p, near);
    // Centre between dies (a street crossing scratch): the first die the blob touches, row by row.
    for (int y = area.y; y < area.br().y && blob.die_index < 0; ++y)
      for (int x = area.x; x < area.br().x && blob.die_index < 0; ++x) blob.die_index = die_at({x, y}, near);
  }
  return out;
}

}  // namespace yf
