#pragma once
// The ImportSink that writes a v1 dataset through DatasetWriter, for one or several
// input files.
//
// Ordering (STDF declares its bins after its wafers; a second file may bring new
// classes after the first file's wafers are written): DatasetWriter accepts a product
// at any time before a wafer that uses it, and /defect_classes and /bins at any time
// before finish(). So this sink
// - passes products through at once, and checks that a product name declared again
//   (by a later wafer or file) has the same geometry, else throws ImportError;
// - appends each wafer at once when its product is known; a wafer whose product is
//   not declared yet waits in memory until it is (end_file() fails if it never is);
// - merges the class and bin tables of every file (same id, other name or verdict:
//   a warning, the first declaration wins) and writes both at finish().
// Strings: the dataset is written with variable-length UTF-8 strings (which the v1
// spec's readers accept in every string column), so that ids longer than the spec's
// fixed sizes (S32: real E142 substrate ids run to 64 bytes) are kept whole; bytes
// that are not UTF-8 become '?' (with a warning), and a '/' in a product name, which
// is an HDF5 group name, becomes '_'.
// Memory: the two tables, the set of wafer ids, and only those wafers that arrive
// before their product - nothing proportional to the input's size otherwise.
#include <functional>
#include <map>
#include <memory>
#include <set>
#include <string>
#include <vector>

#include "io/DatasetWriter.hpp"
#include "io/import/ImportSink.hpp"

namespace yf::import {

using WarningHandler = std::function<void(const std::string& where, const std::string& message)>;

class DatasetSink : public ImportSink {
 public:
  DatasetSink(DatasetWriter& writer, WarningHandler on_warning);

  // Around each input file: names it in messages; end_file() throws ImportError when
  // a wafer still waits for a product the file never declared.
  void begin_file(const std::string& path);
  void end_file();
  // Writes the merged class and bin tables and finishes the dataset.
  void finish();

  void add_product(const ProductGeometry& product) override;
  void add_defect_classes(const std::vector<DefectClass>& classes) override;
  void add_bins(const std::vector<BinDef>& bins) override;
  void add_wafer(WaferRecord wafer) override;
  void warning(const std::string& where, const std::string& message) override;

  std::size_t wafers_written() const { return wafers_written_; }
  std::size_t warnings() const { return warnings_; }

 private:
  void append(WaferRecord& wafer);
  std::string clean(const std::string& value, const char* what);
  std::string product_name(const std::string& name);

  DatasetWriter& writer_;
  WarningHandler on_warning_;
  std::string file_;
  struct Declared {
    ProductGeometry geometry;
    std::string file;
  };
  std::map<std::string, Declared> products_;
  std::map<std::int32_t, DefectClass> classes_;
  std::map<std::int16_t, BinDef> bins_;
  std::set<std::string> wafer_ids_;
  std::vector<WaferRecord> waiting_;  // wafers whose product is not declared yet
  std::size_t wafers_written_ = 0;
  std::size_t warnings_ = 0;
};

}  // namespace yf::import
