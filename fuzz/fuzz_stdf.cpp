// libFuzzer target: yf::import::import_stdf on arbitrary bytes. Bad input must end in
// ImportError; any other exception, a crash, a leak or a hang is a finding.
// Then the record scan (io/import/StdfScan) on the same bytes against a plain walk,
// with its second chain on and off and a small window too: any difference aborts.
#include <cstdlib>
#include <vector>

#include "fuzz/FuzzInput.hpp"
#include "io/import/StdfImporter.hpp"
#include "io/import/StdfScan.hpp"

namespace {

using yf::import::StdfRecordSet;

struct Walked {
  std::vector<std::uint32_t> found;
  std::size_t stop = 0;
};

Walked walk(const std::vector<std::uint8_t>& b, bool be, const StdfRecordSet& wanted) {
  Walked w;
  std::size_t p = 0;
  while (b.size() - p >= 4) {
    const std::size_t len = be ? b[p] * 256u + b[p + 1] : b[p + 1] * 256u + b[p];
    if (b.size() - p - 4 < len) break;
    if (wanted.has(StdfRecordSet::key(b[p + 2], b[p + 3]))) w.found.push_back(static_cast<std::uint32_t>(p));
    p += 4 + len;
  }
  w.stop = p;
  return w;
}

void check_scan(const std::uint8_t* data, std::size_t size) {
  // The input, then 64 KiB + 4 of zeros (empty records of type 0, 0), so that all of
  // the input lies in the range the scan walks without checking the buffer's end,
  // where its second chain runs.
  std::vector<std::uint8_t> b(data, data + size);
  b.resize(size + 65540 + 4, 0);
  const bool be = size > 4 && data[4] == 1;
  StdfRecordSet wanted;
  for (const auto& t : {std::pair{5, 20}, {2, 10}, {2, 20}, {1, 10}, {5, 10}})
    wanted.add(static_cast<std::uint8_t>(t.first), static_cast<std::uint8_t>(t.second));
  const Walked ref = walk(b, be, wanted);
  yf::import::StdfScanSpace space(b.size());
  for (const std::size_t window : {std::size_t{1} << 20, std::size_t{20000}, std::size_t{64}})
    for (const bool two : {true, false}) {
      std::vector<std::uint32_t> found;
      std::size_t pos = 0;
      for (;;) {
        const auto r = yf::import::scan_stdf_records(b.data(), pos, b.size(), be, wanted, space, window, two);
        found.insert(found.end(), space.found_offsets(), space.found_offsets() + r.found);
        if (r.stop == pos) break;
        pos = r.stop;
      }
      if (pos != ref.stop || found != ref.found) std::abort();
    }
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  {
    yf::fuzz::MemFile file(data, size);
    yf::fuzz::CheckingSink sink;
    try {
      yf::import::import_stdf(file.path(), {}, sink);
    } catch (const yf::import::ImportError&) {
    }
  }
  check_scan(data, size);
  return 0;
}
