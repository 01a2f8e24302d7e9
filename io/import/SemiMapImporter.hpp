#pragma once
// SEMI wafer-map XML files: E142 substrate maps (namespaces V1005 and V0105, one
// wafer per SubstrateMap, several per file) and G85 maps (one wafer per Map).
// G85 is streamed with libxml2's xmlTextReader; E142 with SemiXmlFast first, libxml2
// when that scanner declines the file (SemiMapE142.cpp). docs/formats.md ("Importing",
// E142 / G85) has the mapping; where a header's counts (BinCount, Rows/Columns,
// Layout Dimension, GoodDevices) disagree with the grid, the sink gets a warning
// and the grid wins.
#include <optional>
#include <string>

#include "io/import/ImportSink.hpp"

namespace yf::import {

// Throw ImportError "PATH: line N: ..." for input that cannot be imported.
void import_e142(const std::string& path, const ImportOptions& options, ImportSink& sink);
void import_g85(const std::string& path, const ImportOptions& options, ImportSink& sink);

// The two readings import_e142 chooses between, for the tests and the differential
// fuzzer that compare them: libxml2 alone; the fast scanner alone, which returns why
// it declined the file (the sink then holds a partial import) or nullopt when it
// read it all (errors throw ImportError as usual).
void import_e142_libxml2(const std::string& path, const ImportOptions& options, ImportSink& sink);
std::optional<std::string> import_e142_fast(const std::string& path, const ImportOptions& options, ImportSink& sink);

}  // namespace yf::import
