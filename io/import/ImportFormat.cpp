#include "io/import/ImportFormat.hpp"

#include <algorithm>
#include <cctype>

#include "io/import/InputFile.hpp"
#include "io/import/KlarfImporter.hpp"
#include "io/import/SemiMapImporter.hpp"
#include "io/import/SinfImporter.hpp"
#include "io/import/StdfImporter.hpp"
#include "io/import/Wm811kImporter.hpp"

namespace yf::import {

namespace {

struct FormatName {
  ImportFormat format;
  const char* name;
};
constexpr FormatName kNames[] = {{ImportFormat::klarf, "klarf"}, {ImportFormat::stdf, "stdf"},
                                 {ImportFormat::e142, "e142"},   {ImportFormat::g85, "g85"},
                                 {ImportFormat::sinf, "sinf"},   {ImportFormat::wm811k, "wm811k"}};

bool iequals(std::string_view a, std::string_view b) {
  return a.size() == b.size() && std::equal(a.begin(), a.end(), b.begin(), [](char x, char y) {
           return std::tolower(static_cast<unsigned char>(x)) == std::tolower(static_cast<unsigned char>(y));
         });
}

bool starts_with_word(std::string_view s, std::string_view word) {
  if (s.size() < word.size() || !iequals(s.substr(0, word.size()), word)) return false;
  return s.size() == word.size() || !std::isalnum(static_cast<unsigned char>(s[word.size()]));
}

std::string_view skip_space(std::string_view s) {
  std::size_t i = 0;
  while (i < s.size() && std::isspace(static_cast<unsigned char>(s[i]))) ++i;
  return s.substr(i);
}

bool is_stdf(std::string_view h) {
  if (h.size() < 6) return false;
  const auto b = [&](std::size_t i) { return static_cast<unsigned char>(h[i]); };
  const bool len2 = (b(0) == 0 && b(1) == 2) || (b(0) == 2 && b(1) == 0);
  return len2 && b(2) == 0 && b(3) == 10 && (b(4) == 1 || b(4) == 2) && b(5) == 4;
}

bool is_klarf(std::string_view t) {
  if (starts_with_word(t, "FileVersion")) return true;
  if (!starts_with_word(t, "Record")) return false;
  return starts_with_word(skip_space(t.substr(6)), "FileRecord");
}

// The root element's local name (after comments, the XML declaration, DOCTYPE).
std::string_view xml_root(std::string_view t) {
  while (!t.empty() && t[0] == '<') {
    if (t.substr(0, 2) == "<?" || t.substr(0, 2) == "<!") {
      const std::size_t end = t.find('>');
      if (end == std::string_view::npos) return {};
      t = skip_space(t.substr(end + 1));
      continue;
    }
    std::size_t i = 1;
    while (i < t.size() && !std::isspace(static_cast<unsigned char>(t[i])) && t[i] != '>' && t[i] != '/') ++i;
    std::string_view name = t.substr(1, i - 1);
    const std::size_t colon = name.find(':');
    if (colon != std::string_view::npos) name = name.substr(colon + 1);
    return name;
  }
  return {};
}

bool is_sinf(std::string_view t) {
  static constexpr std::string_view kKeys[] = {"DEVICE", "LOT", "WAFER", "FNLOC", "ROWCT", "COLCT",
                                               "BCEQU", "REFPX", "REFPY", "DUTMS", "XDIES", "YDIES"};
  const std::size_t colon = t.find(':');
  if (colon == std::string_view::npos || colon > 16) return false;
  const std::string_view key = t.substr(0, colon);
  return std::any_of(std::begin(kKeys), std::end(kKeys), [&](std::string_view k) { return iequals(k, key); });
}

bool is_wm811k(std::string_view t) {
  if (t.empty() || t[0] != '{') return false;
  const std::string_view first = t.substr(0, t.find('\n'));
  return first.find("\"map\"") != std::string_view::npos &&
         (first.find("\"lotName\"") != std::string_view::npos || first.find("\"waferIndex\"") != std::string_view::npos);
}

}  // namespace

const char* format_name(ImportFormat f) {
  for (const auto& n : kNames)
    if (n.format == f) return n.name;
  return "?";
}

std::optional<ImportFormat> parse_format_name(std::string_view name) {
  for (const auto& n : kNames)
    if (iequals(name, n.name)) return n.format;
  return std::nullopt;
}

const std::vector<ImportFormat>& all_formats() {
  static const std::vector<ImportFormat> all = [] {
    std::vector<ImportFormat> v;
    for (const auto& n : kNames) v.push_back(n.format);
    return v;
  }();
  return all;
}

std::optional<ImportFormat> detect_format_from_head(std::string_view head) {
  if (is_stdf(head)) return ImportFormat::stdf;
  std::string_view t = head;
  if (t.substr(0, 3) == "\xEF\xBB\xBF") t = t.substr(3);  // UTF-8 byte-order mark
  t = skip_space(t);
  if (is_klarf(t)) return ImportFormat::klarf;
  if (!t.empty() && t[0] == '<') {
    if (t.find("E142") != std::string_view::npos) return ImportFormat::e142;
    const std::string_view root = xml_root(t);
    if (root == "MapData" || root == "SubstrateMaps") return ImportFormat::e142;
    if (root == "Map" || root == "Maps") return ImportFormat::g85;
    return std::nullopt;
  }
  if (is_sinf(t)) return ImportFormat::sinf;
  if (is_wm811k(t)) return ImportFormat::wm811k;
  return std::nullopt;
}

ImportFormat detect_format(const std::string& path) {
  const std::string head = read_head(path, 4096);
  if (auto f = detect_format_from_head(head)) return *f;
  throw ImportError(path + ": not a file of a known format (KLARF, STDF, SEMI E142 or G85 XML, SINF, "
                           "WM-811K JSON lines); give --format to force one");
}

void import_file(const std::string& path, ImportFormat format, const ImportOptions& options, ImportSink& sink) {
  switch (format) {
    case ImportFormat::klarf: return import_klarf(path, options, sink);
    case ImportFormat::wm811k: return import_wm811k(path, options, sink);
    case ImportFormat::stdf: return import_stdf(path, options, sink);
    case ImportFormat::e142: return import_e142(path, options, sink);
    case ImportFormat::g85: return import_g85(path, options, sink);
    case ImportFormat::sinf: return import_sinf(path, options, sink);
  }
  throw ImportError(path + ": the " + std::string(format_name(format)) +
                    " importer is not part of this build yet");
}

}  // namespace yf::import
