// A model bundle: safetensors whose metadata carries the JSON description, validated field by
// field on load, then described as `lsfa info` does.
#include <cstddef>
#include <cstdint>

#include "fuzz_util.h"
#include "lsfa/core/error.h"
#include "lsfa/model/bundle.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
  const std::string &path = lsfa::fuzz::write_scratch("bundle.lsfa", data, size);
  try {
    lsfa::ModelBundle b = lsfa::load_bundle(path);
    (void)lsfa::describe_bundle(b);
  } catch (const lsfa::Error &) {
  }
  return 0;
}
