// Feature adaptor Psi (docs/training.md): one pre-norm Transformer block (the same block as the
// backbones', lsfa/backbones/transformer_block.h) whose output projections start at zero, so an
// untrained adaptor is exactly the identity (then the features equal the frozen backbone's: the
// no-adaptation baseline). It works on a modality's native tokens (784 RGB patch tokens, G
// point-group tokens), before projection to the shared grid.
#pragma once

#include <ATen/core/Tensor.h>

#include <cstdint>
#include <string>
#include <vector>

#include "lsfa/backbones/transformer_block.h"
#include "lsfa/io/state_dict.h"

namespace lsfa {

struct AdaptorConfig {
  int64_t dim = 0;        // token width
  int64_t heads = 0;      // 0 = dim/64 when divisible, else 1
  int64_t mlp_ratio = 2;  // hidden width = mlp_ratio * dim
  double ln_eps = 1e-6;
};

class Adaptor {
 public:
  Adaptor() = default;
  // Fresh adaptor: random attention/MLP input weights (std 0.02, from `seed`), zero output
  // projections, so forward() is the identity until trained.
  Adaptor(const AdaptorConfig &config, uint64_t seed);

  bool defined() const { return config_.dim > 0; }
  const AdaptorConfig &config() const { return config_; }

  // tokens: [N,C] or [B,N,C]; returns the same shape. Differentiable w.r.t. the parameters.
  at::Tensor forward(const at::Tensor &tokens) const;

  // Trainable tensors, in a fixed order (for the optimizer).
  std::vector<at::Tensor> parameters() const;
  void set_requires_grad(bool on);
  // True when the output projections are all zero (forward is exactly the identity).
  bool is_identity() const;

  // Weights under `prefix` (e.g. "adaptor.rgb."), for the model bundle.
  void save(StateDict &out, const std::string &prefix) const;
  // Reads an adaptor written by save(); throws lsfa::Error naming a missing or mis-shaped key.
  static Adaptor load(const StateDict &in, const std::string &prefix, const AdaptorConfig &config);

  void to(const at::Device &device);

 private:
  AdaptorConfig config_;
  TransformerBlockWeights w_;
  TransformerBlockShape shape() const;
};

}  // namespace lsfa
