#pragma once
// OUT/results.h5 (docs/formats.md): the per-wafer table and per-die verdict
// maps, streamed in batches and renamed into place by finish().
#include <filesystem>
#include <memory>
#include <string>

#include "core/WaferResult.hpp"

namespace yf {

class ResultsH5Writer {
 public:
  explicit ResultsH5Writer(const std::filesystem::path& path);
  ~ResultsH5Writer();  // without finish(), the temporary file is removed
  ResultsH5Writer(const ResultsH5Writer&) = delete;
  ResultsH5Writer& operator=(const ResultsH5Writer&) = delete;

  void append(const WaferResult& result);
  // /analytics/json: the analytics JSON text (stages/analytics/AnalyticsJson.hpp) as a
  // scalar fixed-length UTF-8 string, read back by `yieldflow report`. Before finish().
  void write_analytics_json(const std::string& json);
  void finish();

 private:
  struct Impl;
  std::unique_ptr<Impl> impl_;
};

}  // namespace yf
