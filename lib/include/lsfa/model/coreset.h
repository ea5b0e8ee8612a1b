// Greedy (k-centre) coreset subsampling of a memory bank (docs/scoring.md), as PatchCore does it: a
// fixed-seed random projection to a low dimension, then farthest-point selection starting at index
// 0.
#pragma once

#include <ATen/core/Tensor.h>

#include <cstdint>

namespace lsfa {

struct CoresetOptions {
  double ratio = 0.1;            // fraction of the bank kept (used when target_count == 0)
  int64_t target_count = 0;      // exact number of points to keep; 0 = use ratio
  int64_t projection_dim = 128;  // 0 or >= D: no projection (select on the raw features)
  uint64_t seed = 0;             // seed of the random projection
};

// Number of points the options keep out of n: target_count, else max(1, round(ratio * n)), capped
// at n. Throws lsfa::Error for a ratio outside (0,1] or a negative count.
int64_t coreset_size(int64_t n, const CoresetOptions &options);

// [in_dim, out_dim] float32 dense Gaussian matrix N(0, 1/out_dim) from a fixed-seed generator
// (mt19937_64 + Box-Muller, so it is identical on every platform).
at::Tensor random_projection_matrix(int64_t in_dim, int64_t out_dim, uint64_t seed);

// Farthest-point selection on already projected points [N,d]: index 0 first, then repeatedly the
// point whose distance to the chosen set is largest (first index on ties). Stops early, returning
// fewer than `count` indices, when every point coincides with a chosen one. Returns int64 [count].
at::Tensor greedy_coreset(const at::Tensor &projected, int64_t count);

// features [N,D] -> indices of the kept points (int64, in selection order).
at::Tensor coreset_indices(const at::Tensor &features, const CoresetOptions &options = {});

}  // namespace lsfa
