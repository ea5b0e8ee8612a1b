// Deterministic random initialisation of backbone weights when no checkpoint is given.
// Every tensor gets its own generator seeded from (seed, key), so a weight does not depend on the
// order in which the others were created, and the values are the same on every device (they are
// drawn on the CPU and then moved).
#pragma once

#include <ATen/core/Tensor.h>
#include <c10/core/Device.h>

#include <cstdint>
#include <string>
#include <vector>

namespace lsfa {

// Truncated normal: normal(0, std) restricted to +-2 std (rejection sampling; the distribution of
// torch.nn.init.trunc_normal_ with a = -2 std, b = 2 std). float32.
at::Tensor init_trunc_normal(const std::vector<int64_t> &shape, double std, uint64_t seed,
                             const std::string &key, at::Device device);

// Constant float32 tensor (zeros for biases, ones for LayerNorm / BatchNorm scales).
at::Tensor init_constant(const std::vector<int64_t> &shape, double value, at::Device device);

}  // namespace lsfa
