#pragma once
// The wafer-map pattern classifier (the WM-811K classes) over pattern_features():
// trained by `yieldflow train-patterns`, shipped as a model file, loaded once per
// run and shared read-only by every stage thread. docs/patterns.md.
#include <cstdint>
#include <memory>
#include <string>
#include <vector>

#include "stages/PatternFeatures.hpp"

namespace yf {

// Class names as WM-811K spells them; index = class id in models and outputs.
const std::vector<std::string>& pattern_classes();  // none, Center, Donut, Edge-Loc, Edge-Ring, Loc, Near-full, Random, Scratch
int pattern_class_id(const std::string& name);       // -1 when unknown (accepts any letter case)

struct PatternVerdict {
  int class_id = 0;          // index into pattern_classes()
  double confidence = 0;     // in [0, 1]: the classifier's support for class_id
};

class PatternClassifier {
 public:
  virtual ~PatternClassifier() = default;
  // Thread-safe: called concurrently from the stage nodes.
  virtual PatternVerdict classify(const FailMap& map) const = 0;
  // The same with the caller's working memory (one thread at a time per workspace):
  // what the pipeline calls, each worker with its own. By default, classify(map).
  virtual PatternVerdict classify(const FailMap& map, PatternWorkspace& workspace) const;

  // Loads a model written by save_pattern_model(). Throws std::runtime_error naming the path.
  static std::shared_ptr<const PatternClassifier> load(const std::string& path);
};

}  // namespace yf
