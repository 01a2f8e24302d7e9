#pragma once
// Die maps as small PNG images (libpng, io/report/PngWriter.hpp) for embedding as data: URIs: a wafer's
// die verdicts (core/WaferResult.hpp DieVerdictBit) and a stacked map's per-die
// failure rate. One die is a cell x cell block with a one-pixel white gap.
#include <cstdint>
#include <vector>

#include "io/report/SvgChart.hpp"

namespace yf::report {

// The colour a die of one wafer map is drawn in (also used by the legend).
enum class DieColour { none, pass, fail, killed_fail, killed_pass, untested };
Rgb die_colour(DieColour c);
DieColour classify_die(std::uint8_t verdict_bits);

// verdicts: rows x cols row-major DieVerdictBit masks. Throws std::invalid_argument
// on a size mismatch.
std::vector<std::uint8_t> wafer_map_png(const std::vector<std::uint8_t>& verdicts, int rows, int cols, int cell);

// rates: rows x cols, NaN (or negative) where there is no die; colour
// fail_rate_colour(rate / max_rate).
std::vector<std::uint8_t> rate_map_png(const std::vector<double>& rates, int rows, int cols, int cell,
                                       double max_rate);

// A cell size that makes the longer side about `target_px` pixels (at least 2).
int cell_size_for(int rows, int cols, int target_px);

}  // namespace yf::report
