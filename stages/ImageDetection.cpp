// Options and names of stages/ImageDetection.hpp.
#include "stages/ImageDetection.hpp"

namespace yf {

const char* to_string(DefectShape shape) {
  switch (shape) {
    case DefectShape::particle: return "particle";
    case DefectShape::scratch: return "scratch";
    case DefectShape::cluster: return "cluster";
    case DefectShape::edge: return "edge";
  }
  return "?";
}

void DetectionOptions::validate() const {}

}  // namespace yf
