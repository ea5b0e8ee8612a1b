#include "lsfa/io/state_dict.h"

#include <c10/core/ScalarType.h>

#include <cstdio>

#include "lsfa/core/error.h"
#include "lsfa/io/safetensors.h"
#include "lsfa/io/torch_pickle.h"
#include "lsfa/io/zip_archive.h"

namespace lsfa {
namespace {

using K = PickleValue::Kind;

const char *const kStateDictKeys[] = {"state_dict", "model", "base_model", "teacher", "student"};
const char *const kStrippedPrefixes[] = {"module.", "MAE_encoder.", "base_model."};

enum class Format { Zip, Safetensors, Unknown };

Format detect_format(const std::string &path) {
  unsigned char head[16] = {};
  FILE *f = std::fopen(path.c_str(), "rb");
  if (!f) throw Error("cannot open checkpoint " + path);
  const size_t got = std::fread(head, 1, sizeof head, f);
  std::fclose(f);
  if (looks_like_zip(head, got)) return Format::Zip;
  if (looks_like_safetensors(head, got)) return Format::Safetensors;
  if (got >= 2 && head[0] == 0x80) return Format::Zip;  // legacy torch: the reader explains
  return Format::Unknown;
}

[[noreturn]] void unknown_format(const std::string &path) {
  throw Error(path +
              ": not a checkpoint this program reads (neither a torch.save zip file nor "
              "safetensors)");
}

std::string shape_string(at::IntArrayRef shape) {
  std::string s = "[";
  for (size_t i = 0; i < shape.size(); ++i) s += (i ? ", " : "") + std::to_string(shape[i]);
  return s + "]";
}

// Empty string when `v` is a dict of string -> tensor, else why not.
std::string why_not_state_dict(const ValuePtr &v) {
  if (!v) return "nothing";
  if (v->kind != K::Dict) return std::string("a ") + kind_name(v->kind);
  if (v->entries.empty()) return "an empty dict";
  for (const auto &[k, val] : v->entries) {
    if (!k || k->kind != K::String)
      return std::string("a dict with a ") + (k ? kind_name(k->kind) : "null") + " key";
    if (!val || val->kind != K::Tensor)
      return "a dict whose key \"" + k->text + "\" holds a value of type " +
             (val ? kind_name(val->kind) : "null") + ", not a tensor";
  }
  return "";
}

std::string strip_prefixes(std::string key) {
  for (bool changed = true; changed;) {
    changed = false;
    for (const char *p : kStrippedPrefixes) {
      const std::string prefix(p);
      if (key.size() > prefix.size() && key.compare(0, prefix.size(), prefix) == 0) {
        key.erase(0, prefix.size());
        changed = true;
      }
    }
  }
  return key;
}

StateDict with_stripped_keys(const std::vector<std::pair<std::string, at::Tensor>> &items,
                             const std::string &what) {
  StateDict sd;
  std::map<std::string, std::string> original;
  for (const auto &[key, t] : items) {
    std::string stripped = strip_prefixes(key);
    auto [it, inserted] = original.emplace(stripped, key);
    if (!inserted)
      throw Error(what + ": keys \"" + it->second + "\" and \"" + key + "\" both become \"" +
                  stripped + "\" once prefixes are removed");
    sd.emplace(std::move(stripped), t);
  }
  return sd;
}

}  // namespace

StateDict state_dict_from_tree(const ValuePtr &tree, const std::string &what) {
  ValuePtr chosen;
  std::string top_why = why_not_state_dict(tree);
  if (top_why.empty()) {
    chosen = tree;
  } else if (tree && tree->kind == K::Dict) {
    std::string tried;
    for (const char *key : kStateDictKeys) {
      ValuePtr v = tree->get(key);
      if (!v) continue;
      std::string why = why_not_state_dict(v);
      if (why.empty()) {
        chosen = v;
        break;
      }
      tried += std::string(tried.empty() ? "" : "; ") + "\"" + key + "\" is " + why;
    }
    if (!chosen) {
      std::string keys;
      size_t shown = 0;
      for (const auto &[k, val] : tree->entries) {
        if (shown++ == 20) {
          keys += ", ...";
          break;
        }
        keys += std::string(keys.empty() ? "" : ", ") +
                (k && k->kind == K::String ? "\"" + k->text + "\"" : "<non-string>") + " (" +
                (val ? kind_name(val->kind) : "null") + ")";
      }
      throw Error(what + ": no state dict found: the top level is " + top_why +
                  (tried.empty() ? "" : "; " + tried) +
                  (tried.empty() ? " and has none of the keys state_dict, model, base_model, "
                                   "teacher, student"
                                 : "") +
                  "; top-level keys: " + keys);
    }
  } else {
    throw Error(what + ": no state dict found: the checkpoint holds " + top_why);
  }
  std::vector<std::pair<std::string, at::Tensor>> items;
  for (const auto &[k, v] : chosen->entries) items.emplace_back(k->text, v->tensor);
  return with_stripped_keys(items, what);
}

ValuePtr load_checkpoint_tree(const std::string &path) {
  switch (detect_format(path)) {
    case Format::Zip:
      return read_torch_checkpoint(path);
    case Format::Safetensors: {
      SafetensorsContents c = read_safetensors(path);
      ValuePtr d = PickleValue::make(K::Dict);
      for (auto &[name, t] : c.tensors)
        d->set_item(PickleValue::from_string(name), PickleValue::from_tensor(t));
      ValuePtr meta = PickleValue::make(K::Dict);
      for (auto &[k, v] : c.metadata)
        meta->set_item(PickleValue::from_string(k), PickleValue::from_string(v));
      d->state = meta;
      return d;
    }
    case Format::Unknown:
      break;
  }
  unknown_format(path);
}

StateDict load_state_dict(const std::string &path) {
  switch (detect_format(path)) {
    case Format::Zip:
      return state_dict_from_tree(read_torch_checkpoint(path), path);
    case Format::Safetensors: {
      SafetensorsContents c = read_safetensors(path);
      if (c.tensors.empty()) throw Error(path + ": safetensors file holds no tensors");
      std::vector<std::pair<std::string, at::Tensor>> items(c.tensors.begin(), c.tensors.end());
      return with_stripped_keys(items, path);
    }
    case Format::Unknown:
      break;
  }
  unknown_format(path);
}

void check_state_dict(const StateDict &sd, const std::vector<ExpectedTensor> &expected,
                      const std::string &what, const std::vector<std::string> &ignored_prefixes) {
  std::vector<std::string> missing, misshaped, mistyped, unexpected;
  std::map<std::string, bool> wanted;
  for (const auto &e : expected) {
    wanted[e.key] = true;
    auto it = sd.find(e.key);
    if (it == sd.end()) {
      missing.push_back(e.key);
      continue;
    }
    if (!e.any_shape && it->second.sizes() != at::IntArrayRef(e.shape))
      misshaped.push_back(e.key + " (expected " + shape_string(e.shape) + ", found " +
                          shape_string(it->second.sizes()) + ")");
    if (e.floating && !at::isFloatingType(it->second.scalar_type()))
      mistyped.push_back(e.key + " (expected a floating-point tensor, found " +
                         c10::toString(it->second.scalar_type()) + ")");
  }
  for (const auto &[key, t] : sd) {
    if (wanted.count(key)) continue;
    bool ignored = false;
    for (const auto &p : ignored_prefixes)
      if (key.compare(0, p.size(), p) == 0) ignored = true;
    if (!ignored) unexpected.push_back(key);
  }
  if (missing.empty() && misshaped.empty() && mistyped.empty() && unexpected.empty()) return;
  std::string msg = what + " does not match the expected layout:";
  auto list = [&](const char *title, const std::vector<std::string> &keys) {
    if (keys.empty()) return;
    msg += "\n  " + std::to_string(keys.size()) + " " + title + ":";
    for (const auto &k : keys) msg += "\n    " + k;
  };
  list("missing keys", missing);
  list("keys with the wrong shape", misshaped);
  list("keys with the wrong dtype", mistyped);
  list("unexpected keys", unexpected);
  throw Error(msg);
}

const at::Tensor &state_dict_entry(const StateDict &sd, const std::string &key,
                                   const std::string &what, const std::string &hint) {
  auto it = sd.find(key);
  require(it != sd.end(), what + ": missing key '" + key + "'" + hint);
  return it->second;
}

at::Tensor state_dict_float(const StateDict &sd, const std::string &key, at::Device device,
                            const std::string &what) {
  return state_dict_entry(sd, key, what).to(device, at::kFloat).contiguous();
}

}  // namespace lsfa
