// Shared by the CPU loops (point_groups.cpp) and the device forms (point_groups_device.cpp) of the
// point grouping. Private to lib/backbones.
#pragma once

#include <ATen/core/Tensor.h>

#include <cstdint>

namespace lsfa {

// points as a contiguous float32 [N,3] tensor on its device; lsfa::Error unless [N,3] and finite.
at::Tensor as_points(const at::Tensor &points, const char *what);

// Farthest point sampling of finite points [N,3] float32 on a non-CPU device: the CUDA kernel
// when it was built, else farthest_point_sample_aten.
at::Tensor farthest_point_sample_device(const at::Tensor &points, int64_t count);

}  // namespace lsfa
