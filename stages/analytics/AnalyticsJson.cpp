#include "stages/analytics/AnalyticsJson.hpp"

namespace yf::analytics {

nlohmann::ordered_json analytics_json(const Analytics& analytics) {
  nlohmann::ordered_json j = analytics;
  return j;
}

Analytics analytics_from_json_text(const std::string& text, const std::string& where) {
  nlohmann::json j;
  try {
    j = nlohmann::json::parse(text);
  } catch (const nlohmann::json::exception& e) {
    throw std::invalid_argument(where + ": analytics JSON does not parse: " + e.what());
  }
  if (!j.is_object()) throw std::invalid_argument(where + ": analytics JSON is not an object");
  const int version = j.value("format_version", 0);
  if (version < 1 || version > kAnalyticsFormatVersion)
    throw std::invalid_argument(where + ": analytics JSON format_version " + std::to_string(version) +
                                " is not supported (this build reads 1.." + std::to_string(kAnalyticsFormatVersion) +
                                ")");
  try {
    return j.get<Analytics>();
  } catch (const nlohmann::json::exception& e) {
    throw std::invalid_argument(where + ": analytics JSON has a field of the wrong type: " + e.what());
  }
}

}  // namespace yf::analytics
