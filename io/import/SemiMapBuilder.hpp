#pragma once
// What E142 and G85 share once their XML is read: bin definitions and rows of
// codes in, a notch-down bin map, /bins rows and a product out, with the header's
// counts checked against the grid (a warning on each disagreement; the grid wins).
#include <cstdint>
#include <map>
#include <optional>
#include <set>
#include <string>
#include <string_view>
#include <vector>

#include "io/import/BinCodes.hpp"
#include "io/import/CodeCounter.hpp"
#include "io/import/ImportSink.hpp"
#include "io/import/MapGeometry.hpp"

namespace yf::import {

// What a map's header says about it; nullopt = not given.
struct SemiMapHeader {
  std::optional<int> cols, rows;       // G85 Columns/Rows, E142 Layout Dimension X/Y
  std::optional<int> good_devices;     // E142 Substrate GoodDevices
  std::string counts_where;            // "FILE: line N" of those header values
};

class SemiMapBuilder {
 public:
  SemiMapBuilder(const std::string& path, ImportSink& sink) : path_(path), sink_(sink) {}

  // Starts a wafer whose codes are of `type`; `null_code` (the NullBin) is no die.
  void begin_wafer(BinCodeType type, std::optional<std::string> null_code, int line);
  // A Bin / BinDefinition: quality "Pass"/"Good" passes, anything else fails.
  void define_bin(const std::string& code, const std::string& description, const std::string& quality,
                  std::optional<std::int64_t> count, int line);
  // One row of the map, top row first.
  void add_row(std::string_view text, int line);
  // A row that is exactly packed 2-character hexadecimal codes (nothing around them), on
  // a HexaDecimal map: added as add_row would, true. Anything else: false, nothing added.
  bool add_packed_row(std::string_view text);
  bool has_rows() const { return !row_end_.empty(); }

  // A map given die by die (E142 MapType Coordinate): a cols x rows grid without
  // dies, then each die at its drawn column and row (a position given twice: the
  // last code wins, with a warning). Replaces any rows added before.
  void begin_grid(int cols, int rows);
  void set_die(int col, int row, int code);

  // Checks the header against the grid, turns the map notch-down, hands product
  // (once per name and grid size), new bins and the wafer to the sink.
  void finish_wafer(WaferMeta meta, MapSizes sizes, NotchSide notch, const SemiMapHeader& header);

 private:
  struct Def {
    std::string name;
    bool pass = false;
    std::int64_t declared = -1;  // summed BinCount of its definitions
    int line = 0;
  };
  std::string at(int line) const { return path_ + ": line " + std::to_string(line); }

  std::string path_;
  ImportSink& sink_;
  BinCodeType type_ = BinCodeType::hex;
  std::optional<int> null_;
  int begin_line_ = 0;
  std::map<int, Def> defs_;
  std::vector<int> codes_;             // code values of all rows, one after the other
  std::vector<std::size_t> row_end_;  // where each row ends in codes_
  static constexpr int kNoDie = -0x7FFFFFFF;  // a grid position no die was given for
  int repeated_ = 0;                          // positions of a Coordinate map given twice
  // The fused path of HexaDecimal maps whose rows are packed 2-character codes (the
  // rule): rows decoded straight to 16-bit cells (the NullBin -1), counted when the
  // wafer ends. A row of any other shape turns the rows so far into codes_ (leave_cells).
  void leave_cells();
  bool cells_mode_ = false;
  int null16_ = -1;
  std::vector<std::int16_t> cells_;  // the first ncells_ are this wafer's; becomes its map
  std::size_t ncells_ = 0;
  std::size_t cells_hint_ = 0;  // the last wafer's cells: the next buffer's size
  std::map<std::string, ProductGeometry> products_;
  std::set<std::int16_t> bins_declared_;
  int wafers_ = 0;
};

// "0"/"90"/"180"/"270" degrees clockwise from the bottom (SEMI G85/E142
// Orientation) -> the side the notch is on; other values warn and count as 0.
NotchSide semi_orientation(const std::string& degrees, ImportSink& sink, const std::string& where);

// "2009022511532100" (yyyymmddhhmmss, then anything) -> Unix seconds UTC; 0 when unreadable.
std::int64_t semi_timestamp(const std::string& s);

// A whole number attribute; throws ImportError "WHERE: NAME: 'V' is not a whole number".
std::optional<std::int64_t> semi_int(const std::optional<std::string>& v, const char* name, const std::string& where);
std::optional<double> semi_double(const std::optional<std::string>& v, const char* name, const std::string& where);

}  // namespace yf::import
