#include <fmt/format.h>
#include <spdlog/spdlog.h>

#include <iostream>
#include <map>
#include <set>

#include "app/Commands.hpp"
#include "io/DatasetReader.hpp"

namespace yf {
namespace {

std::string join_counts(const std::map<std::string, int>& counts) {
  std::string out;
  for (const auto& [k, n] : counts) out += fmt::format("{}{} ({})", out.empty() ? "" : ", ", k, n);
  return out.empty() ? "-" : out;
}

}  // namespace

int inspect_command(const std::string& path) {
  try {
    DatasetReader reader(path);
    auto tables = reader.tables();
    const std::size_t n = reader.wafer_count();
    std::map<std::string, int> fabs, lots, tools, products, steps;
    std::int64_t with_binmap = 0, with_image = 0, defects = 0;
    constexpr std::size_t kListed = 30;
    std::string listing;
    for (std::size_t row = 0; row < n; ++row) {
      WaferMeta m = reader.read_meta(row);
      ++fabs[m.fab];
      ++lots[m.lot_id];
      ++tools[m.tool];
      ++products[m.product];
      ++steps[m.step];
      with_binmap += m.binmap_row >= 0;
      with_image += m.image_row >= 0;
      defects += m.defect_count;
      if (row < kListed)
        listing += fmt::format("  {:<16} {:<12} {:>4}  {:<10} {:<10} {:<10} {:>7}  {:<3}  {:<3}\n", m.wafer_id,
                               m.lot_id, m.slot, m.fab, m.tool, m.product, m.defect_count,
                               m.binmap_row >= 0 ? "yes" : "no", m.image_row >= 0 ? "yes" : "no");
    }
    std::cout << fmt::format("{}: yieldflow inspection dataset v1, {} wafers\n", path, n);
    const std::string lot_text =
        lots.size() <= 12 ? join_counts(lots) : fmt::format("{} lots", lots.size());
    std::cout << fmt::format("  fabs:     {}\n  lots:     {}\n  tools:    {}\n  steps:    {}\n",
                             join_counts(fabs), lot_text, join_counts(tools), join_counts(steps));
    std::cout << "  products:\n";
    for (const auto& [name, p] : tables->products)
      std::cout << fmt::format("    {:<12} {} mm wafer, {} mm edge exclusion, {}x{} mm dies, {}x{} grid, {} wafers\n",
                               name, p->wafer_diameter_mm, p->edge_exclusion_mm, p->die_width_mm, p->die_height_mm,
                               p->cols, p->rows, products.count(name) ? products[name] : 0);
    std::cout << fmt::format("  defects:  {} in all{}; {} defect classes ({} killer)\n", defects,
                             reader.has_defects() ? "" : " (no /defects table)", tables->defect_classes.size(),
                             std::count_if(tables->defect_classes.begin(), tables->defect_classes.end(),
                                           [](const auto& c) { return c.second.killer; }));
    std::string pass;
    for (const auto& [bin, b] : tables->bins)
      if (b.pass) pass += fmt::format("{}{}", pass.empty() ? "" : ",", bin);
    std::cout << fmt::format("  sort:     {} wafers with a bin map; pass bins: {}\n", with_binmap,
                             tables->has_bins_table ? (pass.empty() ? "none" : pass) : "1 (no /bins table)");
    std::cout << fmt::format("  images:   {} wafers with an image ({} images of {}x{})\n", with_image,
                             tables->image_count, tables->image_width, tables->image_height);
    std::cout << fmt::format("  history:  {}\n", reader.has_history() ? "yes" : "no");
    std::cout << fmt::format("\n  {:<16} {:<12} {:>4}  {:<10} {:<10} {:<10} {:>7}  {:<3}  {:<3}\n", "wafer", "lot",
                             "slot", "fab", "tool", "product", "defects", "bin", "img");
    std::cout << listing;
    if (n > kListed) std::cout << fmt::format("  ... and {} more wafers\n", n - kListed);
    return kExitOk;
  } catch (const std::exception& e) {
    spdlog::error("{}", e.what());
    return kExitSomeFailed;
  }
}

}  // namespace yf
