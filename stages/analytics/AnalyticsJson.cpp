#include "stages/analytics/AnalyticsJson.hpp"

namespace yf::analytics {

nlohmann::ordered_json analytics_json(const Analytics& analytics) {
  nlohmann::ordered_json j = analytics;
  return j;
}

std::string analytics_json_text(const Analytics& a) {
  // Same keys in the same order as YF_ANALYTICS_JSON(Analytics, ...).
  std::string out = "{\"format_version\":" + nlohmann::ordered_json(a.format_version).dump();
  out += ",\"settings\":" + nlohmann::ordered_json(a.settings).dump();
  out += ",\"wafers\":" + nlohmann::ordered_json(a.wafers).dump();
  auto list = [&out](const char* key, const auto& items) {
    out += ",\"";
    out += key;
    out += "\":[";
    for (std::size_t i = 0; i < items.size(); ++i) {
      if (i) out += ',';
      out += nlohmann::ordered_json(items[i]).dump();
    }
    out += ']';
  };
  list("fabs", a.fabs);
  list("groups", a.groups);
  out += '}';
  return out;
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
