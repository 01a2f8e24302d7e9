#include "io/import/KlarfImporter.hpp"

#include "io/import/Klarf18Parser.hpp"
#include "io/import/KlarfConvert.hpp"
#include "io/import/KlarfFlatParser.hpp"

namespace yf::import {

void import_klarf(const std::string& path, const ImportOptions& options, ImportSink& sink) {
  KlarfConverter convert(path, options, sink);
  KlarfTokenizer tok(path);
  // The first word tells the layout: FileVersion (flat 1.x) or Record (1.8).
  const KToken& first = tok.peek();
  if (first.kind != KTok::word || !(kequal(first.text, "FileVersion") || kequal(first.text, "Record")))
    tok.fail(first, "not a KLARF file: it starts with neither FileVersion nor Record FileRecord");
  if (kequal(first.text, "Record")) parse_klarf_18(path, convert);
  else parse_klarf_flat(tok, convert);
  if (convert.wafers() == 0) sink.warning(path, "the file holds no wafer");
}

}  // namespace yf::import
