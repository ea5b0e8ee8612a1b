// The value tree read from a checkpoint: what a restricted unpickler can build without running any
// code. Python objects it does not know become Opaque values that only record the class or
// function name and its arguments.
#pragma once

#include <ATen/core/Tensor.h>

#include <cstdint>
#include <memory>
#include <string>
#include <unordered_map>
#include <utility>
#include <vector>

namespace lsfa {

struct PickleValue;
using ValuePtr = std::shared_ptr<PickleValue>;

struct PickleValue {
  enum class Kind {
    None,
    Bool,
    Int,
    Float,
    String,
    Bytes,
    List,
    Tuple,
    Dict,
    Tensor,
    Storage,  // a torch storage not (yet) wrapped in a tensor; `tensor` is its flat 1-D data
    Global,   // a reference to a Python class or function by name, never resolved
    Opaque,   // an object of an unknown class, or the result of a call that was not made
  };

  PickleValue() = default;
  PickleValue(const PickleValue &) = default;
  PickleValue &operator=(const PickleValue &) = default;
  // Frees the children with a work list instead of recursion: a file may nest values far deeper
  // than the C++ stack allows (the reader refuses such trees, but still has to free them).
  ~PickleValue();

  Kind kind = Kind::None;
  bool boolean = false;
  int64_t integer = 0;
  double real = 0.0;
  std::string text;             // String, Bytes; Global and Opaque: "module.name"
  std::vector<ValuePtr> items;  // List, Tuple; Opaque: call arguments
  // Dict: entries in insertion order. Opaque: items assigned to the object by SETITEM(S), and
  // (None, item) for items appended to it (unknown dict/list/set subclasses).
  std::vector<std::pair<ValuePtr, ValuePtr>> entries;
  ValuePtr state;     // BUILD state given to a Dict or Opaque (e.g. a state dict's _metadata)
  at::Tensor tensor;  // Tensor, Storage
  // Dict: position in `entries` of each String/Int/Bool/None key, so assignment stays O(1).
  std::unordered_map<std::string, size_t> key_index;

  static ValuePtr none();
  static ValuePtr from_bool(bool v);
  static ValuePtr from_int(int64_t v);
  static ValuePtr from_float(double v);
  static ValuePtr from_string(std::string v);
  static ValuePtr from_bytes(std::string v);
  static ValuePtr from_tensor(at::Tensor t);
  static ValuePtr make(Kind kind);

  bool is_dict() const { return kind == Kind::Dict; }
  bool is_tensor() const { return kind == Kind::Tensor; }
  bool is_string() const { return kind == Kind::String; }

  // Dict lookup by string key; nullptr when absent (or not a dict).
  ValuePtr get(const std::string &key) const;
  // Python-style assignment: replaces the value of an equal String/Int/Bool/None key, else appends.
  void set_item(ValuePtr key, ValuePtr value);
};

// Name of a kind: "dict", "tensor", ...
const char *kind_name(PickleValue::Kind kind);

// A readable, bounded rendering of a value tree for debugging and `lsfa info`: containers with
// their entries, tensors as dtype and shape, opaque objects with their class name. Output stops
// after `max_chars` characters and below `max_depth` levels.
std::string describe(const PickleValue &value, size_t max_chars = 100000, int max_depth = 32);
inline std::string describe(const ValuePtr &value, size_t max_chars = 100000, int max_depth = 32) {
  return value ? describe(*value, max_chars, max_depth) : std::string("<null>");
}

}  // namespace lsfa
