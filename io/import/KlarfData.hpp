#pragma once
// What the KLARF parsers read, in the file's own units and conventions, before the
// conversion to v1 (KlarfConvert). The flat (1.x) and nested (1.8) parsers both fill
// these; tests check them against numbers counted by hand in the files.
#include <cstdint>
#include <optional>
#include <string>
#include <utility>
#include <vector>

namespace yf::import {

// Where the orientation mark (notch or flat) is, seen from the front.
enum class KlarfMark { down, up, left, right };

// CoordinatesMirrored: the axes along which the file's die frame is mirrored with
// respect to the wafer seen from the front (KlarfConvert.hpp says how it is undone).
struct KlarfMirror {
  bool x = false, y = false;
};

// Lot- and file-level values (flat: the header before the first WaferID; 1.8: the
// FileRecord's and LotRecord's fields, wherever they stand in the record).
struct KlarfHeader {
  std::string version;                 // "1.1", "1.2", "1.8"
  std::string lot_id;
  std::string device_id;
  std::string step_id;
  std::string setup_id;                // SetupID (1.x) / RecipeID (1.8) name
  std::string station[3];              // InspectionStationID vendor, model, id
  std::string result_timestamp;        // "date time" as written
  std::string file_timestamp;
  double units_per_mm = 1000;          // positions: um in 1.x, nm in 1.8 (checked against SampleSize)
  std::optional<double> diameter;      // SampleSize diameter, in mm
  std::optional<std::pair<double, double>> die_pitch;   // file units
  std::pair<double, double> die_origin{0, 0};           // file units
  KlarfMark mark = KlarfMark::down;
  KlarfMirror mirror;                  // a file- or lot-level CoordinatesMirrored
  std::uint64_t line = 0;              // where the header (or lot record) starts
};

struct KlarfDefect {
  std::int64_t xindex = 0, yindex = 0;
  double xrel = 0, yrel = 0;           // file units, relative to the die's lower-left corner
  std::optional<double> size;          // DSIZE (file units for 1.8, um for 1.x)
  std::optional<double> area;          // DEFECTAREA (file units squared for 1.8, um^2 for 1.x)
  std::optional<double> xsize, ysize;  // XSIZE, YSIZE
  std::int32_t class_number = 0;
  std::int32_t test = 1;
  std::uint64_t line = 0;
};

// One SummaryList / TestSummaryList row (columns not given stay empty).
struct KlarfSummaryRow {
  std::optional<std::int64_t> testno, ndefect, ndie, ndefdie;
  std::uint64_t line = 0;
};

struct KlarfWafer {
  std::string wafer_id;
  std::optional<std::int64_t> slot;
  std::optional<std::pair<double, double>> center;     // SampleCenterLocation, file units
  std::optional<std::pair<double, double>> die_origin; // a wafer-level DieOrigin (1.8)
  std::optional<KlarfMirror> mirror;   // a wafer-level CoordinatesMirrored (else the header's)
  // (test, xindex, yindex) of every SampleTestPlan entry.
  std::vector<std::pair<std::int32_t, std::pair<std::int64_t, std::int64_t>>> plan;
  std::vector<KlarfDefect> defects;
  std::vector<KlarfSummaryRow> summary;
  bool has_defect_list = false;
  std::string result_timestamp;        // a wafer-level ResultTimestamp, if any
  std::uint64_t line = 0;              // where the wafer starts
};

struct KlarfClass {
  std::int32_t number = 0;
  std::string name;
};

// What a parser reports as it reads.
class KlarfHandler {
 public:
  virtual ~KlarfHandler() = default;
  // A complete wafer with the header in force for it.
  virtual void wafer(const KlarfHeader& header, KlarfWafer& wafer) = 0;
  virtual void classes(const std::vector<KlarfClass>& classes, std::uint64_t line) = 0;
  virtual void warning(std::uint64_t line, const std::string& message) = 0;
};

}  // namespace yf::import
