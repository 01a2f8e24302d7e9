#pragma once
// A file that appears under its final name only when complete: written as
// DIR/.NAME.tmp-PID, renamed on commit(). An interrupted or crashed run leaves
// at most a dot-file that no reader mistakes for output.
#include <filesystem>
#include <fstream>
#include <string>

namespace yf {

class AtomicFile {
 public:
  explicit AtomicFile(std::filesystem::path final_path);
  ~AtomicFile();  // not committed: the temporary file is removed
  AtomicFile(const AtomicFile&) = delete;
  AtomicFile& operator=(const AtomicFile&) = delete;

  const std::filesystem::path& temp_path() const { return temp_; }
  const std::filesystem::path& final_path() const { return final_; }
  // A text stream onto the temporary file (opened on first use).
  std::ofstream& stream();
  // Flushes, checks the stream, and renames into place. Throws std::runtime_error.
  void commit();

 private:
  std::filesystem::path final_, temp_;
  std::ofstream out_;
  bool committed_ = false;
};

// Writes `text` to `path` atomically.
void write_file_atomically(const std::filesystem::path& path, const std::string& text);

}  // namespace yf
