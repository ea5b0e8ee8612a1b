// Shared by the fuzz targets: a scratch file for readers that take a path, and a byte cursor.
#pragma once

#include <unistd.h>

#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <cstring>
#include <fstream>
#include <string>

namespace lsfa::fuzz {

// A file of this process under $TMPDIR (tools/fuzz.sh points it at the fuzz build directory).
inline const std::string &scratch_path(const char *name) {
  static const std::string path = [name] {
    const char *tmp = std::getenv("TMPDIR");
    return std::string(tmp && *tmp ? tmp : "/tmp") + "/lsfa-fuzz-" + std::to_string(::getpid()) +
           "-" + name;
  }();
  return path;
}

inline const std::string &write_scratch(const char *name, const uint8_t *data, size_t size) {
  const std::string &path = scratch_path(name);
  std::ofstream(path, std::ios::binary | std::ios::trunc)
      .write(reinterpret_cast<const char *>(data), static_cast<std::streamsize>(size));
  return path;
}

// Reads fixed-size values from the front of the input; zeros once it runs out.
class Cursor {
 public:
  Cursor(const uint8_t *data, size_t size) : data_(data), size_(size) {}
  template <typename T>
  T take() {
    T v{};
    const size_t n = sizeof(T) < size_ - pos_ ? sizeof(T) : size_ - pos_;
    std::memcpy(&v, data_ + pos_, n);
    pos_ += n;
    return v;
  }
  const uint8_t *rest() const { return data_ + pos_; }
  size_t rest_size() const { return size_ - pos_; }

 private:
  const uint8_t *data_;
  size_t size_;
  size_t pos_ = 0;
};

}  // namespace lsfa::fuzz
