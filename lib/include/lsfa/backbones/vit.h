// DINO Vision Transformer (frozen RGB backbone, docs/backbones.md): patch embedding, CLS token,
// learned position embedding, pre-norm blocks, final LayerNorm. The output is the last block's
// patch tokens after the final LayerNorm (CLS dropped) as a [B, C, H/patch, W/patch] feature map.
#pragma once

#include <ATen/core/Tensor.h>
#include <c10/core/Device.h>

#include <cstdint>
#include <string>
#include <vector>

#include "lsfa/backbones/transformer_block.h"
#include "lsfa/io/state_dict.h"

namespace lsfa {

struct VitConfig {
  int64_t patch = 8;          // patch size (square)
  int64_t in_channels = 3;    // image channels
  int64_t dim = 768;          // embedding width
  int64_t depth = 12;         // number of blocks
  int64_t heads = 12;         // attention heads (head_dim = dim / heads)
  int64_t mlp_hidden = 3072;  // MLP hidden width
  int64_t pos_grid = 28;      // the position embedding covers pos_grid x pos_grid patches + CLS
  double layer_norm_eps = 1e-6;
};

struct VitWeights {
  at::Tensor cls_token;     // [1, 1, C]
  at::Tensor pos_embed;     // [1, pos_grid^2 + 1, C]
  at::Tensor patch_weight;  // [C, in_channels, patch, patch]
  at::Tensor patch_bias;    // [C]
  std::vector<TransformerBlockWeights> blocks;
  at::Tensor norm_weight, norm_bias;  // [C]
};

// Reads the sizes from the tensor shapes of a DINO/timm ViT state dict (patch size, channels,
// width, depth, MLP width, position grid). `heads` = 0 means dim / 64 (true for all DINO models).
// Throws lsfa::Error naming `what` and the key when the entries needed for that are missing.
VitConfig vit_config_from_state_dict(const StateDict &sd, const std::string &what,
                                     int64_t heads = 0);

// Every key and shape of a state dict for `config` (DINO names: cls_token, pos_embed,
// patch_embed.proj.*, blocks.{i}.*, norm.*).
std::vector<ExpectedTensor> vit_state_dict_keys(const VitConfig &config);

class VisionTransformer {
 public:
  // Checks every expected key and shape (lsfa::Error naming `what` and the offending keys), then
  // copies the weights to `device`. Keys under "head." (a classifier some files carry) are ignored.
  static VisionTransformer from_state_dict(const StateDict &sd, const VitConfig &config,
                                           const std::string &what, at::Device device = at::kCPU);
  // Deterministic random weights from `seed`: truncated normal (std 0.02) for the patch embedding,
  // CLS token, position embedding and linear weights; zero biases; LayerNorm ones / zeros.
  static VisionTransformer random(const VitConfig &config, uint64_t seed,
                                  at::Device device = at::kCPU);

  // images: [B, in_channels, H, W] normalised float on device(). Returns [B, C, H/patch, W/patch].
  // When the patch grid differs from pos_grid the position embedding is resized bicubically the
  // way DINO's interpolate_pos_encoding does. Runs without gradient recording.
  at::Tensor forward(const at::Tensor &images) const;

  const VitConfig &config() const { return config_; }
  const VitWeights &weights() const { return weights_; }
  at::Device device() const;
  // Where the weights came from, e.g. "checkpoint dino.pth" or "random init (seed 7)".
  const std::string &source() const { return source_; }
  // One line: sizes and source.
  std::string description() const;
  // The weights under their DINO key names (round trip with from_state_dict).
  StateDict state_dict() const;

 private:
  VisionTransformer(VitConfig config, VitWeights weights, std::string source);
  at::Tensor position_embedding(int64_t grid_h, int64_t grid_w) const;

  VitConfig config_;
  VitWeights weights_;
  std::string source_;
};

}  // namespace lsfa
