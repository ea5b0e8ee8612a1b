#include "lsfa/io/pickle_value.h"

#include <c10/core/ScalarType.h>

#include <cstdio>
#include <vector>

namespace lsfa {
namespace {

// A hashable identity for keys Python compares by value; empty for keys we cannot compare.
std::string key_identity(const PickleValue &key) {
  switch (key.kind) {
    case PickleValue::Kind::String:
      return "s" + key.text;
    case PickleValue::Kind::Int:
      return "i" + std::to_string(key.integer);
    case PickleValue::Kind::Bool:  // True == 1 and False == 0 in Python
      return "i" + std::to_string(key.boolean ? 1 : 0);
    case PickleValue::Kind::None:
      return "n";
    case PickleValue::Kind::Bytes:
      return "b" + key.text;
    default:
      return "";
  }
}

class Describer {
 public:
  Describer(size_t max_chars, int max_depth) : max_chars_(max_chars), max_depth_(max_depth) {}

  void value(const PickleValue &v, int depth, int indent) {
    if (full()) return;
    using K = PickleValue::Kind;
    switch (v.kind) {
      case K::None:
        put("None");
        break;
      case K::Bool:
        put(v.boolean ? "True" : "False");
        break;
      case K::Int:
        put(std::to_string(v.integer));
        break;
      case K::Float: {
        char buf[40];
        std::snprintf(buf, sizeof buf, "%.17g", v.real);
        put(buf);
        break;
      }
      case K::String:
        put("'" + clip(v.text) + "'");
        break;
      case K::Bytes:
        put("bytes[" + std::to_string(v.text.size()) + "]");
        break;
      case K::Tensor:
      case K::Storage:
        put(v.kind == K::Tensor ? "tensor(" : "storage(");
        if (v.tensor.defined()) {
          put(c10::toString(v.tensor.scalar_type()));
          put(", [");
          for (size_t i = 0; i < v.tensor.sizes().size(); ++i)
            put((i ? ", " : "") + std::to_string(v.tensor.sizes()[i]));
          put("]");
        }
        put(")");
        break;
      case K::Global:
        put("<global " + v.text + ">");
        break;
      case K::List:
      case K::Tuple:
      case K::Opaque: {
        if (v.kind == K::Opaque) put("<opaque " + v.text + ">");
        const bool list = v.kind == K::List;
        if (v.kind == K::Opaque && v.items.empty() && !v.state && v.entries.empty()) break;
        put(list ? "[" : "(");
        if (depth >= max_depth_) {
          put("...");
        } else {
          for (size_t i = 0; i < v.items.size() && !full(); ++i) {
            if (i) put(", ");
            child(v.items[i], depth, indent);
          }
        }
        put(list ? "]" : ")");
        if (v.kind == K::Opaque && !v.entries.empty() && depth < max_depth_) {
          put(" items={");
          for (size_t i = 0; i < v.entries.size() && !full(); ++i) {
            if (i) put(", ");
            child(v.entries[i].first, depth, indent);
            put(": ");
            child(v.entries[i].second, depth, indent);
          }
          put("}");
        }
        if (v.kind == K::Opaque && v.state && depth < max_depth_) {
          put(" state=");
          child(v.state, depth, indent);
        }
        break;
      }
      case K::Dict: {
        put("{");
        if (depth >= max_depth_) {
          put("...}");
          break;
        }
        for (const auto &[k, val] : v.entries) {
          if (full()) return;
          newline(indent + 2);
          child(k, depth, indent + 2);
          put(": ");
          child(val, depth, indent + 2);
          put(",");
        }
        if (!v.entries.empty()) newline(indent);
        put("}");
        break;
      }
    }
  }

  std::string take() {
    if (full()) out_ += "\n... (output truncated)";
    return std::move(out_);
  }

 private:
  void child(const ValuePtr &p, int depth, int indent) {
    if (p)
      value(*p, depth + 1, indent);
    else
      put("<null>");
  }
  static std::string clip(const std::string &s) {
    return s.size() <= 200 ? s : s.substr(0, 200) + "...";
  }
  void put(const std::string &s) {
    if (!full()) out_ += s;
  }
  void newline(int indent) {
    put("\n");
    put(std::string(static_cast<size_t>(indent), ' '));
  }
  bool full() const { return out_.size() >= max_chars_; }

  size_t max_chars_;
  int max_depth_;
  std::string out_;
};

}  // namespace

PickleValue::~PickleValue() {
  std::vector<ValuePtr> pending;
  auto adopt_children = [&pending](PickleValue &v) {
    for (auto &c : v.items) pending.push_back(std::move(c));
    for (auto &[k, val] : v.entries) {
      pending.push_back(std::move(k));
      pending.push_back(std::move(val));
    }
    if (v.state) pending.push_back(std::move(v.state));
    v.items.clear();
    v.entries.clear();
  };
  adopt_children(*this);
  while (!pending.empty()) {
    ValuePtr v = std::move(pending.back());
    pending.pop_back();
    // Only the last owner empties a node, so shared subtrees stay intact for their other owners;
    // `v` then dies with no children and its destructor does not recurse.
    if (v && v.use_count() == 1) adopt_children(*v);
  }
}

ValuePtr PickleValue::make(Kind kind) {
  auto v = std::make_shared<PickleValue>();
  v->kind = kind;
  return v;
}
ValuePtr PickleValue::none() {
  return make(Kind::None);
}
ValuePtr PickleValue::from_bool(bool b) {
  auto v = make(Kind::Bool);
  v->boolean = b;
  return v;
}
ValuePtr PickleValue::from_int(int64_t i) {
  auto v = make(Kind::Int);
  v->integer = i;
  return v;
}
ValuePtr PickleValue::from_float(double d) {
  auto v = make(Kind::Float);
  v->real = d;
  return v;
}
ValuePtr PickleValue::from_string(std::string s) {
  auto v = make(Kind::String);
  v->text = std::move(s);
  return v;
}
ValuePtr PickleValue::from_bytes(std::string s) {
  auto v = make(Kind::Bytes);
  v->text = std::move(s);
  return v;
}
ValuePtr PickleValue::from_tensor(at::Tensor t) {
  auto v = make(Kind::Tensor);
  v->tensor = std::move(t);
  return v;
}

ValuePtr PickleValue::get(const std::string &key) const {
  if (kind != Kind::Dict) return nullptr;
  auto it = key_index.find("s" + key);
  return it == key_index.end() ? nullptr : entries[it->second].second;
}

void PickleValue::set_item(ValuePtr key, ValuePtr value) {
  const std::string id = key ? key_identity(*key) : std::string();
  if (!id.empty()) {
    auto [it, inserted] = key_index.emplace(id, entries.size());
    if (!inserted) {
      entries[it->second].second = std::move(value);
      return;
    }
  }
  entries.emplace_back(std::move(key), std::move(value));
}

const char *kind_name(PickleValue::Kind kind) {
  using K = PickleValue::Kind;
  switch (kind) {
    case K::None:
      return "None";
    case K::Bool:
      return "bool";
    case K::Int:
      return "int";
    case K::Float:
      return "float";
    case K::String:
      return "str";
    case K::Bytes:
      return "bytes";
    case K::List:
      return "list";
    case K::Tuple:
      return "tuple";
    case K::Dict:
      return "dict";
    case K::Tensor:
      return "tensor";
    case K::Storage:
      return "storage";
    case K::Global:
      return "global";
    case K::Opaque:
      return "opaque";
  }
  return "?";
}

std::string describe(const PickleValue &value, size_t max_chars, int max_depth) {
  Describer d(max_chars, max_depth);
  d.value(value, 0, 0);
  return d.take();
}

}  // namespace lsfa
