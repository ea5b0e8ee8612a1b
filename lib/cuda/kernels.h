// Raw CUDA kernel launchers (lib/cuda/kernels.cu), free of LibTorch types so that nvcc compiles
// them quickly. Pointers are device pointers on the current device; `stream` is a cudaStream_t.
// Each returns nullptr, or the CUDA error text when the launch failed. Private to liblsfa.
#pragma once

#include <cstdint>

namespace lsfa::cuda_kernels {

// LibTorch's current CUDA stream on a device, as a cudaStream_t (lib/cuda/cuda_stream.cpp).
void *current_stream(int device);

// Farthest point sampling of n points xyz [n,3] float32: count picks into out [count] int64.
// workspace: n floats. One thread block; the rule of lsfa::farthest_point_sample.
const char *farthest_point_sample(const float *xyz, int64_t n, int64_t count, float *workspace,
                                  int64_t *out, void *stream);

// Greedy coreset over n points of dimension d stored transposed, points_t [d,n] float32.
// coreset_init sets min_d [n] to +inf and keys[0] to "index 0"; coreset_steps runs steps
// [first, last): step s writes the s-th pick to keys[s] (zeroed beforehand) as a packed
// (squared distance bits << 32 | ~index) key, or leaves 0 once every point is covered.
const char *coreset_init(float *min_d, int64_t n, unsigned long long *keys, void *stream);
const char *coreset_steps(const float *points_t, int64_t n, int64_t d, float *min_d,
                          unsigned long long *keys, int64_t first, int64_t last, void *stream);

}  // namespace lsfa::cuda_kernels
