// Work in progress (stub so that the interface links).
#include "stages/ImageDetection.hpp"

namespace yf {

PairResult detect_reference_pair(const cv::Mat&, const cv::Mat&, const DetectionOptions&) {
  throw ImageDetectionError("detect_reference_pair: not implemented yet");
}

}  // namespace yf
