#include "lsfa/model/adaptor.h"

#include <ATen/ATen.h>
#include <ATen/CPUGeneratorImpl.h>

#include <cmath>

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

const std::vector<std::string> &Adaptor::slot_names() {
  static const std::vector<std::string> names = {
      "norm1.weight",     "norm1.bias",     "attn.qkv.weight", "attn.qkv.bias",
      "attn.proj.weight", "attn.proj.bias", "norm2.weight",    "norm2.bias",
      "mlp.fc1.weight",   "mlp.fc1.bias",   "mlp.fc2.weight",  "mlp.fc2.bias"};
  return names;
}

std::vector<at::Tensor *> Adaptor::slots() {
  return {&norm1_w_, &norm1_b_, &qkv_w_, &qkv_b_, &proj_w_, &proj_b_,
          &norm2_w_, &norm2_b_, &fc1_w_, &fc1_b_, &fc2_w_,  &fc2_b_};
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
  norm1_w_ = at::ones({c}, f32);
  norm1_b_ = at::zeros({c}, f32);
  qkv_w_ = randn({3 * c, c});
  qkv_b_ = at::zeros({3 * c}, f32);
  proj_w_ = at::zeros({c, c}, f32);  // zero output projection: identity at start
  proj_b_ = at::zeros({c}, f32);
  norm2_w_ = at::ones({c}, f32);
  norm2_b_ = at::zeros({c}, f32);
  fc1_w_ = randn({h, c});
  fc1_b_ = at::zeros({h}, f32);
  fc2_w_ = at::zeros({c, h}, f32);  // zero output projection: identity at start
  fc2_b_ = at::zeros({c}, f32);
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
  const int64_t b = x.size(0), n = x.size(1), c = config_.dim, heads = config_.heads;
  const int64_t hd = c / heads;

  at::Tensor y = at::layer_norm(x, {c}, norm1_w_, norm1_b_, config_.ln_eps);
  at::Tensor qkv =
      at::linear(y, qkv_w_, qkv_b_).reshape({b, n, 3, heads, hd}).permute({2, 0, 3, 1, 4});
  at::Tensor q = qkv[0], k = qkv[1], v = qkv[2];
  at::Tensor attn =
      at::softmax(at::matmul(q, k.transpose(-2, -1)) * (1.0 / std::sqrt(double(hd))), -1);
  at::Tensor ctx = at::matmul(attn, v).transpose(1, 2).reshape({b, n, c});
  x = x + at::linear(ctx, proj_w_, proj_b_);

  y = at::layer_norm(x, {c}, norm2_w_, norm2_b_, config_.ln_eps);
  x = x + at::linear(at::gelu(at::linear(y, fc1_w_, fc1_b_)), fc2_w_, fc2_b_);
  return batched ? x : x.squeeze(0);
}

std::vector<at::Tensor> Adaptor::parameters() const {
  return {norm1_w_, norm1_b_, qkv_w_, qkv_b_, proj_w_, proj_b_,
          norm2_w_, norm2_b_, fc1_w_, fc1_b_, fc2_w_,  fc2_b_};
}

void Adaptor::set_requires_grad(bool on) {
  for (at::Tensor *t : slots()) t->set_requires_grad(on);
}

bool Adaptor::is_identity() const {
  return defined() && proj_w_.abs().max().item<float>() == 0.f &&
         proj_b_.abs().max().item<float>() == 0.f && fc2_w_.abs().max().item<float>() == 0.f &&
         fc2_b_.abs().max().item<float>() == 0.f;
}

void Adaptor::save(StateDict &out, const std::string &prefix) const {
  const auto &names = slot_names();
  auto params = parameters();
  for (size_t i = 0; i < names.size(); ++i)
    out[prefix + names[i]] = params[i].detach().to(at::kCPU).contiguous();
}

Adaptor Adaptor::load(const StateDict &in, const std::string &prefix, const AdaptorConfig &config) {
  Adaptor a;
  a.config_ = config;
  a.config_.heads = resolve_heads(config);
  const int64_t c = config.dim, h = config.mlp_ratio * config.dim;
  const std::vector<std::vector<int64_t>> shapes = {{c}, {c}, {3 * c, c}, {3 * c}, {c, c}, {c},
                                                    {c}, {c}, {h, c},     {h},     {c, h}, {c}};
  const auto &names = slot_names();
  auto slots = a.slots();
  for (size_t i = 0; i < names.size(); ++i) {
    auto it = in.find(prefix + names[i]);
    require(it != in.end(), "adaptor: missing tensor '" + prefix + names[i] + "'");
    require(it->second.sizes().vec() == shapes[i],
            "adaptor: tensor '" + prefix + names[i] + "' has shape " +
                c10::str(it->second.sizes()) + ", expected " +
                c10::str(at::IntArrayRef(shapes[i])));
    require(at::isFloatingType(it->second.scalar_type()),
            "adaptor: tensor '" + prefix + names[i] + "' has dtype " +
                c10::toString(it->second.scalar_type()) + ", expected a floating-point tensor");
    *slots[i] = it->second.to(at::kFloat).contiguous().clone();
  }
  return a;
}

void Adaptor::to(const at::Device &device) {
  for (at::Tensor *t : slots()) *t = t->to(device);
}

}  // namespace lsfa
