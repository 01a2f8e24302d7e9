#pragma once
// Writes v1 inspection datasets (../shared/spec/inspection-dataset-v1.md) one
// wafer at a time: used by the sample generator and by importers. The file
// appears atomically: it is written as PATH.tmp-<pid> and renamed on finish().
#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "core/Wafer.hpp"

namespace yf {

struct TruthDefect {
  double x_mm = 0, y_mm = 0, size_um = 0;
  std::string kind;
};

// A defect planted in the wafer's image (/truth/image_defects, docs/formats.md):
// kind is particle, scratch, cluster or edge_chip; size_um the equivalent diameter
// of the planted area; length_um the longest extent (a scratch's length).
struct TruthImageDefect {
  double x_mm = 0, y_mm = 0, size_um = 0, length_um = 0;
  std::string kind;
};

// How the image was rendered (/truth/images): the planted calibration.
struct ImageTruth {
  double center_x_px = 0, center_y_px = 0;  // wafer centre (pixel centres at integers)
  double radius_px = 0;
  double mm_per_px = 0;
  double rotation_deg = 0;  // counter-clockwise, as /calibration/<tool>/rotation_deg
};

// /truth/wafers row. The spec's columns are wafer_row and pattern; yieldflow adds
// the generator's own count of killed and good dies (-1 = not known), so tests can
// check the pipeline against numbers it did not compute.
struct WaferTruth {
  std::string pattern;
  std::int64_t killed_dies = -1;
  std::int64_t good_dies = -1;
  std::int64_t tested_dies = -1;
  std::vector<TruthDefect> defects;
  std::optional<ImageTruth> image;                 // with WaferRecord::image
  std::vector<TruthImageDefect> image_defects;
};

struct WaferRecord {
  // image_row, binmap_row, defect_begin and defect_count are assigned by the writer.
  WaferMeta meta;
  std::vector<Defect> defects;
  std::optional<BinMap> binmap;   // must match the product's grid
  std::optional<GrayImage> image;  // every image of a file has the same size
  std::vector<HistoryEntry> history;
  std::optional<WaferTruth> truth;
};

enum class StringKind { fixed, variable };

struct DatasetWriterOptions {
  StringKind strings = StringKind::fixed;  // fixed = S<n> null-padded ASCII as the spec
  int gzip_level = 4;                      // 0 = no compression
};

class DatasetWriter {
 public:
  // Products, classes and bins are declared before the first wafer.
  DatasetWriter(std::string path, DatasetWriterOptions options = {});
  ~DatasetWriter();  // without finish(), removes the temporary file
  DatasetWriter(const DatasetWriter&) = delete;
  DatasetWriter& operator=(const DatasetWriter&) = delete;

  void add_product(const ProductGeometry& product);
  void set_defect_classes(const std::vector<DefectClass>& classes);
  void set_bins(const std::vector<BinDef>& bins);
  // `flat` (optional) becomes /calibration/<tool>/flat, float32 (H, W).
  void set_calibration(const std::string& tool, double mm_per_px, double rotation_deg,
                       const FlatField* flat = nullptr);

  // Appends one wafer; returns its row in /wafers. Throws std::invalid_argument when
  // the product is unknown or the bin map's shape does not match it.
  std::size_t append_wafer(const WaferRecord& wafer);

  // Flushes buffered rows, closes the file and renames it into place.
  void finish();

 private:
  struct Impl;
  std::unique_ptr<Impl> impl_;
};

}  // namespace yf
