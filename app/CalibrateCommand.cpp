// yieldflow calibrate --tool T INPUT.h5... -o FILE: the tool's scale, rotation and flat
// field from its own images (medians over the images; flat field fitted over them all),
// written as a tool calibration file (docs/formats.md) that `run --calibration` takes.
#include <spdlog/spdlog.h>

#include <algorithm>
#include <cmath>
#include <opencv2/core.hpp>

#include "app/Commands.hpp"
#include "calibration/FlatFieldEstimate.hpp"
#include "calibration/ImageCalibrator.hpp"
#include "io/DatasetReader.hpp"
#include "io/ToolCalibrationFile.hpp"
#include "stages/ImageDecode.hpp"

namespace yf {

namespace {
double median(std::vector<double> v) {
  std::sort(v.begin(), v.end());
  const std::size_t n = v.size();
  return n == 0 ? 0 : (n % 2 ? v[n / 2] : 0.5 * (v[n / 2 - 1] + v[n / 2]));
}
double spread(const std::vector<double>& v) {  // max - min
  if (v.empty()) return 0;
  auto [lo, hi] = std::minmax_element(v.begin(), v.end());
  return *hi - *lo;
}
}  // namespace

int calibrate_command(const CalibrateArgs& args) {
  std::vector<cv::Mat> images;
  std::vector<calib::WaferCalibration> cals;
  std::vector<double> scale, rotation, rms, max_res;
  ToolCalibrationRecord rec;
  rec.tool = args.tool;
  int failed = 0;
  for (const std::string& path : args.inputs) {
    DatasetReader reader(path);  // a whole-file problem stops the command: a calibration needs clean inputs
    const auto tables = reader.tables();
    for (std::size_t row = 0; row < reader.wafer_count() && static_cast<int>(images.size()) < args.max_images; ++row) {
      const WaferMeta meta = reader.read_meta(row);
      if (meta.tool != args.tool || meta.image_row < 0) continue;
      WaferJob job = reader.read_wafer(row);
      if (!job.error.empty() || !job.image || !job.product) {
        spdlog::warn("{}", job.error.empty() ? path + ": wafer " + meta.wafer_id + ": images: no image" : job.error);
        ++failed;
        continue;
      }
      if (!rec.product.empty() && job.product->wafer_diameter_mm != 0 && rec.product != job.product->name)
        spdlog::debug("{}: wafer {}: product {} (calibration started with {})", path, meta.wafer_id,
                      job.product->name, rec.product);
      try {
        cv::Mat img(job.image->height, job.image->width, CV_8UC1);
        decode_image(*job.image, img.data, img.total());
        if (!images.empty() && img.size() != images.front().size())
          throw std::runtime_error("images: " + std::to_string(img.cols) + "x" + std::to_string(img.rows) +
                                   ", the tool's first image is " + std::to_string(images.front().cols) + "x" +
                                   std::to_string(images.front().rows));
        calib::CalibrationHint hint;
        auto it = tables->calibrations.find(args.tool);
        if (it != tables->calibrations.end()) {
          if (it->second.mm_per_px > 0) hint.mm_per_px = it->second.mm_per_px;
          hint.rotation_deg = it->second.rotation_deg;
        }
        const calib::ImageCalibration cal = calib::calibrate_image(img, job.product->wafer_diameter_mm, hint);
        if (cal.cut_off) throw std::runtime_error("images: wafer cut off at the border: not used for the tool");
        images.push_back(img);
        cals.push_back(cal.wafer);
        scale.push_back(cal.wafer.mm_per_px);
        rotation.push_back(cal.wafer.rotation_deg);
        rms.push_back(cal.residuals.rms_px);
        max_res.push_back(cal.residuals.max_px);
        if (rec.product.empty()) rec.product = job.product->name;
      } catch (const std::exception& e) {
        spdlog::warn("{}: wafer {}: {}", path, meta.wafer_id, e.what());
        ++failed;
      }
    }
  }
  if (images.empty()) {
    spdlog::error("calibrate: no usable image of tool {} in the inputs ({} failed)", args.tool, failed);
    return kExitSomeFailed;
  }
  rec.image_width = images.front().cols;
  rec.image_height = images.front().rows;
  rec.images = static_cast<int>(images.size());
  rec.mm_per_px = median(scale);
  rec.rotation_deg = median(rotation);
  rec.mm_per_px_spread = spread(scale);
  rec.rotation_spread_deg = spread(rotation);
  rec.edge_rms_px = median(rms);
  rec.edge_max_px = median(max_res);
  const calib::FlatFieldModel flat = calib::fit_flat_field(images, cals);
  rec.flat_degree = flat.degree;
  rec.flat_coefficients = flat.coefficients;
  write_tool_calibration_file(args.out.string(), {rec});
  spdlog::info("{}: {} from {} images: {:.6f} mm/px (spread {:.2g}), rotation {:.4f} deg (spread {:.3f}), "
               "edge rms {:.3f} px", args.out.string(), args.tool, rec.images, rec.mm_per_px, rec.mm_per_px_spread,
               rec.rotation_deg, rec.rotation_spread_deg, rec.edge_rms_px);
  return failed > 0 ? kExitSomeFailed : kExitOk;
}

}  // namespace yf
