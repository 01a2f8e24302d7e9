// Robust noise, hysteresis threshold, morphology and blob features
// (stages/ImageDetection.hpp; docs/detection.md "Blob extraction").
#include <emmintrin.h>
#include <opencv2/imgproc.hpp>

#include <algorithm>
#include <cmath>
#include <cstring>
#include <limits>
#include <numbers>
#include <string>
#include <vector>

#include "stages/ImageDetection.hpp"
#include "stages/MiddleValues.hpp"

namespace yf {
namespace {

// Median of v; the mean of the two middle values for an even count.
double median_of(const std::vector<float>& v, MiddleScratch& scratch) {
  const auto [lo, hi] = middle_values(v.data(), v.size(), scratch);
  return v.size() % 2 == 0 ? 0.5 * (static_cast<double>(hi) + lo) : hi;
}

cv::Mat disc(int radius) {
  return cv::getStructuringElement(cv::MORPH_ELLIPSE, cv::Size(2 * radius + 1, 2 * radius + 1));
}

void require_float_image(const cv::Mat& m, const char* what) {
  if (m.empty()) throw ImageDetectionError(std::string(what) + ": empty image");
  if (m.type() != CV_32FC1)
    throw ImageDetectionError(std::string(what) + ": expected a single-channel CV_32F image, got type " +
                              std::to_string(m.type()));
}

// Per-blob accumulators over its pixels.
struct BlobSums {
  double w = 0, wx = 0, wy = 0;        // |diff|-weighted centroid
  double n = 0, x = 0, y = 0, xx = 0, xy = 0, yy = 0;  // unweighted moments (shape)
  double signed_sum = 0;               // contrast
  double peak = 0;                     // max |diff| / sigma
  bool seeded = false;                 // holds a pixel above the seed threshold
};


// Features of a blob from its sums (all but bbox and shape).
ImageDefect features(const BlobSums& b) {
  ImageDefect o;
  o.area_px = b.n;
  o.eq_diameter_px = std::sqrt(4.0 * b.n / std::numbers::pi);
  o.center_px = b.w > 0 ? cv::Point2d(b.wx / b.w, b.wy / b.w) : cv::Point2d(b.x / b.n, b.y / b.n);
  o.contrast = b.signed_sum / b.n;
  o.peak_snr = b.peak;
  // Central second moments of the pixel squares (+1/12: a pixel's own extent,
  // so a 1-px wide line has a finite minor axis).
  const double mx = b.x / b.n, my = b.y / b.n;
  const double sxx = b.xx / b.n - mx * mx + 1.0 / 12, syy = b.yy / b.n - my * my + 1.0 / 12;
  const double sxy = b.xy / b.n - mx * my;
  const double tr = 0.5 * (sxx + syy), det = std::sqrt(std::max(0.0, 0.25 * (sxx - syy) * (sxx - syy) + sxy * sxy));
  const double major = tr + det, minor = std::max(tr - det, 1.0 / 12);
  o.elongation = std::sqrt(major / minor);
  o.length_px = std::sqrt(12.0 * major);  // exact for a uniform line segment
  // Image y points down: the screen's counter-clockwise angle is the negated one.
  double angle = -0.5 * std::atan2(2.0 * sxy, sxx - syy) * 180.0 / std::numbers::pi;
  if (angle < 0) angle += 180.0;
  if (angle >= 180.0) angle -= 180.0;
  o.orientation_deg = angle;
  return o;
}

void add_into(BlobSums& a, const BlobSums& b) {
  a.w += b.w;
  a.wx += b.wx;
  a.wy += b.wy;
  a.n += b.n;
  a.x += b.x;
  a.y += b.y;
  a.xx += b.xx;
  a.xy += b.xy;
  a.yy += b.yy;
  a.signed_sum += b.signed_sum;
  a.peak = std::max(a.peak, b.peak);
}

// Joins elongated blobs that lie on one line, end to end within gap_px, and
// point the same way: the pieces of a scratch. Moments add, so the joined
// blob's features are exact. Repeats until nothing joins (a scratch in 3+ pieces).
void merge_collinear(std::vector<int>& ids, std::vector<BlobSums>& sums, std::vector<cv::Rect>& boxes,
                     double gap_px) {
  constexpr double kMinElongation = 2.5, kMaxAngleDeg = 12, kMaxOffLinePx = 2.5;
  bool merged = true;
  while (merged) {
    merged = false;
    for (std::size_t i = 0; i < ids.size() && !merged; ++i) {
      const ImageDefect a = features(sums[static_cast<std::size_t>(ids[i])]);
      if (a.elongation < kMinElongation) continue;
      const double ta = a.orientation_deg * std::numbers::pi / 180;
      const cv::Point2d dir(std::cos(ta), -std::sin(ta));  // image y down
      for (std::size_t j = 0; j < ids.size(); ++j) {
        if (j == i) continue;
        const ImageDefect b = features(sums[static_cast<std::size_t>(ids[j])]);
        double dang = std::abs(a.orientation_deg - b.orientation_deg);
        dang = std::min(dang, 180 - dang);
        // A small piece (short: its orientation means little) or one pointing the same way.
        if (b.length_px > 6 && (b.elongation < kMinElongation || dang > kMaxAngleDeg)) continue;
        const cv::Point2d d = b.center_px - a.center_px;
        const double along = std::abs(d.dot(dir)), off = std::abs(d.x * dir.y - d.y * dir.x);
        if (off > kMaxOffLinePx || along > 0.5 * (a.length_px + b.length_px) + gap_px) continue;
        add_into(sums[static_cast<std::size_t>(ids[i])], sums[static_cast<std::size_t>(ids[j])]);
        boxes[static_cast<std::size_t>(ids[i])] |= boxes[static_cast<std::size_t>(ids[j])];
        ids.erase(ids.begin() + static_cast<std::ptrdiff_t>(j));
        merged = true;
        break;
      }
    }
  }
}

}  // namespace

double robust_sigma(const cv::Mat& values, const cv::Mat& mask) {
  std::vector<float> sample;
  return robust_sigma(values, mask, sample);
}

double robust_sigma(const cv::Mat& values, const cv::Mat& mask, std::vector<float>& v) {
  require_float_image(values, "robust_sigma");
  if (!mask.empty() && (mask.size() != values.size() || mask.type() != CV_8UC1))
    throw ImageDetectionError("robust_sigma: mask must be CV_8U of the image's size");
  // A regular subsample keeps this O(1M) on any image; noise is stationary
  // enough that every k-th pixel of every k-th row estimates it as well.
  const double total = static_cast<double>(values.total());
  const int step = std::max(1, static_cast<int>(std::floor(std::sqrt(total / 1.0e6))));
  // Room for every sampled value; the kept ones are written in order and the rest cut off
  // (each value written, the count advanced only for a kept one: no branch, no push_back).
  const std::size_t sampled_rows = static_cast<std::size_t>((values.rows + step - 1) / step);
  const std::size_t sampled_cols = static_cast<std::size_t>((values.cols + step - 1) / step);
  v.resize(sampled_rows * sampled_cols);
  std::size_t kept = 0;
  for (int r = 0; r < values.rows; r += step) {
    const float* p = values.ptr<float>(r);
    const std::uint8_t* m = mask.empty() ? nullptr : mask.ptr<std::uint8_t>(r);
    if (m == nullptr && step == 1) {  // every value of the row (a die's difference): copied whole when all finite
      int bad = 0;
      for (int c = 0; c < values.cols; ++c) bad |= !(p[c] - p[c] == 0.0f);  // NaN and +-inf give NaN
      if (!bad) {
        std::memcpy(v.data() + kept, p, static_cast<std::size_t>(values.cols) * sizeof(float));
        kept += static_cast<std::size_t>(values.cols);
        continue;
      }
    }
    float* out = v.data();
    for (int c = 0; c < values.cols; c += step) {
      out[kept] = p[c];
      kept += (m == nullptr || m[c] != 0) && (p[c] - p[c] == 0.0f);  // finite: x - x is 0
    }
  }
  v.resize(kept);
  if (v.empty()) return 0;
  MiddleScratch scratch;
  const double med = median_of(v, scratch);
  for (auto& x : v) x = static_cast<float>(std::abs(x - med));
  return 1.4826 * median_of(v, scratch);
}

cv::Mat tolerant_difference(const cv::Mat& image, const cv::Mat& reference, int radius_px) {
  require_float_image(image, "tolerant_difference(image)");
  require_float_image(reference, "tolerant_difference(reference)");
  if (image.size() != reference.size())
    throw ImageDetectionError("tolerant_difference: image and reference differ in size");
  if (radius_px < 0) throw ImageDetectionError("tolerant_difference: negative radius");
  cv::Mat diff;
  if (radius_px == 0) {
    cv::subtract(image, reference, diff);
    return diff;
  }
  // The reference's range over the neighbourhood: a pattern edge displaced by
  // up to ~radius px still lies inside [lo, hi], so only what leaves the range
  // counts (square window: the min/max filters are separable and fast).
  const cv::Mat k = cv::getStructuringElement(cv::MORPH_RECT, cv::Size(2 * radius_px + 1, 2 * radius_px + 1));
  cv::Mat lo, hi;
  cv::erode(reference, lo, k, cv::Point(-1, -1), 1, cv::BORDER_REPLICATE);
  cv::dilate(reference, hi, k, cv::Point(-1, -1), 1, cv::BORDER_REPLICATE);
  diff.create(image.size(), CV_32F);
  for (int r = 0; r < image.rows; ++r) {
    const float* a = image.ptr<float>(r);
    const float* l = lo.ptr<float>(r);
    const float* h = hi.ptr<float>(r);
    float* d = diff.ptr<float>(r);
    for (int c = 0; c < image.cols; ++c) d[c] = a[c] > h[c] ? a[c] - h[c] : (a[c] < l[c] ? a[c] - l[c] : 0.f);
  }
  return diff;
}

DefectShape classify_shape(const ImageDefect& blob, const DetectionOptions& options) {
  if (blob.elongation >= options.scratch_min_elongation && blob.length_px >= options.scratch_min_length_px)
    return DefectShape::scratch;
  if (blob.area_px >= options.cluster_min_area_px) return DefectShape::cluster;
  return DefectShape::particle;
}

std::vector<ImageDefect> extract_blobs(const cv::Mat& diff, double sigma, const cv::Mat& sigma_map,
                                       const cv::Mat& valid, const DetectionOptions& options) {
  BlobBuffers buffers;
  return extract_blobs(diff, sigma, sigma_map, 1.0f, valid, options, buffers);
}

std::vector<ImageDefect> extract_blobs(const cv::Mat& diff, double sigma, const cv::Mat& sigma_map,
                                       float sigma_map_scale, const cv::Mat& valid, const DetectionOptions& options,
                                       BlobBuffers& buffers) {
  options.validate();
  require_float_image(diff, "extract_blobs(diff)");
  if (!sigma_map.empty()) {
    require_float_image(sigma_map, "extract_blobs(sigma_map)");
    if (sigma_map.size() != diff.size()) throw ImageDetectionError("extract_blobs: sigma_map differs in size");
  }
  if (!valid.empty() && (valid.size() != diff.size() || valid.type() != CV_8UC1))
    throw ImageDetectionError("extract_blobs: valid must be CV_8U of the diff's size");
  if (!(sigma >= 0) || !std::isfinite(sigma)) throw ImageDetectionError("extract_blobs: sigma must be finite and >= 0");

  // 1. Hysteresis masks: seeds above k, growth above grow_k (both in local sigmas).
  const float floor_sigma = static_cast<float>(options.min_noise_sigma);
  const float k_seed = static_cast<float>(options.k_sigma);
  const float k_grow = static_cast<float>(options.grow_k_sigma);
  // The growth mask here; the seeds and |diff| / sigma are needed only on the few pixels
  // of the components (step 3), which work them out again there with the same float
  // operations (the scalar loop's, which the vector loop repeats exactly): no
  // whole-image seed mask or |diff| / sigma image is kept.
  // zz of a pixel: |diff| / max(sigma, floor), 0 where not compared or not finite.
  auto snr_at = [&](const float* d, const float* s, const std::uint8_t* v, int c) {
    const float sig = std::max(s != nullptr ? s[c] * sigma_map_scale : static_cast<float>(sigma), floor_sigma);
    const bool ok = (v == nullptr || v[c] != 0) && std::isfinite(d[c]) && std::isfinite(sig);
    return ok ? std::abs(d[c]) / sig : 0.f;
  };
  cv::Mat& grow = buffers.grow;
  grow.create(diff.size(), CV_8U);  // every pixel written below
  for (int r = 0; r < diff.rows; ++r) {
    const float* d = diff.ptr<float>(r);
    const float* s = sigma_map.empty() ? nullptr : sigma_map.ptr<float>(r);
    const std::uint8_t* v = valid.empty() ? nullptr : valid.ptr<std::uint8_t>(r);
    std::uint8_t* gr = grow.ptr<std::uint8_t>(r);
    int c = 0;
    if (s != nullptr && v != nullptr) {
      // Four pixels at a time (SSE2): the same float operations and comparisons as the
      // loop below (max(floor, s) keeps a NaN sigma as std::max(s, floor) does; finite
      // means |x| < inf, which NaN is not).
      const __m128 vfloor = _mm_set1_ps(floor_sigma), vgrow = _mm_set1_ps(k_grow);
      const __m128 vscale = _mm_set1_ps(sigma_map_scale);
      const __m128 inf = _mm_set1_ps(std::numeric_limits<float>::infinity());
      const __m128 sign = _mm_set1_ps(-0.0f);
      for (; c + 4 <= diff.cols; c += 4) {
        const __m128 dv = _mm_loadu_ps(d + c);
        const __m128 sig = _mm_max_ps(vfloor, _mm_mul_ps(_mm_loadu_ps(s + c), vscale));
        const __m128 ad = _mm_andnot_ps(sign, dv);
        std::uint32_t vv = 0;
        std::memcpy(&vv, v + c, 4);
        const __m128i vi = _mm_cmpeq_epi32(
            _mm_unpacklo_epi16(_mm_unpacklo_epi8(_mm_cvtsi32_si128(static_cast<int>(vv)), _mm_setzero_si128()),
                               _mm_setzero_si128()),
            _mm_setzero_si128());  // all ones where valid is 0
        const __m128 ok = _mm_andnot_ps(_mm_castsi128_ps(vi),
                                        _mm_and_ps(_mm_cmplt_ps(ad, inf), _mm_cmplt_ps(_mm_andnot_ps(sign, sig), inf)));
        const __m128 zz = _mm_and_ps(ok, _mm_div_ps(ad, sig));
        const int grows = _mm_movemask_ps(_mm_cmpgt_ps(zz, vgrow));
        for (int k = 0; k < 4; ++k) gr[c + k] = (grows >> k) & 1 ? 255 : 0;
      }
    }
    for (; c < diff.cols; ++c) gr[c] = snr_at(d, s, v, c) > k_grow ? 255 : 0;
  }

  // 2. Morphology: opening removes specks, closing joins a scratch broken by
  // noise; then back inside the compared region.
  if (options.open_radius_px > 0) cv::morphologyEx(grow, grow, cv::MORPH_OPEN, disc(options.open_radius_px));
  if (options.close_radius_px > 0) {
    cv::morphologyEx(grow, grow, cv::MORPH_CLOSE, disc(options.close_radius_px), cv::Point(-1, -1), 1,
                     cv::BORDER_CONSTANT, cv::Scalar(0));
    if (!valid.empty()) cv::bitwise_and(grow, valid, grow);
  }

  // 3. Components of the grown mask; only those holding a seed survive. The mask is
  // sparse: its runs (label_mask_components, OpenCV's labels) instead of a label per
  // pixel; each component's pixels are summed in raster order, as before.
  MaskComponents& components = buffers.components;
  label_mask_components(grow, components);
  const int n = components.count;
  std::vector<BlobSums> sums(static_cast<std::size_t>(n));
  for (const MaskRun& run : components.runs) {
    const int r = run.row;
    const float* d = diff.ptr<float>(r);
    const float* s = sigma_map.empty() ? nullptr : sigma_map.ptr<float>(r);
    const std::uint8_t* v = valid.empty() ? nullptr : valid.ptr<std::uint8_t>(r);
    BlobSums& b = sums[static_cast<std::size_t>(run.label)];
    for (int c = run.begin; c < run.end; ++c) {
      const float z = snr_at(d, s, v, c);
      const double w = std::isfinite(d[c]) ? std::abs(d[c]) : 0.0;
      b.w += w;
      b.wx += w * c;
      b.wy += w * r;
      b.n += 1;
      b.x += c;
      b.y += r;
      b.xx += static_cast<double>(c) * c;
      b.xy += static_cast<double>(c) * r;
      b.yy += static_cast<double>(r) * r;
      if (std::isfinite(d[c])) b.signed_sum += d[c];
      b.peak = std::max(b.peak, static_cast<double>(z));
      b.seeded = b.seeded || z > k_seed;
    }
  }

  // 4. Seeded components; collinear pieces of one scratch (cut where it
  // crosses pattern edges, whose threshold is higher) joined again.
  std::vector<int> ids;
  for (int i = 1; i < n; ++i)
    if (sums[static_cast<std::size_t>(i)].seeded) ids.push_back(i);
  std::vector<cv::Rect> boxes(static_cast<std::size_t>(n));
  for (int i : ids) boxes[static_cast<std::size_t>(i)] = components.boxes[static_cast<std::size_t>(i)];
  if (options.merge_gap_px > 0) merge_collinear(ids, sums, boxes, options.merge_gap_px);

  // 5. Features and shape of each surviving blob.
  std::vector<ImageDefect> blobs;
  for (int i : ids) {
    const BlobSums& b = sums[static_cast<std::size_t>(i)];
    if (b.n < options.min_area_px) continue;
    ImageDefect o = features(b);
    o.bbox = boxes[static_cast<std::size_t>(i)];
    o.shape = classify_shape(o, options);
    blobs.push_back(o);
    if (static_cast<int>(blobs.size()) > options.max_defects)
      throw ImageDetectionError("extract_blobs: more than " + std::to_string(options.max_defects) +
                                " blobs: the comparison failed (misregistered or wrong die grid?)");
  }
  std::sort(blobs.begin(), blobs.end(), [](const ImageDefect& a, const ImageDefect& b) {
    if (a.peak_snr != b.peak_snr) return a.peak_snr > b.peak_snr;
    return a.center_px.y != b.center_px.y ? a.center_px.y < b.center_px.y : a.center_px.x < b.center_px.x;
  });
  return blobs;
}

}  // namespace yf
