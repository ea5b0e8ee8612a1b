#include "lsfa/model/coreset.h"

#include <ATen/ATen.h>

#include <algorithm>
#include <cmath>
#include <random>
#include <string>
#include <vector>

#include "coreset_device.h"
#include "greedy_selection.h"
#include "lsfa/core/error.h"

namespace lsfa {

int64_t coreset_size(int64_t n, const CoresetOptions &options) {
  require(options.target_count >= 0,
          "coreset: target count " + std::to_string(options.target_count) + " is negative");
  if (n <= 0) return 0;
  if (options.target_count > 0) return std::min(n, options.target_count);
  require(options.ratio > 0.0 && options.ratio <= 1.0,
          "coreset: ratio " + std::to_string(options.ratio) + " must lie in (0,1]");
  const auto k = static_cast<int64_t>(std::llround(options.ratio * static_cast<double>(n)));
  return std::min(n, std::max<int64_t>(1, k));
}

at::Tensor random_projection_matrix(int64_t in_dim, int64_t out_dim, uint64_t seed) {
  require(in_dim > 0 && out_dim > 0, "coreset: projection sizes must be positive");
  std::mt19937_64 gen(seed);
  // Box-Muller on 53-bit uniforms: std::normal_distribution differs between standard libraries.
  auto uniform = [&gen]() { return (static_cast<double>(gen() >> 11) + 0.5) * 0x1.0p-53; };
  at::Tensor m = at::empty({in_dim, out_dim}, at::kFloat);
  float *p = m.data_ptr<float>();
  const double scale = 1.0 / std::sqrt(static_cast<double>(out_dim));
  const int64_t total = in_dim * out_dim;
  for (int64_t i = 0; i < total; i += 2) {
    const double r = std::sqrt(-2.0 * std::log(uniform()));
    const double a = 2.0 * M_PI * uniform();
    p[i] = static_cast<float>(r * std::cos(a) * scale);
    if (i + 1 < total) p[i + 1] = static_cast<float>(r * std::sin(a) * scale);
  }
  return m;
}

namespace {

constexpr int64_t kChunkRows = 16384;  // rows projected per matrix product (~70 MiB at D = 1152)

bool exact_cpu_path(const at::Tensor &t) {
  return t.device().is_cpu() && t.scalar_type() != at::kDouble;
}

// Projects (or copies) rows chunk by chunk into the blocked float32 layout of the selection.
detail::BlockedPoints blocked_points(int64_t n, int64_t dim, const FeatureRows &rows,
                                     const at::Tensor &projection) {
  const int64_t d = projection.defined() ? projection.size(1) : dim;
  detail::BlockedPoints points(n, d);
  for (int64_t b = 0; b < n; b += kChunkRows) {
    const int64_t e = std::min(n, b + kChunkRows);
    at::Tensor chunk = rows(b, e);
    require(chunk.dim() == 2 && chunk.size(0) == e - b && chunk.size(1) == dim,
            "coreset: feature rows [" + std::to_string(b) + ", " + std::to_string(e) +
                ") have the wrong shape");
    chunk = chunk.to(at::kFloat);
    if (projection.defined()) chunk = at::mm(chunk, projection);
    points.set_rows(b, chunk.contiguous());
  }
  return points;
}

at::Tensor select(const detail::BlockedPoints &points, int64_t count,
                  const CoresetCallbacks &callbacks) {
  return at::tensor(detail::greedy_select(points, count, callbacks), at::kLong);
}

}  // namespace

at::Tensor greedy_coreset(const at::Tensor &projected, int64_t count,
                          const CoresetCallbacks &callbacks) {
  require(projected.dim() == 2, "coreset: points must be [N,d]");
  const int64_t n = projected.size(0);
  count = std::min(count, n);
  if (count <= 0) return at::empty({0}, at::kLong);
  if (exact_cpu_path(projected)) {
    auto rows = [&](int64_t b, int64_t e) { return projected.narrow(0, b, e - b); };
    return select(blocked_points(n, projected.size(1), rows, {}), count, callbacks);
  }
  if (detail::coreset_kernel_available(projected))
    return at::tensor(detail::greedy_select_cuda(projected.contiguous(), count, callbacks),
                      at::kLong)
        .to(projected.device());
  // Double input stays double (exact comparisons in tests); other devices use ATen ops.
  at::Tensor z = projected.scalar_type() == at::kDouble ? projected.contiguous()
                                                        : projected.to(at::kFloat).contiguous();
  at::Tensor z_sq = z.pow(2).sum(1);
  std::vector<int64_t> chosen{0};
  chosen.reserve(count);
  // Squared distance of every point to the chosen set, updated with each new centre: one
  // matrix-vector product per step (||z||^2 - 2 z.c + ||c||^2).
  auto dist_to = [&](int64_t i) {
    at::Tensor c = z[i];
    return at::addmv(z_sq, z, c, 1.0, -2.0).add_(z_sq[i]).clamp_min_(0.0);
  };
  at::Tensor min_d = dist_to(0);
  min_d[0] = 0.0;
  while (static_cast<int64_t>(chosen.size()) < count) {
    const int64_t next = min_d.argmax().item<int64_t>();  // first index of the maximum
    if (min_d[next].item<double>() <= 0.0) break;         // every point is already covered
    chosen.push_back(next);
    const auto picked = static_cast<int64_t>(chosen.size());
    if (callbacks.cancelled && callbacks.cancelled()) throw Error("coreset: cancelled");
    if (callbacks.progress && picked < count) callbacks.progress(picked, count);
    at::minimum_out(min_d, min_d, dist_to(next));
    min_d[next] = 0.0;
  }
  if (callbacks.progress) callbacks.progress(static_cast<int64_t>(chosen.size()), count);
  return at::tensor(chosen, at::kLong).to(projected.device());
}

at::Tensor coreset_indices(int64_t n, int64_t dim, const FeatureRows &rows,
                           const CoresetOptions &options, const CoresetCallbacks &callbacks) {
  require(n >= 0 && dim > 0, "coreset: bad feature matrix size");
  require(options.projection_dim >= 0, "coreset: projection dimension must not be negative");
  const int64_t count = coreset_size(n, options);
  if (count <= 0) return at::empty({0}, at::kLong);
  at::Tensor proj;
  if (options.projection_dim > 0 && options.projection_dim < dim)
    proj = random_projection_matrix(dim, options.projection_dim, options.seed);
  return select(blocked_points(n, dim, rows, proj), count, callbacks);
}

at::Tensor coreset_indices(const at::Tensor &features, const CoresetOptions &options,
                           const CoresetCallbacks &callbacks) {
  require(features.dim() == 2, "coreset: features must be [N,D]");
  require(options.projection_dim >= 0, "coreset: projection dimension must not be negative");
  const int64_t count = coreset_size(features.size(0), options);
  // One matrix product over the whole bank, not chunks: OpenBLAS splits a large product
  // differently, and chunked values can differ in the last bit, and with them the indices.
  at::Tensor z = features.scalar_type() == at::kDouble ? features : features.to(at::kFloat);
  if (options.projection_dim > 0 && options.projection_dim < features.size(1)) {
    at::Tensor proj =
        random_projection_matrix(features.size(1), options.projection_dim, options.seed)
            .to(z.device(), z.scalar_type());
    z = at::mm(z, proj);
  }
  return greedy_coreset(z, count, callbacks);
}

}  // namespace lsfa
