// Read-only access to the entries of a zip archive (libzip), with the size checks a hostile file
// needs: an entry is only read when its declared size is possible for the archive it sits in.
#pragma once

#include <cstddef>
#include <cstdint>
#include <string>
#include <vector>

struct zip;
struct zip_source;

namespace lsfa {

class ZipArchive {
 public:
  // Opens a file. Throws lsfa::Error naming the path when it is not a readable zip archive.
  static ZipArchive open_file(const std::string &path);
  // Opens an archive held in memory; the buffer must outlive the archive. `what` names it.
  static ZipArchive open_buffer(const void *data, size_t size, const std::string &what);

  ZipArchive(ZipArchive &&other) noexcept;
  ZipArchive &operator=(ZipArchive &&other) noexcept;
  ZipArchive(const ZipArchive &) = delete;
  ZipArchive &operator=(const ZipArchive &) = delete;
  ~ZipArchive();

  const std::string &name() const { return what_; }
  std::vector<std::string> entry_names() const;
  bool contains(const std::string &entry) const;
  // Uncompressed size of an entry; throws when absent.
  uint64_t entry_size(const std::string &entry) const;
  // Reads a whole entry (checksum verified by libzip). Throws when absent, too large or corrupt.
  std::string read(const std::string &entry) const;
  // Reads a whole entry into `dst`, which holds exactly entry_size(entry) bytes.
  void read_into(const std::string &entry, void *dst, uint64_t size) const;

 private:
  ZipArchive(struct zip *archive, std::string what, uint64_t archive_size);
  int64_t index_of(const std::string &entry) const;

  struct zip *archive_ = nullptr;
  std::string what_;
  uint64_t archive_size_ = 0;
};

// True when the bytes start like a zip archive ("PK\x03\x04" or an empty archive's "PK\x05\x06").
bool looks_like_zip(const void *data, size_t size);

}  // namespace lsfa
