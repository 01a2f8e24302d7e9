// yf_train_patterns: a thin stand-in for `yieldflow train-patterns` (the command's
// options map one to one onto TrainPatternsOptions), so the shipped model can be
// rebuilt and the evaluation rerun before the CLI has the subcommand.
//   yf_train_patterns [--seed S] [--synthetic N] [--folds K] [--trees T] [-o MODEL] REAL.jsonl... [--none-file F]
// Recipe experiments (branch patterns9): --loc-rho MIN,MAX, --real-class-balance P,
//   --companion mlp|knn [--companion-weight W] [--mlp-hidden H] [--mlp-iterations N] [--knn-k K]
#include <cstdlib>
#include <exception>
#include <iostream>
#include <string>

#include "samples/TrainPatterns.hpp"

int main(int argc, char** argv) {
  yf::TrainPatternsOptions o;
  o.report = &std::cout;
  try {
    for (int i = 1; i < argc; ++i) {
      const std::string a = argv[i];
      auto next = [&]() -> std::string {
        if (i + 1 >= argc) throw std::invalid_argument(a + " needs a value");
        return argv[++i];
      };
      if (a == "--seed") o.seed = std::stoull(next());
      else if (a == "--synthetic") o.synthetic_per_class = std::stoi(next());
      else if (a == "--sample-share") o.sample_generator_share = std::stod(next());
      else if (a == "--real-weight") o.real_weight = std::stod(next());
      else if (a == "--folds") o.folds = std::stoi(next());
      else if (a == "--real-fraction") o.real_fraction = std::stod(next());
      else if (a == "--trees") o.forest.trees = std::stoi(next());
      else if (a == "--depth") o.forest.max_depth = std::stoi(next());
      else if (a == "--min-samples") o.forest.min_sample_count = std::stoi(next());
      else if (a == "--active-vars") o.forest.active_vars = std::stoi(next());
      else if (a == "--loc-rho") {
        const std::string v = next();
        const auto comma = v.find(',');
        if (comma == std::string::npos) throw std::invalid_argument("--loc-rho needs MIN,MAX");
        o.synth.loc_rho_min = std::stod(v.substr(0, comma));
        o.synth.loc_rho_max = std::stod(v.substr(comma + 1));
      }
      else if (a == "--real-class-balance") o.real_class_balance = std::stod(next());
      else if (a == "--companion") o.use_companion = true, o.companion.kind = yf::pattern_companion_kind(next());
      else if (a == "--companion-weight") o.companion_weight = std::stod(next());
      else if (a == "--mlp-hidden") o.companion.hidden = std::stoi(next());
      else if (a == "--mlp-iterations") o.companion.iterations = std::stoi(next());
      else if (a == "--knn-k") o.companion.k = std::stoi(next());
      else if (a == "--none-file") o.none_file = next();
      else if (a == "-o" || a == "--out") o.output = next();
      else if (!a.empty() && a[0] == '-') throw std::invalid_argument("unknown option " + a);
      else o.real_files.push_back(a);
    }
    return yf::train_patterns(o);
  } catch (const std::exception& e) {
    std::cerr << "yf_train_patterns: " << e.what() << "\n";
    return 2;
  }
}
