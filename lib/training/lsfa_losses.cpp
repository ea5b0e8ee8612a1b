#include "lsfa/training/lsfa_losses.h"

#include <ATen/ATen.h>
#include <ATen/core/grad_mode.h>
#include <ATen/CPUGeneratorImpl.h>

#include <cmath>

#include "lsfa/core/error.h"
#include "lsfa/training/kmeans.h"

namespace lsfa {

BackgroundPatches background_patches_from_string(const std::string &s) {
  if (s == "skip") return BackgroundPatches::kSkip;
  if (s == "keep") return BackgroundPatches::kKeep;
  throw Error("unknown background handling '" + s + "' (expected 'skip' or 'keep')");
}

void LossConfig::validate() const {
  require(tau > 0, "loss option tau must be positive, got " + std::to_string(tau));
  require(lambda >= 0, "loss option lambda must be >= 0, got " + std::to_string(lambda));
  require(clusters > 0,
          "loss option clusters (K) must be positive, got " + std::to_string(clusters));
  require(kmeans_iterations >= 0, "loss option kmeans_iterations must be >= 0");
  require(local_queue_size > 0,
          "loss option local_queue_size must be positive, got " + std::to_string(local_queue_size));
  require(local_enqueue_per_batch >= 0, "loss option local_enqueue_per_batch must be >= 0");
  require(global_queue_size > 0, "loss option global_queue_size must be positive, got " +
                                     std::to_string(global_queue_size));
  require(alignment_max_patches >= 0, "loss option alignment_max_patches must be >= 0");
}

uint64_t mix_seed(uint64_t a, uint64_t b) {
  uint64_t z = a + 0x9e3779b97f4a7c15ULL * (b + 1);
  z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ULL;
  z = (z ^ (z >> 27)) * 0x94d049bb133111ebULL;
  return z ^ (z >> 31);
}

CrossModalProjection make_cross_modal_projection(int64_t rgb_dim, int64_t point_dim,
                                                 uint64_t seed) {
  require(rgb_dim > 0 && point_dim > 0, "cross-modal projection: widths must be positive");
  CrossModalProjection p;
  p.dim = std::min(rgb_dim, point_dim);
  auto f32 = at::TensorOptions().dtype(at::kFloat);
  auto orthonormal = [&](int64_t rows) {
    auto gen = at::make_generator<at::CPUGeneratorImpl>(seed);
    at::Tensor g = at::randn({rows, p.dim}, gen, at::TensorOptions().dtype(at::kDouble));
    at::Tensor q = std::get<0>(at::linalg_qr(g, "reduced"));
    return q.to(at::kFloat).contiguous();
  };
  p.rgb = rgb_dim == p.dim ? at::eye(p.dim, f32) : orthonormal(rgb_dim);
  p.points = point_dim == p.dim ? at::eye(p.dim, f32) : orthonormal(point_dim);
  return p;
}

at::Tensor foreground_patches(const at::Tensor &valid, int64_t grid) {
  if (!valid.defined()) return at::ones({grid * grid}, at::kBool);
  require(valid.dim() == 2,
          "foreground patches: valid mask must be [S,S], got " + c10::str(valid.sizes()));
  at::Tensor v = valid.to(at::kFloat).unsqueeze(0).unsqueeze(0);
  v = at::adaptive_avg_pool2d(at::avg_pool2d(v, {3, 3}, {1, 1}), {grid, grid});
  return (v > 0).flatten();
}

namespace {

at::Tensor l2_normalize_rows(const at::Tensor &x) {
  // As torch.nn.functional.normalize(x, dim=1, eps=1e-12).
  return x / x.norm(2, {1}, /*keepdim=*/true).clamp_min(1e-12).expand_as(x);
}

at::Tensor zero_like_scalar(const at::Tensor &like) {
  return at::zeros({}, like.defined() ? like.options() : at::TensorOptions().dtype(at::kFloat));
}

}  // namespace

at::Tensor paired_info_nce(const at::Tensor &a, const at::Tensor &b, double tau) {
  require(a.dim() == 2 && b.dim() == 2 && a.sizes() == b.sizes(),
          "info-nce: paired features must have the same [M,D] shape, got " + c10::str(a.sizes()) +
              " and " + c10::str(b.sizes()));
  require(tau > 0, "info-nce: temperature must be positive");
  const int64_t m = a.size(0);
  if (m == 0) return zero_like_scalar(a);
  at::Tensor logits = at::mm(l2_normalize_rows(a), l2_normalize_rows(b).t()) / tau;
  at::Tensor row = at::log_softmax(logits, 1).diagonal().mean();
  at::Tensor col = at::log_softmax(logits, 0).diagonal().mean();
  return -0.5 * (row + col);
}

at::Tensor compactness_loss(const at::Tensor &features, const at::Tensor &queue_in) {
  require(features.dim() == 2,
          "compactness: features must be [M,C], got " + c10::str(features.sizes()));
  if (!queue_in.defined() || queue_in.size(0) == 0 || features.size(0) == 0)
    return zero_like_scalar(features);
  require(queue_in.dim() == 2 && queue_in.size(1) == features.size(1),
          "compactness: queue width " + c10::str(queue_in.sizes()) + " does not match features " +
              c10::str(features.sizes()));
  at::Tensor queue = queue_in.detach().to(features.options().requires_grad(false));
  at::Tensor nearest;
  {
    at::NoGradGuard no_grad;
    at::Tensor f = features.detach();
    std::vector<at::Tensor> parts;
    const int64_t chunk = 2048;  // bounds the distance matrix to chunk x Q
    for (int64_t s = 0; s < f.size(0); s += chunk)
      parts.push_back(
          squared_distances(f.narrow(0, s, std::min(chunk, f.size(0) - s)), queue).argmin(1));
    nearest = at::cat(parts);
  }
  return (features - queue.index_select(0, nearest)).norm(2, {1}).mean();
}

Prototypes prototypes_from_assignments(const at::Tensor &features, const at::Tensor &assignments,
                                       int64_t k) {
  require(features.dim() == 2 && assignments.dim() == 1 && assignments.size(0) == features.size(0),
          "prototypes: assignments must have one entry per feature row");
  Prototypes p;
  p.assignments = assignments;
  at::Tensor sums = at::zeros({k, features.size(1)}, features.options().requires_grad(false))
                        .index_add(0, assignments, features);
  at::Tensor counts = at::bincount(assignments, {}, k);
  at::Tensor nonempty = (counts > 0).nonzero().flatten();
  p.centroids = sums.index_select(0, nonempty) /
                counts.index_select(0, nonempty).to(features.scalar_type()).unsqueeze(1);
  p.global = p.centroids.mean(0);
  return p;
}

Prototypes cluster_prototypes(const at::Tensor &features, int64_t k, int64_t iterations,
                              uint64_t seed) {
  KMeansResult km = kmeans(features, k, iterations, seed);
  return prototypes_from_assignments(features, km.assignments, km.centroids.size(0));
}

LsfaObjective::LsfaObjective(const LossConfig &config, int64_t rgb_dim, int64_t point_dim,
                             bool use_ifc, bool use_clc, uint64_t seed)
    : config_(config), use_ifc_(use_ifc), use_clc_(use_clc), dims_{rgb_dim, point_dim} {
  config.validate();
  require(rgb_dim > 0 || point_dim > 0, "lsfa objective: no modality is on");
  require(use_ifc || use_clc, "lsfa objective: both IFC and CLC are off, nothing to optimise");
  require(!use_clc || (rgb_dim > 0 && point_dim > 0),
          "lsfa objective: cross-modal alignment (CLC) needs both modalities");
  if (use_clc)
    projection_ = make_cross_modal_projection(rgb_dim, point_dim, config.projection_seed);
  for (int m = 0; m < 2; ++m) {
    if (!use_ifc || dims_[m] <= 0) continue;
    local_[m] = FeatureQueue(config.local_queue_size, dims_[m], mix_seed(seed, 2 * m));
    global_[m] = FeatureQueue(config.global_queue_size, dims_[m], mix_seed(seed, 2 * m + 1));
  }
}

LossTerms LsfaObjective::compute(const std::vector<at::Tensor> &rgb,
                                 const std::vector<at::Tensor> &points,
                                 const std::vector<at::Tensor> &foreground,
                                 uint64_t step_seed) const {
  const size_t batch = foreground.size();
  require(batch > 0, "lsfa objective: empty batch");
  const std::vector<at::Tensor> *inputs[2] = {&rgb, &points};
  at::Tensor any;
  for (int m = 0; m < 2; ++m) {
    if (dims_[m] <= 0) continue;
    require(inputs[m]->size() == batch, "lsfa objective: feature and mask counts differ");
    for (const at::Tensor &x : *inputs[m]) {
      require(x.dim() == 2 && x.size(1) == dims_[m], "lsfa objective: features must be [N," +
                                                         std::to_string(dims_[m]) + "], got " +
                                                         c10::str(x.sizes()));
      any = x;
    }
  }
  // Patches that take part, per modality and sample.
  std::vector<at::Tensor> feats[2];
  for (size_t b = 0; b < batch; ++b) {
    at::Tensor sel;
    const at::Tensor &fg = foreground[b];
    if (config_.background == BackgroundPatches::kSkip && fg.defined() && fg.any().item<bool>())
      sel = fg.nonzero().flatten();
    for (int m = 0; m < 2; ++m) {
      if (dims_[m] <= 0) continue;
      const at::Tensor &x = (*inputs[m])[b];
      if (fg.defined())
        require(fg.numel() == x.size(0), "lsfa objective: foreground mask has " +
                                             std::to_string(fg.numel()) + " entries for " +
                                             std::to_string(x.size(0)) + " patches");
      feats[m].push_back(sel.defined() ? x.index_select(0, sel) : x);
    }
  }

  LossTerms t;
  t.la = zero_like_scalar(any);
  t.ga = zero_like_scalar(any);
  t.lc = zero_like_scalar(any);
  t.gc = zero_like_scalar(any);

  if (use_clc_) {
    at::Tensor pr = projection_.rgb.to(any.options().requires_grad(false));
    at::Tensor pp = projection_.points.to(any.options().requires_grad(false));
    for (size_t b = 0; b < batch; ++b) {
      at::Tensor a = feats[0][b], p = feats[1][b];
      const int64_t n = a.size(0);
      if (config_.alignment_max_patches > 0 && n > config_.alignment_max_patches) {
        auto gen = at::make_generator<at::CPUGeneratorImpl>(mix_seed(step_seed, 3 * b));
        at::Tensor pick = std::get<0>(
            at::randperm(n, gen, at::kLong).narrow(0, 0, config_.alignment_max_patches).sort());
        a = a.index_select(0, pick);
        p = p.index_select(0, pick);
      }
      t.la = t.la + paired_info_nce(at::mm(a, pr), at::mm(p, pp), config_.tau);
    }
    t.la = t.la / static_cast<double>(batch);
  }

  // Prototypes (k-means) per modality and sample.
  std::vector<at::Tensor> centroids[2], globals[2];

  for (int m = 0; m < 2; ++m) {
    if (dims_[m] <= 0) continue;
    for (size_t b = 0; b < batch; ++b) {
      Prototypes pr = cluster_prototypes(feats[m][b], config_.clusters, config_.kmeans_iterations,
                                         mix_seed(step_seed, 3 * b + 1 + m));
      centroids[m].push_back(pr.centroids);
      t.assignments[m].push_back(pr.assignments);
      globals[m].push_back(pr.global);
    }
  }
  if (use_clc_) {
    at::Tensor gi =
        at::mm(at::stack(globals[0]), projection_.rgb.to(any.options().requires_grad(false)));
    at::Tensor gp =
        at::mm(at::stack(globals[1]), projection_.points.to(any.options().requires_grad(false)));
    t.ga = paired_info_nce(gi, gp, config_.tau);
  }

  if (use_ifc_) {
    for (int m = 0; m < 2; ++m) {
      if (dims_[m] <= 0) continue;
      at::Tensor rows = at::cat(feats[m]);
      at::Tensor protos = at::cat(centroids[m]);
      const double scale =
          config_.compactness_per_channel ? 1.0 / std::sqrt(static_cast<double>(dims_[m])) : 1.0;
      t.lc = t.lc + compactness_loss(rows, local_[m].contents()) * scale;
      t.gc = t.gc + compactness_loss(protos, global_[m].contents()) * scale;
      t.local_rows[m] = rows.detach();
      t.prototype_rows[m] = protos.detach();
    }
  }
  t.total = (t.lc + t.gc) + config_.lambda * (t.la + t.ga);
  return t;
}

void LsfaObjective::enqueue(const LossTerms &terms) {
  if (!use_ifc_) return;
  for (int m = 0; m < 2; ++m) {
    if (dims_[m] <= 0) continue;
    if (terms.local_rows[m].defined())
      local_[m].push(terms.local_rows[m], config_.local_enqueue_per_batch);
    if (terms.prototype_rows[m].defined()) global_[m].push(terms.prototype_rows[m]);
  }
}

}  // namespace lsfa
