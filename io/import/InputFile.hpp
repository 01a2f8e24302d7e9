#pragma once
// A file read as a stream of bytes, gunzipped on the fly when it is gzip. Every
// importer reads through it, so a multi-GB file is never held in memory and
// `foo.klarf.gz` works like `foo.klarf`. A plain file is read with read(2) straight
// into the caller's buffer (zlib's transparent mode would copy every byte once more
// through its own buffer).
#include <cstddef>
#include <cstdint>
#include <string>

namespace yf::import {

class InputFile {
 public:
  // Throws ImportError "PATH: cannot open" when the file cannot be opened.
  explicit InputFile(std::string path);
  ~InputFile();
  InputFile(const InputFile&) = delete;
  InputFile& operator=(const InputFile&) = delete;

  // Reads up to n bytes (of the decompressed stream); 0 at the end. Throws
  // ImportError "PATH: byte N: ..." on a read error or a corrupt/truncated gzip stream.
  std::size_t read(char* buf, std::size_t n);

  const std::string& path() const { return path_; }
  // Bytes of the decompressed stream handed out so far.
  std::uint64_t offset() const { return offset_; }

 private:
  std::size_t read_plain(char* buf, std::size_t n);
  std::size_t read_gzip(char* buf, std::size_t n);

  std::string path_;
  int fd_ = -1;         // a plain file: read(2)
  void* gz_ = nullptr;  // a gzip file: gzFile, kept opaque so that zlib.h stays in the .cpp
  std::uint64_t offset_ = 0;
};

// Up to n first bytes of the (decompressed) file: what format detection looks at.
std::string read_head(const std::string& path, std::size_t n);

}  // namespace yf::import
