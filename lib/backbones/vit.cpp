#include "lsfa/backbones/vit.h"

#include <ATen/ATen.h>
#include <ATen/core/grad_mode.h>

#include <cmath>
#include <sstream>

#include "lsfa/backbones/weight_init.h"
#include "lsfa/core/error.h"

namespace lsfa {

namespace {

constexpr const char *kNotVit = " (not a DINO ViT state dict?)";

}  // namespace

VitConfig vit_config_from_state_dict(const StateDict &sd, const std::string &what, int64_t heads) {
  VitConfig c;
  const auto &patch = state_dict_entry(sd, "patch_embed.proj.weight", what, kNotVit);
  require(patch.dim() == 4 && patch.size(2) == patch.size(3),
          what + ": 'patch_embed.proj.weight' should be [dim, channels, patch, patch], got " +
              c10::str(patch.sizes()));
  c.dim = patch.size(0);
  c.in_channels = patch.size(1);
  c.patch = patch.size(2);
  const auto &pos = state_dict_entry(sd, "pos_embed", what, kNotVit);
  require(pos.dim() == 3 && pos.size(0) == 1 && pos.size(1) >= 2,
          what + ": 'pos_embed' should be [1, tokens, dim], got " + c10::str(pos.sizes()));
  const int64_t n = pos.size(1) - 1;
  c.pos_grid = static_cast<int64_t>(std::llround(std::sqrt(static_cast<double>(n))));
  require(c.pos_grid * c.pos_grid == n,
          what + ": 'pos_embed' has " + std::to_string(n) + " patch positions, not a square grid");
  c.depth = 0;
  const std::string prefix = "blocks.";
  for (const auto &kv : sd) {
    if (kv.first.compare(0, prefix.size(), prefix) != 0) continue;
    size_t end = kv.first.find('.', prefix.size());
    if (end == std::string::npos) continue;
    const std::string idx = kv.first.substr(prefix.size(), end - prefix.size());
    if (idx.empty() || idx.find_first_not_of("0123456789") != std::string::npos || idx.size() > 6)
      continue;
    c.depth = std::max<int64_t>(c.depth, std::stoll(idx) + 1);
  }
  require(c.depth > 0, what + ": no 'blocks.<i>.' entries");
  c.mlp_hidden = state_dict_entry(sd, "blocks.0.mlp.fc1.weight", what, kNotVit).size(0);
  c.heads = heads > 0 ? heads : std::max<int64_t>(1, c.dim / 64);
  return c;
}

std::vector<ExpectedTensor> vit_state_dict_keys(const VitConfig &c) {
  std::vector<ExpectedTensor> keys = {
      {"cls_token", {1, 1, c.dim}},
      {"pos_embed", {1, c.pos_grid * c.pos_grid + 1, c.dim}},
      {"patch_embed.proj.weight", {c.dim, c.in_channels, c.patch, c.patch}},
      {"patch_embed.proj.bias", {c.dim}},
      {"norm.weight", {c.dim}},
      {"norm.bias", {c.dim}},
  };
  const TransformerBlockShape shape{c.dim, c.mlp_hidden, true};
  for (int64_t i = 0; i < c.depth; ++i) {
    auto block = transformer_block_keys("blocks." + std::to_string(i) + ".", shape);
    keys.insert(keys.end(), block.begin(), block.end());
  }
  return keys;
}

namespace {

void check_config(const VitConfig &c) {
  require(c.patch > 0 && c.in_channels > 0 && c.dim > 0 && c.depth > 0 && c.mlp_hidden > 0 &&
              c.pos_grid > 0 && c.heads > 0,
          "ViT config: sizes must be positive");
  require(c.dim % c.heads == 0, "ViT config: dim " + std::to_string(c.dim) +
                                    " is not divisible by heads " + std::to_string(c.heads));
}

}  // namespace

VisionTransformer::VisionTransformer(VitConfig config, VitWeights weights, std::string source)
    : config_(config), weights_(std::move(weights)), source_(std::move(source)) {}

VisionTransformer VisionTransformer::from_state_dict(const StateDict &sd, const VitConfig &c,
                                                     const std::string &what, at::Device device) {
  check_config(c);
  check_state_dict(sd, vit_state_dict_keys(c), what, {"head."});
  VitWeights w;
  w.cls_token = state_dict_float(sd, "cls_token", device);
  w.pos_embed = state_dict_float(sd, "pos_embed", device);
  w.patch_weight = state_dict_float(sd, "patch_embed.proj.weight", device);
  w.patch_bias = state_dict_float(sd, "patch_embed.proj.bias", device);
  for (int64_t i = 0; i < c.depth; ++i)
    w.blocks.push_back(
        transformer_block_from_state_dict(sd, "blocks." + std::to_string(i) + ".", true, device));
  w.norm_weight = state_dict_float(sd, "norm.weight", device);
  w.norm_bias = state_dict_float(sd, "norm.bias", device);
  return VisionTransformer(c, std::move(w), what);
}

VisionTransformer VisionTransformer::random(const VitConfig &c, uint64_t seed, at::Device device) {
  check_config(c);
  VitWeights w;
  w.cls_token = init_trunc_normal({1, 1, c.dim}, 0.02, seed, "vit.cls_token", device);
  w.pos_embed = init_trunc_normal({1, c.pos_grid * c.pos_grid + 1, c.dim}, 0.02, seed,
                                  "vit.pos_embed", device);
  w.patch_weight = init_trunc_normal({c.dim, c.in_channels, c.patch, c.patch}, 0.02, seed,
                                     "vit.patch_embed.proj.weight", device);
  w.patch_bias = init_constant({c.dim}, 0.0, device);
  const TransformerBlockShape shape{c.dim, c.mlp_hidden, true};
  for (int64_t i = 0; i < c.depth; ++i)
    w.blocks.push_back(
        transformer_block_random("vit.blocks." + std::to_string(i) + ".", shape, seed, device));
  w.norm_weight = init_constant({c.dim}, 1.0, device);
  w.norm_bias = init_constant({c.dim}, 0.0, device);
  return VisionTransformer(c, std::move(w), "random init (seed " + std::to_string(seed) + ")");
}

at::Device VisionTransformer::device() const {
  return weights_.patch_weight.device();
}

std::string VisionTransformer::description() const {
  std::ostringstream s;
  s << "DINO ViT patch " << config_.patch << " dim " << config_.dim << " depth " << config_.depth
    << " heads " << config_.heads << " mlp " << config_.mlp_hidden << ", weights: " << source_;
  return s.str();
}

StateDict VisionTransformer::state_dict() const {
  StateDict sd;
  sd["cls_token"] = weights_.cls_token;
  sd["pos_embed"] = weights_.pos_embed;
  sd["patch_embed.proj.weight"] = weights_.patch_weight;
  sd["patch_embed.proj.bias"] = weights_.patch_bias;
  for (size_t i = 0; i < weights_.blocks.size(); ++i)
    transformer_block_to_state_dict(weights_.blocks[i], "blocks." + std::to_string(i) + ".", &sd);
  sd["norm.weight"] = weights_.norm_weight;
  sd["norm.bias"] = weights_.norm_bias;
  return sd;
}

at::Tensor VisionTransformer::position_embedding(int64_t grid_h, int64_t grid_w) const {
  const int64_t g = config_.pos_grid, c = config_.dim;
  if (grid_h == g && grid_w == g) return weights_.pos_embed;
  // DINO's interpolate_pos_encoding: bicubic, align_corners false, with the scale factor
  // (grid + 0.1) / g used as given (not recomputed from the sizes).
  auto cls = weights_.pos_embed.slice(1, 0, 1);
  auto grid = weights_.pos_embed.slice(1, 1).reshape({1, g, g, c}).permute({0, 3, 1, 2});
  auto resized = at::upsample_bicubic2d(grid.contiguous(), {grid_h, grid_w}, false,
                                        (static_cast<double>(grid_h) + 0.1) / g,
                                        (static_cast<double>(grid_w) + 0.1) / g);
  resized = resized.permute({0, 2, 3, 1}).reshape({1, grid_h * grid_w, c});
  return at::cat({cls, resized}, 1);
}

at::Tensor VisionTransformer::forward(const at::Tensor &images) const {
  at::NoGradGuard no_grad;
  const auto &c = config_;
  require(images.dim() == 4 && images.size(1) == c.in_channels,
          "ViT input should be [B, " + std::to_string(c.in_channels) + ", H, W], got " +
              c10::str(images.sizes()));
  require(images.size(2) >= c.patch && images.size(3) >= c.patch,
          "ViT input " + c10::str(images.sizes()) + " is smaller than one patch");
  const int64_t b = images.size(0);
  const int64_t gh = images.size(2) / c.patch, gw = images.size(3) / c.patch;
  const int64_t p = c.patch, n = gh * gw;

  // Patch embedding (a stride-p convolution with a p x p kernel) as one matrix product over the
  // unfolded patches; rows and columns beyond the last whole patch are dropped like the conv does.
  auto x = images.to(device(), at::kFloat).slice(2, 0, gh * p).slice(3, 0, gw * p);
  auto patches = x.reshape({b, c.in_channels, gh, p, gw, p})
                     .permute({0, 2, 4, 1, 3, 5})
                     .reshape({b * n, c.in_channels * p * p});
  auto emb = at::addmm(weights_.patch_bias, patches,
                       weights_.patch_weight.view({c.dim, c.in_channels * p * p}).t());

  auto tokens = at::cat({weights_.cls_token.expand({b, 1, c.dim}), emb.view({b, n, c.dim})}, 1);
  tokens.add_(position_embedding(gh, gw));
  for (const auto &block : weights_.blocks)
    tokens = transformer_block_forward(block, tokens, c.heads, c.layer_norm_eps);
  auto patch_tokens = tokens.slice(1, 1);
  auto normed = at::layer_norm(patch_tokens, {c.dim}, weights_.norm_weight, weights_.norm_bias,
                               c.layer_norm_eps);
  return normed.permute({0, 2, 1}).reshape({b, c.dim, gh, gw}).contiguous();
}

}  // namespace lsfa
