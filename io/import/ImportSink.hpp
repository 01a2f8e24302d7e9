#pragma once
// The contract between the importers of industry formats (KLARF, STDF, SEMI
// E142/G85, SINF, WM-811K) and what consumes their output (a v1 dataset writer,
// or a test's in-memory collector). A parser reads its file as a stream and
// hands over what it finds; it never holds the whole file in memory.
#include <stdexcept>
#include <string>
#include <vector>

#include "core/ProductGeometry.hpp"
#include "core/Wafer.hpp"
#include "io/DatasetWriter.hpp"

namespace yf::import {

// Values a file may not carry itself; the file's own values win when present.
struct ImportOptions {
  std::string fab;      // default fab when the file has none
  std::string tool;     // default tool (inspection station, tester)
  std::string product;  // default product (device) name
  std::string step;     // default process step
};

// Where a problem is: "FILE: line N: ..." for text formats, "FILE: byte N: ..."
// for binary ones. Thrown for input that cannot be imported.
class ImportError : public std::runtime_error {
 public:
  using std::runtime_error::runtime_error;
};

// Receives one file's content. Declarations (products, classes, bins) may arrive
// before or after the wafers that use them (STDF's HBR/SBR records come at the
// end of the file): ordering them for the output is the sink's job. A wafer's
// meta.product names a product given to add_product (before or after it).
class ImportSink {
 public:
  virtual ~ImportSink() = default;
  virtual void add_product(const ProductGeometry& product) = 0;
  virtual void add_defect_classes(const std::vector<DefectClass>& classes) = 0;
  virtual void add_bins(const std::vector<BinDef>& bins) = 0;
  virtual void add_wafer(WaferRecord wafer) = 0;
  // A recoverable disagreement (a summary count that does not match the data, a
  // header count that disagrees with the grid); `where` is "FILE: line N" or similar.
  virtual void warning(const std::string& where, const std::string& message) = 0;
};

}  // namespace yf::import
