#include "lsfa/backbones/point_mae.h"

#include <ATen/ATen.h>
#include <ATen/core/grad_mode.h>

#include <algorithm>
#include <cmath>
#include <sstream>

#include "lsfa/backbones/weight_init.h"
#include "lsfa/core/error.h"

namespace lsfa {

namespace {

constexpr const char *kNotPointMae = " (not a Point-MAE state dict?)";

void add_batch_norm_keys(const std::string &p, int64_t c, std::vector<ExpectedTensor> *keys) {
  keys->push_back({p + "weight", {c}});
  keys->push_back({p + "bias", {c}});
  keys->push_back({p + "running_mean", {c}});
  keys->push_back({p + "running_var", {c}});
  keys->push_back({p + "num_batches_tracked", {}, false, /*floating=*/false});  // an int64 count
}

BatchNormWeights batch_norm_from(const StateDict &sd, const std::string &p, at::Device device) {
  BatchNormWeights bn;
  bn.weight = state_dict_float(sd, p + "weight", device);
  bn.bias = state_dict_float(sd, p + "bias", device);
  bn.running_mean = state_dict_float(sd, p + "running_mean", device);
  bn.running_var = state_dict_float(sd, p + "running_var", device);
  bn.num_batches_tracked = sd.at(p + "num_batches_tracked").to(device, at::kLong);
  return bn;
}

BatchNormWeights batch_norm_init(int64_t c, at::Device device) {
  BatchNormWeights bn;
  bn.weight = init_constant({c}, 1.0, device);
  bn.bias = init_constant({c}, 0.0, device);
  bn.running_mean = init_constant({c}, 0.0, device);
  bn.running_var = init_constant({c}, 1.0, device);
  bn.num_batches_tracked = at::zeros({}, at::TensorOptions().dtype(at::kLong).device(device));
  return bn;
}

void batch_norm_to(const BatchNormWeights &bn, const std::string &p, StateDict *sd) {
  (*sd)[p + "weight"] = bn.weight;
  (*sd)[p + "bias"] = bn.bias;
  (*sd)[p + "running_mean"] = bn.running_mean;
  (*sd)[p + "running_var"] = bn.running_var;
  (*sd)[p + "num_batches_tracked"] = bn.num_batches_tracked;
}

int64_t count_blocks(const StateDict &sd, const std::string &prefix) {
  int64_t depth = 0;
  for (const auto &kv : sd) {
    if (kv.first.compare(0, prefix.size(), prefix) != 0) continue;
    size_t end = kv.first.find('.', prefix.size());
    if (end == std::string::npos) continue;
    const std::string idx = kv.first.substr(prefix.size(), end - prefix.size());
    if (idx.empty() || idx.size() > 6 || idx.find_first_not_of("0123456789") != std::string::npos)
      continue;
    depth = std::max<int64_t>(depth, std::stoll(idx) + 1);
  }
  return depth;
}

void check_config(const PointMaeConfig &c) {
  require(c.dim > 0 && c.depth > 0 && c.heads > 0 && c.mlp_hidden > 0 && c.conv1 > 0 &&
              c.conv2 > 0 && c.conv3 > 0 && c.pos_hidden > 0 && c.groups > 0 && c.group_size > 0 &&
              c.chunk_groups > 0,
          "Point-MAE config: sizes must be positive");
  require(c.dim % c.heads == 0, "Point-MAE config: dim " + std::to_string(c.dim) +
                                    " is not divisible by heads " + std::to_string(c.heads));
  require(!c.fetch_layers.empty(), "Point-MAE config: no fetch layers");
  for (int64_t l : c.fetch_layers)
    require(l >= 0 && l < c.depth, "Point-MAE config: fetch layer " + std::to_string(l) +
                                       " outside 0.." + std::to_string(c.depth - 1));
}

// Returns the [out, in] matrix of a kernel-1 Conv1d weight [out, in, 1].
at::Tensor matrix(const at::Tensor &conv_weight) {
  return conv_weight.view({conv_weight.size(0), conv_weight.size(1)});
}

// BatchNorm over the rows of x [M, C] with the statistics of x itself (biased variance), as
// train-mode BatchNorm computes them. var_mean accumulates in double: 2-D batch_norm's float
// statistics were measurably less accurate than the reference's [N, C, L] path.
at::Tensor batch_norm_batch_statistics(const at::Tensor &x, const BatchNormWeights &bn,
                                       double eps) {
  auto [var, mean] = at::var_mean(x, {0}, /*unbiased=*/false);
  auto scale = bn.weight / at::sqrt(var + eps);
  return (x - mean).mul_(scale).add_(bn.bias);
}

}  // namespace

PointMaeConfig point_mae_config_from_state_dict(const StateDict &sd, const std::string &what,
                                                const PointMaeConfig &base, int64_t heads) {
  PointMaeConfig c = base;
  c.dim = state_dict_entry(sd, "norm.weight", what, kNotPointMae).size(0);
  c.conv1 = state_dict_entry(sd, "encoder.first_conv.0.weight", what, kNotPointMae).size(0);
  c.conv2 = state_dict_entry(sd, "encoder.first_conv.3.weight", what, kNotPointMae).size(0);
  c.conv3 = state_dict_entry(sd, "encoder.second_conv.0.weight", what, kNotPointMae).size(0);
  c.pos_hidden = state_dict_entry(sd, "pos_embed.0.weight", what, kNotPointMae).size(0);
  c.depth = count_blocks(sd, "blocks.blocks.");
  require(c.depth > 0, what + ": no 'blocks.blocks.<i>.' entries");
  c.mlp_hidden = state_dict_entry(sd, "blocks.blocks.0.mlp.fc1.weight", what, kNotPointMae).size(0);
  c.heads = heads > 0 ? heads : std::max<int64_t>(1, c.dim / 64);
  return c;
}

std::vector<ExpectedTensor> point_mae_state_dict_keys(const PointMaeConfig &c) {
  std::vector<ExpectedTensor> keys = {
      {"encoder.first_conv.0.weight", {c.conv1, 3, 1}},
      {"encoder.first_conv.0.bias", {c.conv1}},
      {"encoder.first_conv.3.weight", {c.conv2, c.conv1, 1}},
      {"encoder.first_conv.3.bias", {c.conv2}},
      {"encoder.second_conv.0.weight", {c.conv3, 2 * c.conv2, 1}},
      {"encoder.second_conv.0.bias", {c.conv3}},
      {"encoder.second_conv.3.weight", {c.dim, c.conv3, 1}},
      {"encoder.second_conv.3.bias", {c.dim}},
      {"pos_embed.0.weight", {c.pos_hidden, 3}},
      {"pos_embed.0.bias", {c.pos_hidden}},
      {"pos_embed.2.weight", {c.dim, c.pos_hidden}},
      {"pos_embed.2.bias", {c.dim}},
      {"norm.weight", {c.dim}},
      {"norm.bias", {c.dim}},
  };
  add_batch_norm_keys("encoder.first_conv.1.", c.conv1, &keys);
  add_batch_norm_keys("encoder.second_conv.1.", c.conv3, &keys);
  const TransformerBlockShape shape{c.dim, c.mlp_hidden, false};
  for (int64_t i = 0; i < c.depth; ++i) {
    auto block = transformer_block_keys("blocks.blocks." + std::to_string(i) + ".", shape);
    keys.insert(keys.end(), block.begin(), block.end());
  }
  return keys;
}

const std::vector<std::string> &point_mae_ignored_prefixes() {
  static const std::vector<std::string> prefixes = {"MAE_decoder.", "decoder_pos_embed.",
                                                    "mask_token", "increase_dim."};
  return prefixes;
}

PointMae::PointMae(PointMaeConfig config, PointMaeWeights weights, std::string source)
    : config_(std::move(config)), weights_(std::move(weights)), source_(std::move(source)) {
  fold_batch_norms();
}

void PointMae::fold_batch_norms() {
  // BN(W x + b) = s * (W x + b - mean) + beta with s = gamma / sqrt(var + eps).
  auto fold = [&](const at::Tensor &w, const at::Tensor &b, const BatchNormWeights &bn,
                  at::Tensor *fw, at::Tensor *fb) {
    auto s = bn.weight / at::sqrt(bn.running_var + config_.batch_norm_eps);
    *fw = (matrix(w) * s.unsqueeze(1)).contiguous();
    *fb = ((b - bn.running_mean) * s + bn.bias).contiguous();
  };
  fold(weights_.conv1_weight, weights_.conv1_bias, weights_.bn1, &fold1_weight_, &fold1_bias_);
  fold(weights_.conv3_weight, weights_.conv3_bias, weights_.bn2, &fold3_weight_, &fold3_bias_);
}

PointMae PointMae::from_state_dict(const StateDict &sd, const PointMaeConfig &c,
                                   const std::string &what, at::Device device) {
  check_config(c);
  check_state_dict(sd, point_mae_state_dict_keys(c), what, point_mae_ignored_prefixes());
  PointMaeWeights w;
  w.conv1_weight = state_dict_float(sd, "encoder.first_conv.0.weight", device);
  w.conv1_bias = state_dict_float(sd, "encoder.first_conv.0.bias", device);
  w.bn1 = batch_norm_from(sd, "encoder.first_conv.1.", device);
  w.conv2_weight = state_dict_float(sd, "encoder.first_conv.3.weight", device);
  w.conv2_bias = state_dict_float(sd, "encoder.first_conv.3.bias", device);
  w.conv3_weight = state_dict_float(sd, "encoder.second_conv.0.weight", device);
  w.conv3_bias = state_dict_float(sd, "encoder.second_conv.0.bias", device);
  w.bn2 = batch_norm_from(sd, "encoder.second_conv.1.", device);
  w.conv4_weight = state_dict_float(sd, "encoder.second_conv.3.weight", device);
  w.conv4_bias = state_dict_float(sd, "encoder.second_conv.3.bias", device);
  w.pos1_weight = state_dict_float(sd, "pos_embed.0.weight", device);
  w.pos1_bias = state_dict_float(sd, "pos_embed.0.bias", device);
  w.pos2_weight = state_dict_float(sd, "pos_embed.2.weight", device);
  w.pos2_bias = state_dict_float(sd, "pos_embed.2.bias", device);
  for (int64_t i = 0; i < c.depth; ++i)
    w.blocks.push_back(transformer_block_from_state_dict(
        sd, "blocks.blocks." + std::to_string(i) + ".", false, device));
  w.norm_weight = state_dict_float(sd, "norm.weight", device);
  w.norm_bias = state_dict_float(sd, "norm.bias", device);
  return PointMae(c, std::move(w), what);
}

PointMae PointMae::random(const PointMaeConfig &c, uint64_t seed, at::Device device) {
  check_config(c);
  auto tn = [&](std::vector<int64_t> shape, const std::string &key) {
    return init_trunc_normal(shape, 0.02, seed, "point_mae." + key, device);
  };
  auto zeros = [&](int64_t n) { return init_constant({n}, 0.0, device); };
  PointMaeWeights w;
  w.conv1_weight = tn({c.conv1, 3, 1}, "encoder.first_conv.0.weight");
  w.conv1_bias = zeros(c.conv1);
  w.bn1 = batch_norm_init(c.conv1, device);
  w.conv2_weight = tn({c.conv2, c.conv1, 1}, "encoder.first_conv.3.weight");
  w.conv2_bias = zeros(c.conv2);
  w.conv3_weight = tn({c.conv3, 2 * c.conv2, 1}, "encoder.second_conv.0.weight");
  w.conv3_bias = zeros(c.conv3);
  w.bn2 = batch_norm_init(c.conv3, device);
  w.conv4_weight = tn({c.dim, c.conv3, 1}, "encoder.second_conv.3.weight");
  w.conv4_bias = zeros(c.dim);
  w.pos1_weight = tn({c.pos_hidden, 3}, "pos_embed.0.weight");
  w.pos1_bias = zeros(c.pos_hidden);
  w.pos2_weight = tn({c.dim, c.pos_hidden}, "pos_embed.2.weight");
  w.pos2_bias = zeros(c.dim);
  const TransformerBlockShape shape{c.dim, c.mlp_hidden, false};
  for (int64_t i = 0; i < c.depth; ++i)
    w.blocks.push_back(transformer_block_random(
        "point_mae.blocks.blocks." + std::to_string(i) + ".", shape, seed, device));
  w.norm_weight = init_constant({c.dim}, 1.0, device);
  w.norm_bias = zeros(c.dim);
  return PointMae(c, std::move(w), "random init (seed " + std::to_string(seed) + ")");
}

at::Device PointMae::device() const {
  return weights_.norm_weight.device();
}

std::string PointMae::description() const {
  const auto &c = config_;
  std::ostringstream s;
  s << "Point-MAE dim " << c.dim << " depth " << c.depth << " heads " << c.heads << " mlp "
    << c.mlp_hidden << ", " << c.groups << " groups x " << c.group_size << " points, layers";
  for (size_t i = 0; i < c.fetch_layers.size(); ++i) s << (i ? "/" : " ") << c.fetch_layers[i];
  s << ", BatchNorm " << (c.batch_statistics ? "batch statistics" : "running statistics")
    << ", weights: " << source_;
  return s.str();
}

StateDict PointMae::state_dict() const {
  const auto &w = weights_;
  StateDict sd;
  sd["encoder.first_conv.0.weight"] = w.conv1_weight;
  sd["encoder.first_conv.0.bias"] = w.conv1_bias;
  batch_norm_to(w.bn1, "encoder.first_conv.1.", &sd);
  sd["encoder.first_conv.3.weight"] = w.conv2_weight;
  sd["encoder.first_conv.3.bias"] = w.conv2_bias;
  sd["encoder.second_conv.0.weight"] = w.conv3_weight;
  sd["encoder.second_conv.0.bias"] = w.conv3_bias;
  batch_norm_to(w.bn2, "encoder.second_conv.1.", &sd);
  sd["encoder.second_conv.3.weight"] = w.conv4_weight;
  sd["encoder.second_conv.3.bias"] = w.conv4_bias;
  sd["pos_embed.0.weight"] = w.pos1_weight;
  sd["pos_embed.0.bias"] = w.pos1_bias;
  sd["pos_embed.2.weight"] = w.pos2_weight;
  sd["pos_embed.2.bias"] = w.pos2_bias;
  for (size_t i = 0; i < w.blocks.size(); ++i)
    transformer_block_to_state_dict(w.blocks[i], "blocks.blocks." + std::to_string(i) + ".", &sd);
  sd["norm.weight"] = w.norm_weight;
  sd["norm.bias"] = w.norm_bias;
  return sd;
}

at::Tensor PointMae::group_tokens(const at::Tensor &neighborhoods) const {
  at::NoGradGuard no_grad;
  const auto &c = config_;
  const auto &w = weights_;
  require(neighborhoods.dim() == 3 && neighborhoods.size(2) == 3,
          "Point-MAE groups should be [G, K, 3], got " + c10::str(neighborhoods.sizes()));
  const int64_t g = neighborhoods.size(0), k = neighborhoods.size(1);
  auto x = neighborhoods.to(device(), at::kFloat).contiguous().view({g * k, 3});
  // The second convolution sees [global feature, point feature] per point. Its global half is the
  // same for all points of a group, so it is applied once per group.
  const int64_t c2 = c.conv2;

  if (c.batch_statistics) {
    auto h = at::addmm(w.conv1_bias, x, matrix(w.conv1_weight).t());
    h = batch_norm_batch_statistics(h, w.bn1, c.batch_norm_eps).relu_();
    auto f = at::addmm(w.conv2_bias, h, matrix(w.conv2_weight).t());
    auto global = std::get<0>(f.view({g, k, c2}).max(1));
    // Batch statistics amplify rounding differences, so this mode follows the reference's
    // arithmetic closely: one product over the concatenated [global, local] features.
    auto both = at::cat({global.unsqueeze(1).expand({g, k, c2}), f.view({g, k, c2})}, 2);
    auto h3 = at::addmm(w.conv3_bias, both.view({g * k, 2 * c2}), matrix(w.conv3_weight).t());
    h3 = batch_norm_batch_statistics(h3, w.bn2, c.batch_norm_eps).relu_();
    auto out = at::addmm(w.conv4_bias, h3, matrix(w.conv4_weight).t());
    return std::get<0>(out.view({g, k, c.dim}).max(1));
  }

  auto w3_global = fold3_weight_.slice(1, 0, c2).t();
  auto w3_local = fold3_weight_.slice(1, c2).t();
  auto w4 = matrix(w.conv4_weight).t();
  std::vector<at::Tensor> tokens;
  const int64_t chunk = device().is_cpu() ? c.chunk_groups : g;
  for (int64_t g0 = 0; g0 < g; g0 += chunk) {
    const int64_t gn = std::min(chunk, g - g0);
    auto xc = x.slice(0, g0 * k, (g0 + gn) * k);
    auto h = at::addmm(fold1_bias_, xc, fold1_weight_.t()).relu_();
    auto f = at::addmm(w.conv2_bias, h, matrix(w.conv2_weight).t());
    // amax: the values only (max(1) would also compute the indices, a slower pass).
    auto global = at::amax(f.view({gn, k, c2}), {1});
    auto per_group = at::addmm(fold3_bias_, global, w3_global);
    auto h3 = at::mm(f, w3_local).view({gn, k, c.conv3}).add_(per_group.unsqueeze(1)).relu_();
    auto out = at::addmm(w.conv4_bias, h3.view({gn * k, c.conv3}), w4);
    tokens.push_back(at::amax(out.view({gn, k, c.dim}), {1}));
  }
  return tokens.size() == 1 ? tokens[0] : at::cat(tokens, 0);
}

at::Tensor PointMae::encode_groups(const at::Tensor &neighborhoods,
                                   const at::Tensor &centers) const {
  require(
      centers.dim() == 2 && centers.size(1) == 3 && centers.size(0) == neighborhoods.size(0),
      "Point-MAE centres should be [G, 3] matching the groups, got " + c10::str(centers.sizes()));
  return encode_tokens(group_tokens(neighborhoods), centers);
}

at::Tensor PointMae::encode_tokens(const at::Tensor &group_tok, const at::Tensor &centers) const {
  at::NoGradGuard no_grad;
  const auto &c = config_;
  const auto &w = weights_;
  require(group_tok.dim() == 2 && group_tok.size(1) == c.dim,
          "Point-MAE tokens should be [G, " + std::to_string(c.dim) + "], got " +
              c10::str(group_tok.sizes()));
  require(
      centers.dim() == 2 && centers.size(1) == 3 && centers.size(0) == group_tok.size(0),
      "Point-MAE centres should be [G, 3] matching the tokens, got " + c10::str(centers.sizes()));
  auto tokens = group_tok.to(device(), at::kFloat).unsqueeze(0);  // [1, G, C]
  auto ctr = centers.to(device(), at::kFloat).contiguous();
  auto pos = at::gelu(at::addmm(w.pos1_bias, ctr, w.pos1_weight.t()));
  pos = at::addmm(w.pos2_bias, pos, w.pos2_weight.t()).unsqueeze(0);
  const int64_t last = *std::max_element(c.fetch_layers.begin(), c.fetch_layers.end());
  std::vector<at::Tensor> block_outputs(last + 1);
  auto x = tokens;
  for (int64_t i = 0; i <= last; ++i) {
    x = transformer_block_forward(w.blocks[i], x + pos, c.heads, c.layer_norm_eps);
    block_outputs[i] = x;
  }
  std::vector<at::Tensor> parts;
  for (int64_t l : c.fetch_layers)
    parts.push_back(
        at::layer_norm(block_outputs[l][0], {c.dim}, w.norm_weight, w.norm_bias, c.layer_norm_eps));
  return at::cat(parts, 1);
}

PointMaeOutput PointMae::forward(const at::Tensor &organized) const {
  PointMaeOutput out;
  out.groups = group_points(organized, config_.groups, config_.group_size);
  out.centers = out.groups.centers.to(device());
  out.features = encode_groups(out.groups.neighborhoods, out.centers);
  return out;
}

}  // namespace lsfa
