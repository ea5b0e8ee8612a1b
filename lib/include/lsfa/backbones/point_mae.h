// Point-MAE encoder (frozen point backbone, docs/backbones.md): point groups -> mini-PointNet
// tokens -> pre-norm Transformer with the centre position embedding added before every block -> the
// outputs of a few blocks, each through the shared final LayerNorm, concatenated per group.
#pragma once

#include <ATen/core/Tensor.h>
#include <c10/core/Device.h>

#include <cstdint>
#include <string>
#include <vector>

#include "lsfa/backbones/point_groups.h"
#include "lsfa/backbones/transformer_block.h"
#include "lsfa/io/state_dict.h"

namespace lsfa {

struct PointMaeConfig {
  int64_t dim = 384;          // token width (= the mini-PointNet output width)
  int64_t depth = 12;         // number of blocks
  int64_t heads = 6;          // attention heads
  int64_t mlp_hidden = 1536;  // MLP hidden width
  int64_t conv1 = 128;        // mini-PointNet widths: 3 -> conv1 -> conv2, [global, local] -> conv3
  int64_t conv2 = 256;
  int64_t conv3 = 512;
  int64_t pos_hidden = 128;  // position embedding: Linear 3 -> pos_hidden, GELU, Linear -> dim
  int64_t groups = 1024;     // FPS centres
  int64_t group_size = 128;  // points per group
  std::vector<int64_t> fetch_layers = {3, 7, 11};  // 0-based blocks whose outputs are used
  double layer_norm_eps = 1e-5;
  double batch_norm_eps = 1e-5;
  // false: BatchNorm with the running statistics (eval mode, deterministic, the default).
  // true: statistics of the current sample's points, as the reference code does because it never
  // calls eval(); for parity studies.
  bool batch_statistics = false;
  // Groups per mini-PointNet pass on the CPU (bounds memory; eval mode only). A pass of 32 groups
  // (4 096 points) keeps its largest temporary (4 096 x 512 floats, 8 MB) in the last-level cache:
  // on the paper preset with 2 threads, five alternating pairs gave a median of 596 ms against
  // 676 ms for 128 groups (docs/performance.md). On CUDA all groups go in one pass.
  int64_t chunk_groups = 32;
};

struct BatchNormWeights {
  at::Tensor weight, bias, running_mean, running_var, num_batches_tracked;
};

struct PointMaeWeights {
  // Conv1d kernels of size 1 stored as [out, in, 1] like the checkpoint.
  at::Tensor conv1_weight, conv1_bias;          // first_conv.0
  BatchNormWeights bn1;                         // first_conv.1
  at::Tensor conv2_weight, conv2_bias;          // first_conv.3
  at::Tensor conv3_weight, conv3_bias;          // second_conv.0 (input: [global, local])
  BatchNormWeights bn2;                         // second_conv.1
  at::Tensor conv4_weight, conv4_bias;          // second_conv.3
  at::Tensor pos1_weight, pos1_bias;            // pos_embed.0
  at::Tensor pos2_weight, pos2_bias;            // pos_embed.2
  std::vector<TransformerBlockWeights> blocks;  // blocks.blocks.{i}, no qkv bias
  at::Tensor norm_weight, norm_bias;
};

struct PointMaeOutput {
  PointGroups groups;   // the valid points, FPS centres and neighbourhoods used
  at::Tensor centers;   // [G, 3] group centres (= groups.centers), on the model's device
  at::Tensor features;  // [G, len(fetch_layers) * dim] per-group features
};

// Sizes from the tensor shapes of a Point-MAE state dict (prefixes already stripped). `heads` = 0
// means dim / 64. Group count, group size and fetch layers are not in the file: taken from `base`.
PointMaeConfig point_mae_config_from_state_dict(const StateDict &sd, const std::string &what,
                                                const PointMaeConfig &base = {}, int64_t heads = 0);

// Every key and shape of a Point-MAE encoder state dict for `config`.
std::vector<ExpectedTensor> point_mae_state_dict_keys(const PointMaeConfig &config);

// Prefixes of the pretraining checkpoint's other parts (decoder, mask token), ignored on load.
const std::vector<std::string> &point_mae_ignored_prefixes();

class PointMae {
 public:
  // Checks every expected key and shape (lsfa::Error naming `what` and the keys), ignoring the
  // decoder entries, then copies the weights to `device`.
  static PointMae from_state_dict(const StateDict &sd, const PointMaeConfig &config,
                                  const std::string &what, at::Device device = at::kCPU);
  // Deterministic random weights from `seed`: truncated normal (std 0.02) for conv and linear
  // weights, zero biases, LayerNorm / BatchNorm scale 1 and shift 0, running mean 0 and var 1.
  static PointMae random(const PointMaeConfig &config, uint64_t seed, at::Device device = at::kCPU);

  // organized: [S, S, 3] preprocessed cloud ((0,0,0) = invalid). Groups the valid points, encodes
  // them. Throws lsfa::Error when there are fewer valid points than config().group_size.
  PointMaeOutput forward(const at::Tensor &organized) const;

  // The encoder alone. neighborhoods: [G, K, 3] re-centred groups, centers: [G, 3].
  // Returns [G, len(fetch_layers) * dim].
  at::Tensor encode_groups(const at::Tensor &neighborhoods, const at::Tensor &centers) const;

  // Mini-PointNet tokens [G, dim] of re-centred groups [G, K, 3].
  at::Tensor group_tokens(const at::Tensor &neighborhoods) const;

  // The transformer half of encode_groups: tokens [G, dim] from group_tokens, centers [G, 3].
  at::Tensor encode_tokens(const at::Tensor &tokens, const at::Tensor &centers) const;

  const PointMaeConfig &config() const { return config_; }
  // Changes the BatchNorm mode (see PointMaeConfig::batch_statistics).
  void set_batch_statistics(bool on) { config_.batch_statistics = on; }
  const PointMaeWeights &weights() const { return weights_; }
  at::Device device() const;
  const std::string &source() const { return source_; }
  std::string description() const;
  // The weights under the official key names (after prefix stripping).
  StateDict state_dict() const;

 private:
  PointMae(PointMaeConfig config, PointMaeWeights weights, std::string source);
  void fold_batch_norms();

  PointMaeConfig config_;
  PointMaeWeights weights_;
  std::string source_;
  // Eval-mode BatchNorm folded into the preceding convolution: [out, in] matrices and biases.
  at::Tensor fold1_weight_, fold1_bias_, fold3_weight_, fold3_bias_;
};

}  // namespace lsfa
