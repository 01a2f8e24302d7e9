#pragma once
// Reads v1 inspection datasets (../shared/spec/inspection-dataset-v1.md) one
// wafer at a time: /wafers, /defects and /history are read in blocks of rows, a
// bin map as one hyperslab, so memory never holds a whole file. Every HDF5 call
// takes h5::library_mutex(). Not thread-safe itself: one reader, one thread.
#include <cstdint>
#include <memory>
#include <string>
#include <vector>

#include "core/Wafer.hpp"

namespace yf {

class DatasetReader {
 public:
  // Opens the file and reads its shared tables (/products, /defect_classes,
  // /bins, /calibration). Throws DatasetError for whole-file problems: missing
  // file, not HDF5, wrong or missing format attributes, a missing or mistyped
  // /wafers column, a product with a missing or mistyped attribute.
  explicit DatasetReader(const std::string& path);
  struct Options {
    // A tool's flat field (/calibration/<tool>/flat) stored as one chunk of float32 with
    // deflate (+ shuffle) is handed over still compressed (ToolCalibration::stored_flat),
    // for the image stage to decode on first use, instead of inflated here under HDF5's
    // lock before the first wafer (16-64 MB). Other layouts are read as before.
    bool defer_flat_decode = false;
  };
  DatasetReader(const std::string& path, const Options& options);
  ~DatasetReader();
  DatasetReader(const DatasetReader&) = delete;
  DatasetReader& operator=(const DatasetReader&) = delete;

  const std::string& path() const;
  std::size_t wafer_count() const;
  std::shared_ptr<const DatasetTables> tables() const;
  bool has_defects() const;
  bool has_history() const;

  // Reads wafer `row` (fastest in increasing order). Never throws for a problem
  // confined to the wafer (unknown product, out-of-range image_row/binmap_row,
  // defect_begin/defect_count disagreeing with /defects, a bin map dataset of
  // the wrong shape): the job comes back with `error` set, naming file, wafer
  // and field. Throws DatasetError when the file itself becomes unreadable.
  WaferJob read_wafer(std::size_t row);
  // Only the /wafers row (no defects, no bin map): for summaries.
  WaferMeta read_meta(std::size_t row);

 private:
  struct Impl;
  std::unique_ptr<Impl> impl_;
};

struct WaferTruthRow {
  std::int64_t wafer_row = -1;
  std::string pattern;
  std::int64_t killed_dies = -1, good_dies = -1, tested_dies = -1;  // -1: not recorded
};

// /truth/wafers (pattern and the generator's own die counts), for tests and
// scoring. Empty when the file has no truth. Analysis never calls this.
std::vector<WaferTruthRow> read_truth_wafers(const std::string& path);

// /truth/images and /truth/image_defects (samples with images, docs/formats.md), for
// scoring image detection and calibration. Empty when absent.
struct ImageTruthRow {
  std::int64_t wafer_row = -1, image_row = -1;
  double center_x_px = 0, center_y_px = 0, radius_px = 0, mm_per_px = 0, rotation_deg = 0;
};
struct ImageDefectTruthRow {
  std::int64_t wafer_row = -1;
  double x_mm = 0, y_mm = 0, size_um = 0, length_um = 0;
  std::string kind;
};
std::vector<ImageTruthRow> read_truth_images(const std::string& path);
std::vector<ImageDefectTruthRow> read_truth_image_defects(const std::string& path);

}  // namespace yf
