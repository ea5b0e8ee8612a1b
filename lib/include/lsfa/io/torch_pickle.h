// A restricted reader for torch.save zip files: `<archive>/data.pkl` (a pickle), the storages in
// `<archive>/data/<key>`, `<archive>/version` and `<archive>/byteorder`. The unpickler never
// imports or calls anything: globals are only compared by name. Tensor rebuild functions and
// collections.OrderedDict are understood; every other class or function becomes an Opaque value.
#pragma once

#include <cstddef>
#include <functional>
#include <string>

#include "lsfa/io/pickle_value.h"

namespace lsfa {

// Bounds that keep a hostile pickle from exhausting memory or the C++ stack.
struct UnpickleLimits {
  size_t max_stack = size_t{1} << 22;      // values on the pickle stack, all marks together
  size_t max_marks = size_t{1} << 16;      // open MARKs
  size_t max_memo = size_t{1} << 24;       // memo entries
  size_t max_nesting = 512;                // containment depth of the finished value tree
  size_t max_container = size_t{1} << 26;  // items in one list, tuple or dict
};

// Turns a persistent id (for torch: the tuple ('storage', type, key, location, numel)) into a
// value.
using PersistentLoader = std::function<ValuePtr(const ValuePtr &persistent_id)>;

// Unpickles `bytes` (protocols 2 to 5, the opcodes torch.save and pickle use for plain data).
// Throws lsfa::Error naming `what`, the opcode and its byte offset on anything malformed. Reference
// cycles are cut (the back reference becomes None) so the result is a tree-shaped DAG.
ValuePtr unpickle(const std::string &bytes, const PersistentLoader &persistent_loader,
                  const std::string &what, const UnpickleLimits &limits = {});

// Reads a torch.save zip file (the format of torch >= 1.6) into a value tree with CPU tensors.
// Tensors that were views of one storage share memory. Throws lsfa::Error naming the file.
ValuePtr read_torch_checkpoint(const std::string &path);

// The same from a memory buffer; `what` names it in messages.
ValuePtr parse_torch_checkpoint(const void *data, size_t size, const std::string &what);

}  // namespace lsfa
