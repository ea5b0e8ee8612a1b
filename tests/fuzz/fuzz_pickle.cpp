// The restricted unpickler on raw bytes, with a persistent-id loader like the checkpoint reader's
// (small float storages), then everything that walks the resulting tree.
#include <ATen/ATen.h>

#include <cstddef>
#include <cstdint>
#include <string>

#include "lsfa/core/error.h"
#include "lsfa/io/state_dict.h"
#include "lsfa/io/torch_pickle.h"

namespace {

lsfa::ValuePtr load_storage(const lsfa::ValuePtr &pid) {
  using K = lsfa::PickleValue::Kind;
  if (!pid || pid->kind != K::Tuple || pid->items.size() < 5 || !pid->items[4] ||
      pid->items[4]->kind != K::Int)
    throw lsfa::Error("fuzz: persistent id is not a storage tuple");
  const int64_t numel = pid->items[4]->integer;
  if (numel < 0 || numel > 4096) throw lsfa::Error("fuzz: storage size out of range");
  lsfa::ValuePtr s = lsfa::PickleValue::make(K::Storage);
  s->tensor = at::arange(numel, at::kFloat);
  return s;
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
  const std::string bytes(reinterpret_cast<const char *>(data), size);
  try {
    lsfa::ValuePtr tree = lsfa::unpickle(bytes, load_storage, "fuzz.pkl");
    (void)lsfa::describe(tree, 4096);
    (void)lsfa::state_dict_from_tree(tree, "fuzz.pkl");
  } catch (const lsfa::Error &) {
  }
  return 0;
}
