#include "lsfa/core/build_info.h"

#include <ATen/detail/CUDAHooksInterface.h>
#include <torch/version.h>

namespace lsfa {

std::string lsfa_version() {
  return LSFA_VERSION;
}

std::string libtorch_version() {
  return std::to_string(TORCH_VERSION_MAJOR) + "." + std::to_string(TORCH_VERSION_MINOR) + "." +
         std::to_string(TORCH_VERSION_PATCH);
}

std::string cuda_runtime_version() {
  // Without libtorch_cuda loaded (it is linked --no-as-needed for that), LibTorch's default CUDA
  // hooks answer, and they throw on version queries: so ask hasCUDART first.
  const auto &hooks = at::detail::getCUDAHooks();
  if (!hooks.hasCUDART()) return "none";
  const long v = hooks.versionCUDART();  // e.g. 13020 for CUDA 13.2
  return std::to_string(v / 1000) + "." + std::to_string((v % 1000) / 10);
}

int cuda_device_count() {
  const auto &hooks = at::detail::getCUDAHooks();
  // hasCUDA() is false without a driver or a device; getNumGPUs() would then report 0 as well, but
  // some LibTorch versions warn on stderr when asked without a driver.
  return hooks.hasCUDA() ? hooks.getNumGPUs() : 0;
}

}  // namespace lsfa
