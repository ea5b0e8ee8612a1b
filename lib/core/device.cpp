// Devices and precision (lsfa/core/device.h).
#include "lsfa/core/device.h"

#include <ATen/Context.h>
#include <ATen/autocast_mode.h>
#include <ATen/detail/CUDAHooksInterface.h>
#include <torch/version.h>

#include "lsfa/core/build_info.h"
#include "lsfa/core/error.h"

namespace lsfa {

bool cuda_usable() {
  return cuda_device_count() > 0;
}

c10::Device parse_device(const std::string &name) {
  c10::Device device = c10::kCPU;
  try {
    device = c10::Device(name == "cuda" ? std::string("cuda:0") : name);
  } catch (const std::exception &) {
    throw Error("unknown device '" + name + "' (expected cpu or cuda:N)");
  }
  if (device.is_cpu()) return device;
  require(device.is_cuda(), "unsupported device '" + name + "' (expected cpu or cuda:N)");
  require(at::detail::getCUDAHooks().hasCUDART(),
          "device '" + name + "' requested but this LibTorch build has no CUDA support");
  const int visible = cuda_device_count();
  require(visible > 0, "device '" + name + "' requested but no CUDA device is visible");
  const int index = device.has_index() ? device.index() : 0;
  require(index < visible, "device '" + name + "' requested but only " + std::to_string(visible) +
                               " CUDA device(s) are visible");
  return c10::Device(c10::kCUDA, static_cast<c10::DeviceIndex>(index));
}

std::string to_string(Precision p) {
  switch (p) {
    case Precision::kTf32:
      return "tf32";
    case Precision::kBf16:
      return "bf16";
    case Precision::kFp32:
      break;
  }
  return "fp32";
}

Precision precision_from_string(const std::string &s) {
  if (s == "fp32") return Precision::kFp32;
  if (s == "tf32") return Precision::kTf32;
  if (s == "bf16") return Precision::kBf16;
  throw Error("unknown precision '" + s + "' (expected fp32, tf32 or bf16)");
}

namespace {

// Autocast switches: LibTorch 2.x takes a device type, 1.13 has one function per device.
bool autocast_enabled(c10::DeviceType t) {
#if TORCH_VERSION_MAJOR >= 2
  return at::autocast::is_autocast_enabled(t);
#else
  return t == c10::DeviceType::CPU ? at::autocast::is_cpu_enabled() : at::autocast::is_enabled();
#endif
}

void set_autocast(c10::DeviceType t, bool on) {
#if TORCH_VERSION_MAJOR >= 2
  if (on) at::autocast::set_autocast_dtype(t, at::kBFloat16);
  at::autocast::set_autocast_enabled(t, on);
#else
  if (t == c10::DeviceType::CPU) {
    if (on) at::autocast::set_autocast_cpu_dtype(at::kBFloat16);
    at::autocast::set_cpu_enabled(on);
  } else {
    if (on) at::autocast::set_autocast_gpu_dtype(at::kBFloat16);
    at::autocast::set_enabled(on);
  }
#endif
}

}  // namespace

PrecisionScope::PrecisionScope(Precision precision, c10::Device device)
    : precision_(precision), type_(device.type()) {
  if (precision_ == Precision::kBf16) {
    prev_autocast_ = autocast_enabled(type_);
    set_autocast(type_, true);
  } else if (precision_ == Precision::kTf32 && device.is_cuda()) {
    auto &ctx = at::globalContext();
    prev_tf32_cublas_ = ctx.allowTF32CuBLAS();
    prev_tf32_cudnn_ = ctx.allowTF32CuDNN();
    ctx.setAllowTF32CuBLAS(true);
    ctx.setAllowTF32CuDNN(true);
  }
}

PrecisionScope::~PrecisionScope() {
  if (precision_ == Precision::kBf16) {
    set_autocast(type_, prev_autocast_);
    // Autocast caches casted weights while enabled; drop them with the scope.
    if (!prev_autocast_) at::autocast::clear_cache();
  } else if (precision_ == Precision::kTf32 && type_ == c10::DeviceType::CUDA) {
    auto &ctx = at::globalContext();
    ctx.setAllowTF32CuBLAS(prev_tf32_cublas_);
    ctx.setAllowTF32CuDNN(prev_tf32_cudnn_);
  }
}

}  // namespace lsfa
