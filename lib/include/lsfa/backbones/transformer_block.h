// The pre-norm Transformer block shared by the frozen backbones (DINO ViT and Point-MAE):
//   x = x + proj(attention(norm1(x)));  x = x + fc2(gelu(fc1(norm2(x))))
// with multi-head self-attention (scale head_dim^-0.5) and exact (erf) GELU. The frozen backbones
// run it without gradients; the LSFA adaptors (lsfa/model/adaptor.h) train the same block.
#pragma once

#include <ATen/core/Tensor.h>
#include <c10/core/Device.h>

#include <cstdint>
#include <string>
#include <vector>

#include "lsfa/io/state_dict.h"

namespace lsfa {

struct TransformerBlockWeights {
  at::Tensor norm1_weight, norm1_bias;  // [C]
  at::Tensor qkv_weight;                // [3C, C], rows split as (3, heads, head_dim)
  at::Tensor qkv_bias;                  // [3C], or undefined when the block has no qkv bias
  at::Tensor proj_weight, proj_bias;    // [C, C], [C]
  at::Tensor norm2_weight, norm2_bias;  // [C]
  at::Tensor fc1_weight, fc1_bias;      // [hidden, C], [hidden]
  at::Tensor fc2_weight, fc2_bias;      // [C, hidden], [C]
};

struct TransformerBlockShape {
  int64_t dim = 0;
  int64_t hidden = 0;
  bool qkv_bias = true;
};

// The state-dict entries of one block under `prefix` (e.g. "blocks.3."), with timm/DINO names.
std::vector<ExpectedTensor> transformer_block_keys(const std::string &prefix,
                                                   const TransformerBlockShape &shape);

// Takes the block's tensors from a state dict that check_state_dict already validated.
TransformerBlockWeights transformer_block_from_state_dict(const StateDict &sd,
                                                          const std::string &prefix, bool qkv_bias,
                                                          at::Device device);

// Random block: linear weights truncated normal (std 0.02), biases zero, LayerNorm ones / zeros.
TransformerBlockWeights transformer_block_random(const std::string &prefix,
                                                 const TransformerBlockShape &shape, uint64_t seed,
                                                 at::Device device);

// Adds the block's tensors to `sd` under `prefix` (the inverse of
// transformer_block_from_state_dict).
void transformer_block_to_state_dict(const TransformerBlockWeights &w, const std::string &prefix,
                                     StateDict *sd);

// x: [B, N, C] float. Returns the block output [B, N, C]; differentiable when gradients are
// recorded and the input or the weights require them.
at::Tensor transformer_block_forward(const TransformerBlockWeights &w, const at::Tensor &x,
                                     int64_t heads, double layer_norm_eps);

}  // namespace lsfa
