// Options and names of stages/ImageDetection.hpp.
#include "stages/ImageDetection.hpp"

#include <cmath>
#include <string>

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

namespace {
void require(bool ok, const char* field, const std::string& what) {
  if (!ok) throw ImageDetectionError(std::string("detection option ") + field + ": " + what);
}
}  // namespace

void DetectionOptions::validate() const {
  require(std::isfinite(k_sigma) && k_sigma > 0, "k_sigma", "must be > 0");
  require(std::isfinite(grow_k_sigma) && grow_k_sigma > 0 && grow_k_sigma <= k_sigma, "grow_k_sigma",
          "must be > 0 and <= k_sigma");
  require(min_area_px >= 1, "min_area_px", "must be >= 1");
  require(open_radius_px >= 0 && open_radius_px <= 50, "open_radius_px", "must be 0..50");
  require(close_radius_px >= 0 && close_radius_px <= 50, "close_radius_px", "must be 0..50");
  require(edge_tolerance_px >= 0 && edge_tolerance_px <= 20, "edge_tolerance_px", "must be 0..20");
  require(die_edge_tolerance_px >= 0 && die_edge_tolerance_px <= 20, "die_edge_tolerance_px", "must be 0..20");
  require(std::isfinite(scratch_min_elongation) && scratch_min_elongation >= 1, "scratch_min_elongation",
          "must be >= 1");
  require(std::isfinite(scratch_min_length_px) && scratch_min_length_px >= 0, "scratch_min_length_px",
          "must be >= 0");
  require(std::isfinite(cluster_min_area_px) && cluster_min_area_px >= 0, "cluster_min_area_px", "must be >= 0");
  require(std::isfinite(min_noise_sigma) && min_noise_sigma > 0, "min_noise_sigma", "must be > 0");
  require(max_defects >= 1, "max_defects", "must be >= 1");
}

}  // namespace yf
