#include "lsfa/backbones/transformer_block.h"

#include <ATen/ATen.h>
#include <ATen/core/grad_mode.h>
#include <torch/version.h>

#include <cmath>

#include "lsfa/backbones/weight_init.h"
#include "lsfa/core/error.h"

namespace lsfa {

std::vector<ExpectedTensor> transformer_block_keys(const std::string &prefix,
                                                   const TransformerBlockShape &s) {
  const int64_t c = s.dim, h = s.hidden;
  std::vector<ExpectedTensor> keys = {
      {prefix + "norm1.weight", {c}},
      {prefix + "norm1.bias", {c}},
      {prefix + "attn.qkv.weight", {3 * c, c}},
      {prefix + "attn.proj.weight", {c, c}},
      {prefix + "attn.proj.bias", {c}},
      {prefix + "norm2.weight", {c}},
      {prefix + "norm2.bias", {c}},
      {prefix + "mlp.fc1.weight", {h, c}},
      {prefix + "mlp.fc1.bias", {h}},
      {prefix + "mlp.fc2.weight", {c, h}},
      {prefix + "mlp.fc2.bias", {c}},
  };
  if (s.qkv_bias) keys.push_back({prefix + "attn.qkv.bias", {3 * c}});
  return keys;
}

TransformerBlockWeights transformer_block_from_state_dict(const StateDict &sd, const std::string &p,
                                                          bool qkv_bias, at::Device device) {
  TransformerBlockWeights w;
  w.norm1_weight = state_dict_float(sd, p + "norm1.weight", device);
  w.norm1_bias = state_dict_float(sd, p + "norm1.bias", device);
  w.qkv_weight = state_dict_float(sd, p + "attn.qkv.weight", device);
  if (qkv_bias) w.qkv_bias = state_dict_float(sd, p + "attn.qkv.bias", device);
  w.proj_weight = state_dict_float(sd, p + "attn.proj.weight", device);
  w.proj_bias = state_dict_float(sd, p + "attn.proj.bias", device);
  w.norm2_weight = state_dict_float(sd, p + "norm2.weight", device);
  w.norm2_bias = state_dict_float(sd, p + "norm2.bias", device);
  w.fc1_weight = state_dict_float(sd, p + "mlp.fc1.weight", device);
  w.fc1_bias = state_dict_float(sd, p + "mlp.fc1.bias", device);
  w.fc2_weight = state_dict_float(sd, p + "mlp.fc2.weight", device);
  w.fc2_bias = state_dict_float(sd, p + "mlp.fc2.bias", device);
  return w;
}

TransformerBlockWeights transformer_block_random(const std::string &p,
                                                 const TransformerBlockShape &s, uint64_t seed,
                                                 at::Device device) {
  const int64_t c = s.dim, h = s.hidden;
  TransformerBlockWeights w;
  w.norm1_weight = init_constant({c}, 1.0, device);
  w.norm1_bias = init_constant({c}, 0.0, device);
  w.qkv_weight = init_trunc_normal({3 * c, c}, 0.02, seed, p + "attn.qkv.weight", device);
  if (s.qkv_bias) w.qkv_bias = init_constant({3 * c}, 0.0, device);
  w.proj_weight = init_trunc_normal({c, c}, 0.02, seed, p + "attn.proj.weight", device);
  w.proj_bias = init_constant({c}, 0.0, device);
  w.norm2_weight = init_constant({c}, 1.0, device);
  w.norm2_bias = init_constant({c}, 0.0, device);
  w.fc1_weight = init_trunc_normal({h, c}, 0.02, seed, p + "mlp.fc1.weight", device);
  w.fc1_bias = init_constant({h}, 0.0, device);
  w.fc2_weight = init_trunc_normal({c, h}, 0.02, seed, p + "mlp.fc2.weight", device);
  w.fc2_bias = init_constant({c}, 0.0, device);
  return w;
}

void transformer_block_to_state_dict(const TransformerBlockWeights &w, const std::string &p,
                                     StateDict *sd) {
  (*sd)[p + "norm1.weight"] = w.norm1_weight;
  (*sd)[p + "norm1.bias"] = w.norm1_bias;
  (*sd)[p + "attn.qkv.weight"] = w.qkv_weight;
  if (w.qkv_bias.defined()) (*sd)[p + "attn.qkv.bias"] = w.qkv_bias;
  (*sd)[p + "attn.proj.weight"] = w.proj_weight;
  (*sd)[p + "attn.proj.bias"] = w.proj_bias;
  (*sd)[p + "norm2.weight"] = w.norm2_weight;
  (*sd)[p + "norm2.bias"] = w.norm2_bias;
  (*sd)[p + "mlp.fc1.weight"] = w.fc1_weight;
  (*sd)[p + "mlp.fc1.bias"] = w.fc1_bias;
  (*sd)[p + "mlp.fc2.weight"] = w.fc2_weight;
  (*sd)[p + "mlp.fc2.bias"] = w.fc2_bias;
}

namespace {

// softmax(q k^T / sqrt(d)) v for [B, H, N, d] views. LibTorch 2.x has a fused kernel (blocked,
// online softmax: the N x N scores never reach memory), which on 2 CPU cores runs the ViT-B/8
// attention of 785 tokens at about 1.4x the speed of two batched products around a softmax, whose
// width-64 products and N x N round trip cap them near 60 % of sgemm.
at::Tensor attention(const at::Tensor &q, const at::Tensor &k, const at::Tensor &v) {
#if TORCH_VERSION_MAJOR >= 2
  return at::scaled_dot_product_attention(q, k, v);
#else
  // The scale goes on q (N x d values) instead of on the N x N scores.
  auto qs = q.mul(1.0 / std::sqrt(static_cast<double>(q.size(-1))));
  auto scores = at::_softmax(at::matmul(qs, k.transpose(-2, -1)), -1, false);  // [B, H, N, N]
  return at::matmul(scores, v);
#endif
}

}  // namespace

at::Tensor transformer_block_forward(const TransformerBlockWeights &w, const at::Tensor &x_in,
                                     int64_t heads, double eps) {
  const int64_t b = x_in.size(0), n = x_in.size(1), c = x_in.size(2);
  const int64_t d = c / heads;
  auto x = x_in.contiguous().view({b * n, c});
  // In-place steps save two [B*N, hidden] allocations in the frozen backbones; a trainable block
  // (the adaptors) needs the out-of-place forms for autograd.
  const bool grad =
      at::GradMode::is_enabled() &&
      (x_in.requires_grad() || w.qkv_weight.requires_grad() || w.fc2_weight.requires_grad());

  // Attention. q, k and v stay strided views into the qkv matrix (row stride 3C): the kernels read
  // them in place.
  auto h = at::layer_norm(x, {c}, w.norm1_weight, w.norm1_bias, eps);
  auto qkv = w.qkv_bias.defined() ? at::addmm(w.qkv_bias, h, w.qkv_weight.t())
                                  : at::mm(h, w.qkv_weight.t());
  auto qkv5 = qkv.view({b, n, 3, heads, d}).permute({2, 0, 3, 1, 4});  // [3, B, H, N, d]
  auto ctx = attention(qkv5[0], qkv5[1], qkv5[2]);                     // [B, H, N, d]
  ctx = ctx.permute({0, 2, 1, 3}).reshape({b * n, c});
  auto y = at::addmm(w.proj_bias, ctx, w.proj_weight.t());
  y = grad ? y.add(x) : y.add_(x);

  // MLP.
  h = at::layer_norm(y, {c}, w.norm2_weight, w.norm2_bias, eps);
  auto hidden = at::addmm(w.fc1_bias, h, w.fc1_weight.t());
  hidden = grad ? at::gelu(hidden) : at::gelu_(hidden);
  auto out = at::addmm(w.fc2_bias, hidden, w.fc2_weight.t());
  out = grad ? out.add(y) : out.add_(y);
  return out.view({b, n, c});
}

}  // namespace lsfa
