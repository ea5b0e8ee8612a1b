#include "lsfa/model/adaptor.h"

#include <ATen/ATen.h>
#include <ATen/CPUGeneratorImpl.h>

#include "lsfa/core/error.h"

namespace lsfa {
namespace {

int64_t resolve_heads(const AdaptorConfig &c) {
  if (c.heads > 0) {
    require(c.dim % c.heads == 0, "adaptor: dim " + std::to_string(c.dim) +
                                      " is not divisible by heads " + std::to_string(c.heads));
    return c.heads;
  }
  return c.dim % 64 == 0 ? c.dim / 64 : 1;
}

}  // namespace

TransformerBlockShape Adaptor::shape() const {
  return {config_.dim, config_.mlp_ratio * config_.dim, /*qkv_bias=*/true};
}

Adaptor::Adaptor(const AdaptorConfig &config, uint64_t seed) : config_(config) {
  require(config.dim > 0, "adaptor: dim must be positive");
  require(config.mlp_ratio > 0, "adaptor: mlp_ratio must be positive");
  config_.heads = resolve_heads(config);
  const int64_t c = config.dim, h = config.mlp_ratio * config.dim;
  auto gen = at::make_generator<at::CPUGeneratorImpl>(seed);
  auto f32 = at::TensorOptions().dtype(at::kFloat);
  auto randn = [&](std::initializer_list<int64_t> size) {
    return at::normal(0.0, 0.02, at::IntArrayRef(size), gen, f32);
  };
  // Drawn in this order from one generator, so a seed gives the same adaptor as before.
  w_.norm1_weight = at::ones({c}, f32);
  w_.norm1_bias = at::zeros({c}, f32);
  w_.qkv_weight = randn({3 * c, c});
  w_.qkv_bias = at::zeros({3 * c}, f32);
  w_.proj_weight = at::zeros({c, c}, f32);  // zero output projection: identity at start
  w_.proj_bias = at::zeros({c}, f32);
  w_.norm2_weight = at::ones({c}, f32);
  w_.norm2_bias = at::zeros({c}, f32);
  w_.fc1_weight = randn({h, c});
  w_.fc1_bias = at::zeros({h}, f32);
  w_.fc2_weight = at::zeros({c, h}, f32);  // zero output projection: identity at start
  w_.fc2_bias = at::zeros({c}, f32);
}

at::Tensor Adaptor::forward(const at::Tensor &tokens) const {
  require(defined(), "adaptor: used before it was initialised");
  require(tokens.dim() == 2 || tokens.dim() == 3,
          "adaptor: tokens must be [N,C] or [B,N,C], got " + std::to_string(tokens.dim()) + "-d");
  require(tokens.size(-1) == config_.dim, "adaptor: token width " +
                                              std::to_string(tokens.size(-1)) + " != adaptor dim " +
                                              std::to_string(config_.dim));
  const bool batched = tokens.dim() == 3;
  at::Tensor x = batched ? tokens : tokens.unsqueeze(0);
  x = transformer_block_forward(w_, x, config_.heads, config_.ln_eps);
  return batched ? x : x.squeeze(0);
}

std::vector<at::Tensor> Adaptor::parameters() const {
  return {w_.norm1_weight, w_.norm1_bias, w_.qkv_weight, w_.qkv_bias, w_.proj_weight, w_.proj_bias,
          w_.norm2_weight, w_.norm2_bias, w_.fc1_weight, w_.fc1_bias, w_.fc2_weight,  w_.fc2_bias};
}

void Adaptor::set_requires_grad(bool on) {
  for (at::Tensor &t : parameters()) t.set_requires_grad(on);
}

bool Adaptor::is_identity() const {
  return defined() && w_.proj_weight.abs().max().item<float>() == 0.f &&
         w_.proj_bias.abs().max().item<float>() == 0.f &&
         w_.fc2_weight.abs().max().item<float>() == 0.f &&
         w_.fc2_bias.abs().max().item<float>() == 0.f;
}

void Adaptor::save(StateDict &out, const std::string &prefix) const {
  StateDict sd;
  transformer_block_to_state_dict(w_, prefix, &sd);
  for (auto &[key, t] : sd) out[key] = t.detach().to(at::kCPU).contiguous();
}

Adaptor Adaptor::load(const StateDict &in, const std::string &prefix, const AdaptorConfig &config) {
  Adaptor a;
  a.config_ = config;
  a.config_.heads = resolve_heads(config);
  for (const ExpectedTensor &e : transformer_block_keys(prefix, a.shape())) {
    auto it = in.find(e.key);
    require(it != in.end(), "adaptor: missing tensor '" + e.key + "'");
    require(it->second.sizes().vec() == e.shape, "adaptor: tensor '" + e.key + "' has shape " +
                                                     c10::str(it->second.sizes()) + ", expected " +
                                                     c10::str(at::IntArrayRef(e.shape)));
    require(at::isFloatingType(it->second.scalar_type()),
            "adaptor: tensor '" + e.key + "' has dtype " + c10::toString(it->second.scalar_type()) +
                ", expected a floating-point tensor");
  }
  a.w_ = transformer_block_from_state_dict(in, prefix, /*qkv_bias=*/true, at::kCPU);
  // Own copies: the tensors of a loaded file must not alias the caller's state dict.
  for (at::Tensor *t : {&a.w_.norm1_weight, &a.w_.norm1_bias, &a.w_.qkv_weight, &a.w_.qkv_bias,
                        &a.w_.proj_weight, &a.w_.proj_bias, &a.w_.norm2_weight, &a.w_.norm2_bias,
                        &a.w_.fc1_weight, &a.w_.fc1_bias, &a.w_.fc2_weight, &a.w_.fc2_bias})
    *t = t->clone();
  return a;
}

void Adaptor::to(const at::Device &device) {
  w_ = TransformerBlockWeights{
      w_.norm1_weight.to(device), w_.norm1_bias.to(device),  w_.qkv_weight.to(device),
      w_.qkv_bias.to(device),     w_.proj_weight.to(device), w_.proj_bias.to(device),
      w_.norm2_weight.to(device), w_.norm2_bias.to(device),  w_.fc1_weight.to(device),
      w_.fc1_bias.to(device),     w_.fc2_weight.to(device),  w_.fc2_bias.to(device)};
}

}  // namespace lsfa
