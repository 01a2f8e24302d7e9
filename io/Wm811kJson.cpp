#include "io/Wm811kJson.hpp"

#include <algorithm>
#include <cmath>
#include <cstdint>
#include <fstream>
#include <limits>
#include <nlohmann/json.hpp>
#include <stdexcept>

namespace yf {
namespace {

// An integer field: a JSON integer, or a number with an integral value (5.0), within
// int's range. nlohmann's get<int>() would convert 1e30 or 2.5 without a word (the
// former undefined behaviour, found by fuzz_wm811k).
int integer_field(const nlohmann::json& j, const char* name) {
  const auto& v = j.at(name);
  if (!v.is_number()) throw std::runtime_error(std::string(name) + " is not a number");
  const double d = v.get<double>();
  const bool integral = v.is_number_integer() ? true : std::floor(d) == d;
  if (v.is_number_unsigned() ? v.get<std::uint64_t>() > static_cast<std::uint64_t>(std::numeric_limits<int>::max())
                             : !(d >= std::numeric_limits<int>::min() && d <= std::numeric_limits<int>::max()))
    throw std::runtime_error(std::string(name) + " = " + v.dump() + " is out of range");
  if (!integral) throw std::runtime_error(std::string(name) + " = " + v.dump() + " is not a whole number");
  return v.is_number_integer() ? static_cast<int>(v.get<std::int64_t>()) : static_cast<int>(d);
}

}  // namespace

Wm811kMap parse_wm811k_line(std::string_view line) {
  try {
    const auto j = nlohmann::json::parse(line);
    Wm811kMap m;
    m.lot = j.at("lotName").get<std::string>();
    m.wafer_index = integer_field(j, "waferIndex");
    // Unlabelled rows carry "" (or, in other conversions, null or an empty list).
    const auto& type = j.at("failureType");
    if (type.is_string()) m.failure_type = type.get<std::string>();
    const int rows = integer_field(j, "rows"), cols = integer_field(j, "cols");
    const auto& strings = j.at("map");
    if (!strings.is_array()) throw std::runtime_error("map is not a list of strings");
    if (rows <= 0 || cols <= 0 || strings.size() != static_cast<std::size_t>(rows))
      throw std::runtime_error("map has " + std::to_string(strings.size()) + " rows, expected " + std::to_string(rows));
    m.map.rows = rows;
    m.map.cols = cols;
    // At most what the line can hold: a wrong cols must be an error below, not a huge allocation.
    m.map.cells.reserve(std::min(static_cast<std::size_t>(rows) * static_cast<std::size_t>(cols), line.size()));
    for (const auto& row : strings) {
      const auto& s = row.get_ref<const std::string&>();
      if (s.size() != static_cast<std::size_t>(cols))
        throw std::runtime_error("map row of " + std::to_string(s.size()) + " characters, expected " + std::to_string(cols));
      for (char ch : s) {
        if (ch == '0') m.map.cells.push_back(DieState::none);
        else if (ch == '1') m.map.cells.push_back(DieState::pass);
        else if (ch == '2') m.map.cells.push_back(DieState::fail);
        else throw std::runtime_error(std::string("map holds '") + ch + "', expected 0, 1 or 2");
      }
    }
    return m;
  } catch (const nlohmann::json::exception& e) {
    throw std::runtime_error(e.what());
  }
}

std::vector<Wm811kMap> read_wm811k_jsonl(const std::string& path) {
  std::ifstream in(path);
  if (!in) throw std::runtime_error(path + ": cannot open");
  std::vector<Wm811kMap> maps;
  std::string line;
  for (int line_no = 1; std::getline(in, line); ++line_no) {
    if (line.find_first_not_of(" \t\r") == std::string::npos) continue;
    try {
      maps.push_back(parse_wm811k_line(line));
    } catch (const std::runtime_error& e) {
      throw std::runtime_error(path + ":" + std::to_string(line_no) + ": " + e.what());
    }
  }
  return maps;
}

}  // namespace yf
