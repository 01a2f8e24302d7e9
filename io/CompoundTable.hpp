#pragma once
// Reads selected columns of a 1-D compound HDF5 dataset in blocks of rows,
// whatever the file's integer widths, float precision and string kind (fixed
// or variable length): HDF5 converts to native int64 / double on read, and the
// memory string type follows the file's. Callers hold h5::library_mutex().
#include <hdf5.h>

#include <cstdint>
#include <string>
#include <vector>

#include "io/Hdf5Handle.hpp"

namespace yf {

enum class ColumnKind { integer, real, string };

struct ColumnSpec {
  std::string name;
  ColumnKind kind;
  bool required = true;
};

class CompoundTable {
 public:
  // Opens `dataset_path` in `file`. Throws DatasetError naming `file_label`, the
  // table and the column when the dataset is not a 1-D compound, or a required
  // column is missing or of the wrong kind (a string where a number belongs, a
  // float in an integer column). Integers are accepted in real columns.
  CompoundTable(hid_t file, const std::string& dataset_path, std::vector<ColumnSpec> columns,
                const std::string& file_label);
  ~CompoundTable();
  CompoundTable(const CompoundTable&) = delete;
  CompoundTable& operator=(const CompoundTable&) = delete;

  std::uint64_t rows() const { return rows_; }
  bool has(std::size_t col) const { return present_[col]; }

  // Reads rows [begin, begin + count) into the block buffer (replacing it).
  void read(std::uint64_t begin, std::uint64_t count);
  // Reads only the given rows (any order, duplicates allowed) into the block buffer.
  void read_points(const std::vector<std::uint64_t>& rows);
  std::uint64_t block_begin() const { return block_begin_; }
  std::uint64_t block_size() const { return block_count_; }

  // Values of the block's i-th row; an absent optional column reads as 0 / "".
  std::int64_t integer(std::size_t i, std::size_t col) const;
  double real(std::size_t i, std::size_t col) const;
  std::string string(std::size_t i, std::size_t col) const;

 private:
  void reclaim();

  std::string label_;
  h5::Handle dataset_;
  h5::Handle mem_type_;
  std::vector<ColumnSpec> columns_;
  std::vector<bool> present_;
  std::vector<std::size_t> offsets_;
  std::vector<bool> variable_string_;
  std::vector<std::size_t> string_size_;
  std::size_t row_bytes_ = 0;
  std::uint64_t rows_ = 0;
  std::vector<unsigned char> buffer_;
  std::uint64_t block_begin_ = 0, block_count_ = 0;
  h5::Handle block_space_;  // memory space of the current block, for reclaiming strings
  bool has_variable_ = false;
};

}  // namespace yf
