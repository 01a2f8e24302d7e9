#pragma once
// Deterministic sample wafers with planted truth, written as v1 inspection datasets
// (../shared/spec/inspection-dataset-v1.md) through DatasetWriter.
//
// What is generated (samples/data/README.md has the full description):
// - fabs FAB14 (300 mm products P300A and P300C) and FAB7 (200 mm product P200B);
// - lots of 25 wafers, lot k in FAB14 when k is even, FAB7 when odd;
// - a process route in /history (POLY_LITHO, POLY_ETCH, M1_CMP, then V1_LITHO, V1_ETCH
//   for lots inspected at V1_ETCH), with tools and chambers;
// - a sort bin map per wafer with one spatial failure pattern (sample_patterns());
// - defect lists: killer defects inside failing product dies, nuisance defects
//   anywhere, edge defects outside product dies;
// - one excursion: FAB14 wafers processed by ETCH-03 at POLY_ETCH get extra fails;
// - /truth: the pattern, the generator's own killed/good/tested die counts, and every
//   planted defect (row-aligned with /defects: same wafers, same order).
// Everything is a function of the seed and the wafer's index in generation order,
// whatever the file split: wafer k is the same wafer for --files 0 and --files 7.
#include <cstdint>
#include <string>
#include <vector>

#include "core/ProductGeometry.hpp"
#include "io/DatasetWriter.hpp"

namespace yf {

struct SampleOptions {
  std::uint64_t seed = 1;
  int wafers = 50;          // in total, over all files; lots of 25
  std::string out_dir;      // created if missing
  int files = 0;            // 0 = one file per fab (fab14.h5, fab7.h5); N = N files sample-000.h5 ...
  bool defects = true;      // false: bin maps only (for the benchmark): no /defects, no /defect_classes
  bool bench_product = false;  // true: every lot uses sample_bench_product() (~2,450 dies), for the benchmark
  StringKind strings = StringKind::fixed;
  // Full-wafer images (samples/ImageSynth.hpp) for the first `images` wafers in
  // generation order, image_size x image_size pixels. A file holding image wafers gets
  // /images, /calibration/<tool> scaled to that image size with the tool's `flat`, and
  // /truth/images + /truth/image_defects.
  int images = 0;
  int image_size = 1024;
  std::string file_prefix = "sample";  // files = N: PREFIX-000.h5 ...
  // Lot numbering starts here (lot k is the generator's lot first_lot + k, with that lot's
  // fab, product, tool and draws): a file of other lots for the same seed.
  int first_lot = 0;
};

// Writes the files and returns their paths, in order. Throws std::invalid_argument for
// bad options and whatever DatasetWriter throws for I/O problems.
std::vector<std::string> generate_samples(const SampleOptions& options);

// The products the generator uses (their /products/<name> geometry).
std::vector<ProductGeometry> sample_products();

// The benchmark's product (--bench-product): 300 mm, 5.5 x 5 mm pitch, 55 x 60 grid,
// 2454 tested dies, near the ~2,500 dies of a WM-811K map. Not in sample_products():
// the default output never uses it.
ProductGeometry sample_bench_product();

// The spatial failure patterns of /truth/wafers.pattern.
std::vector<std::string> sample_patterns();

// The planted excursion: wafers processed by this tool at this step lose yield.
inline constexpr const char* kSampleExcursionStep = "POLY_ETCH";
inline constexpr const char* kSampleExcursionTool = "ETCH-03";

}  // namespace yf
