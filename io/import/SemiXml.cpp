#include "io/import/SemiXml.hpp"

#include <libxml/xmlreader.h>

#include "io/import/ImportSink.hpp"

namespace yf::import {

struct SemiXmlErrors {
  static void on_error(void* ctx, xmlErrorPtr err) {
    auto* self = static_cast<SemiXml*>(ctx);
    if (!err || !self->error_.empty()) return;  // keep the first
    self->error_ = err->message ? err->message : "malformed XML";
    while (!self->error_.empty() && (self->error_.back() == '\n' || self->error_.back() == ' ')) self->error_.pop_back();
    self->error_line_ = err->line;
  }
};

namespace {
xmlTextReaderPtr as_reader(void* p) { return static_cast<xmlTextReaderPtr>(p); }
}  // namespace

SemiXml::SemiXml(const std::string& path) : path_(path) {
  // BIG_LINES: without it, line numbers stop at 65,535.
  reader_ = xmlReaderForFile(path.c_str(), nullptr, XML_PARSE_NONET | XML_PARSE_BIG_LINES);
  if (!reader_) throw ImportError(path + ": cannot open");
  xmlTextReaderSetStructuredErrorHandler(as_reader(reader_), &SemiXmlErrors::on_error, this);
}

SemiXml::~SemiXml() {
  if (reader_) xmlFreeTextReader(as_reader(reader_));
}

int SemiXml::line() const {
  // The current node's own line (the parser's line runs ahead of the reader).
  if (xmlNodePtr node = xmlTextReaderCurrentNode(as_reader(reader_))) {
    const long l = xmlGetLineNo(node);
    if (l > 0) return static_cast<int>(l);
  }
  const int l = xmlTextReaderGetParserLineNumber(as_reader(reader_));
  return l > 0 ? l : error_line_;
}

int SemiXml::read() {
  const int r = xmlTextReaderRead(as_reader(reader_));
  if (r < 0 || !error_.empty()) {
    const int l = error_line_ > 0 ? error_line_ : line();
    throw ImportError(path_ + ": line " + std::to_string(l) + ": XML error: " +
                      (error_.empty() ? std::string("malformed XML") : error_));
  }
  return r;
}

bool SemiXml::next() {
  while (read() == 1) {
    const int type = xmlTextReaderNodeType(as_reader(reader_));
    if (type != XML_READER_TYPE_ELEMENT && type != XML_READER_TYPE_END_ELEMENT) continue;
    const xmlChar* n = xmlTextReaderConstLocalName(as_reader(reader_));
    name_ = n ? reinterpret_cast<const char*>(n) : "";
    start_ = type == XML_READER_TYPE_ELEMENT;
    empty_ = start_ && xmlTextReaderIsEmptyElement(as_reader(reader_)) == 1;
    depth_ = xmlTextReaderDepth(as_reader(reader_));
    return true;
  }
  return false;
}

std::optional<std::string> SemiXml::attr(const char* name) const {
  xmlChar* v = xmlTextReaderGetAttribute(as_reader(reader_), reinterpret_cast<const xmlChar*>(name));
  if (!v) return std::nullopt;
  std::string s(reinterpret_cast<const char*>(v));
  xmlFree(v);
  return s;
}

std::string SemiXml::text() {
  std::string out;
  if (!start_ || empty_) return out;
  const int depth = depth_;
  while (read() == 1) {
    const int type = xmlTextReaderNodeType(as_reader(reader_));
    if (type == XML_READER_TYPE_TEXT || type == XML_READER_TYPE_CDATA ||
        type == XML_READER_TYPE_SIGNIFICANT_WHITESPACE || type == XML_READER_TYPE_WHITESPACE) {
      const xmlChar* v = xmlTextReaderConstValue(as_reader(reader_));
      if (v) out += reinterpret_cast<const char*>(v);
    } else if (type == XML_READER_TYPE_END_ELEMENT && xmlTextReaderDepth(as_reader(reader_)) == depth) {
      start_ = false;
      return out;
    }
  }
  throw ImportError(where() + ": XML ends inside <" + name_ + ">");
}

}  // namespace yf::import
