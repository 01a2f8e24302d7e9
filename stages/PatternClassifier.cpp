#include "stages/PatternClassifier.hpp"

#include <algorithm>
#include <cctype>

#include "stages/PatternModel.hpp"

namespace yf {

const std::vector<std::string>& pattern_classes() {
  static const std::vector<std::string> classes{"none",      "Center", "Donut",  "Edge-Loc", "Edge-Ring",
                                                "Loc",       "Near-full", "Random", "Scratch"};
  return classes;
}

int pattern_class_id(const std::string& name) {
  auto lower = [](std::string s) {
    std::transform(s.begin(), s.end(), s.begin(), [](unsigned char c) { return static_cast<char>(std::tolower(c)); });
    return s;
  };
  const std::string want = lower(name);
  const auto& classes = pattern_classes();
  for (std::size_t i = 0; i < classes.size(); ++i)
    if (lower(classes[i]) == want) return static_cast<int>(i);
  return -1;
}

PatternVerdict PatternClassifier::classify(const FailMap& map, PatternWorkspace&) const { return classify(map); }

std::shared_ptr<const PatternClassifier> PatternClassifier::load(const std::string& path) {
  return PatternModel::load(path);
}

}  // namespace yf
