// yieldflow: wafer-level yield and defect analysis. Argument parsing only: the
// work is in the library (pipeline/, stages/, io/, samples/).
#include <CLI/CLI.hpp>
#include <spdlog/sinks/stdout_color_sinks.h>
#include <spdlog/spdlog.h>

#include <malloc.h>

#include <algorithm>
#include <filesystem>
#include <iostream>

#include "app/Commands.hpp"
#include "app/RunConfig.hpp"
#include "samples/SampleGenerator.hpp"
#include "samples/TrainPatterns.hpp"

namespace {

const char* kDescription =
    "yieldflow: wafer yield and defect analysis for inspection datasets (HDF5, v1).\n"
    "  yieldflow run -o out data/*.h5        yield per wafer, lot, tool, fab, product, step\n"
    "  yieldflow inspect data/lot1.h5        what a dataset holds\n"
    "  yieldflow import f.klarf -o d.h5      KLARF, STDF, E142, G85, SINF, WM-811K into a dataset\n"
    "  yieldflow samples --seed 7 -o dir     generate sample datasets with known truth\n"
    "  yieldflow regress --golden g data/*.h5  compare a run with a golden output folder\n"
    "  yieldflow detect --reference ref.tif img.tif -o annotated.png   defects of an image pair\n"
    "  yieldflow calibrate --tool KLA-01 data/*.h5 -o kla01.yml   calibrate a tool from its images\n"
    "  yieldflow report out                  re-render out/report.html from out/results.h5\n"
    "  yieldflow train-patterns -o models/patterns.yml.gz   train the failure-pattern model\n"
    "Exit status: 0 ok, 1 some wafers/files failed (or regress found differences),\n"
    "2 bad command line or config, 3 fatal (no complete output).";

// Options shared by run and regress, declared from the single option table.
void add_run_options(CLI::App& cmd, yf::RunArgs& args, yf::RunFlags& flags) {
  const auto& t = yf::run_option_table();
  auto help = [&](std::size_t i) { return std::string(t[i].help) + " [default " + t[i].default_text + "]"; };
  cmd.add_option(t[0].flag, flags.threads, help(0))->check(CLI::Range(0, 1024));
  cmd.add_option(t[1].flag, flags.max_in_flight, help(1))->check(CLI::NonNegativeNumber);
  cmd.add_option(t[2].flag, flags.min_kill_size_um, help(2))->check(CLI::NonNegativeNumber);
  cmd.add_option(t[3].flag, flags.pattern_model, help(3));
  cmd.add_flag("--no-patterns", flags.no_patterns, "do not classify failure patterns");
  cmd.add_option(t[4].flag, flags.min_image_defect_um, help(4))->check(CLI::NonNegativeNumber);
  cmd.add_option(t[5].flag, flags.image_k_sigma, help(5))->check(CLI::Range(1.0, 100.0));
  cmd.add_option(t[6].flag, flags.calibration, help(6))->check(CLI::ExistingFile);
  cmd.add_flag("--no-images", flags.no_images, "ignore /images: yield from the tools' defect lists alone");
  cmd.add_flag("--no-analytics", flags.no_analytics,
               "no yield analytics (summary.json \"analytics\", OUT/tables/, report.html)");
  cmd.add_option("--config", flags.config,
                 "YAML file of option: value (keys: threads, max_in_flight, min_kill_size_um, pattern_model, "
                 "min_image_defect_um, image_k_sigma, calibration); "
                 "command-line flags win")
      ->check(CLI::ExistingFile);
  cmd.add_option("inputs", args.inputs,
                 "inspection datasets (.h5), or KLARF/STDF/E142/G85/SINF/WM-811K files (imported on the fly); "
                 "none: the bundled samples");
}

// Options resolved and checked, inputs defaulted to the bundled samples.
void prepare(yf::RunArgs& args, const yf::RunFlags& flags) {
  args.options = yf::resolve_run_options(flags);
  if (args.inputs.empty()) {
    args.inputs = yf::bundled_samples();
    if (args.inputs.empty()) throw std::runtime_error("no inputs given and no bundled samples found");
    spdlog::info("no inputs given: using the {} bundled sample files", args.inputs.size());
  }
}

}  // namespace

int main(int argc, char** argv) {
  // The image stage allocates and frees float images of 16-64 MB per wafer. glibc would
  // map each from the kernel and return it on free (zeroed pages faulted in again every
  // time: ~10 % of an image run's CPU); keep them in the heap for reuse instead.
  mallopt(M_MMAP_THRESHOLD, 256 << 20);
  mallopt(M_TRIM_THRESHOLD, 512 << 20);
  auto logger = spdlog::stderr_color_mt("yieldflow");
  spdlog::set_default_logger(logger);
  spdlog::set_pattern("%^%l%$: %v");

  CLI::App app{kDescription, "yieldflow"};
  app.require_subcommand(1);
  app.fallthrough();  // -v / -q also after the subcommand: yieldflow run -q ...
  bool verbose = false, quiet = false;
  app.add_flag("-v,--verbose", verbose, "log debug details");
  app.add_flag("-q,--quiet", quiet, "log errors only");

  yf::RunArgs run_args;
  yf::RunFlags run_flags;
  bool no_progress = false;
  auto* run = app.add_subcommand("run", "analyse datasets: writes OUT/wafers.csv, summary.json, results.h5");
  add_run_options(*run, run_args, run_flags);
  run->add_option("-o,--out", run_args.out_dir, "output folder [default out]");
  run->add_flag("--no-progress", no_progress, "no progress line (it only shows on a terminal anyway)");

  std::string inspect_path;
  auto* inspect = app.add_subcommand("inspect", "print a short summary of a dataset");
  inspect->add_option("file", inspect_path, "dataset (.h5)")->required();

  yf::ImportArgs import_args;
  auto* importer = app.add_subcommand("import", "KLARF, STDF, SEMI E142/G85, SINF or WM-811K files into one v1 dataset");
  importer->add_option("inputs", import_args.inputs, "input files (plain or gzip)")->required();
  importer->add_option("-o,--out", import_args.output, "dataset to write (.h5)")->required();
  importer->add_option("--format", import_args.format, "klarf, stdf, e142, g85, sinf or wm811k [default: from content]");
  importer->add_option("--fab", import_args.options.fab, "fab, for files that do not name one");
  importer->add_option("--tool", import_args.options.tool, "tool, for files that do not name one");
  importer->add_option("--product", import_args.options.product, "product, for files that do not name one");
  importer->add_option("--step", import_args.options.step, "process step, for files that do not name one");

  yf::SampleOptions samples;
  bool bins_only = false, vlen = false;
  auto* gen = app.add_subcommand("samples", "write sample datasets (deterministic from the seed, with /truth)");
  gen->add_option("--seed", samples.seed, "random seed [default 1]");
  gen->add_option("--wafers", samples.wafers, "number of wafers [default 50]")->check(CLI::PositiveNumber);
  gen->add_option("--files", samples.files, "number of files [default 0: one per fab]")->check(CLI::NonNegativeNumber);
  gen->add_flag("--bins-only", bins_only, "bin maps only, no defect lists (benchmark data)");
  gen->add_flag("--bench-product", samples.bench_product,
                "every wafer is product P300X: 300 mm, 5.5 x 5 mm dies, 2454 tested (benchmark data; "
                "see docs/performance.md)");
  gen->add_flag("--vlen-strings", vlen, "write variable-length strings instead of fixed S<n>");
  gen->add_option("--images", samples.images, "render full-wafer images for the first N wafers [default 0]")
      ->check(CLI::NonNegativeNumber);
  gen->add_option("--image-size", samples.image_size, "image width and height in pixels [default 1024]")
      ->check(CLI::Range(64, 16384));
  gen->add_option("--prefix", samples.file_prefix, "file name prefix with --files N [default sample]");
  gen->add_option("--first-lot", samples.first_lot, "number lots from this one (other lots, same seed) [default 0]")
      ->check(CLI::Range(0, 7000));
  gen->add_option("-o,--out", samples.out_dir, "output folder")->required();

  yf::RunArgs regress_args;
  regress_args.out_dir.clear();
  yf::RunFlags regress_flags;
  std::string golden;
  bool update = false;
  auto* regress = app.add_subcommand("regress", "run, then compare with a golden output folder (exit 1 on differences)");
  add_run_options(*regress, regress_args, regress_flags);
  regress->add_option("--golden", golden, "golden output folder")->required();
  regress->add_flag("--update", update, "write the golden folder from this run instead of comparing");
  regress->add_option("-o,--out", regress_args.out_dir, "keep this run's outputs here [default: a temporary folder]");

  yf::DetectArgs detect_args;
  auto* detect = app.add_subcommand(
      "detect", "find defects in an image against a reference image of the same pattern (review/SEM pairs): "
                "prints a table, -o writes an annotated image");
  detect->add_option("image", detect_args.image, "inspected image (TIFF, PNG, ...; grey or colour)")
      ->required()->check(CLI::ExistingFile);
  detect->add_option("--reference", detect_args.reference, "reference image")->required()->check(CLI::ExistingFile);
  detect->add_option("-o,--out", detect_args.annotated, "annotated image to write (.png)");
  detect->add_option("--k-sigma", detect_args.k_sigma, "threshold in noise sigmas [default 5]")
      ->check(CLI::Range(1.0, 100.0));
  detect->add_option("--edge-tolerance", detect_args.edge_tolerance_px,
                     "px of misregistration tolerated along pattern edges [default 1]")
      ->check(CLI::Range(0, 20));
  detect->add_option("--min-area", detect_args.min_area_px, "smallest defect, px [default 3]")
      ->check(CLI::Range(1, 1000000));
  detect->add_option("--cluster-area", detect_args.cluster_area_px,
                     "a defect this large (px) is a cluster, not a particle [default 150]")
      ->check(CLI::Range(1.0, 1e9));

  yf::CalibrateArgs calibrate_args;
  auto* calibrate = app.add_subcommand("calibrate", "calibrate an inspection tool from its images: scale, rotation, "
                                                    "flat field -> a YAML file for run --calibration");
  calibrate->add_option("--tool", calibrate_args.tool, "the tool (as in /wafers.tool)")->required();
  calibrate->add_option("--max-images", calibrate_args.max_images, "use at most N images [default 50]")
      ->check(CLI::PositiveNumber);
  calibrate->add_option("-o,--out", calibrate_args.out, "calibration file to write (.yml)")->required();
  calibrate->add_option("inputs", calibrate_args.inputs, "inspection datasets (.h5) with the tool's images")
      ->required()->check(CLI::ExistingFile);
  std::string report_dir;
  auto* report = app.add_subcommand("report", "re-render OUT/report.html from OUT/results.h5 without rerunning");
  report->add_option("out", report_dir, "output folder of `yieldflow run`")->required();

  yf::TrainPatternsOptions train;
  train.report = &std::cout;
  const std::string wm811k = std::string(YF_SHARED_DATA_DIR) + "/wm811k/";
  train.real_files = {wm811k + "labelled_dev.jsonl", wm811k + "lots_first100.jsonl"};
  train.none_file = wm811k + "lots_first100.jsonl";
  auto* trainer = app.add_subcommand(
      "train-patterns", "train the failure-pattern classifier on real WM-811K maps plus generated maps, "
                        "report a cross-validation by lot on the real maps, write the model");
  trainer->add_option("--seed", train.seed, "random seed (generated maps, folds, forest) [default 1]");
  trainer->add_option("--synthetic", train.synthetic_per_class, "generated maps per pattern [default 300]")
      ->check(CLI::NonNegativeNumber);
  trainer->add_option("--folds", train.folds, "cross-validation folds by lot; 0 = no evaluation [default 5]")
      ->check(CLI::NonNegativeNumber);
  trainer->add_option("--real", train.real_files, "labelled maps, WM-811K JSON lines [default: ../shared/data/wm811k]");
  trainer->add_option("--none-file", train.none_file, "file whose 'none' maps give the none rate");
  trainer->add_option("-o,--out", train.output, "model file to write (.yml or .yml.gz); none: evaluate only");

  try {
    app.parse(argc, argv);
  } catch (const CLI::ParseError& e) {
    return app.exit(e) == 0 ? yf::kExitOk : yf::kExitUsage;
  }
  spdlog::set_level(verbose ? spdlog::level::debug : quiet ? spdlog::level::err : spdlog::level::info);

  try {
    if (*run) {
      prepare(run_args, run_flags);
      run_args.progress = !no_progress;
      return yf::run_command(run_args);
    }
    if (*regress) {
      prepare(regress_args, regress_flags);
      regress_args.progress = false;
      return yf::regress_command(regress_args, golden, update);
    }
    if (*inspect) return yf::inspect_command(inspect_path);
    if (*importer) return yf::import_command(import_args);
    if (*detect) return yf::detect_command(detect_args);
    if (*calibrate) return yf::calibrate_command(calibrate_args);
    if (*report) return yf::report_command(report_dir);
    if (*trainer) return yf::train_patterns(train);
    if (*gen) {
      samples.defects = !bins_only;
      samples.strings = vlen ? yf::StringKind::variable : yf::StringKind::fixed;
      for (const std::string& f : yf::generate_samples(samples)) std::cout << f << "\n";
      return yf::kExitOk;
    }
  } catch (const std::runtime_error& e) {
    spdlog::error("{}", e.what());
    return yf::kExitUsage;
  } catch (const std::exception& e) {
    spdlog::critical("{}", e.what());
    return yf::kExitFatal;
  }
  return yf::kExitUsage;
}

namespace yf {

std::vector<std::string> bundled_samples() {
  std::vector<std::string> files;
  std::error_code ec;
  for (const auto& entry : std::filesystem::directory_iterator(YF_SAMPLES_DIR, ec))
    if (entry.path().extension() == ".h5") files.push_back(entry.path().string());
  std::sort(files.begin(), files.end());
  return files;
}

}  // namespace yf
