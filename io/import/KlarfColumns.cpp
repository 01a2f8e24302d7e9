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
  c.roles.assign(names.size(), DefectColumns::other);
  for (std::size_t i = 0; i < names.size(); ++i) {
    const bool image = i < image_types.size() && image_types[i];
    const Known* k = image ? &kKnown[10] : lookup(names[i]);
    if (!k) continue;
    int& slot = c.*(k->slot);
    if (slot >= 0) tok.fail(line, std::string("the defect columns name ") + k->name + " twice");
    slot = static_cast<int>(i);
    c.roles[i] = static_cast<DefectColumns::Role>(1 + (k - kKnown));
  }
  for (const char* need : {"XREL", "YREL", "XINDEX", "YINDEX"}) {
    for (const Known& k : kKnown)
      if (std::string_view(k.name) == need && c.*(k.slot) < 0)
        tok.fail(line, std::string("the defect columns have no ") + need + ": defects cannot be placed on the wafer");
  }
  return c;
}

void set_defect_value(KlarfDefect& d, const DefectColumns& c, std::size_t col, std::string_view s,
                      const KlarfTokenizer& tok, std::uint64_t line) {
  const DefectColumns::Role role = c.roles[col];
  if (role == DefectColumns::other || role == DefectColumns::image_) return;
  static constexpr const char* kNames[] = {"",      "XREL",  "YREL",  "XINDEX",      "YINDEX", "DSIZE",
                                           "DEFECTAREA", "XSIZE", "YSIZE", "CLASSNUMBER", "TEST", "IMAGELIST"};
  auto bad = [&](const char* why) {
    tok.fail(line, std::string("defect column ") + kNames[role] + " (column " + std::to_string(col + 1) + ") is \"" +
                       std::string(s) + "\": " + why);
  };
  const bool na = klarf_na(s);
  switch (role) {
    case DefectColumns::xrel_:
    case DefectColumns::yrel_: {
      if (na) bad("the defect has no position");
      const auto v = klarf_number(s);
      if (!v) bad("not a number");
      (role == DefectColumns::xrel_ ? d.xrel : d.yrel) = *v;
      return;
    }
    case DefectColumns::xindex_:
    case DefectColumns::yindex_: {
      if (na) bad("the defect has no die");
      const auto v = klarf_integer(s);
      if (!v || *v < -1000000 || *v > 1000000) bad("not a die index");
      (role == DefectColumns::xindex_ ? d.xindex : d.yindex) = *v;
      return;
    }
    case DefectColumns::dsize_:
    case DefectColumns::area_:
    case DefectColumns::xsize_:
    case DefectColumns::ysize_: {
      std::optional<double> v;
      if (!na) {
        v = klarf_number(s);
        if (!v) bad("not a number");
      }
      (role == DefectColumns::dsize_ ? d.size : role == DefectColumns::area_ ? d.area
                                            : role == DefectColumns::xsize_ ? d.xsize
                                                                            : d.ysize) = v;
      return;
    }
    case DefectColumns::class_:
    case DefectColumns::test_: {
      std::int32_t value = role == DefectColumns::class_ ? 0 : 1;
      if (!na) {
        const auto v = klarf_integer(s);
        if (!v || *v < std::numeric_limits<std::int32_t>::min() || *v > std::numeric_limits<std::int32_t>::max())
          bad("not a 32-bit integer");
        value = static_cast<std::int32_t>(*v);
      }
      (role == DefectColumns::class_ ? d.class_number : d.test) = value;
      return;
    }
    default: return;
  }
}

KlarfDefect make_defect(const std::vector<std::string>& v, const DefectColumns& c, const KlarfTokenizer& tok,
                        std::uint64_t line) {
  KlarfDefect d;
  d.line = line;
  for (std::size_t col = 0; col < c.count; ++col) set_defect_value(d, c, col, v[col], tok, line);
  return d;
}

}  // namespace yf::import
