#pragma once
// Tool calibration files (YAML), written by `yieldflow calibrate` and read by
// `yieldflow run --calibration FILE` (docs/formats.md, "Tool calibration file"). One
// file holds one or more tools; a tool's flat field is stored as the coefficients of a
// smooth polynomial (calibration/FlatFieldEstimate.hpp) and evaluated on load.
#include <map>
#include <string>
#include <vector>

#include "core/Wafer.hpp"

namespace yf {

struct ToolCalibrationRecord {
  std::string tool;
  std::string product;           // the product whose wafers were used (diameter reference)
  int image_width = 0, image_height = 0;
  double mm_per_px = 0;          // median over the images
  double rotation_deg = 0;       // median over the images
  int images = 0;                // images used
  // Spread over the images, and the edge-fit residuals (medians), for the record.
  double mm_per_px_spread = 0, rotation_spread_deg = 0;
  double edge_rms_px = 0, edge_max_px = 0;
  int flat_degree = -1;          // -1: no flat field
  std::vector<double> flat_coefficients;
};

// Throws std::runtime_error naming the file for I/O problems.
void write_tool_calibration_file(const std::string& path, const std::vector<ToolCalibrationRecord>& tools);

// Throws std::runtime_error "FILE: tools[i].FIELD: problem" for a malformed file.
std::vector<ToolCalibrationRecord> read_tool_calibration_file(const std::string& path);

// The records as the image stage uses them (flat fields evaluated), by tool.
std::map<std::string, ToolCalibration> to_tool_calibrations(const std::vector<ToolCalibrationRecord>& records);

}  // namespace yf
