#pragma once
// Defect detection in images (issue 3): die-to-die comparison of a full-wafer
// image, reference-pair comparison of review/SEM images, and the building
// blocks they share (robust noise, hysteresis threshold, blobs, shape classes).
// Pure OpenCV: no TBB, HDF5, files or CLI. Algorithms: docs/detection.md.
//
// Conventions: pixel coordinates are OpenCV's (x right, y down, the centre of
// pixel (i, j) at (j, i)); angles in degrees, counter-clockwise as seen on the
// screen (i.e. from +x towards -y), like cv::getRotationMatrix2D.
// Errors (bad image, bad options, too few dies) throw ImageDetectionError whose
// message names the argument and says what is wrong.
#include <opencv2/core.hpp>

#include <stdexcept>
#include <string>
#include <vector>

#include "stages/MaskComponents.hpp"

namespace yf {

struct ImageDetectionError : std::runtime_error {
  using std::runtime_error::runtime_error;
};

// `edge` is never produced here: the caller, who knows where the wafer edge
// band is, re-labels defects found in it.
enum class DefectShape { particle, scratch, cluster, edge };
const char* to_string(DefectShape shape);

struct DetectionOptions {
  // Threshold: a blob is seeded by pixels with |diff| > k_sigma * sigma and grows
  // over connected pixels with |diff| > grow_k_sigma * sigma (hysteresis;
  // grow_k_sigma <= k_sigma, equal = a single threshold). sigma is the robust
  // noise (1.4826 * MAD) of the difference image, times the per-pixel factor of
  // the comparison (die-to-die: the spread across dies at that position).
  double k_sigma = 5.0;
  double grow_k_sigma = 3.0;
  // Blobs of fewer pixels (after growing and closing) are dropped as noise.
  int min_area_px = 3;
  // Morphology on the binary mask: opening radius (0 = none; removes specks and
  // 1-px wide lines, so it is off by default: hysteresis + min_area_px already
  // reject isolated noise pixels) and closing radius (joins a broken scratch).
  int open_radius_px = 0;
  int close_radius_px = 1;
  // Edge tolerance: the difference is taken against the min..max of the
  // reference over a (2r+1)^2 neighbourhood ("double-sided" difference), so a
  // misregistration of up to ~r px along a pattern edge is not a defect.
  // Reference pair default 1; die-to-die uses die_edge_tolerance_px.
  int edge_tolerance_px = 1;
  int die_edge_tolerance_px = 0;
  // Shape classes (on the blob's second moments; length = sqrt(12 * major
  // eigenvalue), exact for a line segment): scratch if elongation >= scratch_min_elongation
  // and length >= scratch_min_length_px, else cluster if area >= cluster_min_area_px,
  // else particle.
  double scratch_min_elongation = 4.0;
  double scratch_min_length_px = 12.0;
  double cluster_min_area_px = 150.0;
  // Pieces of one scratch (it is cut where it crosses pattern edges, whose
  // threshold is higher) are joined when they lie on one line, end to end
  // within this gap, pointing the same way; 0 = never.
  double merge_gap_px = 12.0;
  // Floor of the noise sigma in grey levels: a noise-free synthetic or heavily
  // quantised image would otherwise get sigma 0 and flag every last bit.
  double min_noise_sigma = 0.5;
  // Die-to-die: register every die (sub-pixel, up to 1.5 px) on the median
  // die before comparing: the die grid from calibration is rarely exact.
  bool register_dies = true;
  // More blobs than this means the comparison failed (wrong grid, unregistered
  // pair): an error rather than thousands of false defects.
  int max_defects = 5000;

  // Throws ImageDetectionError naming the first bad field.
  void validate() const;
};

struct ImageDefect {
  cv::Point2d center_px;         // |diff|-weighted centroid, sub-pixel
  double area_px = 0;            // pixel count of the blob
  double eq_diameter_px = 0;     // diameter of the disc of the same area
  double contrast = 0;           // mean signed difference over the blob, grey levels
                                 // (> 0 brighter than the reference)
  double peak_snr = 0;           // max |diff| / local sigma over the blob
  double elongation = 1;         // sqrt(major / minor eigenvalue) of the second moments, >= 1
  double orientation_deg = 0;    // major axis, [0, 180), counter-clockwise from +x (screen)
  double length_px = 0;          // sqrt(12 * major eigenvalue): a line segment's length
  DefectShape shape = DefectShape::particle;
  cv::Rect bbox;                 // in image pixels
  int die_index = -1;            // die-to-die: index into DieCells::origins_px; else -1
};

// ---- buffers ---------------------------------------------------------------

// Buffers that a caller analysing image after image keeps from call to call (the
// image stage keeps them per pipeline worker): allocated afresh for every wafer,
// the whole-image ones (16 MB a float image at 2048 px, 64 MB at 4096) come back
// as new pages the kernel must fault in and zero every time. cv::Mat::create and
// std::vector keep a buffer whose size still fits, so after the first image of a
// size nothing is allocated. Nothing in them carries over into a result: every
// value read is written first in the same call. One call at a time.
struct BlobBuffers {
  cv::Mat grow;                      // the hysteresis growth mask
  MaskComponents components;         // its connected components, as runs
  std::vector<float> sample;        // robust_sigma's subsample
};

struct DieToDieBuffers {
  // Every die's resampled frame, one after another (then its spread), when `plain` cannot
  // hold them (the frames are spent before the comparison writes `plain`).
  std::vector<float> dies;
  cv::Mat level_diff, die_diff;            // one die's difference from the reference
  cv::Mat plain, diff, factor_img, valid;  // the whole image's comparison
  BlobBuffers blobs;
};

// ---- building blocks -------------------------------------------------------

// 1.4826 * median(|x - median(x)|) over the finite values of a CV_32F image
// where mask != 0 (empty mask = all). Large images are subsampled on a regular
// grid (at most ~1M values). Returns 0 when there are no values.
double robust_sigma(const cv::Mat& values, const cv::Mat& mask = cv::Mat());
// The same, the subsample in `sample` (its previous contents are dropped).
double robust_sigma(const cv::Mat& values, const cv::Mat& mask, std::vector<float>& sample);

// Blobs of a signed difference image (CV_32F). sigma_map: per-pixel sigma
// (CV_32F, same size) or empty, then `sigma` everywhere. valid: CV_8U mask of
// the pixels compared (empty = all). Hysteresis threshold, morphology, connected
// components, features and shape. Sorted by decreasing peak_snr.
std::vector<ImageDefect> extract_blobs(const cv::Mat& diff, double sigma, const cv::Mat& sigma_map,
                                       const cv::Mat& valid, const DetectionOptions& options);
// The same, its mask and labels in `buffers`, and the per-pixel sigma the float product
// sigma_map * sigma_map_scale (a map of factors and the sigma they scale, without a
// scaled copy of the map; the product is what cv::Mat's `map * scale` would hold).
std::vector<ImageDefect> extract_blobs(const cv::Mat& diff, double sigma, const cv::Mat& sigma_map,
                                       float sigma_map_scale, const cv::Mat& valid, const DetectionOptions& options,
                                       BlobBuffers& buffers);

// Shape class of a blob from its features (never `edge`).
DefectShape classify_shape(const ImageDefect& blob, const DetectionOptions& options);

// Edge-tolerant difference: image - clamp(image, min_r(reference), max_r(reference)),
// min/max over a (2r+1)^2 neighbourhood; r = 0 is image - reference. CV_32F in and out.
cv::Mat tolerant_difference(const cv::Mat& image, const cv::Mat& reference, int radius_px);

// ---- die-to-die ------------------------------------------------------------

// The die grid in image pixels, from calibration. A die's frame: (u, v) in
// [0, die_size_px) maps to image point origin + R(angle_deg) * (u, v).
struct DieCells {
  cv::Size2d pitch_px;                   // step between neighbouring dies (information)
  cv::Size die_size_px;                  // the area compared per die (may include its streets)
  double angle_deg = 0;                  // grid rotation in the image
  std::vector<cv::Point2d> origins_px;   // upper-left corner of every whole die on the wafer
};

struct DieToDieResult {
  std::vector<ImageDefect> defects;  // centres in image pixels; die_index set
  double noise_sigma = 0;            // robust sigma of the difference, grey levels
  int dies_compared = 0;
  int dies_skipped = 0;              // origins whose die is not wholly inside the image
  double max_die_shift_px = 0;       // largest correction of a die's origin by registration
};

// Flat-fielded wafer image (single channel; CV_32F, or 8/16-bit converted) ->
// defects. The reference die is the per-pixel median of the dies of the wafer
// itself; each die's pixels are compared with it resampled onto that die
// (sub-pixel, rotated), so the image's own noise is never interpolated. Needs
// at least 3 whole dies inside the image (a median of two cannot out-vote a
// defect): fewer -> ImageDetectionError. Only the dies listed are compared: the
// caller lists the dies wholly inside the wafer.
DieToDieResult detect_die_to_die(const cv::Mat& flat_fielded, const DieCells& cells,
                                 const DetectionOptions& options);
// The same, every die and whole-image buffer in `buffers` (the same result).
DieToDieResult detect_die_to_die(const cv::Mat& flat_fielded, const DieCells& cells,
                                 const DetectionOptions& options, DieToDieBuffers& buffers);

// The pixels detect_die_to_die(image, cells, ...) may read, row by row: columns
// [first, last] of each image row (first > last: none) cover every listed die's sampled
// frame, wherever registration moves it, with its bicubic footprint. A caller that
// prepares the image only there (the image stage's rim fill) gets the same result.
std::vector<cv::Vec2i> die_to_die_read_spans(const DieCells& cells, cv::Size image);

// ---- reference pair --------------------------------------------------------

struct PairResult {
  cv::Point2d shift_px;    // inspected(x) ~ reference(x - shift): the reference's content
                           // moved by shift_px lands on the inspected image
  double response = 0;     // phase-correlation peak response (0..1; low = poor registration)
  double gain = 1, offset = 0;  // reference grey levels fitted to the inspected: a * ref + b
  double noise_sigma = 0;  // robust sigma of the difference, grey levels
  cv::Rect overlap;        // the region compared (inside both images after the shift)
  std::vector<ImageDefect> defects;
};

// Inspected and reference image of the same pattern (single channel 8/16-bit or
// CV_32F, same size, >= 32x32): register (phase correlation, sub-pixel), warp
// the reference onto the inspected image, edge-tolerant difference on the
// overlap, noise-aware threshold, blobs. Empty, constant, saturated or
// mismatched images -> ImageDetectionError.
PairResult detect_reference_pair(const cv::Mat& inspected, const cv::Mat& reference,
                                 const DetectionOptions& options);

// Sub-pixel shift of `moved` relative to `fixed` (moved(x) ~ fixed(x - shift)):
// phase correlation (Hann window, cross-power spectrum weighted by a Gaussian
// low-pass so that pixel-level noise common to both images, e.g. a sensor's
// fixed pattern, cannot pull the peak to zero), log-parabola sub-pixel peak,
// refined on the residual. CV_32F, same size. response: the peak height as a
// fraction of a perfect match's (0..1).
cv::Point2d register_shift(const cv::Mat& fixed, const cv::Mat& moved, double* response = nullptr);

// Refines a shift (moved(x) ~ gain * fixed(x - shift) + offset) by Gauss-Newton
// (Lucas-Kanade) least squares on the overlap, from `start` (within ~1 px of
// the truth), at most `iterations` steps; pixels beyond 4 residual sigmas (a
// defect) are left out after the first. Returns `start` when the fit is
// degenerate (no texture) or diverges by more than 2 px a step.
cv::Point2d refine_shift(const cv::Mat& fixed, const cv::Mat& moved, cv::Point2d start, int iterations = 8);

// image moved by shift (result(x) = image(x - shift)), bicubic, border replicated.
cv::Mat shift_image(const cv::Mat& image, cv::Point2d shift);

}  // namespace yf
