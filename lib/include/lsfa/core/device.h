// Compute devices and numeric precision. Every stage runs on the device of its tensors; the entry
// points (the command's --device, the elements' device property) name one device with a string,
// and the optional mixed precision (--precision, the precision property) applies to the forwards.
#pragma once

#include <c10/core/Device.h>

#include <string>

namespace lsfa {

// "cpu", "cuda" (= cuda:0) or "cuda:N". Throws lsfa::Error naming the problem: an unknown name,
// a LibTorch without CUDA, no CUDA device visible now, or an index beyond the visible devices.
c10::Device parse_device(const std::string &name);

// True when this LibTorch has CUDA and at least one device is visible now.
bool cuda_usable();

// Numeric precision of the network forwards (backbones, adaptors) and of the memory banks.
//   fp32  everything float32 (the default; the CPU results are bit-for-bit those of the reference)
//   tf32  float32 tensors, matrix products and convolutions in TF32 on CUDA devices (no effect on
//         the CPU, which has no TF32)
//   bf16  forwards under bfloat16 autocast (matrix products in bf16, norms and softmax in float32)
//         on the CPU and on CUDA, and memory banks stored in float16
enum class Precision { kFp32, kTf32, kBf16 };
std::string to_string(Precision p);                     // "fp32", "tf32", "bf16"
Precision precision_from_string(const std::string &s);  // throws lsfa::Error

// Applies a precision to the forwards run on `device` while it lives, and restores the previous
// settings afterwards. TF32 is a process-wide LibTorch setting: two threads that run forwards
// with different precisions at the same time see each other's TF32 choice (autocast is per thread).
class PrecisionScope {
 public:
  PrecisionScope(Precision precision, c10::Device device);
  ~PrecisionScope();
  PrecisionScope(const PrecisionScope &) = delete;
  PrecisionScope &operator=(const PrecisionScope &) = delete;

 private:
  Precision precision_;
  c10::DeviceType type_;
  bool prev_autocast_ = false;
  bool prev_tf32_cublas_ = false, prev_tf32_cudnn_ = false;
};

}  // namespace lsfa
