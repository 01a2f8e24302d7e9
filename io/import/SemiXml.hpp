#pragma once
// A thin streaming XML cursor over libxml2's xmlTextReader for the SEMI map
// importers: element by element, local names (namespaces ignored), attributes,
// text content, and the line for messages. No DTD loading, no network, no entity
// expansion (XML_PARSE_NONET and nothing else).
#include <optional>
#include <string>
#include <string_view>

namespace yf::import {

class SemiXml {
 public:
  explicit SemiXml(const std::string& path);  // throws ImportError "PATH: cannot open"
  ~SemiXml();
  SemiXml(const SemiXml&) = delete;
  SemiXml& operator=(const SemiXml&) = delete;

  // Moves to the next element start or end; false at the end of the document.
  // Throws ImportError "PATH: line N: XML error: ..." for malformed XML.
  bool next();
  bool is_start() const { return start_; }
  bool is_empty() const { return empty_; }  // <X/>: no end event follows
  const std::string& name() const { return name_; }
  int depth() const { return depth_; }
  int line() const;

  // Attribute of the current start element (local name, case-sensitive).
  std::optional<std::string> attr(const char* name) const;
  bool has_attr(const char* name) const { return attr(name).has_value(); }
  // The text (and CDATA) inside the current start element; moves to its end.
  std::string text();
  // SemiXmlFast's shortcut; libxml2's reading always takes text().
  template <class Take>
  bool text_if(Take&&) {
    return false;
  }

  const std::string& path() const { return path_; }
  std::string where() const { return path_ + ": line " + std::to_string(line()); }

 private:
  int read();

  std::string path_;
  void* reader_ = nullptr;  // xmlTextReaderPtr, opaque so libxml2's headers stay in the .cpp
  std::string name_;
  bool start_ = false, empty_ = false;
  int depth_ = 0;
  std::string error_;
  int error_line_ = 0;
  friend struct SemiXmlErrors;
};

}  // namespace yf::import
