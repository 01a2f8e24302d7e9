#pragma once
// Writes small v1 datasets straight through the HDF5 C API, with knobs that
// break them in every way the reader must catch: column types and widths,
// string kinds, missing or mistyped columns, bad attributes, wrong shapes. It
// deliberately does not use yf::DatasetWriter, so reader tests do not rest on
// the writer they are meant to check.
#include <hdf5.h>

#include <cstdint>
#include <map>
#include <optional>
#include <string>
#include <utility>
#include <vector>

#include "core/Wafer.hpp"
#include "support/Products.hpp"

namespace yf::test {

struct MiniDataset {
  std::vector<ProductGeometry> products{tiny_product()};  // support/Products.hpp
  std::vector<WaferMeta> wafers;
  std::vector<std::pair<std::int64_t, Defect>> defects;  // (wafer_row, defect)
  std::optional<std::vector<DefectClass>> classes;
  std::optional<std::vector<BinDef>> bins;
  std::map<std::string, std::vector<std::int16_t>> binmaps;  // product -> P*rows*cols
  std::map<std::string, std::vector<hsize_t>> binmap_dims;   // override the dims
  int images = 0, image_h = 8, image_w = 8;
  std::vector<HistoryEntry> history;
  std::vector<std::int64_t> history_wafer_rows;

  // Knobs.
  bool variable_strings = false;
  hid_t int_type = H5T_STD_I64LE;     // every integer column of /wafers and /defects
  hid_t real_type = H5T_IEEE_F64LE;   // every real column of /defects
  std::optional<std::string> format = "yieldflow-inspection";
  std::optional<int> format_version = 1;
  std::string omit_wafer_column;      // leave this /wafers column out
  std::string string_wafer_column;    // write this /wafers column as a string
  std::string float_wafer_column;     // write this /wafers column as a float64

  // Adds a wafer whose rows the caller sets (defect_begin etc. as given).
  WaferMeta& add_wafer(const std::string& id, const std::string& product = "P1");
  // Appends the defects of wafer `row` and sets its defect_begin/defect_count.
  void set_defects(std::size_t row, const std::vector<Defect>& list);
  // Appends a bin map for wafer `row` and sets its binmap_row.
  void set_binmap(std::size_t row, const std::vector<std::int16_t>& bins);

  void write(const std::string& path) const;
};

}  // namespace yf::test
