#include "stages/SortYieldStage.hpp"

namespace yf {

PassBins::PassBins(const DatasetTables& tables) : tables_(tables) {
  for (std::size_t bin = 0; bin < small_.size(); ++bin) small_[bin] = tables.is_pass_bin(static_cast<std::int16_t>(bin));
}

SortResult compute_sort_yield(const BinMap& binmap, const DatasetTables& tables) {
  SortResult out;
  const PassBins is_pass(tables);
  const std::size_t n = binmap.bins.size();
  out.tested.assign(n, 0);
  out.passed.assign(n, 0);
  for (std::size_t i = 0; i < n; ++i) {
    const std::int16_t bin = binmap.bins[i];
    // -1 = no die / not tested. Bins below -1 are invalid and rejected by
    // process_wafer before we get here; should one slip through, it is not
    // counted as tested rather than inventing a verdict for it.
    if (bin < 0) continue;
    out.tested[i] = 1;
    ++out.tested_dies;
    // Every die the tester reported counts, product die or not (spec: the
    // product-die rule does not apply to sort data).
    if (is_pass(bin)) {
      out.passed[i] = 1;
      ++out.good_dies;
    }
  }
  return out;
}

}  // namespace yf
