#pragma once
// Writes STDF V4 records by hand, in either byte order, for tests, the benchmark
// and fuzz seeds: field by field, exactly as the spec lays them out, so a test can
// build the file it needs (and break it on purpose).
#include <zlib.h>

#include <cstdint>
#include <cstring>
#include <fstream>
#include <stdexcept>
#include <string>
#include <vector>

namespace yf::test {

class StdfWriter {
 public:
  explicit StdfWriter(bool big_endian) : be_(big_endian) {}

  // Record body builders, used between begin() and end().
  StdfWriter& begin(int type, int sub) {
    body_.clear();
    type_ = static_cast<std::uint8_t>(type);
    sub_ = static_cast<std::uint8_t>(sub);
    return *this;
  }
  StdfWriter& u1(std::uint8_t v) { return put(v, 1); }
  StdfWriter& u2(std::uint16_t v) { return put(v, 2); }
  StdfWriter& u4(std::uint32_t v) { return put(v, 4); }
  StdfWriter& i2(std::int16_t v) { return put(static_cast<std::uint16_t>(v), 2); }
  StdfWriter& r4(float v) {
    std::uint32_t bits;
    std::memcpy(&bits, &v, 4);
    return put(bits, 4);
  }
  StdfWriter& c1(char c) { return put(static_cast<std::uint8_t>(c), 1); }
  StdfWriter& cn(const std::string& s) {
    u1(static_cast<std::uint8_t>(s.size()));
    body_.insert(body_.end(), s.begin(), s.end());
    return *this;
  }
  void end() {
    const auto len = static_cast<std::uint16_t>(body_.size());
    put_to(out_, len, 2);
    out_.push_back(type_);
    out_.push_back(sub_);
    out_.insert(out_.end(), body_.begin(), body_.end());
  }

  // The records a wafer-sort file is made of.
  void far(std::uint8_t version = 4) { begin(0, 10).u1(be_ ? 1 : 2).u1(version).end(); }
  void mir(const std::string& lot, const std::string& part_type, const std::string& node, std::uint32_t start_t,
           const std::string& test_code = "", const std::string& facility = "") {
    begin(1, 10).u4(start_t).u4(start_t).u1(1).c1('P').c1(' ').c1(' ').u2(65535).c1(' ');
    cn(lot).cn(part_type).cn(node).cn("TESTER");
    for (int i = 0; i < 6; ++i) cn("");  // JOB_NAM .. EXEC_VER
    cn(test_code);
    for (int i = 0; i < 6; ++i) cn("");  // TST_TEMP .. DATE_COD
    cn(facility);
    end();
  }
  void wcr(float wafer_size, float die_height, float die_width, std::uint8_t units, char flat, char pos_x, char pos_y) {
    begin(2, 30).r4(wafer_size).r4(die_height).r4(die_width).u1(units).c1(flat).i2(-32768).i2(-32768);
    c1(pos_x).c1(pos_y).end();
  }
  void wir(std::uint8_t head, const std::string& wafer_id, std::uint32_t start_t = 0) {
    begin(2, 10).u1(head).u1(255).u4(start_t).cn(wafer_id).end();
  }
  void wrr(std::uint8_t head, const std::string& wafer_id, std::uint32_t part_cnt, std::uint32_t good_cnt = 4294967295u) {
    begin(2, 20).u1(head).u1(255).u4(0).u4(part_cnt).u4(0).u4(4294967295u).u4(good_cnt).u4(4294967295u);
    cn(wafer_id).end();
  }
  void pir(std::uint8_t head, std::uint8_t site) { begin(5, 10).u1(head).u1(site).end(); }
  void prr(std::uint8_t head, std::uint8_t site, std::uint8_t flags, std::uint16_t hard_bin, std::uint16_t soft_bin,
           std::int16_t x, std::int16_t y) {
    begin(5, 20).u1(head).u1(site).u1(flags).u2(3).u2(hard_bin).u2(soft_bin).i2(x).i2(y).u4(12).cn("").cn("");
    u1(0).end();  // PART_FIX: empty Bn
  }
  void ptr(std::uint32_t test, std::uint8_t head, std::uint8_t site, float result) {
    begin(15, 10).u4(test).u1(head).u1(site).u1(0).u1(0).r4(result).cn("VDD leakage").cn("").end();
  }
  void hbr(std::uint8_t head, std::uint16_t bin, std::uint32_t count, char pf, const std::string& name) {
    begin(1, 40).u1(head).u1(0).u2(bin).u4(count).c1(pf).cn(name).end();
  }
  void mrr(std::uint32_t finish_t) { begin(1, 20).u4(finish_t).end(); }

  std::vector<std::uint8_t>& bytes() { return out_; }
  void clear() { out_.clear(); }

  void write(const std::string& path, bool gzip = false) const { write_bytes(path, out_, gzip); }
  static void write_bytes(const std::string& path, const std::vector<std::uint8_t>& bytes, bool gzip = false) {
    if (gzip) {
      gzFile gz = gzopen(path.c_str(), "wb6");
      if (!gz || gzwrite(gz, bytes.data(), static_cast<unsigned>(bytes.size())) != static_cast<int>(bytes.size()))
        throw std::runtime_error("cannot write " + path);
      gzclose(gz);
      return;
    }
    std::ofstream f(path, std::ios::binary);
    f.write(reinterpret_cast<const char*>(bytes.data()), static_cast<std::streamsize>(bytes.size()));
    if (!f) throw std::runtime_error("cannot write " + path);
  }

 private:
  StdfWriter& put(std::uint32_t v, int n) {
    put_to(body_, v, n);
    return *this;
  }
  void put_to(std::vector<std::uint8_t>& to, std::uint32_t v, int n) const {
    for (int i = 0; i < n; ++i) {
      const int shift = be_ ? 8 * (n - 1 - i) : 8 * i;
      to.push_back(static_cast<std::uint8_t>(v >> shift));
    }
  }

  bool be_;
  std::uint8_t type_ = 0, sub_ = 0;
  std::vector<std::uint8_t> body_, out_;
};

}  // namespace yf::test
