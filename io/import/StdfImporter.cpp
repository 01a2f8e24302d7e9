// STDF V4 -> wafer records. The record layer (StdfRecords) hands over records; this
// file keeps the state of the open wafers and turns their parts into bin maps once
// the whole file is read: every wafer of a file shares one product grid, whose
// extent is only known at the end.
#include "io/import/StdfImporter.hpp"

#include <algorithm>
#include <cmath>
#include <cstdio>
#include <limits>
#include <cctype>
#include <map>
#include <memory>
#include <optional>

#include "io/import/MapGeometry.hpp"
#include "io/import/StdfRecords.hpp"

namespace yf::import {
namespace {

constexpr std::uint16_t rec_id(std::uint8_t type, std::uint8_t sub) { return StdfRecordSet::key(type, sub); }
constexpr std::uint16_t kFAR = rec_id(0, 10), kMIR = rec_id(1, 10), kHBR = rec_id(1, 40),
                        kWIR = rec_id(2, 10), kWRR = rec_id(2, 20), kWCR = rec_id(2, 30), kPIR = rec_id(5, 10),
                        kPRR = rec_id(5, 20);
constexpr std::uint8_t type_of(std::uint16_t id) { return static_cast<std::uint8_t>(id & 0xff); }
constexpr std::uint8_t sub_of(std::uint16_t id) { return static_cast<std::uint8_t>(id >> 8); }
constexpr std::int16_t kNoCoord = std::numeric_limits<std::int16_t>::min();  // -32768: X/Y unknown
constexpr std::uint32_t kNoCount = 4294967295u;                              // U4 "missing"
constexpr std::uint8_t kPartFailed = 0x08, kPassFlagInvalid = 0x10;          // PART_FLG bits 3 and 4

std::string mm(double v) {
  char buf[32];
  std::snprintf(buf, sizeof buf, "%.4g", v);
  return buf;
}

struct Part {
  std::int16_t x, y;
  std::int16_t hard_bin;
  std::uint8_t flags;
};

struct WaferState {
  std::string wafer_id;
  std::uint32_t start_t = 0;
  std::uint64_t offset = 0;  // of its WIR
  std::vector<Part> parts;
  std::uint32_t wrr_part_cnt = kNoCount, wrr_good_cnt = kNoCount;
  std::size_t first_part = 0;  // of the current WIR/WRR pair (a wafer tested again starts a new pair)
  bool closed = false;
};

struct BinInfo {
  std::string name;
  char pf = ' ';                      // HBIN_PF: 'P', 'F', or unknown
  std::int64_t hbr_summary = -1;      // HBIN_CNT of the HEAD_NUM 255 record(s)
  std::int64_t hbr_sites = -1;        // sum of the per-site records
  std::int64_t parts = 0, passed = 0, failed = 0;  // over all PRRs (passed/failed: valid flags only)
};

struct Mir {
  bool seen = false;
  std::uint32_t start_t = 0;
  std::string lot, part_type, node, tester_type, test_code, facility;
};

struct Wcr {
  bool seen = false;
  float wafer_size = 0, die_height = 0, die_width = 0;
  std::uint8_t units = 0;
  char flat = ' ', pos_x = ' ', pos_y = ' ';
  std::uint64_t offset = 0;
};

class StdfImport {
 public:
  StdfImport(const std::string& path, const ImportOptions& options, ImportSink& sink)
      : in_(path), options_(options), sink_(sink) {
    for (const std::uint16_t id : {kFAR, kMIR, kHBR, kWIR, kWRR, kWCR, kPIR, kPRR})
      wanted_.add(type_of(id), sub_of(id));
  }

  void run() {
    // Only the records read below come out of the stream; it skips the rest (PTR,
    // FTR, MPR, TSR, GDR, DTR, MRR, ... and unknown types: most of a file's records)
    // in a loop of their lengths alone. PIR is wanted only until the MIR, to report
    // a PIR before it.
    StdfRecord rec;
    while (in_.next(rec, wanted_)) {
      switch (rec.key) {
        case kPRR: on_prr(rec); break;
        case kFAR: throw ImportError(in_.where(rec.offset) + "a second FAR: concatenated STDF files are not supported");
        case kMIR: on_mir(rec); break;
        case kHBR: on_hbr(rec); break;
        case kWIR: on_wir(rec); break;
        case kWRR: on_wrr(rec); break;
        case kWCR: on_wcr(rec); break;
        case kPIR: require_mir(rec, "PIR"); break;
        default: break;
      }
    }
    for (auto& [head, w] : open_) {
      sink_.warning(in_.where(w->offset), "wafer '" + w->wafer_id + "' (head " + std::to_string(head) +
                                              ") has no WRR: the file ends inside it; its parts are kept");
      w->closed = true;
    }
    open_.clear();
    ++open_version_;
    finish();
  }

 private:
  void require_mir(const StdfRecord& rec, const char* name) {
    if (!mir_.seen)
      throw ImportError(in_.where(rec.offset) + name + " before the MIR (records out of order)");
  }

  void on_mir(const StdfRecord& rec) {
    if (mir_.seen) throw ImportError(in_.where(rec.offset) + "a second MIR (records out of order)");
    StdfFields f(in_, rec, "MIR");
    mir_.seen = true;
    wanted_.remove(type_of(kPIR), sub_of(kPIR));
    f.u4();  // SETUP_T
    mir_.start_t = f.u4();
    f.u1();  // STAT_NUM
    f.c1(), f.c1(), f.c1();  // MODE_COD, RTST_COD, PROT_COD
    f.u2();                  // BURN_TIM
    f.c1();                  // CMOD_COD
    mir_.lot = f.cn("LOT_ID");
    mir_.part_type = f.cn("PART_TYP");
    mir_.node = f.cn("NODE_NAM");
    mir_.tester_type = f.cn("TSTR_TYP");
    for (const char* skip : {"JOB_NAM", "JOB_REV", "SBLOT_ID", "OPER_NAM", "EXEC_TYP", "EXEC_VER"}) f.cn(skip);
    mir_.test_code = f.cn("TEST_COD");
    for (const char* skip : {"TST_TEMP", "USER_TXT", "AUX_FILE", "PKG_TYP", "FAMLY_ID", "DATE_COD"}) f.cn(skip);
    mir_.facility = f.cn("FACIL_ID");
  }

  void on_wir(const StdfRecord& rec) {
    require_mir(rec, "WIR");
    StdfFields f(in_, rec, "WIR");
    const std::uint8_t head = f.u1(1);
    f.u1();  // SITE_GRP
    const std::uint32_t start_t = f.u4();
    std::string wafer_id = f.cn("WAFER_ID");
    if (auto it = open_.find(head); it != open_.end()) {
      sink_.warning(in_.where(rec.offset), "WIR for head " + std::to_string(head) + " while wafer '" +
                                               it->second->wafer_id + "' is still open (no WRR): closing it");
      it->second->closed = true;
      open_.erase(it);
      ++open_version_;
    }
    // A wafer probed again later in the file (a second WIR with the same WAFER_ID)
    // is the same wafer: its parts continue, so the last-test rule spans both.
    if (!wafer_id.empty())
      for (auto& old : wafers_)
        if (old->wafer_id == wafer_id && old->closed) {
          sink_.warning(in_.where(rec.offset), "wafer '" + wafer_id + "' is tested again (a second WIR): its dies "
                                               "count by their last test over both");
          old->closed = false;
          old->wrr_part_cnt = old->wrr_good_cnt = kNoCount;
          old->first_part = old->parts.size();
          open_[head] = old.get();
          ++open_version_;
          return;
        }
    auto w = std::make_unique<WaferState>();
    w->start_t = start_t;
    w->wafer_id = std::move(wafer_id);
    w->offset = rec.offset;
    open_[head] = w.get();
    ++open_version_;
    wafers_.push_back(std::move(w));
  }

  void on_wrr(const StdfRecord& rec) {
    require_mir(rec, "WRR");
    StdfFields f(in_, rec, "WRR");
    const std::uint8_t head = f.u1(1);
    auto it = open_.find(head);
    if (it == open_.end())
      throw ImportError(in_.where(rec.offset) + "WRR for head " + std::to_string(head) +
                        " without a WIR before it (records out of order)");
    WaferState& w = *it->second;
    f.u1();  // SITE_GRP
    f.u4();  // FINISH_T
    w.wrr_part_cnt = f.u4(kNoCount);
    f.u4(), f.u4();  // RTST_CNT, ABRT_CNT
    w.wrr_good_cnt = f.u4(kNoCount);
    f.u4();  // FUNC_CNT
    std::string id = f.cn("WAFER_ID");
    if (w.wafer_id.empty()) w.wafer_id = std::move(id);
    w.closed = true;
    check_wrr_counts(w, rec.offset);
    open_.erase(it);
    ++open_version_;
  }

  void check_wrr_counts(const WaferState& w, std::uint64_t offset) {
    const std::size_t parts = w.parts.size() - w.first_part;  // this WIR/WRR pair's
    if (w.wrr_part_cnt != kNoCount && w.wrr_part_cnt != parts)
      sink_.warning(in_.where(offset), "WRR of wafer '" + w.wafer_id + "': PART_CNT " +
                                           std::to_string(w.wrr_part_cnt) + " but " + std::to_string(parts) +
                                           " PRRs");
    if (w.wrr_good_cnt != kNoCount) {
      std::size_t good = 0;
      for (std::size_t i = w.first_part; i < w.parts.size(); ++i)
        good += (w.parts[i].flags & (kPartFailed | kPassFlagInvalid)) == 0;
      if (good != w.wrr_good_cnt)
        sink_.warning(in_.where(offset), "WRR of wafer '" + w.wafer_id + "': GOOD_CNT " +
                                             std::to_string(w.wrr_good_cnt) + " but " + std::to_string(good) +
                                             " PRRs flagged passed");
    }
  }

  void on_wcr(const StdfRecord& rec) {
    StdfFields f(in_, rec, "WCR");
    wcr_.seen = true;
    wcr_.offset = rec.offset;
    wcr_.wafer_size = f.r4();
    wcr_.die_height = f.r4();
    wcr_.die_width = f.r4();
    wcr_.units = f.u1();
    wcr_.flat = f.c1();
    f.i2(kNoCoord), f.i2(kNoCoord);  // CENTER_X, CENTER_Y: the grid is centred on the wafer instead
    wcr_.pos_x = f.c1();
    wcr_.pos_y = f.c1();
  }

  void on_prr(const StdfRecord& rec) {
    require_mir(rec, "PRR");
    StdfFields f(in_, rec, "PRR");
    const std::uint8_t head = f.u1(1);
    WaferState* w = open_wafer(head);
    if (!w)
      throw ImportError(in_.where(rec.offset) + "PRR for head " + std::to_string(head) +
                        " outside a wafer: no WIR for that head before it (records out of order)");
    f.u1();  // SITE_NUM
    const std::uint8_t flags = f.u1();
    f.u2();  // NUM_TEST
    const std::uint16_t hard_bin = f.u2();
    f.u2();  // SOFT_BIN
    const std::int16_t x = f.i2(kNoCoord), y = f.i2(kNoCoord);
    if (hard_bin > 32767)
      throw ImportError(in_.where(rec.offset) + "PRR: HARD_BIN " + std::to_string(hard_bin) +
                        " is outside STDF's range 0..32767");
    const auto bin = static_cast<std::int16_t>(hard_bin);
    w->parts.push_back({x, y, bin, flags});
    if (!last_bin_ || last_bin_number_ != bin) {  // map nodes stay put: the pointer stays valid
      last_bin_ = &bins_[bin];
      last_bin_number_ = bin;
    }
    BinInfo& b = *last_bin_;
    ++b.parts;
    if (!(flags & kPassFlagInvalid)) ++((flags & kPartFailed) ? b.failed : b.passed);
  }

  // The wafer open on `head`, or null. Nearly every PRR is for the head of the one
  // before it: the map lookup only when the head changes or a WIR/WRR came between.
  WaferState* open_wafer(std::uint8_t head) {
    if (open_version_ != cached_version_ || cached_head_ != head) {
      auto it = open_.find(head);
      cached_wafer_ = it == open_.end() ? nullptr : it->second;
      cached_head_ = head;
      cached_version_ = open_version_;
    }
    return cached_wafer_;
  }

  void on_hbr(const StdfRecord& rec) {
    StdfFields f(in_, rec, "HBR");
    const std::uint8_t head = f.u1();
    f.u1();  // SITE_NUM
    const std::uint16_t number = f.u2();
    const std::uint32_t count = f.u4();
    const char pf = f.c1();
    std::string name = f.cn("HBIN_NAM");
    if (number > 32767)
      throw ImportError(in_.where(rec.offset) + "HBR: HBIN_NUM " + std::to_string(number) +
                        " is outside STDF's range 0..32767");
    BinInfo& b = bins_[static_cast<std::int16_t>(number)];
    std::int64_t& total = head == 255 ? b.hbr_summary : b.hbr_sites;
    total = std::max<std::int64_t>(total, 0) + count;
    if (b.name.empty()) b.name = std::move(name);
    if (pf == 'P' || pf == 'F' || pf == 'p' || pf == 'f')
      if (b.pf == ' ' || head == 255) b.pf = static_cast<char>(std::toupper(static_cast<unsigned char>(pf)));
    if (first_hbr_ == 0) first_hbr_ = rec.offset;
  }

  // Which hard bins pass: HBIN_PF when the HBR gives it, otherwise the parts' own
  // PART_FLG (a bin passes when every part with a valid flag in it passed), and
  // when neither is known the v1 default (bin 1 is the only good bin).
  std::vector<BinDef> bin_table() {
    std::vector<BinDef> out;
    for (const auto& [bin, b] : bins_) {
      BinDef d;
      d.bin = bin;
      d.name = b.name;
      const std::string where = in_.path() + ": hard bin " + std::to_string(bin);
      if (b.pf == 'P' || b.pf == 'F') {
        d.pass = b.pf == 'P';
        if ((d.pass && b.failed > 0) || (!d.pass && b.passed > 0))
          sink_.warning(where, std::string("HBR says ") + (d.pass ? "pass" : "fail") + " but " +
                                   std::to_string(d.pass ? b.failed : b.passed) + " of its PRRs are flagged " +
                                   (d.pass ? "failed" : "passed") + ": the HBR wins");
      } else if (b.passed + b.failed > 0) {
        d.pass = b.failed == 0;
        if (b.passed > 0 && b.failed > 0)
          sink_.warning(where, "holds " + std::to_string(b.passed) + " passed and " + std::to_string(b.failed) +
                                   " failed parts and no HBR pass/fail: counted as a failing bin");
      } else {
        d.pass = bin == 1;
      }
      const std::int64_t declared = b.hbr_summary >= 0 ? b.hbr_summary : b.hbr_sites;
      if (declared >= 0 && declared != b.parts)
        sink_.warning(in_.where(first_hbr_), "HBR counts " + std::to_string(declared) + " parts in hard bin " +
                                                 std::to_string(bin) + ", the PRRs " + std::to_string(b.parts));
      out.push_back(d);
    }
    return out;
  }

  std::optional<double> wcr_unit_mm() {
    switch (wcr_.units) {
      case 1: return 25.4;
      case 2: return 10.0;
      case 3: return 1.0;
      case 4: return 0.0254;
      default: return std::nullopt;
    }
  }

  static NotchSide flat_side(char c) {
    switch (c) {
      case 'U': case 'u': return NotchSide::top;
      case 'L': case 'l': return NotchSide::left;
      case 'R': case 'r': return NotchSide::right;
      default: return NotchSide::bottom;  // 'D' or unknown
    }
  }

  void finish() {
    if (!mir_.seen) throw ImportError(in_.path() + ": no MIR: not a complete STDF file");
    if (wafers_.empty())
      throw ImportError(in_.path() + ": no wafer (WIR/WRR) records: not wafer-sort data, nothing to import");
    int min_x = std::numeric_limits<int>::max(), max_x = std::numeric_limits<int>::min();
    int min_y = min_x, max_y = max_x;
    std::size_t uncoordinated = 0;
    for (const auto& w : wafers_)
      for (const Part& p : w->parts) {
        if (p.x == kNoCoord || p.y == kNoCoord) {
          ++uncoordinated;
          continue;
        }
        min_x = std::min<int>(min_x, p.x), max_x = std::max<int>(max_x, p.x);
        min_y = std::min<int>(min_y, p.y), max_y = std::max<int>(max_y, p.y);
      }
    if (min_x > max_x) throw ImportError(in_.path() + ": no PRR has X_COORD/Y_COORD: no wafer map to build");
    if (uncoordinated > 0)
      sink_.warning(in_.path(), std::to_string(uncoordinated) + " PRRs without X_COORD/Y_COORD are left out of the maps");
    const int cols = max_x - min_x + 1, rows = max_y - min_y + 1;
    if (cols > kMaxMapSide || rows > kMaxMapSide || std::int64_t{cols} * rows > kMaxMapCells)
      throw ImportError(in_.path() + ": die coordinates span " + std::to_string(cols) + " x " + std::to_string(rows) +
                        " dies (X " + std::to_string(min_x) + ".." + std::to_string(max_x) + ", Y " +
                        std::to_string(min_y) + ".." + std::to_string(max_y) + "): too large for a wafer map");

    MapSizes sizes;
    if (wcr_.seen && (wcr_.wafer_size > 0 || wcr_.die_width > 0 || wcr_.die_height > 0)) {
      if (auto mm = wcr_unit_mm()) {
        auto ok = [](float v) { return std::isfinite(v) && v > 0 ? static_cast<double>(v) : 0.0; };
        sizes.wafer_diameter_mm = ok(wcr_.wafer_size) * *mm;
        sizes.die_width_mm = ok(wcr_.die_width) * *mm;
        sizes.die_height_mm = ok(wcr_.die_height) * *mm;
      } else {
        sink_.warning(in_.where(wcr_.offset), "WCR: WF_UNITS " + std::to_string(wcr_.units) +
                                                  " is unknown: its wafer and die sizes are ignored");
      }
    }
    const bool x_left = wcr_.pos_x == 'L' || wcr_.pos_x == 'l';
    const bool y_up = wcr_.pos_y == 'U' || wcr_.pos_y == 'u';
    const NotchSide notch = flat_side(wcr_.flat);

    std::vector<BinDef> bins = bin_table();
    std::string product_name = !mir_.part_type.empty() ? mir_.part_type
                               : !options_.product.empty() ? options_.product
                                                           : std::string("stdf");
    std::optional<ProductGeometry> product;
    std::size_t index = 0;
    for (auto& w : wafers_) {
      ++index;
      BinMap map;
      map.cols = cols;
      map.rows = rows;
      map.bins.assign(static_cast<std::size_t>(cols) * rows, -1);
      for (const Part& p : w->parts) {  // in file order: a retested die ends with its last test
        if (p.x == kNoCoord || p.y == kNoCoord) continue;
        const int c = x_left ? max_x - p.x : p.x - min_x;
        const int r = y_up ? max_y - p.y : p.y - min_y;
        map.bins[static_cast<std::size_t>(r) * cols + c] = p.hard_bin;
      }
      MapSizes turned = sizes;
      map = rotate_notch_down(map, notch, &turned);
      if (!product) {
        std::string assumed;
        product = map_product(product_name, map.cols, map.rows, turned, &assumed);
        if (!assumed.empty())
          sink_.warning(in_.path(), "no " + assumed + " in the file (WCR): assumed a " +
                                        mm(product->wafer_diameter_mm) + " mm wafer, " +
                                        mm(product->die_width_mm) + " x " + mm(product->die_height_mm) +
                                        " mm dies");
        sink_.add_product(*product);
        sink_.add_bins(bins);
      }
      WaferRecord rec;
      rec.meta.wafer_id = !w->wafer_id.empty() ? w->wafer_id : mir_.lot + "-W" + std::to_string(index);
      rec.meta.lot_id = mir_.lot;
      rec.meta.fab = !mir_.facility.empty() ? mir_.facility : options_.fab;
      rec.meta.tool = !mir_.node.empty() ? mir_.node : !mir_.tester_type.empty() ? mir_.tester_type : options_.tool;
      rec.meta.product = product_name;
      rec.meta.step = !mir_.test_code.empty() ? mir_.test_code : options_.step;
      rec.meta.timestamp = w->start_t != 0 ? w->start_t : mir_.start_t;
      rec.binmap = std::move(map);
      w->parts = {};  // handed over: free as we go
      sink_.add_wafer(std::move(rec));
    }
  }

  StdfRecordStream in_;
  const ImportOptions& options_;
  ImportSink& sink_;
  Mir mir_;
  Wcr wcr_;
  std::vector<std::unique_ptr<WaferState>> wafers_;
  std::map<std::uint8_t, WaferState*> open_;  // by HEAD_NUM; every change bumps open_version_
  std::uint64_t open_version_ = 0, cached_version_ = ~std::uint64_t{0};
  std::uint8_t cached_head_ = 0;
  WaferState* cached_wafer_ = nullptr;
  std::map<std::int16_t, BinInfo> bins_;
  BinInfo* last_bin_ = nullptr;  // bins_[last_bin_number_]: the PRRs' last bin
  std::int16_t last_bin_number_ = 0;
  StdfRecordSet wanted_;
  std::uint64_t first_hbr_ = 0;
};

}  // namespace

void import_stdf(const std::string& path, const ImportOptions& options, ImportSink& sink) {
  StdfImport(path, options, sink).run();
}

}  // namespace yf::import
