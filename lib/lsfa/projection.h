// From point-group features and RGB patch tokens to the shared 56 x 56 patch grid (SPEC 4).
// Linear in the features, so gradients flow through both functions.
#pragma once

#include <ATen/core/Tensor.h>

namespace lsfa {

// xyz: [S,S,3] float cloud at model resolution (S = 224), (0,0,0) = invalid.
// centers: [G,3] group centres; group_features: [G,C].
// Returns [C,grid,grid]: inverse-distance interpolation of the 3 nearest centres at every valid pixel,
// zero elsewhere, 3x3 average pool (stride 1, no padding), adaptive average pool to grid x grid.
at::Tensor project_groups_to_grid(const at::Tensor &xyz, const at::Tensor &centers,
                                  const at::Tensor &group_features, int64_t grid = 56);

// tokens: [C,h,w] RGB patch tokens (28 x 28) -> [C,grid,grid] by nearest upsampling (2x).
at::Tensor rgb_tokens_to_grid(const at::Tensor &tokens, int64_t grid = 56);

}  // namespace lsfa
