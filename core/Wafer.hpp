#pragma once
// What the reader hands to the stages for one wafer (a WaferJob), and the
// dataset-level tables it shares with the other wafers of its file.
#include <cstddef>
#include <cstdint>
#include <map>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "core/ProductGeometry.hpp"
#include "core/WaferImage.hpp"

namespace yf {

// One row of /wafers.
struct WaferMeta {
  std::string wafer_id;
  std::string lot_id;
  int slot = 0;
  std::string fab;
  std::string tool;
  std::string product;
  std::string step;
  std::int64_t timestamp = 0;
  std::int64_t image_row = -1;
  std::int64_t binmap_row = -1;
  std::int64_t defect_begin = 0;
  std::int64_t defect_count = 0;
};

// One row of /defects (wafer_row is implied by the job).
struct Defect {
  double x_mm = 0;
  double y_mm = 0;
  double size_um = 0;
  std::int32_t class_id = 0;
};

struct DefectClass {
  std::int32_t class_id = 0;
  std::string name;
  bool killer = true;
};

struct BinDef {
  std::int16_t bin = 0;
  std::string name;
  bool pass = false;
};

// One row of /history.
struct HistoryEntry {
  std::string step;
  std::string tool;
  std::string chamber;
  std::int64_t timestamp = 0;
};

// Wafer-sort bins, same grid as the product, row 0 at the top; -1 = not tested.
struct BinMap {
  int rows = 0;
  int cols = 0;
  std::vector<std::int16_t> bins;  // row-major, rows*cols
  std::int16_t at(int col, int row) const { return bins[static_cast<std::size_t>(row) * cols + col]; }
};

// /calibration/<tool>: nominal optics of an inspection tool.
struct ToolCalibration {
  double mm_per_px = 0;
  double rotation_deg = 0;
  bool has_flat = false;  // a `flat` illumination profile is stored
  std::shared_ptr<const FlatField> flat;  // that profile, read with the tables (null: none)
  // Or, from a reader that defers decoding it (DatasetReader's defer_flat_decode), the
  // profile as stored, decoded on first use by the image stage (null: none).
  std::shared_ptr<const StoredFlat> stored_flat;
  std::string flat_error;  // non-empty: `flat` exists but is unusable (the tool's image wafers fail)
};

// The tables of a file that every wafer of it shares. Immutable once read.
struct DatasetTables {
  std::string source_file;
  std::map<std::string, std::shared_ptr<const ProductGeometry>> products;
  std::map<std::int32_t, DefectClass> defect_classes;  // empty: every class is a killer
  bool has_bins_table = false;                         // false: bin 1 is the only good bin
  bool has_defects_table = false;  // /defects exists: a wafer without defects is clean, not uninspected
  std::map<std::int16_t, BinDef> bins;
  std::map<std::string, ToolCalibration> calibrations;
  // /images (M, H, W); 0 when the file has none.
  std::int64_t image_count = 0, image_height = 0, image_width = 0;

  // A class absent from /defect_classes counts as a killer (spec).
  bool is_killer_class(std::int32_t class_id) const {
    auto it = defect_classes.find(class_id);
    return it == defect_classes.end() || it->second.killer;
  }
  // Without /bins, bin 1 is the only good bin (spec); -1 is never good.
  bool is_pass_bin(std::int16_t bin) const {
    if (bin < 0) return false;
    if (!has_bins_table) return bin == 1;
    auto it = bins.find(bin);
    return it != bins.end() && it->second.pass;
  }
};

// Everything the stages need to know about one wafer.
struct WaferJob {
  std::size_t seq = 0;              // position in the run's input order
  std::string source_file;
  std::size_t wafer_row = 0;        // row in the file's /wafers
  WaferMeta meta;
  std::shared_ptr<const DatasetTables> tables;
  std::shared_ptr<const ProductGeometry> product;  // null when the wafer failed to read
  std::vector<Defect> defects;
  std::optional<BinMap> binmap;
  std::vector<HistoryEntry> history;
  // The wafer's image (image_row >= 0), still encoded as stored: the image stage decodes it.
  std::optional<EncodedImage> image;
  // Non-empty when the reader could not read this wafer: "file: wafer W: field: problem".
  std::string error;
};

}  // namespace yf
