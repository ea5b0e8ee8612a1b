// Greedy (k-centre) coreset subsampling of a memory bank (docs/scoring.md), as PatchCore does it: a
// fixed-seed random projection to a low dimension, then farthest-point selection starting at index
// 0.
#pragma once

#include <ATen/core/Tensor.h>

#include <cstdint>
#include <functional>

namespace lsfa {

struct CoresetOptions {
  double ratio = 0.1;            // fraction of the bank kept (used when target_count == 0)
  int64_t target_count = 0;      // exact number of points to keep; 0 = use ratio
  int64_t projection_dim = 128;  // 0 or >= D: no projection (select on the raw features)
  uint64_t seed = 0;             // seed of the random projection
};

// Progress and cancellation of a long selection (hundreds of thousands of patches take minutes).
struct CoresetCallbacks {
  // Points picked so far and the number asked for; called about every 0.1 % of the picks and at
  // the end (the end may come early when every point is covered).
  std::function<void(int64_t picked, int64_t total)> progress;
  // Polled as often as progress; returning true stops the selection with lsfa::Error.
  std::function<bool()> cancelled;
};

// Rows [begin, end) of a feature matrix as an [end - begin, D] CPU tensor (float32, float16 or
// float64): lets the projection run chunk by chunk without the whole matrix in memory.
using FeatureRows = std::function<at::Tensor(int64_t begin, int64_t end)>;

// Number of points the options keep out of n: target_count, else max(1, round(ratio * n)), capped
// at n. Throws lsfa::Error for a ratio outside (0,1] or a negative count.
int64_t coreset_size(int64_t n, const CoresetOptions &options);

// [in_dim, out_dim] float32 dense Gaussian matrix N(0, 1/out_dim) from a fixed-seed generator
// (mt19937_64 + Box-Muller, so it is identical on every platform).
at::Tensor random_projection_matrix(int64_t in_dim, int64_t out_dim, uint64_t seed);

// Farthest-point selection on already projected points [N,d]: index 0 first, then repeatedly the
// point whose distance to the chosen set is largest (first index on ties). Stops early, returning
// fewer than `count` indices, when every point coincides with a chosen one. Returns int64 [count].
// CPU float32 (and float16) points: squared distances summed in float32 in dimension order;
// CUDA float32 points: the same sums and picks, by the CUDA kernel (ATen products elsewhere).
at::Tensor greedy_coreset(const at::Tensor &projected, int64_t count,
                          const CoresetCallbacks &callbacks = {});

// features [N,D] -> indices of the kept points (int64, in selection order). The projection is one
// matrix product; working memory besides the features: twice N x d x 4 bytes while the projected
// points are rearranged, then as below.
at::Tensor coreset_indices(const at::Tensor &features, const CoresetOptions &options = {},
                           const CoresetCallbacks &callbacks = {});

// The same for N rows of dimension D read chunk by chunk through `rows` (CPU only), projected one
// chunk at a time (OpenBLAS may round a chunk's product differently from one product over all
// rows, so the indices can differ from the overload above for large D). Working memory besides
// one chunk: N x d x 4 bytes of projected points, count x d x 4 of picks and N x 4 of distances
// (d = projection dimension, or D without projection).
at::Tensor coreset_indices(int64_t n, int64_t dim, const FeatureRows &rows,
                           const CoresetOptions &options, const CoresetCallbacks &callbacks = {});

}  // namespace lsfa
