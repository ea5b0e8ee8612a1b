#include "lsfa/backbones/presets.h"

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

Backbones build_backbones(const std::string &preset_name, const BackboneOptions &o) {
  const BackbonePreset &preset = backbone_preset(preset_name);
  PointMaeConfig pm = preset.point_mae;
  pm.batch_statistics = o.batch_statistics;
  require(o.groups >= 0 && o.group_size >= 0, "point groups and group size must not be negative");
  if (o.groups > 0) pm.groups = o.groups;
  if (o.group_size > 0) pm.group_size = o.group_size;
  auto rgb = o.vit_checkpoint.empty() ? VisionTransformer::random(preset.vit, o.seed, o.device)
                                      : VisionTransformer::from_state_dict(
                                            load_state_dict(o.vit_checkpoint), preset.vit,
                                            "DINO ViT checkpoint " + o.vit_checkpoint, o.device);
  auto points =
      o.point_mae_checkpoint.empty()
          ? PointMae::random(pm, o.seed, o.device)
          : PointMae::from_state_dict(load_state_dict(o.point_mae_checkpoint), pm,
                                      "Point-MAE checkpoint " + o.point_mae_checkpoint, o.device);
  return Backbones{preset.name, std::move(rgb), std::move(points)};
}

}  // namespace lsfa
