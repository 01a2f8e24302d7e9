#pragma once
// The DefectRecordSpec (1.x) / DefectList Columns (1.8) of a KLARF file: where the
// columns the importer uses stand, in any order, among any others; and one row's
// values turned into a KlarfDefect.
#include <string>
#include <vector>

#include "io/import/KlarfData.hpp"
#include "io/import/KlarfTokenizer.hpp"

namespace yf::import {

struct DefectColumns {
  enum Role : std::uint8_t { other, xrel_, yrel_, xindex_, yindex_, dsize_, area_, xsize_, ysize_, class_, test_, image_ };
  std::size_t count = 0;
  std::vector<Role> roles;  // per column
  int xrel = -1, yrel = -1, xindex = -1, yindex = -1;  // required
  int dsize = -1, area = -1, xsize = -1, ysize = -1, classnumber = -1, test = -1;
  int imagelist = -1;  // the variable-length IMAGELIST / ImageList column

  // Column names as written (case-insensitive; a name cut short, e.g. CLASSNUM,
  // counts when it starts exactly one known name). `image_types[i]` marks a column
  // declared as an image list (1.8 type ImageList); 1.x uses the name IMAGELIST.
  // Throws ImportError at `line` when a required column is missing or doubled.
  static DefectColumns from_names(const std::vector<std::string>& names, const std::vector<bool>& image_types,
                                  const KlarfTokenizer& tok, std::uint64_t line);
};

// Sets the field of `d` that column `col` holds from its text (the flat parser
// calls this for each value as it reads it: no row is kept as text). Same errors as
// make_defect.
void set_defect_value(KlarfDefect& d, const DefectColumns& cols, std::size_t col, std::string_view text,
                      const KlarfTokenizer& tok, std::uint64_t line);

// One row (values in column order; the image list column's value is ignored).
// Throws ImportError naming the line and the column for a value that is not a
// number where one is needed (NA is accepted where the importer can do without).
KlarfDefect make_defect(const std::vector<std::string>& values, const DefectColumns& cols, const KlarfTokenizer& tok,
                        std::uint64_t line);

}  // namespace yf::import
