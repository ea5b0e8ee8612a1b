// Farthest point sampling and kNN grouping on any device (lsfa/backbones/point_groups.h): ATen
// forms whose every operation rounds like the CPU loops, and the dispatch to the CUDA kernel.
#include <ATen/ATen.h>

#include <algorithm>

#include "lsfa/backbones/point_groups.h"
#include "lsfa/core/error.h"
#include "lsfa_cuda_config.h"  // LSFA_CUDA_KERNELS
#include "point_groups_internal.h"

#ifdef LSFA_CUDA_KERNELS
#include <c10/core/DeviceGuard.h>

#include "../cuda/kernels.h"
#endif

namespace lsfa {
namespace {

// dx*dx + dy*dy + dz*dz of diff [..., 3], one rounded operation at a time in x, y, z order (the
// CPU loops' arithmetic; separate kernels cannot be contracted into fused multiply-adds).
at::Tensor squared_norm3(const at::Tensor &diff) {
  at::Tensor sq = diff * diff;
  return (sq.select(-1, 0) + sq.select(-1, 1)) + sq.select(-1, 2);
}

}  // namespace

at::Tensor farthest_point_sample_aten(const at::Tensor &points_in, int64_t count) {
  at::Tensor p = as_points(points_in, "farthest_point_sample: points");
  const int64_t n = p.size(0);
  require(n > 0, "farthest_point_sample: no points");
  require(count > 0, "farthest_point_sample: count must be positive");
  // Candidates start at 1e10, the others at -1 (never the farthest), as on the CPU.
  at::Tensor dist = at::where(squared_norm3(p) <= 1e-3f, at::scalar_tensor(-1.f, p.options()),
                              at::scalar_tensor(1e10f, p.options()));
  at::Tensor picks = at::zeros({count}, p.options().dtype(at::kLong));
  at::Tensor last = at::zeros({1}, p.options().dtype(at::kLong));
  at::Tensor zero = at::zeros({1}, p.options().dtype(at::kLong));
  // No host synchronisation inside the loop: the pick stays a device tensor.
  for (int64_t s = 1; s < count; ++s) {
    at::minimum_out(dist, dist, squared_norm3(p - p.index_select(0, last)));
    auto [best, at_best] = dist.max(0, /*keepdim=*/true);  // first index of the maximum
    last = at::where(best >= 0, at_best, zero);            // no candidate: index 0
    picks.narrow(0, s, 1).copy_(last);
  }
  return picks;
}

at::Tensor knn_indices_aten(const at::Tensor &points_in, const at::Tensor &queries_in, int64_t k) {
  at::Tensor p = as_points(points_in, "knn_indices: points");
  at::Tensor q = as_points(queries_in, "knn_indices: queries");
  const int64_t n = p.size(0), nq = q.size(0);
  require(k > 0 && k <= n, "knn_indices: k = " + std::to_string(k) + " but there are " +
                               std::to_string(n) + " points");
  require(n < (int64_t{1} << 31), "knn_indices: too many points");
  // Order by (distance, index) through one integer key per pair: non-negative float bits order
  // like the floats, and the index in the low 32 bits breaks ties towards the lower index.
  at::Tensor index = at::arange(n, p.options().dtype(at::kLong));
  at::Tensor out = at::empty({nq, k}, index.options());
  // Query rows per block: three [rows, n] temporaries of 4-8 bytes stay near 256 MiB.
  const int64_t rows = std::max<int64_t>(1, (int64_t{256} << 20) / (24 * n));
  for (int64_t b = 0; b < nq; b += rows) {
    const int64_t r = std::min(rows, nq - b);
    at::Tensor d = squared_norm3(p.unsqueeze(0) - q.narrow(0, b, r).unsqueeze(1));  // [r, n]
    at::Tensor key = d.view(at::kInt).to(at::kLong).bitwise_left_shift_(32).bitwise_or_(index);
    at::Tensor best = std::get<0>(key.topk(k, 1, /*largest=*/false, /*sorted=*/true));
    out.narrow(0, b, r).copy_(best.bitwise_and_(int64_t{0xffffffff}));
  }
  return out;
}

at::Tensor farthest_point_sample_device(const at::Tensor &points, int64_t count) {
#ifdef LSFA_CUDA_KERNELS
  if (points.is_cuda()) {
    const c10::DeviceGuard guard(points.device());
    at::Tensor p = points.contiguous();
    at::Tensor work = at::empty({p.size(0)}, p.options());
    at::Tensor out = at::empty({count}, p.options().dtype(at::kLong));
    const char *err = cuda_kernels::farthest_point_sample(
        p.data_ptr<float>(), p.size(0), count, work.data_ptr<float>(), out.data_ptr<int64_t>(),
        cuda_kernels::current_stream(points.device().index()));
    require(err == nullptr,
            std::string("farthest_point_sample: CUDA kernel failed: ") + (err ? err : ""));
    return out;
  }
#endif
  return farthest_point_sample_aten(points, count);
}

}  // namespace lsfa
