#pragma once
// Text helpers of the HTML report: escaping of strings that come from user
// files (lot ids, tool names), base64 for embedded images, and the number
// formats every table and chart shares (fixed digits: same input, same bytes).
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace yf::report {

// Escapes & < > " ' so the text is safe in element content and in quoted
// attribute values. Control characters other than tab, newline and carriage
// return (invalid in HTML) become U+FFFD.
std::string html_escape(std::string_view text);

// RFC 4648 base64 with padding.
std::string base64_encode(const std::uint8_t* data, std::size_t size);
inline std::string base64_encode(const std::vector<std::uint8_t>& bytes) {
  return base64_encode(bytes.data(), bytes.size());
}
// "data:<mime>;base64,...".
std::string data_uri(std::string_view mime, const std::vector<std::uint8_t>& bytes);

// 0.8523 -> "85.2 %"; empty or non-finite -> "n/a".
std::string format_percent(std::optional<double> fraction, int digits = 1);
// Fixed digits; empty or non-finite -> "n/a".
std::string format_number(std::optional<double> value, int digits = 3);
// 12345678 -> "12,345,678".
std::string format_count(std::int64_t value);
// A p-value: "1.2e-07" below 0.001, else 3 decimals; empty -> "n/a".
std::string format_p_value(std::optional<double> p);
// Unix seconds -> "2024-03-01 08:00" (UTC).
std::string format_time(std::int64_t unix_seconds);

}  // namespace yf::report
