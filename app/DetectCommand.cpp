// `yieldflow detect --reference REF IMAGE`: reference-pair defect detection of
// one review/SEM image (stages/ImageDetection.hpp), a table on stdout and an
// annotated image.
#include <fmt/format.h>
#include <spdlog/spdlog.h>

#include <algorithm>
#include <cctype>
#include <iostream>
#include <opencv2/imgproc.hpp>

#include "app/Commands.hpp"
#include "app/ImageFiles.hpp"
#include "io/AtomicFile.hpp"
#include "stages/ImageDetection.hpp"

namespace yf {
namespace {

// Reads an image as it is stored (8/16-bit, float); colour becomes grey. The codecs
// are in the image-file module (app/ImageFiles.hpp): ImageFilesModuleError when it
// cannot be loaded.
cv::Mat read_image(const std::string& path) {
  ImageFiles::ReadResult read = ImageFiles::shared().read(path);
  if (read.status == kImageFilesFailed) throw ImageDetectionError(path + ": cannot decode: " + read.message);
  cv::Mat m = std::move(read.image);
  if (m.empty()) throw ImageDetectionError(path + ": cannot read an image (missing, unreadable or not an image format)");
  if (m.channels() == 3 || m.channels() == 4) {
    spdlog::info("{}: {} channels, converted to grey", path, m.channels());
    cv::cvtColor(m, m, m.channels() == 3 ? cv::COLOR_BGR2GRAY : cv::COLOR_BGRA2GRAY);
  }
  return m;
}

// The inspected image as 8-bit colour, stretched to its own range when deeper.
cv::Mat display_copy(const cv::Mat& image) {
  cv::Mat grey;
  if (image.depth() == CV_8U) {
    grey = image;
  } else {
    double lo = 0, hi = 0;
    cv::minMaxLoc(image, &lo, &hi);
    image.convertTo(grey, CV_8U, hi > lo ? 255.0 / (hi - lo) : 1.0, hi > lo ? -lo * 255.0 / (hi - lo) : 0.0);
  }
  cv::Mat out;
  cv::cvtColor(grey, out, cv::COLOR_GRAY2BGR);
  return out;
}

// Boxes and labels over the inspected image; the compared region in grey.
cv::Mat annotate(const cv::Mat& image, const PairResult& r) {
  cv::Mat out = display_copy(image);
  cv::rectangle(out, r.overlap, cv::Scalar(128, 128, 128), 1);
  for (std::size_t i = 0; i < r.defects.size(); ++i) {
    const ImageDefect& d = r.defects[i];
    // Red for brighter than the reference, cyan for darker.
    const cv::Scalar colour = d.contrast >= 0 ? cv::Scalar(0, 0, 255) : cv::Scalar(255, 255, 0);
    cv::Rect box(d.bbox.x - 3, d.bbox.y - 3, d.bbox.width + 6, d.bbox.height + 6);
    cv::rectangle(out, box, colour, 1);
    const std::string label = fmt::format("{} {}", i + 1, to_string(d.shape));
    const int baseline_y = box.y > 14 ? box.y - 4 : box.y + box.height + 12;
    cv::putText(out, label, cv::Point(box.x, baseline_y), cv::FONT_HERSHEY_SIMPLEX, 0.4, colour, 1, cv::LINE_AA);
  }
  return out;
}

void write_image_atomically(const std::filesystem::path& path, const cv::Mat& image) {
  std::string ext = path.extension().string();
  if (ext.empty()) ext = ".png";
  std::vector<std::uint8_t> bytes;
  if (!ImageFiles::shared().encode(ext, image, bytes))
    throw std::invalid_argument(path.string() + ": cannot encode an image of type '" + ext + "' (use .png)");
  AtomicFile f(path);
  f.stream().write(reinterpret_cast<const char*>(bytes.data()), static_cast<std::streamsize>(bytes.size()));
  f.commit();
}

void print_table(std::ostream& out, const DetectArgs& args, const PairResult& r) {
  out << fmt::format("inspected {}\nreference {}\n", args.image, args.reference);
  out << fmt::format("shift {:+.2f} {:+.2f} px (response {:.2f}), gain {:.3f} offset {:+.1f}, noise sigma {:.2f}, "
                     "compared x {}..{} y {}..{}\n",
                     r.shift_px.x, r.shift_px.y, r.response, r.gain, r.offset, r.noise_sigma, r.overlap.x,
                     r.overlap.x + r.overlap.width - 1, r.overlap.y, r.overlap.y + r.overlap.height - 1);
  out << fmt::format("{} defect{}\n", r.defects.size(), r.defects.size() == 1 ? "" : "s");
  if (r.defects.empty()) return;
  out << fmt::format("{:>3} {:>8} {:>8} {:>8} {:>8} {:>9} {:>6} {:>6} {:>7}  {}\n", "#", "x_px", "y_px", "area_px",
                     "diam_px", "contrast", "snr", "elong", "angle", "shape");
  for (std::size_t i = 0; i < r.defects.size(); ++i) {
    const ImageDefect& d = r.defects[i];
    out << fmt::format("{:>3} {:>8.2f} {:>8.2f} {:>8.0f} {:>8.1f} {:>+9.1f} {:>6.1f} {:>6.1f} {:>7.1f}  {}\n", i + 1,
                       d.center_px.x, d.center_px.y, d.area_px, d.eq_diameter_px, d.contrast, d.peak_snr,
                       d.elongation, d.orientation_deg, to_string(d.shape));
  }
}

}  // namespace

int detect_command(const DetectArgs& args) {
  if (!args.annotated.empty()) {
    std::string ext = args.annotated.extension().string();
    std::transform(ext.begin(), ext.end(), ext.begin(), [](unsigned char c) { return static_cast<char>(std::tolower(c)); });
    if (ext != ".png" && ext != ".tif" && ext != ".tiff" && ext != ".jpg" && ext != ".jpeg" && ext != ".bmp") {
      spdlog::error("{}: the annotated image must be .png (or .tif, .jpg, .bmp)", args.annotated.string());
      return kExitUsage;
    }
  }
  PairResult result;
  cv::Mat inspected;
  try {
    inspected = read_image(args.image);
    const cv::Mat reference = read_image(args.reference);
    DetectionOptions options;
    if (args.k_sigma) {
      options.k_sigma = *args.k_sigma;
      options.grow_k_sigma = std::min(options.grow_k_sigma, options.k_sigma);
    }
    if (args.edge_tolerance_px) options.edge_tolerance_px = *args.edge_tolerance_px;
    if (args.min_area_px) options.min_area_px = *args.min_area_px;
    if (args.cluster_area_px) options.cluster_min_area_px = *args.cluster_area_px;
    result = detect_reference_pair(inspected, reference, options);
  } catch (const ImageDetectionError& e) {
    spdlog::error("{}", e.what());
    return kExitSomeFailed;  // the pair could not be analysed; nothing written
  } catch (const ImageFilesModuleError& e) {
    spdlog::error("{}", e.what());
    return kExitFatal;  // an installation problem, not the images'
  }
  print_table(std::cout, args, result);
  if (!args.annotated.empty()) {
    try {
      write_image_atomically(args.annotated, annotate(inspected, result));
    } catch (const std::invalid_argument& e) {
      spdlog::error("{}", e.what());
      return kExitUsage;
    } catch (const std::exception& e) {
      spdlog::error("{}", e.what());
      return kExitFatal;
    }
    spdlog::info("annotated image: {}", args.annotated.string());
  }
  return kExitOk;
}

}  // namespace yf
