#include "lsfa/training/kmeans.h"

#include <ATen/ATen.h>
#include <ATen/CPUGeneratorImpl.h>
#include <ATen/core/grad_mode.h>

#include <string>
#include <vector>

#include "lsfa/core/error.h"

namespace lsfa {

at::Tensor squared_distances(const at::Tensor &a, const at::Tensor &b) {
  at::Tensor aa = (a * a).sum(1, /*keepdim=*/true);
  at::Tensor bb = (b * b).sum(1).unsqueeze(0);
  return (aa - 2 * at::mm(a, b.t()) + bb).clamp_min(0);
}

namespace {

// Index i with cumulative weight first exceeding u * total (weights >= 0, total > 0).
int64_t sample_index(const at::Tensor &weights, double u) {
  at::Tensor w = weights.to(at::kCPU, at::kDouble).contiguous();
  const double *p = w.data_ptr<double>();
  const int64_t n = w.numel();
  double total = 0;
  for (int64_t i = 0; i < n; ++i) total += p[i];
  const double target = u * total;
  double acc = 0;
  int64_t last_positive = 0;
  for (int64_t i = 0; i < n; ++i) {
    if (p[i] <= 0) continue;
    acc += p[i];
    last_positive = i;
    if (acc > target) return i;
  }
  return last_positive;
}

}  // namespace

KMeansResult kmeans(const at::Tensor &points_in, int64_t k, int64_t max_iterations, uint64_t seed) {
  require(points_in.dim() == 2, "kmeans: points must be [M,C], got " + c10::str(points_in.sizes()));
  const int64_t m = points_in.size(0);
  require(m > 0, "kmeans: no points");
  require(k > 0, "kmeans: k must be positive, got " + std::to_string(k));
  require(max_iterations >= 0, "kmeans: negative iteration count");
  at::NoGradGuard no_grad;
  at::Tensor x = points_in.detach().contiguous();
  k = std::min(k, m);

  auto gen = at::make_generator<at::CPUGeneratorImpl>(seed);
  auto uniform = [&]() {
    return at::rand({1}, gen, at::TensorOptions().dtype(at::kDouble)).item<double>();
  };

  // k-means++ initialisation.
  std::vector<int64_t> chosen;
  chosen.push_back(std::min<int64_t>(m - 1, static_cast<int64_t>(uniform() * m)));
  at::Tensor d2 = squared_distances(x, x.narrow(0, chosen[0], 1)).squeeze(1);
  while (static_cast<int64_t>(chosen.size()) < k) {
    const double u = uniform();
    int64_t next;
    if (d2.sum().item<double>() > 0) {
      next = sample_index(d2, u);
    } else {  // all points coincide with a centre: any choice is as good
      next = std::min<int64_t>(m - 1, static_cast<int64_t>(u * m));
    }
    chosen.push_back(next);
    d2 = at::minimum(d2, squared_distances(x, x.narrow(0, next, 1)).squeeze(1));
  }
  at::Tensor centroids =
      x.index_select(0, at::tensor(chosen, at::TensorOptions().dtype(at::kLong)).to(x.device()))
          .clone();

  KMeansResult result;
  at::Tensor assign = squared_distances(x, centroids).argmin(1);
  for (int64_t it = 0; it < max_iterations; ++it) {
    // Update: means of the assigned points.
    at::Tensor sums = at::zeros_like(centroids).index_add_(0, assign, x);
    at::Tensor counts = at::bincount(assign, {}, k).to(x.scalar_type());
    at::Tensor nonempty = counts > 0;
    at::Tensor updated = sums / counts.clamp_min(1).unsqueeze(1);
    centroids = at::where(nonempty.unsqueeze(1), updated, centroids);
    // Empty clusters take the points farthest from their own centroids, one each.
    at::Tensor empty_ids = (~nonempty).nonzero().flatten();
    if (empty_ids.numel() > 0) {
      at::Tensor own = squared_distances(x, centroids).gather(1, assign.unsqueeze(1)).squeeze(1);
      at::Tensor order = std::get<1>(own.sort(/*dim=*/0, /*descending=*/true));
      for (int64_t e = 0; e < empty_ids.numel() && e < m; ++e) {
        const int64_t c = empty_ids[e].item<int64_t>();
        centroids[c].copy_(x[order[e].item<int64_t>()]);
      }
    }
    at::Tensor next_assign = squared_distances(x, centroids).argmin(1);
    result.iterations = it + 1;
    const bool converged = next_assign.equal(assign) && empty_ids.numel() == 0;
    assign = next_assign;
    if (converged) break;
  }
  result.centroids = centroids;
  result.assignments = assign;
  return result;
}

}  // namespace lsfa
