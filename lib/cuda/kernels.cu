// CUDA kernels for the stages that are hand loops on the CPU: farthest point sampling of the
// Point-MAE group centres and the greedy coreset. Raw pointers and a stream only (no LibTorch
// headers, which slow nvcc down); lib/cuda/cuda_kernels.cpp wraps them for tensors.
//
// Both reproduce the CPU loops bit for bit: every sum and product is rounded on its own
// (__fadd_rn, __fmul_rn and __fsub_rn are never contracted into FMAs), in the CPU's order, and
// ties between equal maxima go to the lower index.
#include <cuda_runtime.h>

#include <cstdint>

#include "kernels.h"

namespace lsfa::cuda_kernels {
namespace {

constexpr int kFpsThreads = 1024;
constexpr int kCoresetThreads = 256;

// The larger of two (value, index) pairs; equal values keep the lower index.
__device__ inline void better(float &v, int &i, float ov, int oi) {
  if (ov > v || (ov == v && oi < i)) v = ov, i = oi;
}

__device__ inline float sq3(float dx, float dy, float dz) {
  return __fadd_rn(__fadd_rn(__fmul_rn(dx, dx), __fmul_rn(dy, dy)), __fmul_rn(dz, dz));
}

// One block per cloud: farthest point sampling over n points [n,3], `count` picks into out.
// dist: n floats of workspace. Same rule as lsfa::farthest_point_sample on the CPU.
__global__ void fps_kernel(const float *__restrict__ xyz, int n, int count,
                           float *__restrict__ dist, int64_t *__restrict__ out) {
  __shared__ float warp_v[kFpsThreads / 32];
  __shared__ int warp_i[kFpsThreads / 32];
  __shared__ int last;
  const int tid = threadIdx.x;
  for (int i = tid; i < n; i += blockDim.x) {
    const float x = xyz[3 * i], y = xyz[3 * i + 1], z = xyz[3 * i + 2];
    dist[i] = sq3(x, y, z) <= 1e-3f ? -1.f : 1e10f;
  }
  if (tid == 0) {
    out[0] = 0;
    last = 0;
  }
  __syncthreads();
  for (int s = 1; s < count; ++s) {
    const float cx = xyz[3 * last], cy = xyz[3 * last + 1], cz = xyz[3 * last + 2];
    float bv = -2.f;
    int bi = 0x7fffffff;
    for (int i = tid; i < n; i += blockDim.x) {
      const float d = sq3(__fsub_rn(xyz[3 * i], cx), __fsub_rn(xyz[3 * i + 1], cy),
                          __fsub_rn(xyz[3 * i + 2], cz));
      const float old = dist[i];
      const float m = d < old ? d : old;  // std::min(old, d)
      dist[i] = m;
      better(bv, bi, m, i);
    }
    for (int off = 16; off > 0; off >>= 1) {
      const float ov = __shfl_down_sync(0xffffffffu, bv, off);
      const int oi = __shfl_down_sync(0xffffffffu, bi, off);
      better(bv, bi, ov, oi);
    }
    if ((tid & 31) == 0) warp_v[tid >> 5] = bv, warp_i[tid >> 5] = bi;
    __syncthreads();
    if (tid < 32) {
      const int warps = blockDim.x >> 5;
      bv = tid < warps ? warp_v[tid] : -2.f;
      bi = tid < warps ? warp_i[tid] : 0x7fffffff;
      for (int off = 16; off > 0; off >>= 1) {
        const float ov = __shfl_down_sync(0xffffffffu, bv, off);
        const int oi = __shfl_down_sync(0xffffffffu, bi, off);
        better(bv, bi, ov, oi);
      }
      if (tid == 0) {
        const int pick = bv >= 0.f ? bi : 0;  // no candidate at all: index 0, like the CPU
        out[s] = pick;
        last = pick;
      }
    }
    __syncthreads();
  }
}

// (value, index) packed so that a larger key is a larger value, and on equal values a lower
// index: non-negative float bits order like the floats.
__device__ inline unsigned long long pack(float v, int64_t i) {
  return (static_cast<unsigned long long>(__float_as_uint(v)) << 32) |
         (0xffffffffull - static_cast<unsigned long long>(i));
}
__device__ inline int64_t unpack_index(unsigned long long key) {
  return static_cast<int64_t>(0xffffffffull - (key & 0xffffffffull));
}

// Step s of the greedy coreset: the centre picked at step s-1 (keys[s-1]) lowers min_d of every
// point, and the largest min_d with its first index goes to keys[s] (atomicMax). points_t is
// [d, n] (transposed, so that neighbouring threads read neighbouring addresses). A step whose
// previous maximum was 0 (every point covered) does nothing: the host stops there.
__global__ void coreset_step_kernel(const float *__restrict__ points_t, int64_t n, int64_t d,
                                    float *__restrict__ min_d, unsigned long long *keys,
                                    int64_t s) {
  const unsigned long long prev = keys[s - 1];
  if ((prev >> 32) == 0) return;  // maximum 0: covered
  const int64_t c = unpack_index(prev);
  const int64_t i = static_cast<int64_t>(blockIdx.x) * blockDim.x + threadIdx.x;
  unsigned long long key = 0;
  if (i < n) {
    float acc = 0.f;
    for (int64_t k = 0; k < d; ++k) {
      const float diff = __fsub_rn(points_t[k * n + i], points_t[k * n + c]);
      acc = __fadd_rn(acc, __fmul_rn(diff, diff));
    }
    const float old = min_d[i];
    const float m = acc < old ? acc : old;
    min_d[i] = m;
    key = pack(m, i);
  }
  for (int off = 16; off > 0; off >>= 1) {
    const unsigned long long o = __shfl_down_sync(0xffffffffu, key, off);
    key = o > key ? o : key;
  }
  __shared__ unsigned long long warp_key[kCoresetThreads / 32];
  if ((threadIdx.x & 31) == 0) warp_key[threadIdx.x >> 5] = key;
  __syncthreads();
  if (threadIdx.x == 0) {
    for (int w = 1; w < kCoresetThreads / 32; ++w) key = warp_key[w] > key ? warp_key[w] : key;
    atomicMax(keys + s, key);
  }
}

__global__ void coreset_init_kernel(float *min_d, int64_t n, unsigned long long *keys) {
  const int64_t i = static_cast<int64_t>(blockIdx.x) * blockDim.x + threadIdx.x;
  if (i < n) min_d[i] = __int_as_float(0x7f800000);  // +inf
  // Step 0 picks index 0 with a positive stand-in value, so that step 1 uses it as the centre.
  if (i == 0) keys[0] = pack(1.f, 0);
}

}  // namespace

const char *farthest_point_sample(const float *xyz, int64_t n, int64_t count, float *workspace,
                                  int64_t *out, void *stream) {
  auto st = static_cast<cudaStream_t>(stream);
  fps_kernel<<<1, kFpsThreads, 0, st>>>(xyz, static_cast<int>(n), static_cast<int>(count),
                                        workspace, out);
  const cudaError_t e = cudaGetLastError();
  return e == cudaSuccess ? nullptr : cudaGetErrorString(e);
}

const char *coreset_init(float *min_d, int64_t n, unsigned long long *keys, void *stream) {
  auto st = static_cast<cudaStream_t>(stream);
  const auto blocks = static_cast<unsigned>((n + kCoresetThreads - 1) / kCoresetThreads);
  coreset_init_kernel<<<blocks, kCoresetThreads, 0, st>>>(min_d, n, keys);
  const cudaError_t e = cudaGetLastError();
  return e == cudaSuccess ? nullptr : cudaGetErrorString(e);
}

const char *coreset_steps(const float *points_t, int64_t n, int64_t d, float *min_d,
                          unsigned long long *keys, int64_t first, int64_t last, void *stream) {
  auto st = static_cast<cudaStream_t>(stream);
  const auto blocks = static_cast<unsigned>((n + kCoresetThreads - 1) / kCoresetThreads);
  for (int64_t s = first; s < last; ++s)
    coreset_step_kernel<<<blocks, kCoresetThreads, 0, st>>>(points_t, n, d, min_d, keys, s);
  const cudaError_t e = cudaGetLastError();
  return e == cudaSuccess ? nullptr : cudaGetErrorString(e);
}

}  // namespace lsfa::cuda_kernels
