#include "samples/ImageEvaluation.hpp"

#include <fmt/format.h>

#include <algorithm>
#include <cmath>
#include <set>

#include "io/DatasetReader.hpp"
#include "stages/DieGrid.hpp"

namespace yf {
namespace {

double percentile(std::vector<double> v, double p) {
  if (v.empty()) return 0;
  std::sort(v.begin(), v.end());
  const auto i = static_cast<std::size_t>(std::min<double>(static_cast<double>(v.size() - 1), std::floor(p * static_cast<double>(v.size() - 1) + 0.5)));
  return v[i];
}
double rms(const std::vector<double>& v) {
  double s = 0;
  for (double x : v) s += x * x;
  return v.empty() ? 0 : std::sqrt(s / static_cast<double>(v.size()));
}
double max_abs(const std::vector<double>& v) {
  double m = 0;
  for (double x : v) m = std::max(m, std::abs(x));
  return m;
}

}  // namespace

ImageEvaluation evaluate_images(const std::vector<std::string>& files, const ImageEvaluationOptions& o) {
  ImageEvaluation ev;
  StageWorkspace workspace;  // the image buffers, kept from wafer to wafer
  for (const std::string& path : files) {
    const auto truth_images = read_truth_images(path);
    const auto truth_defects = read_truth_image_defects(path);
    std::map<std::int64_t, const ImageTruthRow*> image_of;
    for (const auto& t : truth_images) image_of[t.wafer_row] = &t;
    std::map<std::int64_t, std::vector<const ImageDefectTruthRow*>> defects_of;
    for (const auto& d : truth_defects) defects_of[d.wafer_row].push_back(&d);

    DatasetReader reader(path);
    for (std::size_t row = 0; row < reader.wafer_count(); ++row) {
      auto ti = image_of.find(static_cast<std::int64_t>(row));
      if (ti == image_of.end()) continue;  // not an image wafer (or no truth)
      const ImageTruthRow& truth = *ti->second;
      WaferJob job = reader.read_wafer(row);
      ++ev.wafers;
      const WaferResult r = process_wafer(job, o.stages, workspace);
      if (!r.ok || !r.image) {
        ++ev.failed;
        ev.errors.push_back(r.ok ? job.meta.wafer_id + ": no image result" : r.error);
        continue;
      }
      // Calibration.
      ev.center_error_px.push_back(std::hypot(r.image->center_x_px - truth.center_x_px, r.image->center_y_px - truth.center_y_px));
      ev.rotation_error_deg.push_back(std::remainder(r.image->rotation_deg - truth.rotation_deg, 360.0));
      ev.scale_error_rel.push_back(r.image->mm_per_px / truth.mm_per_px - 1);
      ev.calibration_labels.push_back(fmt::format("{} {} ({}, {}, planted rotation {:.3f} deg, {} false)", path, job.meta.wafer_id,
                                                  job.meta.tool, job.meta.product, truth.rotation_deg, "{}"));
      const int false_before = ev.false_detections;

      const double s = truth.mm_per_px;
      std::vector<const ReportedDefect*> found;
      for (const ReportedDefect& d : r.defect_list)
        if (d.source == DefectSource::image) found.push_back(&d);
      ev.detections += static_cast<int>(found.size());
      const auto& planted = defects_of[static_cast<std::int64_t>(row)];
      auto radius_mm = [&](const ImageDefectTruthRow& t) {
        return std::max(o.match_px * s, 0.5 * t.length_um / 1000 + 2 * s);
      };
      // Chips are found by the edge fit (kind edge); anything else may also sit in the edge
      // band and be called edge.
      auto compatible = [](const ImageDefectTruthRow& t, const ReportedDefect& d) {
        return t.kind != "edge_chip" || d.kind == "edge";
      };
      for (const ImageDefectTruthRow* t : planted) {
        double nearest = 1e300;
        for (const ReportedDefect* d : found)
          if (compatible(*t, *d)) nearest = std::min(nearest, std::hypot(d->x_mm - t->x_mm, d->y_mm - t->y_mm));
        const bool hit = nearest <= radius_mm(*t);
        const double px = t->size_um / 1000 / s;
        auto count = [&](RecallCount& c) {
          ++c.planted;
          if (hit) ++c.found;
        };
        count(ev.by_kind[t->kind]);
        count(ev.by_size_px[std::min(12, static_cast<int>(std::floor(px)))]);
        if (px >= 3) count(ev.at_least_3px);
        if (!hit && ev.missed_examples.size() < 20) {
          const DieGrid g(*job.product);
          const auto die = g.die_of(t->x_mm, t->y_mm);
          ev.missed_examples.push_back(fmt::format("{} {}: {} at ({:.2f}, {:.2f}) mm, {:.1f} px, {}", path,
                                                   job.meta.wafer_id, t->kind, t->x_mm, t->y_mm, px,
                                                   die && g.is_product_die(*die) ? "in a product die" : "outside the product dies"));
        }
        if (hit && t->kind == "particle") ev.particle_position_error_px.push_back(nearest / s);
      }
      for (const ReportedDefect* d : found) {
        bool matched = false;
        for (const ImageDefectTruthRow* t : planted)
          if (compatible(*t, *d) && std::hypot(d->x_mm - t->x_mm, d->y_mm - t->y_mm) <= radius_mm(*t)) matched = true;
        if (!matched) {
          ++ev.false_detections;
          if (ev.false_examples.size() < 10)
            ev.false_examples.push_back(fmt::format("{} {}: {} at ({:.2f}, {:.2f}) mm, {:.0f} um", path, job.meta.wafer_id,
                                                    d->kind, d->x_mm, d->y_mm, d->size_um));
        }
      }
      auto& label = ev.calibration_labels.back();
      label.replace(label.find("{}"), 2, std::to_string(ev.false_detections - false_before));
      // Inspection yield from image defects alone: a defect kills the product die holding its
      // centre (the spec's rule), planted chips and detected edge defects never do.
      const DieGrid grid(*job.product);
      std::set<std::size_t> truth_killed, found_killed;
      for (const ImageDefectTruthRow* t : planted) {
        if (t->kind == "edge_chip" || t->size_um < o.stages.images.min_defect_um) continue;
        if (auto die = grid.die_of(t->x_mm, t->y_mm); die && grid.is_product_die(*die)) truth_killed.insert(grid.linear(*die));
      }
      for (const ReportedDefect* d : found) {
        if (d->kind == "edge") continue;
        if (auto die = grid.die_of(d->x_mm, d->y_mm); die && grid.is_product_die(*die)) found_killed.insert(grid.linear(*die));
      }
      ToolYieldScore& y = ev.yield_by_tool[job.meta.tool];
      ++y.wafers;
      y.product_dies += grid.product_die_count();
      y.truth_killed += static_cast<std::int64_t>(truth_killed.size());
      y.found_killed += static_cast<std::int64_t>(found_killed.size());
    }
  }
  return ev;
}

std::string ImageEvaluation::report() const {
  std::string s;
  s += fmt::format("Image wafers: {} ({} failed)\n\n", wafers, failed);
  for (const std::string& e : errors) s += "- failed: " + e + "\n";
  s += "| planted kind | planted | found | recall |\n|---|---|---|---|\n";
  for (const auto& [kind, c] : by_kind) s += fmt::format("| {} | {} | {} | {:.3f} |\n", kind, c.planted, c.found, c.recall());
  s += fmt::format("| **all >= 3 px** | {} | {} | **{:.3f}** |\n\n", at_least_3px.planted, at_least_3px.found,
                   at_least_3px.recall());
  s += "| equivalent diameter (px) | planted | found | recall |\n|---|---|---|---|\n";
  for (const auto& [px, c] : by_size_px)
    s += fmt::format("| {}{} | {} | {} | {:.3f} |\n", px >= 12 ? ">= " : "", px >= 12 ? std::to_string(px) : fmt::format("{}-{}", px, px + 1),
                     c.planted, c.found, c.recall());
  for (const std::string& m : missed_examples) s += "- missed: " + m + "\n";
  s += fmt::format("\nDetections: {}, false: {} ({:.3f} per wafer)\n", detections, false_detections, false_per_wafer());
  for (const std::string& f : false_examples) s += "- false: " + f + "\n";
  s += fmt::format("\nParticle position error (px): median {:.3f}, 95th percentile {:.3f}, max {:.3f}\n\n",
                   percentile(particle_position_error_px, 0.5), percentile(particle_position_error_px, 0.95),
                   percentile(particle_position_error_px, 1.0));
  s += "| tool | wafers | product dies | yield (truth) | yield (found) | difference (pp) |\n|---|---|---|---|---|---|\n";
  for (const auto& [tool, y] : yield_by_tool)
    s += fmt::format("| {} | {} | {} | {:.4f} | {:.4f} | {:+.2f} |\n", tool, y.wafers, y.product_dies, y.truth_yield(),
                     y.found_yield(), 100 * (y.found_yield() - y.truth_yield()));
  std::vector<double> rot_abs;
  for (double r : rotation_error_deg) rot_abs.push_back(std::abs(r));
  std::vector<double> scale_abs;
  for (double r : scale_error_rel) scale_abs.push_back(std::abs(r));
  s += fmt::format("\nCalibration: centre error rms {:.3f} px, max {:.3f} px; rotation error rms {:.4f} deg, max {:.4f} deg; "
                   "scale error rms {:.2e}, max {:.2e}\n",
                   rms(center_error_px), max_abs(center_error_px), rms(rotation_error_deg), max_abs(rot_abs),
                   rms(scale_error_rel), max_abs(scale_abs));
  std::vector<std::size_t> order(rotation_error_deg.size());
  for (std::size_t i = 0; i < order.size(); ++i) order[i] = i;
  std::sort(order.begin(), order.end(), [&](std::size_t a, std::size_t b) { return rot_abs[a] > rot_abs[b]; });
  for (std::size_t k = 0; k < std::min<std::size_t>(5, order.size()); ++k)
    s += fmt::format("- rotation error {:+.4f} deg, centre {:.3f} px: {}\n", rotation_error_deg[order[k]],
                     center_error_px[order[k]], calibration_labels[order[k]]);
  return s;
}

}  // namespace yf
