#include "io/import/KlarfColumns.hpp"

#include <limits>

namespace yf::import {

namespace {

struct Known {
  const char* name;
  int DefectColumns::*slot;
};
const Known kKnown[] = {{"XREL", &DefectColumns::xrel},         {"YREL", &DefectColumns::yrel},
                        {"XINDEX", &DefectColumns::xindex},     {"YINDEX", &DefectColumns::yindex},
                        {"DSIZE", &DefectColumns::dsize},       {"DEFECTAREA", &DefectColumns::area},
                        {"XSIZE", &DefectColumns::xsize},       {"YSIZE", &DefectColumns::ysize},
                        {"CLASSNUMBER", &DefectColumns::classnumber}, {"TEST", &DefectColumns::test},
                        {"IMAGELIST", &DefectColumns::imagelist}};

bool starts_with_ci(std::string_view full, std::string_view prefix) {
  return prefix.size() <= full.size() && kequal(full.substr(0, prefix.size()), prefix);
}

// The known column a name means: exact, or a cut-short name of at least 5
// characters that begins exactly one known name.
const Known* lookup(const std::string& name) {
  for (const Known& k : kKnown)
    if (kequal(name, k.name)) return &k;
  if (name.size() < 5) return nullptr;
  const Known* found = nullptr;
  for (const Known& k : kKnown) {
    if (starts_with_ci(k.name, name)) {
      if (found) return nullptr;
      found = &k;
    }
  }
  return found;
}

}  // namespace

DefectColumns DefectColumns::from_names(const std::vector<std::string>& names, const std::vector<bool>& image_types,
                                        const KlarfTokenizer& tok, std::uint64_t line) {
  DefectColumns c;
  c.count = names.size();
  for (std::size_t i = 0; i < names.size(); ++i) {
    const bool image = i < image_types.size() && image_types[i];
    const Known* k = image ? &kKnown[10] : lookup(names[i]);
    if (!k) continue;
    int& slot = c.*(k->slot);
    if (slot >= 0) tok.fail(line, std::string("the defect columns name ") + k->name + " twice");
    slot = static_cast<int>(i);
  }
  for (const char* need : {"XREL", "YREL", "XINDEX", "YINDEX"}) {
    for (const Known& k : kKnown)
      if (std::string_view(k.name) == need && c.*(k.slot) < 0)
        tok.fail(line, std::string("the defect columns have no ") + need + ": defects cannot be placed on the wafer");
  }
  return c;
}

KlarfDefect make_defect(const std::vector<std::string>& v, const DefectColumns& c, const KlarfTokenizer& tok,
                        std::uint64_t line) {
  auto bad = [&](int col, const char* name, const char* why) {
    tok.fail(line, std::string("defect column ") + name + " (column " + std::to_string(col + 1) + ") is \"" +
                       v[static_cast<std::size_t>(col)] + "\": " + why);
  };
  auto real = [&](int col, const char* name) -> double {
    const std::string& s = v[static_cast<std::size_t>(col)];
    if (klarf_na(s)) bad(col, name, "the defect has no position");
    const auto d = klarf_number(s);
    if (!d) bad(col, name, "not a number");
    return *d;
  };
  auto integer = [&](int col, const char* name) -> std::int64_t {
    const std::string& s = v[static_cast<std::size_t>(col)];
    if (klarf_na(s)) bad(col, name, "the defect has no die");
    const auto d = klarf_integer(s);
    if (!d || *d < -1000000 || *d > 1000000) bad(col, name, "not a die index");
    return *d;
  };
  auto optional_real = [&](int col, const char* name) -> std::optional<double> {
    if (col < 0) return std::nullopt;
    const std::string& s = v[static_cast<std::size_t>(col)];
    if (klarf_na(s)) return std::nullopt;
    const auto d = klarf_number(s);
    if (!d) bad(col, name, "not a number");
    return d;
  };
  auto optional_int32 = [&](int col, const char* name, std::int32_t fallback) -> std::int32_t {
    if (col < 0) return fallback;
    const std::string& s = v[static_cast<std::size_t>(col)];
    if (klarf_na(s)) return fallback;
    const auto d = klarf_integer(s);
    if (!d || *d < std::numeric_limits<std::int32_t>::min() || *d > std::numeric_limits<std::int32_t>::max())
      bad(col, name, "not a 32-bit integer");
    return static_cast<std::int32_t>(*d);
  };
  KlarfDefect d;
  d.line = line;
  d.xrel = real(c.xrel, "XREL");
  d.yrel = real(c.yrel, "YREL");
  d.xindex = integer(c.xindex, "XINDEX");
  d.yindex = integer(c.yindex, "YINDEX");
  d.size = optional_real(c.dsize, "DSIZE");
  d.area = optional_real(c.area, "DEFECTAREA");
  d.xsize = optional_real(c.xsize, "XSIZE");
  d.ysize = optional_real(c.ysize, "YSIZE");
  d.class_number = optional_int32(c.classnumber, "CLASSNUMBER", 0);
  d.test = optional_int32(c.test, "TEST", 1);
  return d;
}

}  // namespace yf::import
