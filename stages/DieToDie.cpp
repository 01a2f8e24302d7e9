// Work in progress (stub so that the interface links).
#include "stages/ImageDetection.hpp"

namespace yf {

DieToDieResult detect_die_to_die(const cv::Mat&, const DieCells&, const DetectionOptions&) {
  throw ImageDetectionError("detect_die_to_die: not implemented yet");
}

}  // namespace yf
