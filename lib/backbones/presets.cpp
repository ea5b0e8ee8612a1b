#include "lsfa/backbones/presets.h"

#include <algorithm>

#include "lsfa/core/error.h"

namespace lsfa {

namespace {

std::vector<BackbonePreset> make_presets() {
  std::vector<BackbonePreset> presets;

  BackbonePreset paper;
  paper.name = "paper";
  paper.description =
      "DINO ViT-B/8 (dim 768, depth 12) + Point-MAE (dim 384, depth 12), 1024 groups x 128 "
      "points, layers 3/7/11: the LSFA paper's backbones";
  presets.push_back(paper);

  BackbonePreset small;
  small.name = "small";
  small.description =
      "ViT patch 8 dim 192 depth 4 heads 3 + Point-MAE dim 192 depth 4 heads 3, 256 groups x 32 "
      "points, layers 1/2/3: for tests and demos on small machines (random weights)";
  small.vit.dim = 192;
  small.vit.depth = 4;
  small.vit.heads = 3;
  small.vit.mlp_hidden = 768;
  auto &pm = small.point_mae;
  pm.dim = 192;
  pm.depth = 4;
  pm.heads = 3;
  pm.mlp_hidden = 768;
  pm.groups = 256;
  pm.group_size = 32;
  pm.fetch_layers = {1, 2, 3};
  presets.push_back(small);

  BackbonePreset vits8 = paper;
  vits8.name = "vit-s8";
  vits8.description =
      "DINO ViT-S/8 (dim 384, depth 12, heads 6) + the paper's Point-MAE: about 4x less RGB "
      "compute than ViT-B/8";
  vits8.vit.dim = 384;
  vits8.vit.heads = 6;
  vits8.vit.mlp_hidden = 1536;
  presets.push_back(vits8);
  return presets;
}

}  // namespace

const std::vector<BackbonePreset> &backbone_presets() {
  static const std::vector<BackbonePreset> presets = make_presets();
  return presets;
}

const BackbonePreset &backbone_preset(const std::string &name) {
  std::string names;
  for (const auto &p : backbone_presets()) {
    if (p.name == name) return p;
    names += (names.empty() ? "" : ", ") + p.name;
  }
  throw Error("unknown backbone preset '" + name + "' (known: " + names + ")");
}

std::vector<int64_t> fetch_layers_for(int64_t depth, const std::vector<int64_t> &preset_layers) {
  require(depth > 0, "a Point-MAE needs at least one block");
  bool fits = !preset_layers.empty();
  for (int64_t l : preset_layers) fits = fits && l >= 0 && l < depth;
  if (fits) return preset_layers;
  std::vector<int64_t> layers;
  for (int k = 1; k <= 3; ++k) {
    const int64_t l = std::max<int64_t>(0, (depth * k + 1) / 3 - 1);  // round(depth * k / 3) - 1
    if (layers.empty() || l > layers.back()) layers.push_back(l);
  }
  return layers;
}

Backbones build_backbones(const std::string &preset_name, const BackboneOptions &o) {
  const BackbonePreset &preset = backbone_preset(preset_name);
  PointMaeConfig pm = preset.point_mae;
  pm.batch_statistics = o.batch_statistics;
  require(o.groups >= 0 && o.group_size >= 0, "point groups and group size must not be negative");
  if (o.groups > 0) pm.groups = o.groups;
  if (o.group_size > 0) pm.group_size = o.group_size;
  // With a checkpoint the sizes come from the file (width, depth, heads = width / 64, patch,
  // position grid); the preset gives the sizes of random weights, the grouping and the layers.
  auto rgb = [&] {
    if (o.vit_checkpoint.empty()) return VisionTransformer::random(preset.vit, o.seed, o.device);
    const std::string what = "DINO ViT checkpoint " + o.vit_checkpoint;
    StateDict sd = load_state_dict(o.vit_checkpoint);
    return VisionTransformer::from_state_dict(sd, vit_config_from_state_dict(sd, what), what,
                                              o.device);
  }();
  auto points = [&] {
    if (o.point_mae_checkpoint.empty()) return PointMae::random(pm, o.seed, o.device);
    const std::string what = "Point-MAE checkpoint " + o.point_mae_checkpoint;
    StateDict sd = load_state_dict(o.point_mae_checkpoint);
    PointMaeConfig c = point_mae_config_from_state_dict(sd, what, pm);
    c.fetch_layers = fetch_layers_for(c.depth, pm.fetch_layers);
    return PointMae::from_state_dict(sd, c, what, o.device);
  }();
  return Backbones{preset.name, std::move(rgb), std::move(points)};
}

}  // namespace lsfa
