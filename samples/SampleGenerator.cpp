#include "samples/SampleGenerator.hpp"

#include <algorithm>
#include <cmath>
#include <cstdio>
#include <filesystem>
#include <map>
#include <memory>
#include <set>
#include <stdexcept>

#include "samples/ImageSynth.hpp"
#include "samples/Random.hpp"
#include "samples/WaferSynth.hpp"

namespace yf {
namespace {

using samples::DieLayout;
using samples::Rng;

constexpr int kLotSize = 25;
constexpr std::int64_t kStartTime = 1709251200;  // 2024-03-01T00:00:00Z
constexpr std::int64_t kLotSpacing = 8 * 3600;
constexpr std::int64_t kStepSpacing = 2 * 3600;

// Random streams, one per purpose (see samples/Random.hpp).
enum Stream : std::uint64_t {
  kLotStream = 1, kMapStream = 2, kDefectStream = 3, kRouteStream = 4, kImageStream = 5, kToolFlatStream = 6
};

// A fab's images are scaled so that its wafers fill ~92 % of the image; every tool of the
// fab keeps its relative scale (KLA-02 sees 0.2 % larger pixels than KLA-01).
constexpr double kImageFill = 0.92;

ProductGeometry centered_product(const char* name, double diameter, double exclusion, double w, double h) {
  ProductGeometry p;
  p.name = name;
  p.wafer_diameter_mm = diameter;
  p.edge_exclusion_mm = exclusion;
  p.die_width_mm = w;
  p.die_height_mm = h;
  p.cols = static_cast<int>(std::ceil(diameter / w - 1e-9));
  p.rows = static_cast<int>(std::ceil(diameter / h - 1e-9));
  p.grid_x0_mm = -p.cols * w / 2;
  p.grid_y0_mm = p.rows * h / 2;
  return p;
}

struct Calibration {
  const char* tool;
  double mm_per_px;
  double rotation_deg;
};

struct Fab {
  const char* name;
  const char* lot_prefix;
  std::vector<std::string> products;             // lots cycle through these
  std::vector<Calibration> inspection_tools;
  std::map<std::string, std::vector<std::string>> tools;  // equipment kind -> tools
};

const std::vector<Fab>& fabs() {
  static const std::vector<Fab> f{
      {"FAB14",
       "N",
       {"P300A", "P300C"},
       {{"KLA-01", 0.1, 0.0}, {"KLA-02", 0.1002, 0.35}, {"KLA-03", 0.0998, -0.2}},
       {{"LITHO", {"LITHO-01", "LITHO-02"}},
        {"ETCH", {"ETCH-01", "ETCH-02", "ETCH-03"}},
        {"CMP", {"CMP-01", "CMP-02"}}}},
      {"FAB7",
       "M",
       {"P200B"},
       {{"KLA-11", 0.07, 0.0}, {"KLA-12", 0.0701, 0.5}},
       {{"LITHO", {"LITHO-11", "LITHO-12"}},
        {"ETCH", {"ETCH-11", "ETCH-12", "ETCH-13"}},
        {"CMP", {"CMP-11", "CMP-12", "CMP-13"}}}},
  };
  return f;
}

struct RouteStep {
  const char* step;
  const char* kind;  // equipment kind
};

// The process route; a lot's history runs up to its inspection step.
const std::vector<RouteStep>& route() {
  static const std::vector<RouteStep> r{{"POLY_LITHO", "LITHO"},
                                        {"POLY_ETCH", "ETCH"},
                                        {"M1_CMP", "CMP"},
                                        {"V1_LITHO", "LITHO"},
                                        {"V1_ETCH", "ETCH"}};
  return r;
}

const std::vector<std::string>& chambers(const std::string& kind) {
  static const std::map<std::string, std::vector<std::string>> c{
      {"LITHO", {"CHUCK1", "CHUCK2"}}, {"ETCH", {"PM1", "PM2", "PM3", "PM4"}}, {"CMP", {"HEAD-A", "HEAD-B", "HEAD-C"}}};
  return c.at(kind);
}

// Everything decided per lot, drawn from the lot's own stream.
struct LotPlan {
  int index = 0;
  const Fab* fab = nullptr;
  std::string lot_id;
  std::string product;
  std::string inspection_tool;
  std::string inspection_step;
  std::size_t route_steps = 0;  // history covers route()[0 .. route_steps)
  std::int64_t start = 0;
  std::vector<std::int64_t> step_offset;           // per route step
  std::vector<std::string> step_tool;              // per route step, whole lot ...
  std::vector<std::string> poly_etch_by_group;     // ... except POLY_ETCH: split in 3 groups of slots
  std::vector<std::string> patterns;               // per slot
};

int poly_etch_group(int slot) { return slot <= 8 ? 0 : (slot <= 16 ? 1 : 2); }

LotPlan plan_lot(std::uint64_t seed, int k) {
  Rng rng(samples::stream_seed(seed, kLotStream, static_cast<std::uint64_t>(k)));
  LotPlan lot;
  lot.index = k;
  lot.fab = &fabs()[static_cast<std::size_t>(k) % fabs().size()];
  const int nth_in_fab = k / static_cast<int>(fabs().size());
  char id[16];
  std::snprintf(id, sizeof id, "%s%04d", lot.fab->lot_prefix, 2401 + k);
  lot.lot_id = id;
  lot.product = lot.fab->products[static_cast<std::size_t>(nth_in_fab) % lot.fab->products.size()];
  lot.inspection_tool = lot.fab->inspection_tools[rng.below(lot.fab->inspection_tools.size())].tool;
  const bool at_v1 = rng.chance(0.5);
  lot.inspection_step = at_v1 ? "V1_ETCH" : "M1_CMP";
  lot.route_steps = at_v1 ? 5 : 3;
  lot.start = kStartTime + k * kLotSpacing + static_cast<std::int64_t>(rng.below(1800));
  for (std::size_t s = 0; s < route().size(); ++s) {
    lot.step_offset.push_back(static_cast<std::int64_t>(s) * kStepSpacing + static_cast<std::int64_t>(rng.below(1200)));
    const auto& tools = lot.fab->tools.at(route()[s].kind);
    lot.step_tool.push_back(tools[rng.below(tools.size())]);
  }
  lot.poly_etch_by_group = lot.fab->tools.at("ETCH");
  rng.shuffle(lot.poly_etch_by_group);

  // A deck of 25 patterns holding all nine, shuffled: every full lot shows every pattern.
  static const std::vector<double> weights{40, 15, 8, 10, 8, 8, 5, 3, 3};  // sample_patterns() order
  const std::vector<std::string> names = sample_patterns();
  lot.patterns = names;
  while (lot.patterns.size() < kLotSize) lot.patterns.push_back(names[rng.weighted(weights)]);
  rng.shuffle(lot.patterns);
  return lot;
}

struct FileOut {
  std::string path;
  std::unique_ptr<DatasetWriter> writer;
};

}  // namespace

std::vector<ProductGeometry> sample_products() {
  return {centered_product("P300A", 300, 3, 10, 12), centered_product("P300C", 300, 2, 7, 8),
          centered_product("P200B", 200, 3, 5, 5)};
}

ProductGeometry sample_bench_product() { return centered_product("P300X", 300, 3, 5.5, 5); }

std::vector<std::string> sample_patterns() {
  return {"none", "random", "center", "edge-ring", "edge-loc", "loc", "scratch", "donut", "near-full"};
}

std::vector<std::string> generate_samples(const SampleOptions& o) {
  if (o.wafers <= 0) throw std::invalid_argument("samples: --wafers must be > 0, got " + std::to_string(o.wafers));
  if (o.files < 0) throw std::invalid_argument("samples: --files must be >= 0, got " + std::to_string(o.files));
  if (o.out_dir.empty()) throw std::invalid_argument("samples: no output directory");
  if (o.first_lot < 0 || o.first_lot > 7000)
    throw std::invalid_argument("samples: --first-lot must be 0..7000, got " + std::to_string(o.first_lot));
  if (o.images < 0) throw std::invalid_argument("samples: --images must be >= 0, got " + std::to_string(o.images));
  if (o.images > 0 && (o.image_size < 64 || o.image_size > 16384))
    throw std::invalid_argument("samples: --image-size must be 64..16384, got " + std::to_string(o.image_size));
  namespace fs = std::filesystem;
  fs::create_directories(o.out_dir);

  const int lots = (o.wafers + kLotSize - 1) / kLotSize;
  std::vector<LotPlan> plan;
  for (int k = 0; k < lots; ++k) plan.push_back(plan_lot(o.seed, o.first_lot + k));
  std::vector<ProductGeometry> products = sample_products();
  if (o.bench_product) {
    // Only the product changes: every other draw of the lot stays as it was.
    products = {sample_bench_product()};
    for (LotPlan& lot : plan) lot.product = products.front().name;
  }
  std::map<std::string, DieLayout> layouts;
  std::map<std::string, ProductGeometry> geometry;
  for (const ProductGeometry& p : products) {
    layouts.emplace(p.name, DieLayout(p));
    geometry.emplace(p.name, p);
  }

  // Which file each wafer goes to.
  std::vector<FileOut> files;
  std::vector<std::size_t> file_of(static_cast<std::size_t>(o.wafers));
  if (o.files == 0) {
    std::map<std::string, std::size_t> by_fab;
    for (int w = 0; w < o.wafers; ++w) {
      const Fab& fab = *plan[static_cast<std::size_t>(w / kLotSize)].fab;
      auto [it, inserted] = by_fab.emplace(fab.name, files.size());
      if (inserted) {
        std::string lower = fab.name;
        std::transform(lower.begin(), lower.end(), lower.begin(), [](unsigned char c) { return static_cast<char>(std::tolower(c)); });
        files.push_back({(fs::path(o.out_dir) / (lower + ".h5")).string(), nullptr});
      }
      file_of[static_cast<std::size_t>(w)] = it->second;
    }
  } else {
    const int n = std::min(o.files, o.wafers);
    const int digits = std::max(3, static_cast<int>(std::to_string(n - 1).size()));
    for (int i = 0; i < n; ++i) {
      std::string number = std::to_string(i);
      number.insert(0, static_cast<std::size_t>(digits) - std::min(number.size(), static_cast<std::size_t>(digits)), '0');
      files.push_back({(fs::path(o.out_dir) / (o.file_prefix + "-" + number + ".h5")).string(), nullptr});
    }
    for (int w = 0; w < o.wafers; ++w)
      file_of[static_cast<std::size_t>(w)] = static_cast<std::size_t>(static_cast<long long>(w) * n / o.wafers);
  }

  // Shared tables: the products and inspection tools each file's wafers use.
  std::vector<std::set<std::string>> products_in(files.size()), tools_in(files.size());
  std::vector<bool> images_in(files.size(), false);
  for (int w = 0; w < o.wafers; ++w) {
    const LotPlan& lot = plan[static_cast<std::size_t>(w / kLotSize)];
    products_in[file_of[static_cast<std::size_t>(w)]].insert(lot.product);
    tools_in[file_of[static_cast<std::size_t>(w)]].insert(lot.inspection_tool);
    if (w < o.images) images_in[file_of[static_cast<std::size_t>(w)]] = true;
  }
  // Image optics and illumination of each inspection tool.
  std::map<std::string, samples::ImageOptics> optics;
  std::map<std::string, std::uint64_t> flat_seed;
  std::uint64_t tool_index = 0;
  for (const Fab& fab : fabs()) {
    const double diameter = geometry.count(fab.products.front()) ? geometry.at(fab.products.front()).wafer_diameter_mm
                                                                 : products.front().wafer_diameter_mm;
    const double k = diameter / (kImageFill * o.image_size * fab.inspection_tools.front().mm_per_px);
    for (const Calibration& c : fab.inspection_tools) {
      optics[c.tool] = {c.mm_per_px * k, c.rotation_deg};
      flat_seed[c.tool] = samples::stream_seed(o.seed, kToolFlatStream, tool_index++);
    }
  }
  std::map<std::string, FlatField> flats;  // rendered once per tool, when first needed
  auto tool_flat = [&](const std::string& tool) -> const FlatField& {
    auto it = flats.find(tool);
    if (it == flats.end())
      it = flats.emplace(tool, samples::render_tool_flat(o.image_size, o.image_size, flat_seed.at(tool))).first;
    return it->second;
  };
  auto open = [&](std::size_t f) {
    auto writer = std::make_unique<DatasetWriter>(files[f].path, DatasetWriterOptions{o.strings, 4});
    for (const ProductGeometry& p : products)
      if (products_in[f].count(p.name)) writer->add_product(p);
    if (o.defects) writer->set_defect_classes(samples::sample_defect_classes());
    writer->set_bins(samples::sample_bins());
    for (const Fab& fab : fabs())
      for (const Calibration& c : fab.inspection_tools) {
        if (!tools_in[f].count(c.tool)) continue;
        if (images_in[f])
          writer->set_calibration(c.tool, optics.at(c.tool).mm_per_px, c.rotation_deg, &tool_flat(c.tool));
        else
          writer->set_calibration(c.tool, c.mm_per_px, c.rotation_deg);
      }
    files[f].writer = std::move(writer);
  };

  for (int w = 0; w < o.wafers; ++w) {
    const auto wu = static_cast<std::uint64_t>(w);
    const LotPlan& lot = plan[static_cast<std::size_t>(w / kLotSize)];
    const int slot = w % kLotSize + 1;
    const std::size_t f = file_of[static_cast<std::size_t>(w)];
    if (!files[f].writer) open(f);
    // Contiguous split: a file is complete once the next wafer goes elsewhere.
    if (o.files > 0 && f > 0 && files[f - 1].writer) {
      files[f - 1].writer->finish();
      files[f - 1].writer.reset();
    }

    WaferRecord rec;
    char wid[40];
    std::snprintf(wid, sizeof wid, "%s-%02d", lot.lot_id.c_str(), slot);
    rec.meta.wafer_id = wid;
    rec.meta.lot_id = lot.lot_id;
    rec.meta.slot = slot;
    rec.meta.fab = lot.fab->name;
    rec.meta.tool = lot.inspection_tool;
    rec.meta.product = lot.product;
    rec.meta.step = lot.inspection_step;
    const std::int64_t inspected_at = lot.start + static_cast<std::int64_t>(lot.route_steps) * kStepSpacing + 3600 +
                                      (slot - 1) * 120;
    rec.meta.timestamp = inspected_at;

    Rng route_rng(samples::stream_seed(o.seed, kRouteStream, wu));
    bool excursion = false;
    for (std::size_t s = 0; s < lot.route_steps; ++s) {
      const RouteStep& step = route()[s];
      HistoryEntry h;
      h.step = step.step;
      h.tool = (std::string(step.step) == kSampleExcursionStep)
                   ? lot.poly_etch_by_group[static_cast<std::size_t>(poly_etch_group(slot))]
                   : lot.step_tool[s];
      const auto& ch = chambers(step.kind);
      h.chamber = ch[route_rng.below(ch.size())];
      h.timestamp = lot.start + lot.step_offset[s] + (slot - 1) * 90 + static_cast<std::int64_t>(route_rng.below(30));
      if (h.step == kSampleExcursionStep && h.tool == kSampleExcursionTool) excursion = true;
      rec.history.push_back(std::move(h));
    }

    const std::string& pattern = lot.patterns[static_cast<std::size_t>(slot - 1)];
    samples::SynthWafer synth = samples::synthesize_wafer(
        layouts.at(lot.product), pattern, excursion, o.defects, samples::stream_seed(o.seed, kMapStream, wu),
        samples::stream_seed(o.seed, kDefectStream, wu));
    rec.binmap = std::move(synth.binmap);
    rec.defects = std::move(synth.defects);
    rec.truth = std::move(synth.truth);
    if (w < o.images) {
      samples::RenderedWafer img =
          samples::render_wafer_image(geometry.at(lot.product), o.image_size, o.image_size, optics.at(lot.inspection_tool),
                                      tool_flat(lot.inspection_tool), samples::stream_seed(o.seed, kImageStream, wu));
      rec.image = std::move(img.image);
      rec.truth->image = img.truth;
      rec.truth->image_defects = std::move(img.defects);
      // The image's defects kill too (the pipeline joins them to the tool's list): the
      // truth's killed dies become the product dies holding a planted killer of either.
      const DieLayout& layout = layouts.at(lot.product);
      const ProductGeometry& g = layout.geometry;
      std::set<std::size_t> killed;
      auto kill_at = [&](double x, double y) {
        const int c = static_cast<int>(std::floor((x - g.grid_x0_mm) / g.die_width_mm));
        const int r = static_cast<int>(std::ceil((g.grid_y0_mm - y) / g.die_height_mm)) - 1;
        if (c >= 0 && r >= 0 && c < g.cols && r < g.rows && layout.product[layout.index(c, r)])
          killed.insert(layout.index(c, r));
      };
      for (const TruthDefect& d : rec.truth->defects)
        if (d.kind == "killer") kill_at(d.x_mm, d.y_mm);
      for (const TruthImageDefect& d : rec.truth->image_defects)
        if (d.kind != "edge_chip") kill_at(d.x_mm, d.y_mm);
      rec.truth->killed_dies = static_cast<std::int64_t>(killed.size());
    }
    files[f].writer->append_wafer(rec);
  }

  std::vector<std::string> paths;
  for (FileOut& f : files) {
    if (f.writer) {
      f.writer->finish();
      f.writer.reset();
    }
    paths.push_back(f.path);
  }
  return paths;
}

}  // namespace yf
