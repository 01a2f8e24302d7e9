// The two floors of the image benchmark (docs/performance.md, "Images"), one thread:
//   yf_bench_image_floor read FILE...    read every image chunk and inflate it (what the
//                                        pipeline's reader node + decode step must do)
//   yf_bench_image_floor opencv FILE...  OpenCV's own cost for the image stage's core
//                                        operations on the same (already decoded) images:
//                                        to float, divide by the flat, one full-image
//                                        bicubic warp (die resampling), absolute
//                                        difference, threshold, 3x3 closing, connected
//                                        components with statistics.
// Prints: mode, images, megapixels, wall seconds, CPU seconds (this thread) of the timed parts.
#include <time.h>

#include <chrono>
#include <cstdio>
#include <opencv2/core.hpp>
#include <opencv2/imgproc.hpp>
#include <string>
#include <vector>

#include "io/DatasetReader.hpp"
#include "stages/ImageDecode.hpp"

namespace {

double seconds_since(std::chrono::steady_clock::time_point t0) {
  return std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
}

// CPU time of this thread: on a shared, overloaded machine the wall time measures the
// neighbours as much as the work.
double thread_cpu() {
  timespec ts{};
  clock_gettime(CLOCK_THREAD_CPUTIME_ID, &ts);
  return static_cast<double>(ts.tv_sec) + 1e-9 * static_cast<double>(ts.tv_nsec);
}

}  // namespace

int main(int argc, char** argv) {
  if (argc < 3) {
    std::fprintf(stderr, "usage: yf_bench_image_floor read|opencv FILE.h5...\n");
    return 2;
  }
  const std::string mode = argv[1];
  cv::setNumThreads(1);
  std::size_t images = 0;
  double mp = 0, timed = 0, cpu = 0;
  for (int a = 2; a < argc; ++a) {
    yf::DatasetReader reader(argv[a]);
    for (std::size_t row = 0; row < reader.wafer_count(); ++row) {
      const auto t0 = std::chrono::steady_clock::now();
      const double c0 = thread_cpu();
      yf::WaferJob job = reader.read_wafer(row);
      if (!job.image) continue;
      cv::Mat img(job.image->height, job.image->width, CV_8UC1);
      yf::decode_image(*job.image, img.data, img.total());
      if (mode == "read") {
        timed += seconds_since(t0);
        cpu += thread_cpu() - c0;
      }
      ++images;
      mp += static_cast<double>(img.total()) / 1e6;
      if (mode != "opencv") continue;
      const auto& cal = job.tables->calibrations.at(job.meta.tool);
      cv::Mat flat = cal.flat ? cv::Mat(cal.flat->height, cal.flat->width, CV_32F, const_cast<float*>(cal.flat->values.data()))
                              : cv::Mat(img.size(), CV_32F, cv::Scalar(1));
      const auto t1 = std::chrono::steady_clock::now();
      const double c1 = thread_cpu();
      cv::Mat f, warped, diff, mask, labels, stats, centroids;
      img.convertTo(f, CV_32F);
      cv::divide(f, flat, f);
      const cv::Mat m = cv::getRotationMatrix2D(cv::Point2f(static_cast<float>(img.cols) / 2, static_cast<float>(img.rows) / 2), 0.1, 1.0);
      cv::warpAffine(f, warped, m, f.size(), cv::INTER_CUBIC);
      cv::absdiff(f, warped, diff);
      cv::threshold(diff, mask, 20, 255, cv::THRESH_BINARY);
      mask.convertTo(mask, CV_8U);
      cv::morphologyEx(mask, mask, cv::MORPH_CLOSE, cv::getStructuringElement(cv::MORPH_RECT, {3, 3}));
      cv::connectedComponentsWithStats(mask, labels, stats, centroids);
      timed += seconds_since(t1);
      cpu += thread_cpu() - c1;
    }
  }
  std::printf("%s %zu %.1f %.4f %.4f\n", mode.c_str(), images, mp, timed, cpu);
  return 0;
}
