#pragma once
// KLARF wafers (file units, KlarfData) into v1 wafers, products and classes.
//
// Coordinates: die (XINDEX i, YINDEX j) has its lower-left corner at
// (i * pitchX + DieOriginX, j * pitchY + DieOriginY) in the file's die frame, a
// defect lies at that corner plus (XREL, YREL), and the wafer centre at
// SampleCenterLocation; wafer mm = (die frame - centre) / units per mm, turned so
// that the orientation mark (OrientationMarkLocation) is at the bottom as the v1
// spec wants. Units: micrometres in 1.x, nanometres in 1.8 (KlarfHeader).
//
// The product grid covers the dies of the wafer's SampleTestPlan and of its defects
// (the bounding box of their indices); a wafer without a plan whose defects do not
// fit an earlier grid covers every die that touches the wafer too. No edge
// exclusion (KLARF has none). A product is declared by the first wafer of the file
// that names it; later wafers whose dies fit map onto that grid by their die
// indices, others get a product NAME-<cols>x<rows> of their own (with a warning).
#include <deque>
#include <map>
#include <string>
#include <vector>

#include "io/import/ImportSink.hpp"
#include "io/import/KlarfData.hpp"

namespace yf::import {

class KlarfConverter : public KlarfHandler {
 public:
  KlarfConverter(std::string path, const ImportOptions& options, ImportSink& sink);

  void wafer(const KlarfHeader& header, KlarfWafer& wafer) override;
  void classes(const std::vector<KlarfClass>& classes, std::uint64_t line) override;
  void warning(std::uint64_t line, const std::string& message) override;

  std::size_t wafers() const { return wafers_; }

  // The grid of a product in the file's die frame, and how it maps to v1.
  struct Grid {
    ProductGeometry geometry;
    KlarfMark mark = KlarfMark::down;
    std::int64_t i0 = 0, i1 = 0, j0 = 0, j1 = 0;  // die index ranges (inclusive)
  };

 private:
  std::string path_;
  ImportOptions options_;
  ImportSink& sink_;
  std::map<std::string, std::deque<Grid>> grids_;  // products declared by this file, by base name
  std::size_t wafers_ = 0;
  // Per wafer (kept for the next): the die frame's edges per die index, the grid
  // cells' edges per column and row (wafer()).
  std::vector<double> frame_x_, frame_y_, cell_x_, cell_y_;
};

// "10-19-21 10:04:09", "08-18-2023 16:19:42", "2000-01-30 15:40:57" (month-day-year
// with a 2- or 4-digit year, or ISO year-month-day; '/' or '-'; a 'T' between date
// and time allowed) as Unix seconds, UTC; empty when it does not read as a time.
std::optional<std::int64_t> parse_klarf_timestamp(const std::string& text);

}  // namespace yf::import
