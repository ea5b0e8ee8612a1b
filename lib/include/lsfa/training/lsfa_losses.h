// The self-supervised LSFA objective (docs/training.md) on adapted shared-grid patch
// features: local/global cross-modal alignment (CLC: L_LA, L_GA) and local/global intra-modal
// compactness (IFC: L_LC, L_GC), L = (L_LC + L_GC) + lambda (L_LA + L_GA).
#pragma once

#include <ATen/core/Tensor.h>

#include <cstdint>
#include <string>
#include <vector>

#include "lsfa/training/feature_queue.h"

namespace lsfa {

// Which patches take part in the losses: kSkip uses only patches whose receptive field holds at
// least one valid 3D point (the object), kKeep uses all N_m patches.
enum class BackgroundPatches { kSkip, kKeep };
BackgroundPatches background_patches_from_string(const std::string &s);  // throws lsfa::Error

struct LossConfig {
  double tau = 0.07;     // InfoNCE temperature (MoCo/CLIP value; the paper is silent)
  double lambda = 1.0;   // weight of CLC against IFC: L = IFC + lambda * CLC
  int64_t clusters = 8;  // K of the k-means prototypes per sample and modality
  int64_t kmeans_iterations = 10;
  int64_t local_queue_size = 8192;         // patch rows per modality in M^L
  int64_t local_enqueue_per_batch = 2048;  // patches of one batch enqueued (seeded subset)
  int64_t global_queue_size = 256;         // prototype rows per modality in M^G
  BackgroundPatches background = BackgroundPatches::kSkip;
  int64_t alignment_max_patches = 0;  // L_LA: seeded subset of at most this many patches per
                                      // sample (0 = all); bounds the M x M similarity matrix
  uint64_t projection_seed = 0;       // seed of the fixed cross-modal projection
  // L_LC / L_GC distances divided by sqrt(C) of their modality (root-mean-square difference per
  // channel): the compactness terms then have the scale of a feature element, not of the whole
  // C-wide vector, whatever the width, and stay comparable to the alignment terms
  // (docs/training.md)
  bool compactness_per_channel = true;
  void validate() const;  // throws lsfa::Error naming the bad option
};

// Fixed (never trained) projection of both modalities to the common width d = min(C1, C2) for
// the cross-modal cosine similarities. The narrower modality keeps its features (identity); the
// wider one is multiplied by a seeded random matrix with orthonormal columns [C,d] (QR of a
// Gaussian), which preserves lengths and angles inside a random d-dimensional subspace.
struct CrossModalProjection {
  at::Tensor rgb;     // [C1,d]
  at::Tensor points;  // [C2,d]
  int64_t dim = 0;
};
CrossModalProjection make_cross_modal_projection(int64_t rgb_dim, int64_t point_dim, uint64_t seed);

// valid: [S,S] bool valid points (S = 224). Returns [grid*grid] bool: patches whose receptive field
// in project_groups_to_grid (3x3 average pool, then adaptive average pool) holds a valid pixel.
// An undefined `valid` gives all true.
at::Tensor foreground_patches(const at::Tensor &valid, int64_t grid = 56);

// Symmetric InfoNCE over paired rows: a, b [M,D]; row i of a and row i of b are the positive pair,
// all other rows the negatives. s_ij = cos(a_i, b_j) / tau;
//   L = 1/2 (mean_i -log softmax_j(s)_ii + mean_j -log softmax_i(s)_jj).
// Used for L_LA (rows = patches of one sample) and L_GA (rows = samples of a batch).
at::Tensor paired_info_nce(const at::Tensor &a, const at::Tensor &b, double tau);

// Mean over rows of features [M,C] of the L2 distance to the nearest row of queue [Q,C]
// (nearest by squared distance on detached values; the queue carries no gradient). 0 when Q == 0.
at::Tensor compactness_loss(const at::Tensor &features, const at::Tensor &queue);

// Prototypes of one sample's patch features [M,C]: k-means (seeded) on detached values; then the
// centroids are recomputed as differentiable means of their assigned rows (empty clusters
// dropped), and the instance-level global feature is the mean of the centroids (each part of the
// object counts equally, whatever its size).
struct Prototypes {
  at::Tensor centroids;    // [K',C] differentiable, K' <= K non-empty clusters
  at::Tensor global;       // [C] differentiable
  at::Tensor assignments;  // [M] int64 cluster of every row (from k-means)
};
Prototypes prototypes_from_assignments(const at::Tensor &features, const at::Tensor &assignments,
                                       int64_t k);
Prototypes cluster_prototypes(const at::Tensor &features, int64_t k, int64_t iterations,
                              uint64_t seed);

// Loss values of one batch; each is a 0-d tensor (0 when switched off or not applicable).
struct LossTerms {
  at::Tensor la, ga, lc, gc, total;
  // Detached rows to enqueue after the optimiser step, per modality (0 = RGB, 1 = points).
  at::Tensor local_rows[2], prototype_rows[2];
  // k-means cluster of every participating patch, per modality and sample (for inspection).
  std::vector<at::Tensor> assignments[2];
};

// The whole objective with its per-modality FIFO queues.
class LsfaObjective {
 public:
  // rgb_dim / point_dim: feature widths; 0 switches that modality off. CLC needs both modalities.
  LsfaObjective(const LossConfig &config, int64_t rgb_dim, int64_t point_dim, bool use_ifc,
                bool use_clc, uint64_t seed);

  // Per sample b: rgb[b] [N_m,C1], points[b] [N_m,C2] adapted grid features (an empty vector for
  // a modality that is off), foreground[b] [N_m] bool. With kSkip only foreground patches count;
  // a sample without any foreground patch uses all of them. `step_seed` seeds k-means and subsets.
  // Losses: L_LA = mean over samples; L_GA over the batch; L_LC, L_GC = sum over modalities of
  // compactness_loss against the queues as they were before this batch.
  LossTerms compute(const std::vector<at::Tensor> &rgb, const std::vector<at::Tensor> &points,
                    const std::vector<at::Tensor> &foreground, uint64_t step_seed) const;
  // Pushes the batch's patches (seeded subset of local_enqueue_per_batch) and prototypes.
  void enqueue(const LossTerms &terms);

  const FeatureQueue &local_queue(int modality) const { return local_[modality]; }
  const FeatureQueue &global_queue(int modality) const { return global_[modality]; }
  const CrossModalProjection &projection() const { return projection_; }
  const LossConfig &config() const { return config_; }

 private:
  LossConfig config_;
  bool use_ifc_, use_clc_;
  int64_t dims_[2];
  CrossModalProjection projection_;
  FeatureQueue local_[2], global_[2];
};

// Stable 64-bit mixing of seeds (splitmix64), for per-step / per-sample seeds.
uint64_t mix_seed(uint64_t a, uint64_t b);

}  // namespace lsfa
