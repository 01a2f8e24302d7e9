#include "io/import/ImportFiles.hpp"

#include "io/DatasetWriter.hpp"

namespace yf::import {

ImportSummary import_files(const std::vector<std::string>& inputs, std::optional<ImportFormat> format,
                           const ImportOptions& options, const std::string& output, WarningHandler on_warning) {
  if (inputs.empty()) throw ImportError("import: no input files");
  // Detect every format first: an unknown file fails before anything is written.
  std::vector<ImportFormat> formats;
  for (const std::string& in : inputs) formats.push_back(format ? *format : detect_format(in));

  // Variable-length strings: ids longer than the spec's fixed sizes are kept whole
  // (DatasetSink.hpp). The writer removes its temporary file unless finish() ran.
  DatasetWriterOptions wopt;
  wopt.strings = StringKind::variable;
  DatasetWriter writer(output, wopt);
  DatasetSink sink(writer, std::move(on_warning));
  for (std::size_t i = 0; i < inputs.size(); ++i) {
    sink.begin_file(inputs[i]);
    import_file(inputs[i], formats[i], options, sink);
    sink.end_file();
  }
  sink.finish();
  return ImportSummary{inputs.size(), sink.wafers_written(), sink.warnings()};
}

}  // namespace yf::import
