// The image stage inside process_wafer: a rendered wafer (samples/ImageSynth) analysed
// end to end, image defects joining the kill decision, and every kind of bad image
// failing its wafer alone with "FILE: wafer W: images: ...".
#include <catch2/catch.hpp>
#include <cmath>
#include <cstring>
#include <memory>
#include <set>
#include <zlib.h>

#include "samples/ImageSynth.hpp"
#include "samples/SampleGenerator.hpp"
#include "stages/DieGrid.hpp"
#include "stages/ImageDecode.hpp"
#include "stages/WaferStages.hpp"

using namespace yf;
using Catch::Matchers::Contains;

namespace {

const ProductGeometry& p300a() {
  static const ProductGeometry p = [] {
    for (const auto& g : sample_products())
      if (g.name == "P300A") return g;
    throw std::logic_error("P300A");
  }();
  return p;
}

struct Rendered {
  samples::RenderedWafer wafer;
  FlatField flat;
};

// A 640 px wafer of P300A as tool T1 sees it (0.5 mm/px), rendered once.
const Rendered& rendered() {
  static const Rendered r = [] {
    Rendered x;
    x.flat = samples::render_tool_flat(640, 640, 17);
    x.wafer = samples::render_wafer_image(p300a(), 640, 640, {0.51, 0.3}, x.flat, 4242);
    return x;
  }();
  return r;
}

std::shared_ptr<DatasetTables> tables(std::shared_ptr<const FlatField> flat, std::string flat_error = {}) {
  auto t = std::make_shared<DatasetTables>();
  t->source_file = "lot.h5";
  t->products["P300A"] = std::make_shared<const ProductGeometry>(p300a());
  ToolCalibration c;
  c.mm_per_px = 0.51;
  c.rotation_deg = 0.3;
  c.has_flat = flat != nullptr || !flat_error.empty();
  c.flat = std::move(flat);
  c.flat_error = std::move(flat_error);
  t->calibrations["T1"] = c;
  return t;
}

WaferJob job_with(EncodedImage img, std::shared_ptr<DatasetTables> t) {
  WaferJob job;
  job.source_file = "lot.h5";
  job.meta.wafer_id = "W7";
  job.meta.tool = "T1";
  job.meta.product = "P300A";
  job.meta.image_row = 0;
  job.tables = std::move(t);
  job.product = job.tables->products.at("P300A");
  job.image = std::move(img);
  return job;
}

EncodedImage raw(const GrayImage& g) {
  EncodedImage e;
  e.width = g.width;
  e.height = g.height;
  e.encoding = ImageEncoding::raw;
  e.bytes = g.pixels;
  return e;
}

EncodedImage deflated(const GrayImage& g) {
  EncodedImage e = raw(g);
  uLongf n = compressBound(static_cast<uLong>(g.pixels.size()));
  e.bytes.resize(n);
  REQUIRE(compress2(e.bytes.data(), &n, g.pixels.data(), static_cast<uLong>(g.pixels.size()), 4) == Z_OK);
  e.bytes.resize(n);
  e.encoding = ImageEncoding::deflate_shuffle;
  return e;
}

std::shared_ptr<const FlatField> the_flat() { return std::make_shared<const FlatField>(rendered().flat); }

}  // namespace

TEST_CASE("image stage: a rendered wafer's planted defects are found and kill their dies", "[stages][images]") {
  const Rendered& r = rendered();
  WaferJob job = job_with(deflated(r.wafer.image), tables(the_flat()));
  job.defects.push_back({0.5, 0.5, 10, 7});  // one tool defect (class 7: absent, a killer) in the centre die
  const WaferResult res = process_wafer(job, {});
  INFO(res.error);
  REQUIRE(res.ok);
  REQUIRE(res.image);
  CHECK(std::abs(res.image->center_x_px - r.wafer.truth.center_x_px) < 0.2);
  CHECK(std::abs(res.image->rotation_deg - r.wafer.truth.rotation_deg) < 0.05);
  // Every planted particle of >= 3 px has a detection within 3 px; the tool defect comes first.
  REQUIRE(!res.defect_list.empty());
  CHECK(res.defect_list[0].source == DefectSource::tool);
  const double s = r.wafer.truth.mm_per_px;
  const DieGrid grid(p300a());
  std::set<std::size_t> truth_dies{grid.linear(*grid.die_of(0.5, 0.5))};
  for (const TruthImageDefect& t : r.wafer.defects) {
    if (t.kind == "edge_chip") continue;
    if (auto die = grid.die_of(t.x_mm, t.y_mm); die && grid.is_product_die(*die)) truth_dies.insert(grid.linear(*die));
    if (t.kind != "particle") continue;
    double nearest = 1e9;
    for (const ReportedDefect& d : res.defect_list)
      if (d.source == DefectSource::image) nearest = std::min(nearest, std::hypot(d.x_mm - t.x_mm, d.y_mm - t.y_mm));
    CHECK(nearest < 3 * s);
  }
  CHECK(res.metrics.image_defects > 0);
  CHECK(res.metrics.defects == 1 + res.metrics.image_defects);
  // Killed dies: the tool's and the image's, by the spec's rule (the die holding the centre).
  CHECK(res.metrics.killed_dies == static_cast<std::int64_t>(truth_dies.size()));
  for (const ReportedDefect& d : res.defect_list)
    if (d.source == DefectSource::image && d.kind == "edge") CHECK_FALSE(d.killer);
}

TEST_CASE("image stage: --no-images and the minimum image defect size", "[stages][images]") {
  const Rendered& r = rendered();
  StageOptions o;
  o.images.enabled = false;
  WaferResult res = process_wafer(job_with(raw(r.wafer.image), tables(the_flat())), o);
  REQUIRE(res.ok);
  CHECK_FALSE(res.image);
  CHECK(res.metrics.image_defects == 0);
  o.images.enabled = true;
  o.images.min_defect_um = 1e9;
  res = process_wafer(job_with(raw(r.wafer.image), tables(the_flat())), o);
  REQUIRE(res.ok);
  CHECK(res.image);
  CHECK(res.metrics.image_defects == 0);
}

TEST_CASE("image stage: without a flat field the image's own is estimated (a warning)", "[stages][images]") {
  const WaferResult res = process_wafer(job_with(raw(rendered().wafer.image), tables(nullptr)), {});
  REQUIRE(res.ok);
  REQUIRE(res.image);
  CHECK_THAT(res.image->warnings, Contains("estimated from this image"));
  CHECK(res.metrics.image_defects > 0);
}

TEST_CASE("image stage: a bad image fails its wafer with a clear error", "[stages][images]") {
  const Rendered& r = rendered();
  auto fails = [](const WaferJob& job, const std::string& what) {
    const WaferResult res = process_wafer(job, {});
    INFO(res.error);
    CHECK_FALSE(res.ok);
    CHECK_THAT(res.error, Contains("lot.h5: wafer W7: images: ") && Contains(what));
  };
  GrayImage g = r.wafer.image;
  SECTION("empty") {
    EncodedImage e;
    fails(job_with(e, tables(the_flat())), "empty image");
  }
  SECTION("corrupt chunk") {
    EncodedImage e = deflated(g);
    e.bytes.resize(e.bytes.size() / 2);
    fails(job_with(e, tables(the_flat())), "corrupt");
  }
  SECTION("constant") {
    std::fill(g.pixels.begin(), g.pixels.end(), 128);
    fails(job_with(raw(g), tables(the_flat())), "constant image");
  }
  SECTION("saturated") {
    for (std::size_t i = 0; i < g.pixels.size() / 2; ++i) g.pixels[i] = 255;
    fails(job_with(raw(g), tables(the_flat())), "saturated");
  }
  SECTION("no wafer in view") {
    for (std::size_t i = 0; i < g.pixels.size(); ++i) g.pixels[i] = static_cast<std::uint8_t>(10 + (i * 7919) % 23);
    fails(job_with(raw(g), tables(the_flat())), "no wafer");
  }
  SECTION("wafer cut off at the border") {
    // Keep a 120 px strip of the left rim, shifted to the right border.
    GrayImage cut = g;
    std::fill(cut.pixels.begin(), cut.pixels.end(), 12);
    for (int y = 0; y < 640; ++y)
      for (int x = 0; x < 120; ++x) cut.pixels[static_cast<std::size_t>(y * 640 + 520 + x)] = g.pixels[static_cast<std::size_t>(y * 640 + x)];
    fails(job_with(raw(cut), tables(the_flat())), "cut off");
  }
  SECTION("flat field of another size") {
    auto small = std::make_shared<FlatField>();
    small->width = small->height = 64;
    small->values.assign(64 * 64, 1.0f);
    fails(job_with(raw(g), tables(small)), "flat field is 64x64, the image 640x640");
  }
  SECTION("unreadable flat field") {
    fails(job_with(raw(g), tables(nullptr, "/calibration/T1/flat: not a numeric array")), "not a numeric array");
  }
  SECTION("raw bytes of the wrong size") {
    EncodedImage e = raw(g);
    e.bytes.pop_back();
    fails(job_with(e, tables(the_flat())), "bytes for a 640x640 image");
  }
}

TEST_CASE("image stage: a calibration file's tool entry takes the place of the dataset's", "[stages][images]") {
  auto small = std::make_shared<FlatField>();
  small->width = small->height = 32;
  small->values.assign(32 * 32, 1.0f);
  ToolCalibration override_cal;
  override_cal.mm_per_px = 0.51;
  override_cal.rotation_deg = 0.3;
  override_cal.has_flat = true;
  override_cal.flat = small;
  StageOptions o;
  o.images.tool_calibrations =
      std::make_shared<const std::map<std::string, ToolCalibration>>(std::map<std::string, ToolCalibration>{{"T1", override_cal}});
  const WaferResult res = process_wafer(job_with(raw(rendered().wafer.image), tables(the_flat())), o);
  CHECK_FALSE(res.ok);
  CHECK_THAT(res.error, Contains("flat field is 32x32"));
}

namespace {

bool same_bits(double a, double b) { return std::memcmp(&a, &b, sizeof a) == 0; }

// Everything the image stage decides for a wafer, compared exactly (NaN fields included).
void check_same(const WaferResult& got, const WaferResult& want) {
  REQUIRE(got.ok == want.ok);
  CHECK(got.error == want.error);
  CHECK(got.metrics.killed_dies == want.metrics.killed_dies);
  CHECK(got.metrics.image_defects == want.metrics.image_defects);
  CHECK(got.die_verdicts == want.die_verdicts);
  REQUIRE(got.image.has_value() == want.image.has_value());
  if (got.image) {
    const ImageCalibrationReport &g = *got.image, &w = *want.image;
    CHECK(same_bits(g.center_x_px, w.center_x_px));
    CHECK(same_bits(g.center_y_px, w.center_y_px));
    CHECK(same_bits(g.radius_px, w.radius_px));
    CHECK(same_bits(g.rotation_deg, w.rotation_deg));
    CHECK(same_bits(g.noise_sigma, w.noise_sigma));
    CHECK(g.dies_compared == w.dies_compared);
    CHECK(g.warnings == w.warnings);
  }
  REQUIRE(got.defect_list.size() == want.defect_list.size());
  for (std::size_t i = 0; i < got.defect_list.size(); ++i) {
    const ReportedDefect &g = got.defect_list[i], &w = want.defect_list[i];
    INFO("defect " << i);
    CHECK(same_bits(g.x_mm, w.x_mm));
    CHECK(same_bits(g.y_mm, w.y_mm));
    CHECK(same_bits(g.size_um, w.size_um));
    CHECK(same_bits(g.area_um2, w.area_um2));
    CHECK(same_bits(g.contrast, w.contrast));
    CHECK(same_bits(g.elongation, w.elongation));
    CHECK(same_bits(g.orientation_deg, w.orientation_deg));
    CHECK(g.kind == w.kind);
    CHECK(g.killer == w.killer);
  }
}

}  // namespace

TEST_CASE("image stage: one workspace for wafer after wafer gives each wafer its own result", "[stages][images]") {
  // The pipeline keeps a StageWorkspace per worker. A wafer of another size (every buffer
  // reallocated), a wafer that fails part-way (buffers left half written) and the first
  // wafer again must each come out exactly as with a fresh workspace.
  const Rendered& r = rendered();
  Rendered other;
  other.flat = samples::render_tool_flat(600, 560, 23);
  other.wafer = samples::render_wafer_image(p300a(), 600, 560, {0.53, 0.3}, other.flat, 777);
  const WaferJob a = job_with(deflated(r.wafer.image), tables(the_flat()));
  const WaferJob b = job_with(deflated(other.wafer.image), tables(std::make_shared<const FlatField>(other.flat)));
  // The other wafer with the first one's flat field: it fails after its image was decoded
  // and calibrated in the workspace's buffers (the flat field does not fit).
  const WaferJob bad = job_with(deflated(other.wafer.image), tables(the_flat()));

  const WaferResult fresh_a = process_wafer(a, {}), fresh_b = process_wafer(b, {});
  const WaferResult fresh_bad = process_wafer(bad, {});
  CHECK_THAT(fresh_bad.error, Contains("images: the tool's flat field is 640x640, the image 600x560"));
  REQUIRE(fresh_a.ok);
  REQUIRE(fresh_b.ok);
  CHECK(fresh_b.metrics.image_defects > 0);
  CHECK(fresh_a.image->radius_px != fresh_b.image->radius_px);
  StageWorkspace ws;
  check_same(process_wafer(a, {}, ws), fresh_a);
  check_same(process_wafer(b, {}, ws), fresh_b);
  check_same(process_wafer(bad, {}, ws), fresh_bad);
  check_same(process_wafer(a, {}, ws), fresh_a);
  check_same(process_wafer(b, {}, ws), fresh_b);
}

TEST_CASE("image stage: a flat field left compressed by the reader gives the same result", "[stages][images]") {
  // The pipeline's reader hands a tool's flat over as stored (StoredFlat: shuffled float32,
  // deflated); the stage decodes it on first use. The same wafer with the flat decoded, with
  // it stored, and a second wafer sharing the stored one (decoded once) come out alike; a
  // corrupt stored flat fails the tool's wafers with the reader's message.
  const Rendered& r = rendered();
  const FlatField& flat = r.flat;
  const std::size_t bytes = flat.values.size() * sizeof(float);
  std::vector<std::uint8_t> shuffled(bytes);
  shuffle_bytes(reinterpret_cast<const std::uint8_t*>(flat.values.data()), shuffled.data(), bytes, 4);
  auto stored = std::make_shared<StoredFlat>();
  stored->where = "/calibration/T1/flat";
  stored->chunk.width = flat.width;
  stored->chunk.height = flat.height;
  stored->chunk.element_size = 4;
  stored->chunk.encoding = ImageEncoding::deflate_shuffle;
  uLongf n = compressBound(static_cast<uLong>(bytes));
  stored->chunk.bytes.resize(n);
  REQUIRE(compress2(stored->chunk.bytes.data(), &n, shuffled.data(), static_cast<uLong>(bytes), 4) == Z_OK);
  stored->chunk.bytes.resize(n);
  auto with_stored = [&](std::shared_ptr<const StoredFlat> s) {
    auto t = tables(nullptr);
    t->calibrations["T1"].has_flat = true;
    t->calibrations["T1"].stored_flat = std::move(s);
    return t;
  };
  const WaferResult decoded = process_wafer(job_with(deflated(r.wafer.image), tables(the_flat())), {});
  REQUIRE(decoded.ok);
  const auto t = with_stored(stored);
  check_same(process_wafer(job_with(deflated(r.wafer.image), t), {}), decoded);
  check_same(process_wafer(job_with(deflated(r.wafer.image), t), {}), decoded);
  const FlatView once = decoded_flat(*stored);
  CHECK(std::vector<float>(once.values, once.values + flat.values.size()) == flat.values);

  auto broken = std::make_shared<StoredFlat>();
  broken->where = "/calibration/T1/flat";
  broken->chunk = stored->chunk;
  broken->chunk.bytes.resize(broken->chunk.bytes.size() / 2);
  const WaferResult failed = process_wafer(job_with(deflated(r.wafer.image), with_stored(broken)), {});
  CHECK_FALSE(failed.ok);
  CHECK_THAT(failed.error, Contains("images: /calibration/T1/flat: cannot read (corrupt?)"));
}
