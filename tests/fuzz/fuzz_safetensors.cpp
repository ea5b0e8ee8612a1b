// The safetensors reader; whatever it accepts must survive a write and read back unchanged.
#include <ATen/ATen.h>

#include <cstddef>
#include <cstdint>
#include <cstdlib>

#include "lsfa/core/error.h"
#include "lsfa/io/safetensors.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
  (void)lsfa::looks_like_safetensors(data, size);
  lsfa::SafetensorsContents c;
  try {
    c = lsfa::parse_safetensors(data, size, "fuzz.safetensors");
  } catch (const lsfa::Error &) {
    return 0;
  }
  const std::string again = lsfa::serialize_safetensors(c.tensors, c.metadata);
  lsfa::SafetensorsContents back = lsfa::parse_safetensors(again.data(), again.size(), "again");
  if (back.metadata != c.metadata || back.tensors.size() != c.tensors.size()) std::abort();
  for (const auto &[name, t] : c.tensors) {
    const at::Tensor &u = back.tensors.at(name);
    if (u.scalar_type() != t.scalar_type() || u.sizes() != t.sizes()) std::abort();
    // Bitwise: NaN payloads and -0.0 must survive too.
    const size_t n = static_cast<size_t>(t.numel()) * t.element_size();
    if (n && std::memcmp(t.data_ptr(), u.data_ptr(), n) != 0) std::abort();
  }
  return 0;
}
