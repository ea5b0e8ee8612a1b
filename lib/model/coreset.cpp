#include "lsfa/model/coreset.h"

#include <limits>

#include <ATen/Parallel.h>

#include <ATen/ATen.h>

#include <cmath>
#include <random>
#include <string>
#include <vector>

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

// Float32 CPU selection in one fused pass per step: distance to the new centre, running minimum
// and the arg-max, over threads. The ATen formulation (a matrix-vector product plus four
// element-wise kernels and two host syncs per step) was memory-bound and about 10x slower.
std::vector<int64_t> greedy_coreset_cpu_float(const at::Tensor &z, int64_t count) {
  const int64_t n = z.size(0), d = z.size(1);
  const float *data = z.data_ptr<float>();
  std::vector<float> min_d(static_cast<size_t>(n), std::numeric_limits<float>::infinity());
  std::vector<int64_t> chosen{0};
  chosen.reserve(static_cast<size_t>(count));
  const int64_t grain = 4096;
  const int64_t blocks = (n + grain - 1) / grain;
  std::vector<float> block_best(static_cast<size_t>(blocks));
  std::vector<int64_t> block_arg(static_cast<size_t>(blocks));
  int64_t current = 0;
  while (true) {
    const float *c = data + current * d;
    at::parallel_for(0, blocks, 1, [&](int64_t b0, int64_t b1) {
      for (int64_t b = b0; b < b1; ++b) {
        const int64_t lo = b * grain, hi = std::min(n, lo + grain);
        float best = -1.0f;
        int64_t arg = lo;
        for (int64_t i = lo; i < hi; ++i) {
          const float *p = data + i * d;
          float acc = 0.0f;
          for (int64_t k = 0; k < d; ++k) {
            const float diff = p[k] - c[k];
            acc += diff * diff;
          }
          float m = min_d[static_cast<size_t>(i)];
          if (acc < m) m = acc;
          min_d[static_cast<size_t>(i)] = m;
          if (m > best) {  // strict: the first index wins ties
            best = m;
            arg = i;
          }
        }
        block_best[static_cast<size_t>(b)] = best;
        block_arg[static_cast<size_t>(b)] = arg;
      }
    });
    min_d[static_cast<size_t>(current)] = 0.0f;
    if (static_cast<int64_t>(chosen.size()) >= count) break;
    float best = -1.0f;
    int64_t next = -1;
    for (int64_t b = 0; b < blocks; ++b) {
      // A chosen point's own block value may still be stale (it was zeroed after the pass).
      int64_t arg = block_arg[static_cast<size_t>(b)];
      float val = min_d[static_cast<size_t>(arg)];
      if (arg == current) {
        const int64_t lo = b * grain, hi = std::min(n, lo + grain);
        val = -1.0f;
        for (int64_t i = lo; i < hi; ++i)
          if (min_d[static_cast<size_t>(i)] > val) val = min_d[static_cast<size_t>(i)], arg = i;
      }
      if (val > best) best = val, next = arg;
    }
    if (next < 0 || best <= 0.0f) break;  // every point is already covered
    chosen.push_back(next);
    current = next;
  }
  return chosen;
}

}  // namespace

at::Tensor greedy_coreset(const at::Tensor &projected, int64_t count) {
  require(projected.dim() == 2, "coreset: points must be [N,d]");
  const int64_t n = projected.size(0);
  count = std::min(count, n);
  if (count <= 0) return at::empty({0}, at::kLong);
  if (projected.device().is_cpu() && projected.scalar_type() != at::kDouble) {
    at::Tensor z = projected.to(at::kFloat).contiguous();
    return at::tensor(greedy_coreset_cpu_float(z, count), at::kLong);
  }
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
    at::minimum_out(min_d, min_d, dist_to(next));
    min_d[next] = 0.0;
  }
  return at::tensor(chosen, at::kLong).to(projected.device());
}

at::Tensor coreset_indices(const at::Tensor &features, const CoresetOptions &options) {
  require(features.dim() == 2, "coreset: features must be [N,D]");
  require(options.projection_dim >= 0, "coreset: projection dimension must not be negative");
  const int64_t count = coreset_size(features.size(0), options);
  at::Tensor z = features.scalar_type() == at::kDouble ? features : features.to(at::kFloat);
  if (options.projection_dim > 0 && options.projection_dim < features.size(1)) {
    at::Tensor proj =
        random_projection_matrix(features.size(1), options.projection_dim, options.seed)
            .to(z.device(), z.scalar_type());
    z = at::mm(z, proj);
  }
  return greedy_coreset(z, count);
}

}  // namespace lsfa
