#include "io/OutputCompare.hpp"

#include <fmt/format.h>

#include <algorithm>
#include <cmath>
#include <fstream>
#include <map>
#include <nlohmann/json.hpp>
#include <set>
#include <stdexcept>

#include "io/WafersCsv.hpp"

namespace yf {
namespace {

bool is_yield_field(const std::string& f) { return f.find("yield") != std::string::npos; }

// wafers.csv keyed by "file-name/wafer_id" (the folder part of source_file may
// differ between machines), keeping input order.
struct CsvTable {
  std::vector<std::string> header;
  std::vector<std::string> order;
  std::map<std::string, std::vector<std::string>> rows;
};

CsvTable read_csv(const std::filesystem::path& path) {
  std::ifstream in(path);
  if (!in) throw std::runtime_error(path.string() + ": cannot open");
  CsvTable t;
  std::string line;
  if (!std::getline(in, line)) throw std::runtime_error(path.string() + ": empty");
  t.header = parse_csv_line(line);
  auto col = [&](const char* name) {
    auto it = std::find(t.header.begin(), t.header.end(), name);
    if (it == t.header.end()) throw std::runtime_error(path.string() + ": column '" + name + "' missing");
    return static_cast<std::size_t>(it - t.header.begin());
  };
  const std::size_t file_col = col("source_file"), id_col = col("wafer_id");
  while (std::getline(in, line)) {
    if (line.empty()) continue;
    auto fields = parse_csv_line(line);
    fields.resize(t.header.size());
    std::string key = std::filesystem::path(fields[file_col]).filename().string() + "/" + fields[id_col];
    t.order.push_back(key);
    t.rows[key] = std::move(fields);
  }
  return t;
}

bool values_equal(const std::string& field, const std::string& a, const std::string& b, double tol) {
  if (a == b) return true;
  if (!is_yield_field(field) || a.empty() || b.empty()) return false;
  try {
    return std::fabs(std::stod(a) - std::stod(b)) <= tol;
  } catch (const std::exception&) {
    return false;
  }
}

void compare_csv(const CsvTable& golden, const CsvTable& actual, double tol, std::vector<OutputDifference>& out) {
  for (const std::string& key : golden.order) {
    auto it = actual.rows.find(key);
    if (it == actual.rows.end()) {
      out.push_back({"wafer", key, "(row)", "present", "missing"});
      continue;
    }
    const auto& g = golden.rows.at(key);
    for (std::size_t c = 0; c < golden.header.size(); ++c) {
      const std::string& field = golden.header[c];
      if (field == "source_file") continue;  // folders differ between machines; the key holds the name
      auto ac = std::find(actual.header.begin(), actual.header.end(), field);
      if (ac == actual.header.end()) {
        out.push_back({"wafer", key, field, g[c], "(no column)"});
        continue;
      }
      const std::string& a = it->second[static_cast<std::size_t>(ac - actual.header.begin())];
      if (!values_equal(field, g[c], a, tol)) out.push_back({"wafer", key, field, g[c], a});
    }
  }
  for (const std::string& key : actual.order)
    if (!golden.rows.count(key)) out.push_back({"wafer", key, "(row)", "missing", "present"});
  if (golden.order != actual.order && out.empty())
    out.push_back({"wafer", "(all)", "(order)", "input order", "different order"});
}

nlohmann::json read_json(const std::filesystem::path& path) {
  std::ifstream in(path);
  if (!in) throw std::runtime_error(path.string() + ": cannot open");
  try {
    return nlohmann::json::parse(in);
  } catch (const std::exception& e) {
    throw std::runtime_error(path.string() + ": not valid JSON: " + e.what());
  }
}

std::string show(const nlohmann::json& v) { return v.is_null() ? "null" : v.dump(); }

void compare_json_value(const std::string& key, const std::string& field, const nlohmann::json& g,
                        const nlohmann::json& a, double tol, std::vector<OutputDifference>& out) {
  if (g.is_number() && a.is_number() && is_yield_field(field)) {
    if (std::fabs(g.get<double>() - a.get<double>()) > tol) out.push_back({"group", key, field, show(g), show(a)});
  } else if (g != a) {
    out.push_back({"group", key, field, show(g), show(a)});
  }
}

void compare_summary(const nlohmann::json& golden, const nlohmann::json& actual, double tol,
                     std::vector<OutputDifference>& out) {
  for (const char* field : {"format", "format_version", "wafers"})
    compare_json_value("(run)", field, golden.value(field, nlohmann::json()), actual.value(field, nlohmann::json()),
                       tol, out);
  auto count = [](const nlohmann::json& j, const char* f) { return j.contains(f) ? j[f].size() : 0; };
  for (const char* f : {"failed_wafers", "failed_files"})
    if (count(golden, f) != count(actual, f))
      out.push_back({"group", "(run)", f, std::to_string(count(golden, f)), std::to_string(count(actual, f))});
  const nlohmann::json empty = nlohmann::json::object();
  const auto& gg = golden.contains("groups") ? golden["groups"] : empty;
  const auto& ag = actual.contains("groups") ? actual["groups"] : empty;
  for (const auto& [kind, groups] : gg.items()) {
    const auto& agroups = ag.contains(kind) ? ag[kind] : empty;
    for (const auto& [name, stats] : groups.items()) {
      const std::string key = kind + "/" + name;
      if (!agroups.contains(name)) {
        out.push_back({"group", key, "(group)", "present", "missing"});
        continue;
      }
      for (const auto& [field, value] : stats.items())
        compare_json_value(key, field, value, agroups[name].value(field, nlohmann::json()), tol, out);
    }
    for (const auto& [name, stats] : agroups.items())
      if (!groups.contains(name)) out.push_back({"group", kind + "/" + name, "(group)", "missing", "present"});
  }
}

}  // namespace

std::vector<OutputDifference> compare_outputs(const std::filesystem::path& golden, const std::filesystem::path& actual,
                                              const CompareOptions& options) {
  std::vector<OutputDifference> diffs;
  compare_csv(read_csv(golden / "wafers.csv"), read_csv(actual / "wafers.csv"), options.yield_tolerance, diffs);
  compare_summary(read_json(golden / "summary.json"), read_json(actual / "summary.json"), options.yield_tolerance,
                  diffs);
  return diffs;
}

std::string format_differences(const std::vector<OutputDifference>& diffs) {
  std::vector<std::string> head = {"scope", "key", "field", "golden", "actual"};
  std::vector<std::size_t> width(head.size());
  for (std::size_t i = 0; i < head.size(); ++i) width[i] = head[i].size();
  auto cells = [](const OutputDifference& d) {
    return std::vector<std::string>{d.scope, d.key, d.field, d.golden, d.actual};
  };
  for (const auto& d : diffs) {
    auto c = cells(d);
    for (std::size_t i = 0; i < c.size(); ++i) width[i] = std::max(width[i], std::min<std::size_t>(c[i].size(), 60));
  }
  std::string out;
  auto line = [&](const std::vector<std::string>& c) {
    for (std::size_t i = 0; i < c.size(); ++i) out += fmt::format("{:<{}}{}", c[i], width[i], i + 1 < c.size() ? "  " : "\n");
  };
  line(head);
  std::vector<std::string> rule;
  for (std::size_t w : width) rule.push_back(std::string(w, '-'));
  line(rule);
  for (const auto& d : diffs) line(cells(d));
  return out;
}

}  // namespace yf
