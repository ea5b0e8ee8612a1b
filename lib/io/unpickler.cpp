// The restricted unpickler behind lsfa::unpickle (declared in lsfa/io/torch_pickle.h). It
// interprets the pickle opcodes as data only: GLOBAL pushes a name, REDUCE/NEWOBJ/BUILD either
// apply one of the few pure functions we know (tensor rebuilds, OrderedDict, _codecs.encode) or
// record an Opaque value. Nothing is imported, nothing is called.
#include <ATen/ATen.h>

#include <cerrno>
#include <cstdint>
#include <cstdlib>
#include <cstring>
#include <unordered_map>
#include <unordered_set>
#include <vector>

#include "lsfa/core/error.h"
#include "lsfa/io/torch_pickle.h"

namespace lsfa {
namespace {

using K = PickleValue::Kind;

constexpr int kMaxProtocol = 5;
constexpr size_t kMaxRank = 64;

std::string hex_byte(unsigned v) {
  static const char *digits = "0123456789abcdef";
  return std::string("0x") + digits[(v >> 4) & 15] + digits[v & 15];
}

bool is_global(const ValuePtr &v, const char *name) {
  return v && v->kind == K::Global && v->text == name;
}

class Unpickler {
 public:
  Unpickler(const std::string &bytes, const PersistentLoader &loader, const std::string &what,
            const UnpickleLimits &limits)
      : b_(bytes), loader_(loader), what_(what), limits_(limits) {}

  ~Unpickler() {
    // Objects outside the result (all of them after a failure) may reference each other in
    // cycles: empty them so that the shared pointers free everything.
    for (auto &c : containers_) {
      if (reachable_.count(c.get())) continue;
      c->items.clear();
      c->entries.clear();
      c->state.reset();
    }
  }

  ValuePtr run() {
    while (true) {
      if (pos_ >= b_.size()) fail_at(b_.size(), "pickle ends without a STOP opcode (truncated)");
      op_pos_ = pos_;
      op_ = static_cast<unsigned char>(b_[pos_++]);
      if (op_ == '.') break;
      step();
    }
    ValuePtr result = pop();
    cut_cycles_and_check_depth(result);
    return result;
  }

 private:
  [[noreturn]] void fail(const std::string &message) { fail_at(op_pos_, message); }
  [[noreturn]] void fail_at(size_t at, const std::string &message) {
    std::string where = what_ + ": pickle";
    if (at < b_.size()) where += " opcode " + hex_byte(static_cast<unsigned char>(b_[at]));
    throw Error(where + " at byte " + std::to_string(at) + ": " + message);
  }

  // ---- reading the byte stream ----
  void need(uint64_t n) {
    if (n > b_.size() - pos_)
      fail("needs " + std::to_string(n) + " more bytes but only " +
           std::to_string(b_.size() - pos_) + " remain (truncated)");
  }
  uint64_t read_le(int n) {
    need(static_cast<uint64_t>(n));
    uint64_t v = 0;
    for (int i = n - 1; i >= 0; --i) v = (v << 8) | static_cast<unsigned char>(b_[pos_ + i]);
    pos_ += static_cast<size_t>(n);
    return v;
  }
  std::string read_bytes(uint64_t n) {
    need(n);
    std::string s = b_.substr(pos_, static_cast<size_t>(n));
    pos_ += static_cast<size_t>(n);
    return s;
  }
  std::string read_line() {
    size_t end = b_.find('\n', pos_);
    if (end == std::string::npos) fail("text argument has no end of line (truncated)");
    std::string s = b_.substr(pos_, end - pos_);
    pos_ = end + 1;
    return s;
  }
  int64_t parse_decimal(const std::string &text) {
    std::string t = text;
    if (!t.empty() && t.back() == 'L') t.pop_back();
    if (t.empty()) fail("empty decimal integer");
    char *end = nullptr;
    errno = 0;
    long long v = std::strtoll(t.c_str(), &end, 10);
    if (errno != 0 || *end != '\0')
      fail("decimal integer \"" + text + "\" is malformed or too large");
    return v;
  }

  // ---- the stack ----
  size_t frame_start() const { return marks_.empty() ? 0 : marks_.back(); }
  void push(ValuePtr v) {
    if (stack_.size() >= limits_.max_stack)
      fail("pickle stack exceeds " + std::to_string(limits_.max_stack) + " values");
    stack_.push_back(std::move(v));
  }
  ValuePtr pop() {
    if (stack_.size() <= frame_start()) fail("pickle stack underflow");
    ValuePtr v = std::move(stack_.back());
    stack_.pop_back();
    return v;
  }
  ValuePtr &top() {
    if (stack_.size() <= frame_start()) fail("pickle stack underflow");
    return stack_.back();
  }
  std::vector<ValuePtr> pop_mark() {
    if (marks_.empty()) fail("no MARK to pop to");
    const size_t start = marks_.back();
    marks_.pop_back();
    std::vector<ValuePtr> items(std::make_move_iterator(stack_.begin() + start),
                                std::make_move_iterator(stack_.end()));
    stack_.resize(start);
    return items;
  }

  // ---- building values ----
  ValuePtr global(const std::string &module, const std::string &name) {
    ValuePtr g = PickleValue::make(K::Global);
    // Protocol 2 writes Python 3 builtins under their Python 2 module name.
    g->text = (module == "__builtin__" ? std::string("builtins") : module) + "." + name;
    return g;
  }
  ValuePtr container(K kind) {
    ValuePtr v = PickleValue::make(kind);
    containers_.push_back(v);
    return v;
  }
  ValuePtr tuple(std::vector<ValuePtr> items) {
    ValuePtr v = PickleValue::make(K::Tuple);
    v->items = std::move(items);
    return v;
  }
  ValuePtr opaque(const std::string &name, std::vector<ValuePtr> args) {
    ValuePtr v = container(K::Opaque);
    v->text = name;
    v->items = std::move(args);
    return v;
  }
  void check_size(const PickleValue &c, size_t adding) {
    const size_t now = c.kind == K::Dict ? c.entries.size() : c.items.size() + c.entries.size();
    if (adding > limits_.max_container || now > limits_.max_container - adding)
      fail("a container exceeds " + std::to_string(limits_.max_container) + " items");
  }
  void append_to(const ValuePtr &target, std::vector<ValuePtr> values) {
    if (target->kind == K::List) {
      check_size(*target, values.size());
      for (auto &v : values) target->items.push_back(std::move(v));
    } else if (target->kind == K::Opaque) {
      // A list-like object of an unknown class (or a set): keep the items as (None, item).
      check_size(*target, values.size());
      for (auto &v : values) target->entries.emplace_back(PickleValue::none(), std::move(v));
    } else {
      fail(std::string("cannot append to a ") + kind_name(target->kind));
    }
  }
  void set_items(const ValuePtr &target, std::vector<ValuePtr> kv) {
    if (kv.size() % 2 != 0) fail("SETITEMS has an odd number of values");
    if (target->kind != K::Dict && target->kind != K::Opaque)
      fail(std::string("cannot set items of a ") + kind_name(target->kind));
    check_size(*target, kv.size() / 2);
    for (size_t i = 0; i < kv.size(); i += 2) {
      if (target->kind == K::Dict)
        target->set_item(std::move(kv[i]), std::move(kv[i + 1]));
      else
        target->entries.emplace_back(std::move(kv[i]), std::move(kv[i + 1]));
    }
  }
  void memo_put(uint64_t key) {
    if (memo_.size() >= limits_.max_memo && !memo_.count(key))
      fail("memo exceeds " + std::to_string(limits_.max_memo) + " entries");
    memo_[key] = top();
  }
  void memo_get(uint64_t key) {
    auto it = memo_.find(key);
    if (it == memo_.end()) fail("memo index " + std::to_string(key) + " was never stored");
    push(it->second);
  }

  // Little-endian two's complement of any length (LONG1/LONG4); beyond int64 it stays opaque.
  ValuePtr decode_long(const std::string &bytes) {
    auto byte = [&](size_t i) { return static_cast<unsigned char>(bytes[i]); };
    size_t used = bytes.size();
    if (used == 0) return PickleValue::from_int(0);
    const bool negative = byte(used - 1) & 0x80;
    const unsigned char sign_byte = negative ? 0xff : 0x00;
    // Drop sign-extension bytes that do not change the value.
    while (used > 1 && byte(used - 1) == sign_byte && ((byte(used - 2) & 0x80) != 0) == negative)
      --used;
    if (used > 8) return opaque("builtins.int", {PickleValue::from_bytes(bytes)});
    uint64_t v = 0;
    for (size_t i = 0; i < 8; ++i)
      v |= static_cast<uint64_t>(i < used ? byte(i) : sign_byte) << (8 * i);
    return PickleValue::from_int(static_cast<int64_t>(v));
  }

  // ---- the few functions we understand; everything else is recorded, not called ----
  int64_t int_arg(const ValuePtr &v, const char *what) {
    if (!v || v->kind != K::Int) fail(std::string("tensor rebuild: ") + what + " is not an int");
    return v->integer;
  }
  std::vector<int64_t> int_tuple_arg(const ValuePtr &v, const char *what) {
    if (!v || (v->kind != K::Tuple && v->kind != K::List))
      fail(std::string("tensor rebuild: ") + what + " is not a tuple");
    if (v->items.size() > kMaxRank)
      fail(std::string("tensor rebuild: ") + what + " has too many dimensions");
    std::vector<int64_t> out;
    for (const auto &x : v->items) out.push_back(int_arg(x, what));
    return out;
  }

  ValuePtr rebuild_tensor(const std::vector<ValuePtr> &args) {
    if (args.size() < 4) fail("tensor rebuild needs (storage, offset, size, stride)");
    const ValuePtr &storage = args[0];
    if (!storage || storage->kind != K::Storage || !storage->tensor.defined())
      fail("tensor rebuild: first argument is not a storage");
    const int64_t offset = int_arg(args[1], "storage offset");
    const std::vector<int64_t> size = int_tuple_arg(args[2], "size");
    const std::vector<int64_t> stride = int_tuple_arg(args[3], "stride");
    const int64_t storage_numel = storage->tensor.numel();
    if (size.size() != stride.size())
      fail("tensor rebuild: size has " + std::to_string(size.size()) + " dimensions, stride " +
           std::to_string(stride.size()));
    if (offset < 0 || offset > storage_numel)
      fail("tensor rebuild: storage offset " + std::to_string(offset) +
           " is outside the storage of " + std::to_string(storage_numel) + " elements");
    bool empty = false;
    for (size_t i = 0; i < size.size(); ++i) {
      if (size[i] < 0 || stride[i] < 0) fail("tensor rebuild: negative size or stride");
      if (size[i] == 0) empty = true;
    }
    if (!empty) {
      // Highest element index the view touches must lie inside the storage.
      int64_t last = offset;
      for (size_t i = 0; i < size.size(); ++i) {
        int64_t span = 0;
        if (__builtin_mul_overflow(size[i] - 1, stride[i], &span) ||
            __builtin_add_overflow(last, span, &last))
          fail("tensor rebuild: size and stride overflow");
      }
      if (last >= storage_numel)
        fail("tensor rebuild: view with offset " + std::to_string(offset) + " reaches element " +
             std::to_string(last) + " of a storage of " + std::to_string(storage_numel) +
             " elements");
    }
    return PickleValue::from_tensor(storage->tensor.as_strided(size, stride, offset));
  }

  ValuePtr latin1_bytes(const std::string &utf8) {
    std::string out;
    for (size_t i = 0; i < utf8.size(); ++i) {
      const auto c = static_cast<unsigned char>(utf8[i]);
      if (c < 0x80) {
        out.push_back(static_cast<char>(c));
      } else if ((c == 0xc2 || c == 0xc3) && i + 1 < utf8.size() &&
                 (static_cast<unsigned char>(utf8[i + 1]) & 0xc0) == 0x80) {
        out.push_back(static_cast<char>(((c & 0x03) << 6) |
                                        (static_cast<unsigned char>(utf8[i + 1]) & 0x3f)));
        ++i;
      } else {
        return nullptr;
      }
    }
    return PickleValue::from_bytes(std::move(out));
  }

  bool is_tensor_rebuild(const ValuePtr &f) {
    return is_global(f, "torch._utils._rebuild_tensor_v2") ||
           is_global(f, "torch._utils._rebuild_tensor") ||
           is_global(f, "torch._utils._rebuild_parameter") ||
           is_global(f, "torch._utils._rebuild_parameter_with_state");
  }

  ValuePtr call(const ValuePtr &callable, const ValuePtr &args_tuple) {
    if (!args_tuple || args_tuple->kind != K::Tuple) fail("REDUCE arguments are not a tuple");
    const std::vector<ValuePtr> &args = args_tuple->items;
    if (!callable || callable->kind != K::Global)
      return opaque(
          std::string("<call of ") + (callable ? kind_name(callable->kind) : "null") + ">", args);
    const std::string &name = callable->text;
    if (name == "torch._utils._rebuild_tensor_v2" || name == "torch._utils._rebuild_tensor")
      return rebuild_tensor(args);
    if (name == "torch._utils._rebuild_parameter" ||
        name == "torch._utils._rebuild_parameter_with_state") {
      if (args.empty() || !args[0] || args[0]->kind != K::Tensor)
        fail(name + ": first argument is not a tensor");
      return args[0];
    }
    if (name == "torch._tensor._rebuild_from_type_v2" && args.size() >= 3 &&
        is_tensor_rebuild(args[0]) &&
        (is_global(args[1], "torch.Tensor") || is_global(args[1], "torch.nn.parameter.Parameter")))
      return call(args[0], args[2]);
    if (name == "collections.OrderedDict" || name == "builtins.dict") {
      ValuePtr d = container(K::Dict);
      if (args.empty()) return d;
      const ValuePtr &pairs = args[0];
      if (args.size() == 1 && pairs && (pairs->kind == K::List || pairs->kind == K::Tuple)) {
        check_size(*d, pairs->items.size());
        for (const auto &p : pairs->items) {
          if (!p || (p->kind != K::Tuple && p->kind != K::List) || p->items.size() != 2)
            return opaque(name, args);
          d->set_item(p->items[0], p->items[1]);
        }
        return d;
      }
      return opaque(name, args);
    }
    if (name == "_codecs.encode" && args.size() == 2 && args[0] && args[0]->kind == K::String &&
        args[1] && args[1]->kind == K::String &&
        (args[1]->text == "latin1" || args[1]->text == "latin-1")) {
      if (ValuePtr bytes = latin1_bytes(args[0]->text)) return bytes;
    }
    return opaque(name, args);
  }

  void build(const ValuePtr &target, ValuePtr state) {
    switch (target->kind) {
      case K::Dict:
      case K::Opaque:
        target->state = std::move(state);
        return;
      case K::Tensor:  // python attributes of a tensor carry nothing we use
        return;
      default:
        fail(std::string("BUILD on a ") + kind_name(target->kind));
    }
  }

  void step() {
    switch (op_) {
      case 0x80: {  // PROTO
        const uint64_t proto = read_le(1);
        if (proto > kMaxProtocol) fail("unsupported pickle protocol " + std::to_string(proto));
        break;
      }
      case 0x95: {  // FRAME: only a hint for buffered readers
        const uint64_t n = read_le(8);
        need(n);
        break;
      }
      case '(':  // MARK
        if (marks_.size() >= limits_.max_marks)
          fail("more than " + std::to_string(limits_.max_marks) + " open MARKs");
        marks_.push_back(stack_.size());
        break;
      case '0':  // POP
        if (stack_.size() > frame_start())
          stack_.pop_back();
        else
          pop_mark();
        break;
      case '1':  // POP_MARK
        pop_mark();
        break;
      case '2':  // DUP
        push(top());
        break;

      case 'N':
        push(PickleValue::none());
        break;
      case 0x88:
        push(PickleValue::from_bool(true));
        break;
      case 0x89:
        push(PickleValue::from_bool(false));
        break;
      case 'J':  // BININT
        push(PickleValue::from_int(static_cast<int32_t>(static_cast<uint32_t>(read_le(4)))));
        break;
      case 'K':  // BININT1
        push(PickleValue::from_int(static_cast<int64_t>(read_le(1))));
        break;
      case 'M':  // BININT2
        push(PickleValue::from_int(static_cast<int64_t>(read_le(2))));
        break;
      case 0x8a: {  // LONG1
        const uint64_t n = read_le(1);
        push(decode_long(read_bytes(n)));
        break;
      }
      case 0x8b: {  // LONG4
        const auto n = static_cast<int32_t>(static_cast<uint32_t>(read_le(4)));
        if (n < 0) fail("LONG4 with negative length");
        push(decode_long(read_bytes(static_cast<uint64_t>(n))));
        break;
      }
      case 'I': {  // INT (text); "I01"/"I00" are True/False in protocol 0
        const std::string line = read_line();
        if (line == "01" || line == "00")
          push(PickleValue::from_bool(line == "01"));
        else
          push(PickleValue::from_int(parse_decimal(line)));
        break;
      }
      case 'L':  // LONG (text)
        push(PickleValue::from_int(parse_decimal(read_line())));
        break;
      case 'G': {  // BINFLOAT, big-endian
        need(8);
        uint64_t bits = 0;
        for (int i = 0; i < 8; ++i) bits = (bits << 8) | static_cast<unsigned char>(b_[pos_ + i]);
        pos_ += 8;
        double d;
        std::memcpy(&d, &bits, sizeof d);
        push(PickleValue::from_float(d));
        break;
      }
      case 'F': {  // FLOAT (text)
        const std::string line = read_line();
        char *end = nullptr;
        const double d = std::strtod(line.c_str(), &end);
        if (line.empty() || *end != '\0') fail("float \"" + line + "\" is malformed");
        push(PickleValue::from_float(d));
        break;
      }

      case 'X':  // BINUNICODE
        push(PickleValue::from_string(read_bytes(read_le(4))));
        break;
      case 0x8c:  // SHORT_BINUNICODE
        push(PickleValue::from_string(read_bytes(read_le(1))));
        break;
      case 0x8d:  // BINUNICODE8
        push(PickleValue::from_string(read_bytes(read_le(8))));
        break;
      case 'T': {  // BINSTRING (Python 2 str)
        const auto n = static_cast<int32_t>(static_cast<uint32_t>(read_le(4)));
        if (n < 0) fail("BINSTRING with negative length");
        push(PickleValue::from_string(read_bytes(static_cast<uint64_t>(n))));
        break;
      }
      case 'U':  // SHORT_BINSTRING
        push(PickleValue::from_string(read_bytes(read_le(1))));
        break;
      case 'B':  // BINBYTES
        push(PickleValue::from_bytes(read_bytes(read_le(4))));
        break;
      case 'C':  // SHORT_BINBYTES
        push(PickleValue::from_bytes(read_bytes(read_le(1))));
        break;
      case 0x8e:  // BINBYTES8
      case 0x96:  // BYTEARRAY8
        push(PickleValue::from_bytes(read_bytes(read_le(8))));
        break;

      case '}':  // EMPTY_DICT
        push(container(K::Dict));
        break;
      case ']':  // EMPTY_LIST
        push(container(K::List));
        break;
      case ')':  // EMPTY_TUPLE
        push(tuple({}));
        break;
      case 0x8f:  // EMPTY_SET
        push(opaque("builtins.set", {}));
        break;
      case 0x90: {  // ADDITEMS
        std::vector<ValuePtr> items = pop_mark();
        append_to(top(), std::move(items));
        break;
      }
      case 0x91: {  // FROZENSET
        ValuePtr s = opaque("builtins.frozenset", {});
        append_to(s, pop_mark());
        push(s);
        break;
      }
      case 'd': {  // DICT
        std::vector<ValuePtr> kv = pop_mark();
        ValuePtr d = container(K::Dict);
        set_items(d, std::move(kv));
        push(d);
        break;
      }
      case 'l': {  // LIST
        std::vector<ValuePtr> items = pop_mark();
        ValuePtr l = container(K::List);
        append_to(l, std::move(items));
        push(l);
        break;
      }
      case 't':  // TUPLE
        push(tuple(pop_mark()));
        break;
      case 0x85:    // TUPLE1
      case 0x86:    // TUPLE2
      case 0x87: {  // TUPLE3
        const size_t n = op_ - 0x84u;
        std::vector<ValuePtr> items(n);
        for (size_t i = n; i-- > 0;) items[i] = pop();
        push(tuple(std::move(items)));
        break;
      }
      case 'a': {  // APPEND
        ValuePtr v = pop();
        append_to(top(), {std::move(v)});
        break;
      }
      case 'e': {  // APPENDS
        std::vector<ValuePtr> items = pop_mark();
        append_to(top(), std::move(items));
        break;
      }
      case 's': {  // SETITEM
        ValuePtr v = pop();
        ValuePtr k = pop();
        set_items(top(), {std::move(k), std::move(v)});
        break;
      }
      case 'u': {  // SETITEMS
        std::vector<ValuePtr> kv = pop_mark();
        set_items(top(), std::move(kv));
        break;
      }

      case 'p':  // PUT (text)
        memo_put(static_cast<uint64_t>(parse_decimal(read_line())));
        break;
      case 'q':  // BINPUT
        memo_put(read_le(1));
        break;
      case 'r':  // LONG_BINPUT
        memo_put(read_le(4));
        break;
      case 0x94:  // MEMOIZE
        memo_put(memo_.size());
        break;
      case 'g': {  // GET (text)
        const int64_t key = parse_decimal(read_line());
        if (key < 0) fail("negative memo index");
        memo_get(static_cast<uint64_t>(key));
        break;
      }
      case 'h':  // BINGET
        memo_get(read_le(1));
        break;
      case 'j':  // LONG_BINGET
        memo_get(read_le(4));
        break;

      case 'c': {  // GLOBAL "module\nname\n"
        std::string module = read_line();
        std::string name = read_line();
        push(global(module, name));
        break;
      }
      case 0x93: {  // STACK_GLOBAL
        ValuePtr name = pop();
        ValuePtr module = pop();
        if (!name || !module || name->kind != K::String || module->kind != K::String)
          fail("STACK_GLOBAL needs two strings");
        push(global(module->text, name->text));
        break;
      }
      case 'R': {  // REDUCE
        ValuePtr args = pop();
        ValuePtr callable = pop();
        push(call(callable, args));
        break;
      }
      case 0x81: {  // NEWOBJ: cls.__new__(cls, *args), recorded
        ValuePtr args = pop();
        ValuePtr cls = pop();
        if (!args || args->kind != K::Tuple) fail("NEWOBJ arguments are not a tuple");
        if (is_global(cls, "collections.OrderedDict") && args->items.empty())
          push(container(K::Dict));
        else
          push(opaque(cls && cls->kind == K::Global ? cls->text : "<object>", args->items));
        break;
      }
      case 0x92: {  // NEWOBJ_EX
        ValuePtr kwargs = pop();
        ValuePtr args = pop();
        ValuePtr cls = pop();
        if (!args || args->kind != K::Tuple) fail("NEWOBJ_EX arguments are not a tuple");
        ValuePtr o = opaque(cls && cls->kind == K::Global ? cls->text : "<object>", args->items);
        o->state = kwargs;
        push(o);
        break;
      }
      case 'i': {  // INST "module\nname\n", arguments from MARK
        std::string module = read_line();
        std::string name = read_line();
        push(opaque(module + "." + name, pop_mark()));
        break;
      }
      case 'o': {  // OBJ: class and arguments from MARK
        std::vector<ValuePtr> items = pop_mark();
        if (items.empty()) fail("OBJ without a class");
        ValuePtr cls = items.front();
        items.erase(items.begin());
        push(opaque(cls && cls->kind == K::Global ? cls->text : "<object>", std::move(items)));
        break;
      }
      case 'b': {  // BUILD
        ValuePtr state = pop();
        build(top(), std::move(state));
        break;
      }
      case 'Q': {  // BINPERSID
        ValuePtr pid = pop();
        if (!loader_) fail("persistent id without a loader");
        ValuePtr v = loader_(pid);
        if (!v) fail("persistent id was not resolved");
        push(v);
        break;
      }
      case 'P': {  // PERSID (text)
        ValuePtr pid = PickleValue::from_string(read_line());
        if (!loader_) fail("persistent id without a loader");
        ValuePtr v = loader_(pid);
        if (!v) fail("persistent id was not resolved");
        push(v);
        break;
      }
      default:
        fail("unsupported or invalid pickle opcode");
    }
  }

  // Cuts back references (cycles) and rejects trees nested deeper than the limit, so that code
  // walking the result recursively is safe. Iterative: the C++ stack never grows with the input.
  void cut_cycles_and_check_depth(const ValuePtr &root) {
    struct Frame {
      PickleValue *node;
      size_t next_child;
    };
    enum Color : uint8_t { kActive = 1, kDone = 2 };
    std::unordered_map<PickleValue *, uint8_t> color;
    std::unordered_map<PickleValue *, size_t> height;
    auto child_count = [](const PickleValue &v) {
      return v.items.size() + 2 * v.entries.size() + (v.state ? 1 : 0);
    };
    auto child_at = [](PickleValue &v, size_t i) -> ValuePtr & {
      if (i < v.items.size()) return v.items[i];
      i -= v.items.size();
      if (i < 2 * v.entries.size())
        return i % 2 == 0 ? v.entries[i / 2].first : v.entries[i / 2].second;
      return v.state;
    };
    if (!root) return;
    std::vector<Frame> path{{root.get(), 0}};
    color[root.get()] = kActive;
    while (!path.empty()) {
      Frame &f = path.back();
      if (f.next_child == child_count(*f.node)) {
        size_t h = 1;
        for (size_t i = 0; i < child_count(*f.node); ++i) {
          const ValuePtr &c = child_at(*f.node, i);
          if (c) h = std::max(h, height[c.get()] + 1);
        }
        if (h > limits_.max_nesting)
          fail_at(b_.size(), "values are nested deeper than " +
                                 std::to_string(limits_.max_nesting) + " levels");
        height[f.node] = h;
        color[f.node] = kDone;
        reachable_.insert(f.node);
        path.pop_back();
        continue;
      }
      ValuePtr &c = child_at(*f.node, f.next_child++);
      if (!c) continue;
      auto it = color.find(c.get());
      if (it == color.end()) {
        color[c.get()] = kActive;
        path.push_back({c.get(), 0});
        if (path.size() > limits_.max_nesting)
          fail_at(b_.size(), "values are nested deeper than " +
                                 std::to_string(limits_.max_nesting) + " levels");
      } else if (it->second == kActive) {
        c = PickleValue::none();  // a reference back to an enclosing object
      }
    }
  }

  const std::string &b_;
  const PersistentLoader &loader_;
  const std::string &what_;
  const UnpickleLimits &limits_;
  size_t pos_ = 0;
  size_t op_pos_ = 0;
  unsigned op_ = 0;
  std::vector<ValuePtr> stack_;
  std::vector<size_t> marks_;
  std::unordered_map<uint64_t, ValuePtr> memo_;
  std::vector<ValuePtr> containers_;
  std::unordered_set<const PickleValue *> reachable_;  // the result, once it is complete
};

}  // namespace

ValuePtr unpickle(const std::string &bytes, const PersistentLoader &persistent_loader,
                  const std::string &what, const UnpickleLimits &limits) {
  Unpickler u(bytes, persistent_loader, what, limits);
  return u.run();
}

}  // namespace lsfa
