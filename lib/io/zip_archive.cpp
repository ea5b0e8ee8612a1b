#include "lsfa/io/zip_archive.h"

#include <sys/stat.h>
#include <zip.h>

#include <cstring>
#include <utility>

#include "lsfa/core/error.h"

namespace lsfa {
namespace {

// Deflate cannot expand data by more than about 1032:1; a larger claim is a zip bomb or garbage.
constexpr uint64_t kMaxDeflateRatio = 1032;

std::string zip_error_text(zip_error_t *error) {
  return zip_error_strerror(error);
}

}  // namespace

ZipArchive::ZipArchive(struct zip *archive, std::string what, uint64_t archive_size)
    : archive_(archive), what_(std::move(what)), archive_size_(archive_size) {}

ZipArchive::ZipArchive(ZipArchive &&other) noexcept
    : archive_(std::exchange(other.archive_, nullptr)),
      what_(std::move(other.what_)),
      archive_size_(other.archive_size_) {}

ZipArchive &ZipArchive::operator=(ZipArchive &&other) noexcept {
  if (this != &other) {
    if (archive_) zip_discard(archive_);
    archive_ = std::exchange(other.archive_, nullptr);
    what_ = std::move(other.what_);
    archive_size_ = other.archive_size_;
  }
  return *this;
}

ZipArchive::~ZipArchive() {
  if (archive_) zip_discard(archive_);
}

ZipArchive ZipArchive::open_file(const std::string &path) {
  struct stat st;
  if (::stat(path.c_str(), &st) != 0) throw Error("cannot open " + path + ": " + strerror(errno));
  if (!S_ISREG(st.st_mode)) throw Error("cannot read " + path + ": not a regular file");
  int code = 0;
  struct zip *z = zip_open(path.c_str(), ZIP_RDONLY | ZIP_CHECKCONS, &code);
  if (!z) {
    zip_error_t error;
    zip_error_init_with_code(&error, code);
    std::string why = zip_error_text(&error);
    zip_error_fini(&error);
    throw Error(path + ": not a readable zip archive: " + why);
  }
  return ZipArchive(z, path, static_cast<uint64_t>(st.st_size));
}

ZipArchive ZipArchive::open_buffer(const void *data, size_t size, const std::string &what) {
  zip_error_t error;
  zip_error_init(&error);
  zip_source_t *src = zip_source_buffer_create(data, size, 0, &error);
  if (!src) {
    std::string why = zip_error_text(&error);
    zip_error_fini(&error);
    throw Error(what + ": cannot create a zip source: " + why);
  }
  struct zip *z = zip_open_from_source(src, ZIP_RDONLY | ZIP_CHECKCONS, &error);
  if (!z) {
    zip_source_free(src);
    std::string why = zip_error_text(&error);
    zip_error_fini(&error);
    throw Error(what + ": not a readable zip archive: " + why);
  }
  zip_error_fini(&error);
  return ZipArchive(z, what, size);
}

std::vector<std::string> ZipArchive::entry_names() const {
  std::vector<std::string> names;
  const zip_int64_t n = zip_get_num_entries(archive_, 0);
  for (zip_int64_t i = 0; i < n; ++i) {
    const char *name = zip_get_name(archive_, static_cast<zip_uint64_t>(i), ZIP_FL_ENC_RAW);
    if (name) names.emplace_back(name);
  }
  return names;
}

int64_t ZipArchive::index_of(const std::string &entry) const {
  return zip_name_locate(archive_, entry.c_str(), ZIP_FL_ENC_RAW);
}

bool ZipArchive::contains(const std::string &entry) const {
  return index_of(entry) >= 0;
}

uint64_t ZipArchive::entry_size(const std::string &entry) const {
  const int64_t index = index_of(entry);
  if (index < 0) throw Error(what_ + ": archive has no entry " + entry);
  zip_stat_t st;
  zip_stat_init(&st);
  if (zip_stat_index(archive_, static_cast<zip_uint64_t>(index), 0, &st) != 0 ||
      !(st.valid & ZIP_STAT_SIZE) || !(st.valid & ZIP_STAT_COMP_SIZE) ||
      !(st.valid & ZIP_STAT_COMP_METHOD))
    throw Error(what_ + ": cannot read the zip directory entry of " + entry);
  if (st.comp_size > archive_size_)
    throw Error(what_ + ": entry " + entry + " claims " + std::to_string(st.comp_size) +
                " compressed bytes, more than the archive holds");
  if (st.comp_method == ZIP_CM_STORE && st.size != st.comp_size)
    throw Error(what_ + ": stored entry " + entry + " has inconsistent sizes");
  if (st.size / kMaxDeflateRatio > st.comp_size + 1)
    throw Error(what_ + ": entry " + entry + " claims an impossible size " +
                std::to_string(st.size));
  return st.size;
}

void ZipArchive::read_into(const std::string &entry, void *dst, uint64_t size) const {
  if (entry_size(entry) != size)
    throw Error(what_ + ": entry " + entry + " does not have the expected " + std::to_string(size) +
                " bytes");
  zip_file_t *f = zip_fopen(archive_, entry.c_str(), ZIP_FL_ENC_RAW);
  if (!f) throw Error(what_ + ": cannot open entry " + entry + ": " + zip_strerror(archive_));
  char *out = static_cast<char *>(dst);
  uint64_t done = 0;
  std::string failure;
  while (done < size) {
    zip_int64_t got = zip_fread(f, out + done, size - done);
    if (got < 0) {
      failure = zip_file_strerror(f);
      break;
    }
    if (got == 0) {
      failure = "entry ends early";
      break;
    }
    done += static_cast<uint64_t>(got);
  }
  if (failure.empty()) {
    // Reading past the end lets libzip verify the CRC of the whole entry.
    char probe;
    zip_int64_t extra = zip_fread(f, &probe, 1);
    if (extra < 0) failure = zip_file_strerror(f);
    if (extra > 0) failure = "entry is longer than its declared size";
  }
  const int close_rc = zip_fclose(f);
  if (failure.empty() && close_rc != 0) failure = "libzip error " + std::to_string(close_rc);
  if (!failure.empty()) throw Error(what_ + ": cannot read entry " + entry + ": " + failure);
}

std::string ZipArchive::read(const std::string &entry) const {
  std::string bytes(entry_size(entry), '\0');
  read_into(entry, bytes.data(), bytes.size());
  return bytes;
}

bool looks_like_zip(const void *data, size_t size) {
  if (size < 4) return false;
  const auto *p = static_cast<const unsigned char *>(data);
  return p[0] == 'P' && p[1] == 'K' && ((p[2] == 3 && p[3] == 4) || (p[2] == 5 && p[3] == 6));
}

}  // namespace lsfa
