// The greedy coreset on a CUDA device (lsfa/model/coreset.h): the kernel of lib/cuda/kernels.cu,
// one launch per pick, with the host looking at the picks only every few hundred steps (progress,
// cancellation, early stop). The same indices as the CPU selection.
#include <ATen/ATen.h>

#include <algorithm>

#include "coreset_device.h"
#include "lsfa/core/error.h"
#include "lsfa_cuda_config.h"  // LSFA_CUDA_KERNELS

#ifdef LSFA_CUDA_KERNELS
#include <c10/core/DeviceGuard.h>

#include "../cuda/kernels.h"
#endif

namespace lsfa::detail {

bool coreset_kernel_available(const at::Tensor &points) {
#ifdef LSFA_CUDA_KERNELS
  return points.is_cuda() && points.scalar_type() == at::kFloat;
#else
  (void)points;
  return false;
#endif
}

std::vector<int64_t> greedy_select_cuda(const at::Tensor &points, int64_t count,
                                        const CoresetCallbacks &callbacks) {
#ifdef LSFA_CUDA_KERNELS
  require(coreset_kernel_available(points),
          "coreset: the CUDA selection needs float32 CUDA points");
  const c10::DeviceGuard guard(points.device());
  const int64_t n = points.size(0), d = points.size(1);
  count = std::min(count, n);
  if (count <= 0) return {};
  at::Tensor pt = points.t().contiguous();  // [d, n]: neighbouring threads, neighbouring reads
  at::Tensor min_d = at::empty({n}, points.options());
  at::Tensor keys = at::zeros({count}, points.options().dtype(at::kLong));
  auto *k = reinterpret_cast<unsigned long long *>(keys.data_ptr<int64_t>());
  void *stream = cuda_kernels::current_stream(points.device().index());
  auto check = [](const char *err) {
    require(err == nullptr, std::string("coreset: CUDA kernel failed: ") + (err ? err : ""));
  };
  check(cuda_kernels::coreset_init(min_d.data_ptr<float>(), n, k, stream));
  std::vector<int64_t> chosen{0};
  constexpr int64_t kStepsPerLook = 256;
  bool covered = false;
  for (int64_t first = 1; first < count && !covered; first += kStepsPerLook) {
    const int64_t last = std::min(count, first + kStepsPerLook);
    check(cuda_kernels::coreset_steps(pt.data_ptr<float>(), n, d, min_d.data_ptr<float>(), k, first,
                                      last, stream));
    // Decode this stretch of picks: (bits of the maximum << 32) | (2^32 - 1 - index).
    at::Tensor got = keys.narrow(0, first, last - first).cpu();
    const int64_t *g = got.data_ptr<int64_t>();
    for (int64_t s = 0; s < last - first; ++s) {
      const auto key = static_cast<uint64_t>(g[s]);
      if ((key >> 32) == 0) {  // maximum 0: every point is already covered
        covered = true;
        break;
      }
      chosen.push_back(static_cast<int64_t>(0xffffffffull - (key & 0xffffffffull)));
    }
    const auto picked = static_cast<int64_t>(chosen.size());
    if (callbacks.cancelled && callbacks.cancelled()) throw Error("coreset: cancelled");
    if (callbacks.progress && picked < count && !covered) callbacks.progress(picked, count);
  }
  if (callbacks.progress) callbacks.progress(static_cast<int64_t>(chosen.size()), count);
  return chosen;
#else
  (void)points, (void)count, (void)callbacks;
  throw Error("coreset: this build has no CUDA kernels");
#endif
}

}  // namespace lsfa::detail
