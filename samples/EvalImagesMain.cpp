// yf_eval_images FILE.h5...: scores image detection and calibration on generated wafers
// against their truth (samples/ImageEvaluation.hpp) and prints a markdown report.
// Options: --k-sigma K, --min-defect-um U (as run's --image-k-sigma, --min-image-defect-um).
#include <cstdlib>
#include <iostream>
#include <string>
#include <vector>

#include "samples/ImageEvaluation.hpp"

int main(int argc, char** argv) {
  yf::ImageEvaluationOptions o;
  std::vector<std::string> files;
  for (int i = 1; i < argc; ++i) {
    const std::string a = argv[i];
    if (a == "--k-sigma" && i + 1 < argc) {
      o.stages.images.k_sigma = std::atof(argv[++i]);
    } else if (a == "--min-defect-um" && i + 1 < argc) {
      o.stages.images.min_defect_um = std::atof(argv[++i]);
    } else if (!a.empty() && a[0] == '-') {
      std::cerr << "usage: yf_eval_images [--k-sigma K] [--min-defect-um U] FILE.h5...\n";
      return 2;
    } else {
      files.push_back(a);
    }
  }
  if (files.empty()) {
    std::cerr << "usage: yf_eval_images [--k-sigma K] [--min-defect-um U] FILE.h5...\n";
    return 2;
  }
  try {
    std::cout << yf::evaluate_images(files, o).report();
  } catch (const std::exception& e) {
    std::cerr << "yf_eval_images: " << e.what() << "\n";
    return 3;
  }
  return 0;
}
