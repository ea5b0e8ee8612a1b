#include "lsfa/io/safetensors.h"

#include <ATen/ATen.h>
#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstdint>
#include <cstring>
#include <functional>
#include <nlohmann/json.hpp>
#include <set>
#include <vector>

#include "lsfa/core/error.h"
#include "lsfa/io/atomic_file.h"

static_assert(__BYTE_ORDER__ == __ORDER_LITTLE_ENDIAN__,
              "safetensors data is little-endian; this reader copies bytes as they are");

namespace lsfa {
namespace {

// Same limit as the reference implementation: a larger header is a hostile or broken file.
constexpr uint64_t kMaxHeaderBytes = 100u * 1024u * 1024u;
constexpr size_t kMaxRank = 64;
constexpr int kMaxJsonDepth = 8;
const char *const kMetadataKey = "__metadata__";

struct DtypeInfo {
  const char *name;
  at::ScalarType type;
  size_t itemsize;
};

const DtypeInfo kDtypes[] = {
    {"F64", at::kDouble, 8},    {"F32", at::kFloat, 4}, {"F16", at::kHalf, 2},
    {"BF16", at::kBFloat16, 2}, {"I64", at::kLong, 8},  {"I32", at::kInt, 4},
    {"I16", at::kShort, 2},     {"I8", at::kChar, 1},   {"U8", at::kByte, 1},
    {"BOOL", at::kBool, 1},
};

const DtypeInfo *dtype_by_name(const std::string &name) {
  for (const auto &d : kDtypes)
    if (name == d.name) return &d;
  return nullptr;
}

const DtypeInfo *dtype_by_type(at::ScalarType type) {
  for (const auto &d : kDtypes)
    if (type == d.type) return &d;
  return nullptr;
}

// Random-access bytes: a file (read with pread, so large tensors are not copied twice) or memory.
class ByteSource {
 public:
  virtual ~ByteSource() = default;
  virtual uint64_t size() const = 0;
  // Copies [offset, offset + n) to dst; the caller has checked the range.
  virtual void read(uint64_t offset, size_t n, void *dst) const = 0;
};

class MemorySource : public ByteSource {
 public:
  MemorySource(const void *data, size_t size)
      : data_(static_cast<const char *>(data)), size_(size) {}
  uint64_t size() const override { return size_; }
  void read(uint64_t offset, size_t n, void *dst) const override {
    if (n > 0) std::memcpy(dst, data_ + offset, n);
  }

 private:
  const char *data_;
  size_t size_;
};

class FileSource : public ByteSource {
 public:
  explicit FileSource(const std::string &path) : path_(path) {
    fd_ = ::open(path.c_str(), O_RDONLY | O_CLOEXEC);
    if (fd_ < 0) throw Error("cannot open " + path + ": " + std::strerror(errno));
    struct stat st;
    if (::fstat(fd_, &st) != 0 || !S_ISREG(st.st_mode)) {
      ::close(fd_);
      throw Error("cannot read " + path + ": not a regular file");
    }
    size_ = static_cast<uint64_t>(st.st_size);
  }
  ~FileSource() override { ::close(fd_); }
  FileSource(const FileSource &) = delete;
  FileSource &operator=(const FileSource &) = delete;
  uint64_t size() const override { return size_; }
  void read(uint64_t offset, size_t n, void *dst) const override {
    char *out = static_cast<char *>(dst);
    while (n > 0) {
      ssize_t got = ::pread(fd_, out, n, static_cast<off_t>(offset));
      if (got < 0 && errno == EINTR) continue;
      if (got <= 0)
        throw Error("cannot read " + path_ + ": " +
                    (got < 0 ? std::strerror(errno) : "file shrank"));
      out += got;
      n -= static_cast<size_t>(got);
      offset += static_cast<uint64_t>(got);
    }
  }

 private:
  std::string path_;
  int fd_ = -1;
  uint64_t size_ = 0;
};

std::string shape_string(const std::vector<int64_t> &shape) {
  std::string s = "[";
  for (size_t i = 0; i < shape.size(); ++i) s += (i ? ", " : "") + std::to_string(shape[i]);
  return s + "]";
}

nlohmann::json parse_header_json(const std::string &text, const std::string &what) {
  // Duplicate keys would silently shadow each other in nlohmann::json; deep nesting has no use.
  std::vector<std::set<std::string>> open_objects;
  std::string duplicate;
  bool too_deep = false;
  auto callback = [&](int depth, nlohmann::json::parse_event_t event, nlohmann::json &parsed) {
    if (depth > kMaxJsonDepth) too_deep = true;
    switch (event) {
      case nlohmann::json::parse_event_t::object_start:
        open_objects.emplace_back();
        break;
      case nlohmann::json::parse_event_t::object_end:
        if (!open_objects.empty()) open_objects.pop_back();
        break;
      case nlohmann::json::parse_event_t::key:
        if (!open_objects.empty() && parsed.is_string()) {
          const auto &key = parsed.get_ref<const std::string &>();
          if (!open_objects.back().insert(key).second && duplicate.empty()) duplicate = key;
        }
        break;
      default:
        break;
    }
    return !too_deep;
  };
  nlohmann::json header;
  try {
    header = nlohmann::json::parse(text, callback);
  } catch (const nlohmann::json::exception &e) {
    throw Error(what + ": safetensors header is not valid JSON: " + e.what());
  }
  if (too_deep) throw Error(what + ": safetensors header JSON is nested too deeply");
  if (!duplicate.empty())
    throw Error(what + ": safetensors header has the key \"" + duplicate + "\" twice");
  if (!header.is_object()) throw Error(what + ": safetensors header is not a JSON object");
  return header;
}

struct Entry {
  std::string name;
  const DtypeInfo *dtype;
  std::vector<int64_t> shape;
  uint64_t begin, end;
};

Entry parse_entry(const std::string &name, const nlohmann::json &info, const std::string &what) {
  const std::string where = what + ": tensor \"" + name + "\"";
  if (!info.is_object()) throw Error(where + ": header entry is not a JSON object");
  for (const char *field : {"dtype", "shape", "data_offsets"})
    if (!info.contains(field)) throw Error(where + ": header entry lacks \"" + field + "\"");
  Entry e;
  e.name = name;
  const auto &dtype = info["dtype"];
  if (!dtype.is_string()) throw Error(where + ": dtype is not a string");
  e.dtype = dtype_by_name(dtype.get<std::string>());
  if (!e.dtype) throw Error(where + ": unsupported dtype \"" + dtype.get<std::string>() + "\"");

  const auto &shape = info["shape"];
  if (!shape.is_array()) throw Error(where + ": shape is not an array");
  if (shape.size() > kMaxRank)
    throw Error(where + ": shape has " + std::to_string(shape.size()) + " dimensions");
  uint64_t numel = 1;
  bool overflow = false;
  for (const auto &d : shape) {
    if (!d.is_number_unsigned()) throw Error(where + ": shape " + shape.dump() + " is not sizes");
    uint64_t v = d.get<uint64_t>();
    if (v > static_cast<uint64_t>(INT64_MAX)) overflow = true;
    if (__builtin_mul_overflow(numel, v, &numel)) overflow = true;
    e.shape.push_back(static_cast<int64_t>(std::min<uint64_t>(v, INT64_MAX)));
  }
  uint64_t nbytes = 0;
  if (overflow || __builtin_mul_overflow(numel, e.dtype->itemsize, &nbytes) ||
      nbytes > static_cast<uint64_t>(INT64_MAX))
    throw Error(where + ": shape " + shape.dump() + " is too large");

  const auto &offsets = info["data_offsets"];
  if (!offsets.is_array() || offsets.size() != 2 || !offsets[0].is_number_unsigned() ||
      !offsets[1].is_number_unsigned())
    throw Error(where + ": data_offsets " + offsets.dump() + " is not [begin, end]");
  e.begin = offsets[0].get<uint64_t>();
  e.end = offsets[1].get<uint64_t>();
  if (e.end < e.begin)
    throw Error(where + ": data_offsets " + offsets.dump() + " end before begin");
  if (e.end - e.begin != nbytes)
    throw Error(where + ": data_offsets " + offsets.dump() + " span " +
                std::to_string(e.end - e.begin) + " bytes but " + e.dtype->name + " shape " +
                shape_string(e.shape) + " needs " + std::to_string(nbytes));
  return e;
}

SafetensorsContents parse_source(const ByteSource &src, const std::string &what,
                                 bool read_tensors = true) {
  const uint64_t file_size = src.size();
  if (file_size < 8)
    throw Error(what + ": too short for a safetensors file (" + std::to_string(file_size) +
                " bytes)");
  unsigned char len_bytes[8];
  src.read(0, 8, len_bytes);
  uint64_t header_len = 0;
  for (int i = 7; i >= 0; --i) header_len = (header_len << 8) | len_bytes[i];
  if (header_len > kMaxHeaderBytes)
    throw Error(what + ": safetensors header length " + std::to_string(header_len) +
                " exceeds the limit of " + std::to_string(kMaxHeaderBytes) + " bytes");
  if (header_len > file_size - 8)
    throw Error(what + ": safetensors header length " + std::to_string(header_len) +
                " is beyond the end of the file (" + std::to_string(file_size) + " bytes)");
  std::string text(header_len, '\0');
  src.read(8, header_len, text.data());
  const nlohmann::json header = parse_header_json(text, what);

  SafetensorsContents out;
  std::vector<Entry> entries;
  for (const auto &[name, info] : header.items()) {
    if (name == kMetadataKey) {
      if (!info.is_object()) throw Error(what + ": __metadata__ is not a JSON object");
      for (const auto &[k, v] : info.items()) {
        if (!v.is_string())
          throw Error(what + ": __metadata__ value of \"" + k + "\" is not a string");
        out.metadata[k] = v.get<std::string>();
      }
      continue;
    }
    entries.push_back(parse_entry(name, info, what));
  }

  // The data region must be covered exactly: no overlaps, no gaps, nothing past its end.
  const uint64_t data_start = 8 + header_len;
  const uint64_t data_size = file_size - data_start;
  std::vector<const Entry *> by_offset;
  for (const auto &e : entries) by_offset.push_back(&e);
  std::sort(by_offset.begin(), by_offset.end(), [](const Entry *a, const Entry *b) {
    return a->begin != b->begin ? a->begin < b->begin : a->end < b->end;
  });
  uint64_t expected_begin = 0;
  for (const Entry *e : by_offset) {
    if (e->begin != expected_begin) {
      throw Error(what + ": tensor \"" + e->name + "\" data_offsets [" + std::to_string(e->begin) +
                  ", " + std::to_string(e->end) + "] " +
                  (e->begin < expected_begin ? "overlap another tensor" : "leave a gap") +
                  " (expected begin " + std::to_string(expected_begin) + ")");
    }
    if (e->end > data_size)
      throw Error(what + ": tensor \"" + e->name + "\" data_offsets [" + std::to_string(e->begin) +
                  ", " + std::to_string(e->end) + "] are beyond the data (" +
                  std::to_string(data_size) + " bytes)");
    expected_begin = e->end;
  }
  if (expected_begin != data_size)
    throw Error(what + ": " + std::to_string(data_size - expected_begin) +
                " bytes after the last tensor belong to no tensor");
  if (!read_tensors) return out;

  for (const auto &e : entries) {
    at::Tensor t = at::empty(e.shape, at::TensorOptions().dtype(e.dtype->type));
    const size_t nbytes = static_cast<size_t>(e.end - e.begin);
    src.read(data_start + e.begin, nbytes, t.data_ptr());
    if (e.dtype->type == at::kBool) {
      const auto *p = static_cast<const unsigned char *>(t.data_ptr());
      for (size_t i = 0; i < nbytes; ++i)
        if (p[i] > 1)
          throw Error(what + ": tensor \"" + e.name + "\" has a BOOL byte " + std::to_string(p[i]) +
                      " that is neither 0 nor 1");
    }
    out.tensors.emplace(e.name, std::move(t));
  }
  return out;
}

}  // namespace

SafetensorsContents read_safetensors(const std::string &path) {
  FileSource src(path);
  return parse_source(src, path);
}

std::map<std::string, std::string> read_safetensors_metadata(const std::string &path) {
  FileSource src(path);
  return parse_source(src, path, /*read_tensors=*/false).metadata;
}

SafetensorsContents parse_safetensors(const void *data, size_t size, const std::string &what) {
  MemorySource src(data, size);
  return parse_source(src, what);
}

bool looks_like_safetensors(const void *data, size_t size) {
  if (size < 9) return false;
  const auto *p = static_cast<const unsigned char *>(data);
  uint64_t header_len = 0;
  for (int i = 7; i >= 0; --i) header_len = (header_len << 8) | p[i];
  return header_len >= 2 && header_len <= kMaxHeaderBytes && p[8] == '{';
}

std::string serialize_safetensors(const std::map<std::string, at::Tensor> &tensors,
                                  const std::map<std::string, std::string> &metadata) {
  struct Item {
    const std::string *name;
    const DtypeInfo *dtype;
    at::Tensor data;  // CPU, contiguous
  };
  std::vector<Item> items;
  for (const auto &[name, t] : tensors) {
    if (name == kMetadataKey) throw Error("safetensors: a tensor cannot be named __metadata__");
    if (!t.defined()) throw Error("safetensors: tensor \"" + name + "\" is undefined");
    if (t.layout() != at::kStrided || t.is_quantized())
      throw Error("safetensors: tensor \"" + name + "\" is not a dense tensor");
    const DtypeInfo *d = dtype_by_type(t.scalar_type());
    if (!d)
      throw Error("safetensors: tensor \"" + name + "\" has unsupported dtype " +
                  std::string(c10::toString(t.scalar_type())));
    items.push_back({&name, d, t.to(at::kCPU).contiguous()});
  }
  // Larger items first keeps every tensor aligned to its item size (the header is 8-aligned).
  std::stable_sort(items.begin(), items.end(), [](const Item &a, const Item &b) {
    return a.dtype->itemsize > b.dtype->itemsize;
  });

  nlohmann::ordered_json header = nlohmann::ordered_json::object();
  if (!metadata.empty()) {
    nlohmann::ordered_json meta = nlohmann::ordered_json::object();
    for (const auto &[k, v] : metadata) meta[k] = v;
    header[kMetadataKey] = meta;
  }
  std::map<std::string, nlohmann::ordered_json> entries;  // sorted by name
  uint64_t offset = 0;
  for (const auto &item : items) {
    const uint64_t nbytes = static_cast<uint64_t>(item.data.numel()) * item.dtype->itemsize;
    nlohmann::ordered_json e = nlohmann::ordered_json::object();
    e["dtype"] = item.dtype->name;
    e["shape"] = item.data.sizes().vec();
    e["data_offsets"] = {offset, offset + nbytes};
    entries[*item.name] = e;
    offset += nbytes;
  }
  for (auto &[name, e] : entries) header[name] = std::move(e);

  std::string text = header.dump();
  text.append((8 - text.size() % 8) % 8, ' ');
  std::string out;
  out.reserve(8 + text.size() + offset);
  uint64_t len = text.size();
  for (int i = 0; i < 8; ++i) out.push_back(static_cast<char>((len >> (8 * i)) & 0xff));
  out += text;
  for (const auto &item : items) {
    const size_t nbytes = static_cast<size_t>(item.data.numel()) * item.dtype->itemsize;
    out.append(static_cast<const char *>(item.data.data_ptr()), nbytes);
  }
  return out;
}

void write_safetensors(const std::string &path, const std::map<std::string, at::Tensor> &tensors,
                       const std::map<std::string, std::string> &metadata) {
  write_file_atomic(path, serialize_safetensors(tensors, metadata));
}

}  // namespace lsfa
