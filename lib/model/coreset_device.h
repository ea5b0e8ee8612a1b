// The greedy coreset's CUDA kernel (coreset_device.cpp). Private to lib/model.
#pragma once

#include <ATen/core/Tensor.h>

#include <cstdint>
#include <vector>

#include "lsfa/model/coreset.h"

namespace lsfa::detail {

// True when points [N,d] can take greedy_select_cuda: float32 on a CUDA device, kernels built.
bool coreset_kernel_available(const at::Tensor &points);

// The selection of greedy_select (index 0 first, first index on ties, early stop when every point
// is covered, squared distances summed in float32 in the order k = 0..d-1) on the GPU.
std::vector<int64_t> greedy_select_cuda(const at::Tensor &points, int64_t count,
                                        const CoresetCallbacks &callbacks);

}  // namespace lsfa::detail
