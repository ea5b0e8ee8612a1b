// What this liblsfa was built with and what it can use now: its version, the LibTorch it links,
// and the CUDA runtime and devices that LibTorch sees (`lsfa --version`, bench headers).
#pragma once

#include <string>

namespace lsfa {

// The project version, e.g. "0.1.0".
std::string lsfa_version();
// The LibTorch version from its headers, e.g. "2.15.0".
std::string libtorch_version();
// The CUDA runtime LibTorch was built with and loads, e.g. "13.2", or "none" for a CPU-only
// LibTorch.
std::string cuda_runtime_version();
// CUDA devices visible now (0 without CUDA, without a driver or without a GPU).
int cuda_device_count();

}  // namespace lsfa
