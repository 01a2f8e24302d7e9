#pragma once
// Generated pass/fail maps of each WM-811K pattern class, for training the pattern
// classifier. The sample generator (WaferSynth) draws one narrow variant of each
// pattern, sized for the sample datasets; real WM-811K maps vary much more (small and
// large centre spots, partial rings and donuts, edge rings one to three dies thick,
// broken and curved scratches, Random at 20-60%, all on 1-12% scattered fails). This
// draws those variations on random grids of 20 to 90 dies across. docs/patterns.md.
#include <cstdint>

#include "stages/PatternFeatures.hpp"

namespace yf {

// A map of pattern class `class_id` (index into pattern_classes()), a pure function of
// the seed. Throws std::invalid_argument for an unknown class.
FailMap synthesize_pattern_map(int class_id, std::uint64_t seed);

// Drawing ranges that a training recipe may widen (the defaults are the shipped recipe's).
struct PatternSynthOptions {
  // Loc: the cluster centre's distance from the wafer centre, in wafer radii, uniform.
  double loc_rho_min = 0.2, loc_rho_max = 0.75;
};
FailMap synthesize_pattern_map(int class_id, std::uint64_t seed, const PatternSynthOptions& options);

}  // namespace yf
