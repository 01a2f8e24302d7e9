// yf_bench_read_floor FILES...: the read floor of the benchmark (docs/performance.md).
//
// Reads what `yieldflow run` reads from v1 inspection datasets, as fast as the HDF5
// C API allows, and nothing else: /wafers, /defects and /history in blocks of 64 Ki
// rows with the file's own (native) compound type, so HDF5 converts nothing; every
// /binmaps/<product> in hyperslabs of whole chunks (about 32 MiB a read), as int16.
// Every value is folded into a checksum so that nothing is optimised away. One
// thread, no analysis, no output files, no locks.
//
// Prints one line per file and a total line:
//   total of 4 files: wafers 200000 maps 200000 seconds 1.234 (wafers 0.05 binmaps 1.10 defects 0.00 history 0.08) ...
// Exit status 0, or 2 for a file it cannot read.
#include <hdf5.h>

#include <algorithm>
#include <chrono>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <string>
#include <vector>

namespace {

using Clock = std::chrono::steady_clock;

constexpr hsize_t kTableBlock = 65536;                // rows per read of a compound table
constexpr std::uint64_t kMapBlockBytes = 32u << 20;  // target bytes per bin-map read

[[noreturn]] void fail(const std::string& what) {
  std::fprintf(stderr, "yf_bench_read_floor: %s\n", what.c_str());
  std::exit(2);
}

struct Times {
  double wafers = 0, binmaps = 0, defects = 0, history = 0;
  std::uint64_t rows = 0, maps = 0, bytes = 0;  // wafers, bin maps, bytes delivered to memory
  std::uint64_t checksum = 0;
  double total() const { return wafers + binmaps + defects + history; }
  void add(const Times& o) {
    wafers += o.wafers, binmaps += o.binmaps, defects += o.defects, history += o.history;
    rows += o.rows, maps += o.maps, bytes += o.bytes, checksum += o.checksum;
  }
};

double since(Clock::time_point t0) { return std::chrono::duration<double>(Clock::now() - t0).count(); }

bool has_variable_strings(hid_t type) {
  if (H5Tget_class(type) == H5T_STRING) return H5Tis_variable_str(type) > 0;
  if (H5Tget_class(type) != H5T_COMPOUND) return false;
  const int n = H5Tget_nmembers(type);
  for (int i = 0; i < n; ++i) {
    hid_t m = H5Tget_member_type(type, static_cast<unsigned>(i));
    const bool v = has_variable_strings(m);
    H5Tclose(m);
    if (v) return true;
  }
  return false;
}

// Sum of the buffer as 64-bit words (and the tail bytes): touches every byte.
std::uint64_t fold(const unsigned char* p, std::size_t n) {
  std::uint64_t s = 0;
  std::size_t i = 0;
  for (; i + 8 <= n; i += 8) {
    std::uint64_t w;
    std::memcpy(&w, p + i, 8);
    s += w;
  }
  for (; i < n; ++i) s += p[i];
  return s;
}

// A 1-D compound table read whole in blocks with its native type. Returns its row count.
// Variable-length strings (not in the benchmark's data) are read and reclaimed; the
// checksum then covers their pointers, not their characters.
hsize_t read_table(hid_t file, const char* name, double& seconds, Times& t) {
  const auto t0 = Clock::now();
  hid_t d = H5Dopen2(file, name, H5P_DEFAULT);
  if (d < 0) fail(std::string(name) + ": cannot open");
  hid_t ftype = H5Dget_type(d);
  hid_t mtype = H5Tget_native_type(ftype, H5T_DIR_ASCEND);
  const bool vlen = has_variable_strings(mtype);
  const std::size_t row_bytes = H5Tget_size(mtype);
  hid_t fspace = H5Dget_space(d);
  hsize_t rows = 0;
  H5Sget_simple_extent_dims(fspace, &rows, nullptr);
  std::vector<unsigned char> buf(static_cast<std::size_t>(std::min(rows, kTableBlock)) * row_bytes);
  for (hsize_t b = 0; b < rows; b += kTableBlock) {
    hsize_t count = std::min(kTableBlock, rows - b);
    H5Sselect_hyperslab(fspace, H5S_SELECT_SET, &b, nullptr, &count, nullptr);
    hid_t mspace = H5Screate_simple(1, &count, nullptr);
    if (H5Dread(d, mtype, mspace, fspace, H5P_DEFAULT, buf.data()) < 0) fail(std::string(name) + ": read failed");
    t.checksum += fold(buf.data(), static_cast<std::size_t>(count) * row_bytes);
    t.bytes += count * row_bytes;
    if (vlen) H5Dvlen_reclaim(mtype, mspace, H5P_DEFAULT, buf.data());
    H5Sclose(mspace);
  }
  H5Sclose(fspace);
  H5Tclose(mtype);
  H5Tclose(ftype);
  H5Dclose(d);
  seconds += since(t0);
  return rows;
}

// One /binmaps/<product> dataset (P, rows, cols) in reads of whole chunks along P.
void read_binmaps(hid_t file, const std::string& name, Times& t) {
  const auto t0 = Clock::now();
  hid_t d = H5Dopen2(file, name.c_str(), H5P_DEFAULT);
  if (d < 0) fail(name + ": cannot open");
  hid_t fspace = H5Dget_space(d);
  if (H5Sget_simple_extent_ndims(fspace) != 3) fail(name + ": not (P, rows, cols)");
  hsize_t dims[3];
  H5Sget_simple_extent_dims(fspace, dims, nullptr);
  hsize_t chunk[3] = {64, dims[1], dims[2]};
  hid_t dcpl = H5Dget_create_plist(d);
  if (H5Pget_layout(dcpl) == H5D_CHUNKED) H5Pget_chunk(dcpl, 3, chunk);
  H5Pclose(dcpl);
  const std::uint64_t map_cells = dims[1] * dims[2];
  const std::uint64_t chunk_bytes = chunk[0] * map_cells * 2;
  const hsize_t block = chunk[0] * std::max<std::uint64_t>(1, kMapBlockBytes / chunk_bytes);
  std::vector<std::int16_t> buf(static_cast<std::size_t>(std::min(block, dims[0]) * map_cells));
  for (hsize_t b = 0; b < dims[0]; b += block) {
    hsize_t start[3] = {b, 0, 0};
    hsize_t count[3] = {std::min(block, dims[0] - b), dims[1], dims[2]};
    H5Sselect_hyperslab(fspace, H5S_SELECT_SET, start, nullptr, count, nullptr);
    hid_t mspace = H5Screate_simple(3, count, nullptr);
    if (H5Dread(d, H5T_NATIVE_INT16, mspace, fspace, H5P_DEFAULT, buf.data()) < 0) fail(name + ": read failed");
    H5Sclose(mspace);
    const std::size_t n = static_cast<std::size_t>(count[0] * map_cells);
    std::int64_t s = 0;
    for (std::size_t i = 0; i < n; ++i) s += buf[i];
    t.checksum += static_cast<std::uint64_t>(s);
    t.bytes += n * 2;
    t.maps += count[0];
  }
  H5Sclose(fspace);
  H5Dclose(d);
  t.binmaps += since(t0);
}

std::vector<std::string> members(hid_t file, const char* group) {
  std::vector<std::string> names;
  hid_t g = H5Gopen2(file, group, H5P_DEFAULT);
  if (g < 0) return names;
  H5G_info_t info;
  H5Gget_info(g, &info);
  for (hsize_t i = 0; i < info.nlinks; ++i) {
    char name[256];
    H5Lget_name_by_idx(g, ".", H5_INDEX_NAME, H5_ITER_INC, i, name, sizeof name, H5P_DEFAULT);
    names.push_back(std::string(group) + "/" + name);
  }
  H5Gclose(g);
  return names;
}

Times read_file(const char* path) {
  Times t;
  const auto t0 = Clock::now();
  hid_t f = H5Fopen(path, H5F_ACC_RDONLY, H5P_DEFAULT);
  if (f < 0) fail(std::string(path) + ": cannot open as HDF5");
  t.wafers += since(t0);  // opening counts with /wafers
  t.rows = read_table(f, "/wafers", t.wafers, t);
  for (const std::string& d : members(f, "/binmaps")) read_binmaps(f, d, t);
  if (H5Lexists(f, "/defects", H5P_DEFAULT) > 0) read_table(f, "/defects", t.defects, t);
  if (H5Lexists(f, "/history", H5P_DEFAULT) > 0) read_table(f, "/history", t.history, t);
  const auto t1 = Clock::now();
  H5Fclose(f);
  t.wafers += since(t1);
  return t;
}

void print(const char* label, const Times& t) {
  std::printf("%s: wafers %llu maps %llu seconds %.3f (wafers %.3f binmaps %.3f defects %.3f history %.3f) "
              "MB %.1f checksum %llu\n",
              label, static_cast<unsigned long long>(t.rows), static_cast<unsigned long long>(t.maps), t.total(),
              t.wafers, t.binmaps, t.defects, t.history, double(t.bytes) / 1e6,
              static_cast<unsigned long long>(t.checksum));
}

}  // namespace

int main(int argc, char** argv) {
  if (argc < 2) {
    std::fprintf(stderr, "usage: yf_bench_read_floor FILES...\n"
                         "Reads /wafers, /binmaps/*, /defects and /history of each file as fast as HDF5\n"
                         "allows (the benchmark's floor, docs/performance.md).\n");
    return 2;
  }
  H5Eset_auto2(H5E_DEFAULT, nullptr, nullptr);
  Times all;
  for (int i = 1; i < argc; ++i) {
    Times t = read_file(argv[i]);
    print(argv[i], t);
    all.add(t);
  }
  print(("total of " + std::to_string(argc - 1) + " files").c_str(), all);
  return 0;
}
