// From point-group features and RGB patch tokens to the shared 56 x 56 patch grid
// (docs/scoring.md). Linear in the features, so gradients flow through both functions.
#pragma once

#include <ATen/core/Tensor.h>

namespace lsfa {

// xyz: [S,S,3] float cloud at model resolution (S = 224), (0,0,0) = invalid.
// centers: [G,3] group centres; group_features: [G,C].
// Returns [C,grid,grid]: inverse-distance interpolation of the 3 nearest centres at every valid
// pixel, zero elsewhere, 3x3 average pool (stride 1, no padding), adaptive average pool to grid x
// grid.
at::Tensor project_groups_to_grid(const at::Tensor &xyz, const at::Tensor &centers,
                                  const at::Tensor &group_features, int64_t grid = 56);

// The same grid as patch rows [grid*grid, C] (cell (i,j) = row i*grid+j), the layout the memory
// banks search, without the two transposing copies of project_groups_to_grid then reshape.
at::Tensor project_groups_to_patches(const at::Tensor &xyz, const at::Tensor &centers,
                                     const at::Tensor &group_features, int64_t grid = 56);

// tokens: [C,h,w] RGB patch tokens (28 x 28) -> [C,grid,grid] by nearest upsampling (2x).
at::Tensor rgb_tokens_to_grid(const at::Tensor &tokens, int64_t grid = 56);

// The same for token rows [h*w, C] (row y*w+x), returned as patch rows [grid*grid, C].
at::Tensor rgb_tokens_to_patches(const at::Tensor &token_rows, int64_t h, int64_t w,
                                 int64_t grid = 56);

// The same projection split in two, so a caller that projects the same cloud many times (training
// epochs over cached backbone features) computes the geometry once.
//
// The 3 nearest centres of every valid pixel (on the cloud's device; CUDA tensors take
// nearest_centres_aten).
struct ProjectionNeighbours {
  int64_t side = 0;    // S
  at::Tensor pixels;   // [N] int64 row-major pixel index y*S+x of each valid pixel
  at::Tensor centres;  // [N,3] int64 nearest centres, nearest first
  at::Tensor weights;  // [N,3] double, 1/(d2+1e-8) normalised to sum 1
};
ProjectionNeighbours nearest_centres(const at::Tensor &xyz, const at::Tensor &centers);

// The whole linear map (interpolation, scatter, both poolings) as a dense [grid*grid, G] double
// matrix on the neighbours' device: grid cell (i,j) = row i*grid+j.
at::Tensor projection_matrix(const ProjectionNeighbours &nb, int64_t num_groups, int64_t grid = 56);

// The same two steps with ATen operations on any device (what non-CPU tensors take; the two
// above dispatch to them): equal centres, weights and matrix up to double rounding (the matrix
// sums in another order). Results stay on the input's device.
ProjectionNeighbours nearest_centres_aten(const at::Tensor &xyz, const at::Tensor &centers);
at::Tensor projection_matrix_aten(const ProjectionNeighbours &nb, int64_t num_groups,
                                  int64_t grid = 56);

// matrix [grid*grid,G] (from projection_matrix) applied to group_features [G,C] -> [C,grid,grid],
// on the features' device and dtype; differentiable w.r.t. group_features.
at::Tensor apply_projection(const at::Tensor &matrix, const at::Tensor &group_features,
                            int64_t grid = 56);

// [grid, size] double: the 1-D weights of "3-wide mean, stride 1" followed by PyTorch's adaptive
// average pooling from size-2 to grid. The 2-D pooling weight of pixel (y,x) in cell (i,j) is
// r[i,y] * r[j,x].
at::Tensor pooling_weights_1d(int64_t size, int64_t grid);

}  // namespace lsfa
