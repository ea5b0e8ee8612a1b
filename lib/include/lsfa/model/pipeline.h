// The inference pipeline of one frame, as the command-line tool and the GStreamer elements use it:
//   Sample --FeatureExtractor--> SampleFeatures --Scorer(bundle)--> AnomalyResult
// The extractor holds the frozen backbones and the preprocessing; the scorer holds what a model
// bundle holds (adaptors, memory banks, normalisation, thresholds).
#pragma once

#include <ATen/core/Tensor.h>

#include <cstdint>
#include <memory>
#include <string>

#include "lsfa/preprocess/preprocess.h"
#include "lsfa/data/sample.h"
#include "lsfa/model/scoring.h"

namespace lsfa {

// Which modalities a model uses (the fusion mode of lsfa/scoring.h).
using Modalities = FusionMode;
std::string modalities_to_string(Modalities m);           // "rgb,3d", "rgb", "3d"
Modalities modalities_from_string(const std::string &s);  // throws lsfa::Error

struct ExtractorConfig {
  std::string preset = "small";  // backbone sizes, see lsfa/presets.h
  std::string rgb_weights;       // DINO ViT checkpoint (.pth or .safetensors); empty = random init
  std::string point_weights;     // Point-MAE checkpoint; empty = random init
  uint64_t seed = 0;             // seed of the random initialisation
  int groups = 0;                // point groups; 0 = preset default
  int group_size = 0;            // points per group; 0 = preset default
  Modalities modalities = Modalities::kFused;
  // Point-MAE BatchNorm with per-sample batch statistics (what the reference code does, since it
  // never calls eval()) instead of the checkpoint's running statistics.
  bool point_batch_stats = false;
  PreprocessOptions preprocess;
  std::string device = "cpu";  // at::Device string, e.g. "cpu", "cuda:0"
};

// Frozen backbone outputs of one frame, before adaptation.
struct SampleFeatures {
  at::Tensor rgb_tokens;     // [C1,28,28] final-norm ViT tokens (undefined when RGB is off)
  at::Tensor point_centers;  // [G,3] group centres (undefined when 3D is off)
  at::Tensor point_groups;   // [G,C2] concatenated Point-MAE layer outputs
  at::Tensor xyz;            // [224,224,3] preprocessed cloud, needed to project groups to the grid
  at::Tensor valid;          // [224,224] bool, valid points
  at::Tensor gt;             // [224,224] bool ground truth when the sample had one
  FrameGeometry geometry;
};

class FeatureExtractor {
 public:
  explicit FeatureExtractor(const ExtractorConfig &config);
  ~FeatureExtractor();
  FeatureExtractor(const FeatureExtractor &) = delete;
  FeatureExtractor &operator=(const FeatureExtractor &) = delete;

  SampleFeatures extract(const Sample &sample) const;
  const ExtractorConfig &config() const;
  // "preset=...;rgb=<sha256 or random:seed>;points=<...>": stored in bundles and checked on load.
  std::string identity() const;

 private:
  struct Impl;
  std::unique_ptr<Impl> impl_;
};

struct AnomalyResult {
  float score = 0;      // fused (or single-modality) normalised image score
  float score_rgb = 0;  // normalised per-modality image scores (NaN when the modality is off)
  float score_3d = 0;
  float threshold = 0;     // image threshold in use
  bool anomalous = false;  // score > threshold
  float pixel_threshold = 0;
  at::Tensor map;          // [224,224] float32 normalised anomaly map in model space
  FrameGeometry geometry;  // model space <-> frame
};

struct ModelBundle;

class Scorer {
 public:
  // Loads and validates a model bundle. Throws lsfa::Error naming what is wrong.
  explicit Scorer(const std::string &bundle_path);
  // Uses a bundle already in memory (e.g. just built by teach mode).
  explicit Scorer(ModelBundle bundle);
  ~Scorer();
  Scorer(const Scorer &) = delete;
  Scorer &operator=(const Scorer &) = delete;

  AnomalyResult score(const SampleFeatures &features) const;
  // The extractor settings the bundle was built with (preset, preprocessing, modalities, identity
  // of the checkpoints); the features element must use the same.
  const ExtractorConfig &extractor_config() const;
  std::string extractor_identity() const;
  float image_threshold() const;
  float pixel_threshold() const;
  // Fixed normalisation range for heatmaps: normalised map values in [map_low, map_high] span the
  // colour map (calibrated on normal samples).
  float map_low() const;
  float map_high() const;
  const ModelBundle &bundle() const;

 private:
  struct Impl;
  std::unique_ptr<Impl> impl_;
};

}  // namespace lsfa
