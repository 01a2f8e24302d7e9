#include "io/ToolCalibrationFile.hpp"

#include <yaml-cpp/yaml.h>

#include <algorithm>
#include <cmath>
#include <fmt/format.h>
#include <memory>
#include <sstream>
#include <stdexcept>

#include "io/AtomicFile.hpp"

namespace yf {

namespace {
constexpr const char* kFormat = "yieldflow-tool-calibration";

int terms(int degree) { return (degree + 1) * (degree + 2) / 2; }

// Same order as calibration/FlatFieldEstimate (i outer, j inner, i + j <= degree).
std::shared_ptr<const FlatField> evaluate(const ToolCalibrationRecord& r) {
  auto f = std::make_shared<FlatField>();
  f->width = r.image_width;
  f->height = r.image_height;
  f->values.resize(static_cast<std::size_t>(r.image_width) * static_cast<std::size_t>(r.image_height));
  const double sx = 2.0 / std::max(1, r.image_width - 1), sy = 2.0 / std::max(1, r.image_height - 1);
  std::vector<double> xp(static_cast<std::size_t>(r.flat_degree + 1)), yp(xp.size());
  for (int y = 0; y < r.image_height; ++y) {
    const double Y = y * sy - 1;
    yp[0] = 1;
    for (std::size_t k = 1; k < yp.size(); ++k) yp[k] = yp[k - 1] * Y;
    for (int x = 0; x < r.image_width; ++x) {
      const double X = x * sx - 1;
      xp[0] = 1;
      for (std::size_t k = 1; k < xp.size(); ++k) xp[k] = xp[k - 1] * X;
      double v = 0;
      std::size_t t = 0;
      for (int i = 0; i <= r.flat_degree; ++i)
        for (int j = 0; i + j <= r.flat_degree; ++j) v += r.flat_coefficients[t++] * xp[static_cast<std::size_t>(i)] * yp[static_cast<std::size_t>(j)];
      f->values[static_cast<std::size_t>(y) * r.image_width + x] = static_cast<float>(std::max(v, 0.1));
    }
  }
  return f;
}
}  // namespace

void write_tool_calibration_file(const std::string& path, const std::vector<ToolCalibrationRecord>& tools) {
  YAML::Emitter out;
  out.SetDoublePrecision(17);
  out << YAML::BeginMap;
  out << YAML::Key << "format" << YAML::Value << kFormat;
  out << YAML::Key << "format_version" << YAML::Value << 1;
  out << YAML::Key << "tools" << YAML::Value << YAML::BeginSeq;
  for (const ToolCalibrationRecord& r : tools) {
    out << YAML::BeginMap;
    out << YAML::Key << "tool" << YAML::Value << r.tool;
    out << YAML::Key << "product" << YAML::Value << r.product;
    out << YAML::Key << "image_width" << YAML::Value << r.image_width;
    out << YAML::Key << "image_height" << YAML::Value << r.image_height;
    out << YAML::Key << "mm_per_px" << YAML::Value << r.mm_per_px;
    out << YAML::Key << "rotation_deg" << YAML::Value << r.rotation_deg;
    out << YAML::Key << "images" << YAML::Value << r.images;
    out << YAML::Key << "mm_per_px_spread" << YAML::Value << r.mm_per_px_spread;
    out << YAML::Key << "rotation_spread_deg" << YAML::Value << r.rotation_spread_deg;
    out << YAML::Key << "edge_rms_px" << YAML::Value << r.edge_rms_px;
    out << YAML::Key << "edge_max_px" << YAML::Value << r.edge_max_px;
    if (r.flat_degree >= 0) {
      out << YAML::Key << "flat" << YAML::Value << YAML::BeginMap;
      out << YAML::Key << "degree" << YAML::Value << r.flat_degree;
      out << YAML::Key << "coefficients" << YAML::Value << YAML::Flow << r.flat_coefficients;
      out << YAML::EndMap;
    }
    out << YAML::EndMap;
  }
  out << YAML::EndSeq << YAML::EndMap;
  write_file_atomically(path, std::string("# yieldflow tool calibration (docs/formats.md)\n") + out.c_str() + "\n");
}

std::vector<ToolCalibrationRecord> read_tool_calibration_file(const std::string& path) {
  YAML::Node root;
  try {
    root = YAML::LoadFile(path);
  } catch (const std::exception& e) {
    throw std::runtime_error(path + ": cannot read tool calibration: " + e.what());
  }
  auto fail = [&](const std::string& where, const std::string& why) {
    throw std::runtime_error(path + ": " + where + ": " + why);
  };
  if (!root.IsMap()) fail("(root)", "not a mapping");
  if (!root["format"] || root["format"].as<std::string>("") != kFormat) fail("format", std::string("must be ") + kFormat);
  if (!root["format_version"] || root["format_version"].as<int>(0) != 1) fail("format_version", "must be 1");
  const YAML::Node tools = root["tools"];
  if (!tools || !tools.IsSequence()) fail("tools", "missing or not a list");
  std::vector<ToolCalibrationRecord> out;
  for (std::size_t i = 0; i < tools.size(); ++i) {
    const YAML::Node t = tools[i];
    const std::string where = "tools[" + std::to_string(i) + "]";
    ToolCalibrationRecord r;
    auto get = [&](const char* key, auto& value, bool required) {
      if (!t[key]) {
        if (required) fail(where + "." + key, "missing");
        return;
      }
      try {
        value = t[key].as<std::remove_reference_t<decltype(value)>>();
      } catch (const YAML::Exception& e) {
        fail(where + "." + key, "not a valid value (" + e.msg + ")");
      }
    };
    get("tool", r.tool, true);
    get("product", r.product, false);
    get("image_width", r.image_width, true);
    get("image_height", r.image_height, true);
    get("mm_per_px", r.mm_per_px, true);
    get("rotation_deg", r.rotation_deg, true);
    get("images", r.images, false);
    get("mm_per_px_spread", r.mm_per_px_spread, false);
    get("rotation_spread_deg", r.rotation_spread_deg, false);
    get("edge_rms_px", r.edge_rms_px, false);
    get("edge_max_px", r.edge_max_px, false);
    if (r.tool.empty()) fail(where + ".tool", "empty");
    if (r.image_width <= 0 || r.image_height <= 0 || r.image_width > 65536 || r.image_height > 65536)
      fail(where + ".image_width/image_height", "out of range 1..65536");
    if (!(std::isfinite(r.mm_per_px) && r.mm_per_px > 0)) fail(where + ".mm_per_px", "must be finite and > 0");
    if (!std::isfinite(r.rotation_deg)) fail(where + ".rotation_deg", "must be finite");
    if (const YAML::Node f = t["flat"]) {
      try {
        r.flat_degree = f["degree"].as<int>();
        r.flat_coefficients = f["coefficients"].as<std::vector<double>>();
      } catch (const YAML::Exception& e) {
        fail(where + ".flat", "needs degree (int) and coefficients (list of numbers): " + e.msg);
      }
      if (r.flat_degree < 0 || r.flat_degree > 8) fail(where + ".flat.degree", "must be 0..8");
      if (static_cast<int>(r.flat_coefficients.size()) != terms(r.flat_degree))
        fail(where + ".flat.coefficients", fmt::format("{} values, degree {} needs {}", r.flat_coefficients.size(),
                                                       r.flat_degree, terms(r.flat_degree)));
      for (double c : r.flat_coefficients)
        if (!std::isfinite(c)) fail(where + ".flat.coefficients", "not finite");
    }
    for (const auto& prev : out)
      if (prev.tool == r.tool) fail(where + ".tool", "tool " + r.tool + " listed twice");
    out.push_back(std::move(r));
  }
  return out;
}

std::map<std::string, ToolCalibration> to_tool_calibrations(const std::vector<ToolCalibrationRecord>& records) {
  std::map<std::string, ToolCalibration> out;
  for (const ToolCalibrationRecord& r : records) {
    ToolCalibration c;
    c.mm_per_px = r.mm_per_px;
    c.rotation_deg = r.rotation_deg;
    if (r.flat_degree >= 0) {
      c.has_flat = true;
      c.flat = evaluate(r);
    }
    out[r.tool] = std::move(c);
  }
  return out;
}

}  // namespace yf
