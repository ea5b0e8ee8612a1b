// The current LibTorch CUDA stream for the kernel launchers of lib/cuda/kernels.h.
#include <c10/cuda/CUDAStream.h>

#include "kernels.h"

namespace lsfa::cuda_kernels {

void *current_stream(int device) {
  return c10::cuda::getCurrentCUDAStream(static_cast<c10::DeviceIndex>(device)).stream();
}

}  // namespace lsfa::cuda_kernels
