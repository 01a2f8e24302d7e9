#include "io/report/HtmlText.hpp"

#include <fmt/format.h>

#include <cmath>
#include <ctime>

#include "core/Base64.hpp"

namespace yf::report {

std::string html_escape(std::string_view text) {
  std::string out;
  out.reserve(text.size() + text.size() / 8);
  for (char c : text) {
    switch (c) {
      case '&': out += "&amp;"; break;
      case '<': out += "&lt;"; break;
      case '>': out += "&gt;"; break;
      case '"': out += "&quot;"; break;
      case '\'': out += "&#39;"; break;
      default: {
        auto u = static_cast<unsigned char>(c);
        if ((u < 0x20 && c != '\t' && c != '\n' && c != '\r') || u == 0x7f)
          out += "\xEF\xBF\xBD";  // U+FFFD
        else
          out += c;
      }
    }
  }
  return out;
}

std::string base64_encode(const std::uint8_t* data, std::size_t size) { return base64::encode(data, size); }

std::string data_uri(std::string_view mime, const std::vector<std::uint8_t>& bytes) {
  return "data:" + std::string(mime) + ";base64," + base64_encode(bytes);
}

std::string format_percent(std::optional<double> fraction, int digits) {
  if (!fraction || !std::isfinite(*fraction)) return "n/a";
  return fmt::format("{:.{}f} %", *fraction * 100.0, digits);
}

std::string format_number(std::optional<double> value, int digits) {
  if (!value || !std::isfinite(*value)) return "n/a";
  return fmt::format("{:.{}f}", *value, digits);
}

std::string format_count(std::int64_t value) {
  std::uint64_t magnitude = value < 0 ? 0 - static_cast<std::uint64_t>(value) : static_cast<std::uint64_t>(value);
  std::string digits = std::to_string(magnitude);
  std::string out;
  for (std::size_t i = 0; i < digits.size(); ++i) {
    if (i > 0 && (digits.size() - i) % 3 == 0) out += ',';
    out += digits[i];
  }
  return value < 0 ? "-" + out : out;
}

std::string format_p_value(std::optional<double> p) {
  if (!p || !std::isfinite(*p)) return "n/a";
  if (*p < 0.001) return fmt::format("{:.1e}", *p);
  return fmt::format("{:.3f}", *p);
}

std::string format_time(std::int64_t unix_seconds) {
  std::time_t t = static_cast<std::time_t>(unix_seconds);
  std::tm tm{};
  if (!gmtime_r(&t, &tm)) return std::to_string(unix_seconds);
  return fmt::format("{:04d}-{:02d}-{:02d} {:02d}:{:02d}", tm.tm_year + 1900, tm.tm_mon + 1, tm.tm_mday, tm.tm_hour,
                     tm.tm_min);
}

}  // namespace yf::report
