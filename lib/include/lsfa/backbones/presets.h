// Named backbone sizes ("paper", "small", "vit-s8") and the construction of both frozen backbones
// from a preset, optional checkpoint files and a seed for the random initialisation.
#pragma once

#include <c10/core/Device.h>

#include <cstdint>
#include <string>
#include <vector>

#include "lsfa/backbones/point_mae.h"
#include "lsfa/backbones/vit.h"

namespace lsfa {

struct BackbonePreset {
  std::string name;
  std::string description;
  VitConfig vit;
  PointMaeConfig point_mae;
  int64_t image_size = 224;  // model input resolution (RGB side and organized cloud side)
};

// All presets, "paper" first.
const std::vector<BackbonePreset> &backbone_presets();

// The preset called `name`; lsfa::Error listing the known names otherwise.
const BackbonePreset &backbone_preset(const std::string &name);

struct BackboneOptions {
  std::string vit_checkpoint;        // empty: random ViT weights
  std::string point_mae_checkpoint;  // empty: random Point-MAE weights
  uint64_t seed = 0;                 // random initialisation seed (ViT and Point-MAE)
  at::Device device = at::kCPU;
  bool batch_statistics = false;  // Point-MAE BatchNorm mode (see PointMaeConfig)
  int64_t groups = 0;             // point groups; 0 = the preset's
  int64_t group_size = 0;         // points per group; 0 = the preset's
};

struct Backbones {
  std::string preset;
  VisionTransformer rgb;
  PointMae points;
};

// Builds both backbones with the preset's sizes. A checkpoint must match them: every expected key
// and shape is checked and a mismatch throws lsfa::Error naming the file and the keys.
// Random weights take the preset's sizes; a checkpoint's sizes are read from the file (any
// consistent width and depth), with the preset's grouping and Point-MAE layers.
Backbones build_backbones(const std::string &preset, const BackboneOptions &options = {});

// The Point-MAE blocks whose outputs make the point features: the preset's when they exist in a
// model of `depth` blocks, else the last block of each third (depth 12: 3, 7, 11).
std::vector<int64_t> fetch_layers_for(int64_t depth, const std::vector<int64_t> &preset_layers);

}  // namespace lsfa
