#include "io/import/BinCodes.hpp"

#include <cctype>

namespace yf::import {

std::string_view trim(std::string_view s) {
  while (!s.empty() && std::isspace(static_cast<unsigned char>(s.front()))) s.remove_prefix(1);
  while (!s.empty() && std::isspace(static_cast<unsigned char>(s.back()))) s.remove_suffix(1);
  return s;
}

bool iequals(std::string_view a, std::string_view b) {
  if (a.size() != b.size()) return false;
  for (std::size_t i = 0; i < a.size(); ++i)
    if (std::tolower(static_cast<unsigned char>(a[i])) != std::tolower(static_cast<unsigned char>(b[i]))) return false;
  return true;
}

std::optional<BinCodeType> parse_bin_code_type(std::string_view s) {
  s = trim(s);
  if (iequals(s, "HexaDecimal") || iequals(s, "Hex") || iequals(s, "Hexa")) return BinCodeType::hex;
  if (iequals(s, "Decimal")) return BinCodeType::decimal;
  if (iequals(s, "Ascii")) return BinCodeType::ascii;
  if (iequals(s, "Integer2")) return BinCodeType::integer2;
  return std::nullopt;
}

int code_width(BinCodeType type) {
  switch (type) {
    case BinCodeType::hex: return 2;
    case BinCodeType::decimal: return 3;
    case BinCodeType::ascii: return 1;
    case BinCodeType::integer2: return 4;
  }
  return 1;
}

bool split_codes(std::string_view row, BinCodeType type, std::vector<std::string_view>& out) {
  out.clear();
  if (type == BinCodeType::ascii) {
    // Only line breaks and tabs around the row are layout; every other character is a code.
    while (!row.empty() && (row.front() == '\n' || row.front() == '\r' || row.front() == '\t')) row.remove_prefix(1);
    while (!row.empty() && (row.back() == '\n' || row.back() == '\r' || row.back() == '\t')) row.remove_suffix(1);
    for (std::size_t i = 0; i < row.size(); ++i) out.push_back(row.substr(i, 1));
    return true;
  }
  row = trim(row);
  const bool separated = row.find_first_of(" \t\r\n,") != std::string_view::npos;
  if (separated) {
    std::size_t i = 0;
    while (i < row.size()) {
      while (i < row.size() && (std::isspace(static_cast<unsigned char>(row[i])) || row[i] == ',')) ++i;
      const std::size_t b = i;
      while (i < row.size() && !std::isspace(static_cast<unsigned char>(row[i])) && row[i] != ',') ++i;
      if (i > b) out.push_back(row.substr(b, i - b));
    }
    return true;
  }
  const auto w = static_cast<std::size_t>(code_width(type));
  if (row.size() % w != 0) return false;
  for (std::size_t i = 0; i < row.size(); i += w) out.push_back(row.substr(i, w));
  return true;
}

std::optional<int> code_value(std::string_view code, BinCodeType type) {
  if (code.empty()) return std::nullopt;
  if (type == BinCodeType::ascii) {
    if (code.size() != 1) return std::nullopt;
    return static_cast<unsigned char>(code[0]);
  }
  const int base = type == BinCodeType::decimal ? 10 : 16;
  if (code.size() > 7) return std::nullopt;  // fits an int
  int v = 0;
  for (char c : code) {
    int d;
    if (c >= '0' && c <= '9')
      d = c - '0';
    else if (base == 16 && c >= 'a' && c <= 'f')
      d = c - 'a' + 10;
    else if (base == 16 && c >= 'A' && c <= 'F')
      d = c - 'A' + 10;
    else
      return std::nullopt;
    v = v * base + d;
  }
  return v;
}

}  // namespace yf::import
