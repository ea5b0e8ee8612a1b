#include "lsfa/io/torch_pickle.h"

#include <ATen/ATen.h>

#include <map>
#include <memory>

#include "lsfa/core/error.h"
#include "lsfa/io/zip_archive.h"

static_assert(__BYTE_ORDER__ == __ORDER_LITTLE_ENDIAN__,
              "torch storages are read as little-endian bytes");

namespace lsfa {
namespace {

using K = PickleValue::Kind;

struct StorageType {
  const char *name;  // without the "torch." prefix
  at::ScalarType dtype;
};

const StorageType kStorageTypes[] = {
    {"FloatStorage", at::kFloat},
    {"DoubleStorage", at::kDouble},
    {"HalfStorage", at::kHalf},
    {"BFloat16Storage", at::kBFloat16},
    {"LongStorage", at::kLong},
    {"IntStorage", at::kInt},
    {"ShortStorage", at::kShort},
    {"CharStorage", at::kChar},
    {"ByteStorage", at::kByte},
    {"BoolStorage", at::kBool},
    {"ComplexFloatStorage", at::kComplexFloat},
    {"ComplexDoubleStorage", at::kComplexDouble},
    {"UntypedStorage", at::kByte},
};

bool storage_dtype(const std::string &global, at::ScalarType *dtype) {
  for (const char *prefix : {"torch.", "torch.cuda.", "torch.storage."}) {
    const std::string p(prefix);
    if (global.compare(0, p.size(), p) != 0) continue;
    const std::string rest = global.substr(p.size());
    for (const auto &t : kStorageTypes) {
      if (rest == t.name) {
        *dtype = t.dtype;
        return true;
      }
    }
  }
  return false;
}

bool safe_key(const std::string &key) {
  if (key.empty() || key.size() > 64) return false;
  for (char c : key)
    if (!std::isalnum(static_cast<unsigned char>(c)) && c != '_') return false;
  return true;
}

// Loads the storages that data.pkl refers to, once per key, so views share memory.
class StorageLoader {
 public:
  StorageLoader(const ZipArchive &zip, std::string prefix)
      : zip_(zip), prefix_(std::move(prefix)) {}

  ValuePtr operator()(const ValuePtr &pid) {
    const std::string &what = zip_.name();
    if (!pid || pid->kind != K::Tuple || pid->items.size() < 5)
      throw Error(what + ": persistent id is not ('storage', type, key, location, numel)");
    const auto &it = pid->items;
    for (const auto &x : it)
      if (!x) throw Error(what + ": persistent id has an empty item");
    if (it[0]->kind != K::String || it[0]->text != "storage")
      throw Error(what + ": persistent id of an unknown kind (not 'storage')");
    at::ScalarType dtype;
    if (it[1]->kind != K::Global || !storage_dtype(it[1]->text, &dtype))
      throw Error(what + ": unsupported storage type " +
                  (it[1]->kind == K::Global ? it[1]->text : std::string(kind_name(it[1]->kind))));
    if (it[2]->kind != K::String || !safe_key(it[2]->text))
      throw Error(what + ": storage key is not a short alphanumeric name");
    if (it[4]->kind != K::Int || it[4]->integer < 0)
      throw Error(what + ": storage " + it[2]->text + " has no valid element count");
    const std::string &key = it[2]->text;
    const int64_t numel = it[4]->integer;

    auto cached = storages_.find(key);
    if (cached != storages_.end()) {
      const at::Tensor &t = cached->second;
      if (t.scalar_type() != dtype || t.numel() != numel)
        throw Error(what + ": storage " + key + " is used with two different types or sizes");
      return wrap(t);
    }
    const std::string entry = prefix_ + "/data/" + key;
    if (!zip_.contains(entry)) throw Error(what + ": storage entry " + entry + " is missing");
    const uint64_t itemsize = c10::elementSize(dtype);
    uint64_t nbytes = 0;
    if (__builtin_mul_overflow(static_cast<uint64_t>(numel), itemsize, &nbytes))
      throw Error(what + ": storage " + key + " size overflows");
    const uint64_t have = zip_.entry_size(entry);
    if (have != nbytes)
      throw Error(what + ": storage " + key + " should hold " + std::to_string(numel) + " " +
                  c10::toString(dtype) + " elements (" + std::to_string(nbytes) +
                  " bytes) but its entry has " + std::to_string(have) + " bytes");
    at::Tensor t = at::empty({numel}, at::TensorOptions().dtype(dtype));
    zip_.read_into(entry, t.data_ptr(), nbytes);
    if (dtype == at::kBool) {
      const auto *p = static_cast<const unsigned char *>(t.data_ptr());
      for (uint64_t i = 0; i < nbytes; ++i)
        if (p[i] > 1) throw Error(what + ": bool storage " + key + " holds a byte other than 0/1");
    }
    storages_.emplace(key, t);
    return wrap(t);
  }

 private:
  static ValuePtr wrap(const at::Tensor &t) {
    ValuePtr v = PickleValue::make(K::Storage);
    v->tensor = t;
    return v;
  }

  const ZipArchive &zip_;
  std::string prefix_;
  std::map<std::string, at::Tensor> storages_;
};

ValuePtr read_archive(const ZipArchive &zip) {
  const std::string &what = zip.name();
  std::string prefix;
  for (const auto &name : zip.entry_names()) {
    const auto slash = name.find('/');
    if (slash != std::string::npos && name.compare(slash, std::string::npos, "/data.pkl") == 0) {
      prefix = name.substr(0, slash);
      break;
    }
  }
  if (prefix.empty())
    throw Error(what + ": zip archive has no <name>/data.pkl: not a torch.save checkpoint");
  if (zip.contains(prefix + "/byteorder")) {
    std::string order = zip.read(prefix + "/byteorder");
    if (order != "little")
      throw Error(what + ": checkpoint byte order \"" + order.substr(0, 16) +
                  "\" is not supported (only little)");
  }
  if (zip.contains(prefix + "/version")) {
    std::string version = zip.read(prefix + "/version");
    while (!version.empty() && (version.back() == '\n' || version.back() == '\r'))
      version.pop_back();
    if (version.empty() || version.size() > 4 ||
        version.find_first_not_of("0123456789") != std::string::npos)
      throw Error(what + ": checkpoint version record \"" + version.substr(0, 16) +
                  "\" is not a number");
  }
  const std::string pickle = zip.read(prefix + "/data.pkl");
  StorageLoader loader(zip, prefix);
  return unpickle(
      pickle, [&](const ValuePtr &pid) { return loader(pid); },
      what + " (" + prefix + "/data.pkl)");
}

void reject_legacy(const void *data, size_t size, const std::string &what) {
  const auto *p = static_cast<const unsigned char *>(data);
  if (size >= 2 && p[0] == 0x80 && p[1] <= 5)
    throw Error(what +
                ": legacy (pre-1.6, non-zip) torch.save format is not supported; re-save it "
                "with torch.save in a newer torch");
}

}  // namespace

ValuePtr read_torch_checkpoint(const std::string &path) {
  unsigned char head[4] = {0, 0, 0, 0};
  size_t got = 0;
  if (FILE *f = std::fopen(path.c_str(), "rb")) {
    got = std::fread(head, 1, sizeof head, f);
    std::fclose(f);
  }
  if (got >= 2 && !looks_like_zip(head, got)) reject_legacy(head, got, path);
  ZipArchive zip = ZipArchive::open_file(path);
  return read_archive(zip);
}

ValuePtr parse_torch_checkpoint(const void *data, size_t size, const std::string &what) {
  if (!looks_like_zip(data, size)) reject_legacy(data, size, what);
  ZipArchive zip = ZipArchive::open_buffer(data, size, what);
  return read_archive(zip);
}

}  // namespace lsfa
