#pragma once
// The image stage of one wafer (issue 3): decode the stored chunk -> calibrate (wafer
// edge, centre, scale, notch, grid rotation) -> flat field -> die cells from the product
// grid -> die-to-die detection (stages/ImageDetection) -> defects in wafer mm, sizes in
// um, shape classes, edge chips from the rim. Knows nothing of TBB, HDF5 or the CLI;
// no OpenCV in this header (the pipeline's headers stay free of it).
#include <map>
#include <memory>
#include <string>
#include <vector>

#include "core/Wafer.hpp"
#include "core/WaferResult.hpp"

namespace yf {

struct ImageStageOptions {
  bool enabled = true;        // false: images are ignored (the tool's list alone)
  double k_sigma = 5.0;       // seed threshold, in robust sigmas of the die-to-die difference
  double grow_k_sigma = 3.0;  // hysteresis: blobs grow over pixels above this
  int min_area_px = 3;        // smaller blobs are noise
  double min_defect_um = 0;   // image defects smaller than this (equivalent diameter) are dropped
  // Tool calibrations from `run --calibration FILE` (by tool name); they take the place of
  // the input file's /calibration/<tool>. Null: the files' own.
  std::shared_ptr<const std::map<std::string, ToolCalibration>> tool_calibrations;
};

struct ImageStageResult {
  std::vector<ReportedDefect> defects;  // source image; die_col/die_row and killer left to the caller
  ImageCalibrationReport calibration;
};

// The image stage's buffers, kept from wafer to wafer by a caller that runs wafers one
// after another (the pipeline keeps one per worker). One wafer's analysis allocates tens
// of MB at 2048 px and hundreds at 4096 (the decoded and flat-fielded image, the dies'
// frames, the comparison's whole-image buffers, the blobs' masks and labels); allocated
// afresh for every wafer, their pages come back new from the kernel, to be faulted in and
// zeroed each time - at -j2 a second worker's glibc arena even hands them back between
// wafers (docs/performance.md, "Follow-up: images4"). With a workspace, buffers are only
// allocated when a wafer needs more than the last. Nothing in it carries over into a
// result. Serves one wafer at a time; movable, not copyable.
class ImageWorkspace {
 public:
  struct Buffers;  // stages/ImageStage.cpp (OpenCV types)
  ImageWorkspace() noexcept;
  ~ImageWorkspace();
  ImageWorkspace(ImageWorkspace&&) noexcept;
  ImageWorkspace& operator=(ImageWorkspace&&) noexcept;
  Buffers& buffers();  // made on first use: a wafer without an image costs nothing

 private:
  std::unique_ptr<Buffers> buffers_;
};

// Throws std::runtime_error whose message starts with "images: " when the image cannot
// be analysed (corrupt chunk, no wafer, wrong flat field size, too few dies...).
ImageStageResult run_image_stage(const WaferJob& job, const ProductGeometry& product,
                                 const ImageStageOptions& options);
// The same, its buffers in `workspace` (the same result).
ImageStageResult run_image_stage(const WaferJob& job, const ProductGeometry& product,
                                 const ImageStageOptions& options, ImageWorkspace& workspace);

// The tool calibration that applies to a job: options' file first, then the dataset's.
const ToolCalibration* tool_calibration_for(const WaferJob& job, const ImageStageOptions& options);

}  // namespace yf
