// The feature extractor: preprocessing plus the frozen backbones (DINO ViT on RGB, Point-MAE on
// the point cloud), turning one RGB-D sample into backbone features. Its settings are stored in
// every model bundle, since features must be extracted the same way at training and inference.
#pragma once

#include <ATen/core/Tensor.h>

#include <cstdint>
#include <memory>
#include <string>
#include <vector>

#include "lsfa/core/device.h"
#include "lsfa/core/modalities.h"
#include "lsfa/data/sample.h"
#include "lsfa/preprocess/preprocess.h"

namespace lsfa {

// Which statistics the Point-MAE BatchNorm layers use: the checkpoint's running statistics, the
// statistics of each sample (what the reference code does, since it never calls eval()), or auto:
// running with a checkpoint, batch for random weights (whose running statistics describe no data).
// The command line (--point-bn) and lsfafeatures (point-bn) share this choice and its default.
enum class PointBatchNorm { kAuto, kRunning, kBatch };
std::string to_string(PointBatchNorm mode);                         // "auto", "running", "batch"
PointBatchNorm point_batch_norm_from_string(const std::string &s);  // throws lsfa::Error
// True when the BatchNorm layers use per-sample statistics.
bool uses_batch_statistics(PointBatchNorm mode, bool has_point_weights);

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
  // Precision of the backbone forwards (lsfa/core/device.h). Not part of the identity: features
  // of any precision can be scored with the same bundle; fp32 is what bundles are calibrated on.
  Precision precision = Precision::kFp32;
  // What was built, as FeatureExtractor::config() reports it (sizes read from the checkpoints,
  // layers, BatchNorm mode, weight source); bundles record it. Not an input.
  std::string backbones;
};

// Frozen backbone outputs of one frame, before adaptation. The backbone outputs and xyz lie on the
// extractor's device (the frame crosses to it once); valid, gt and the geometry stay on the CPU.
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
  // Several frames with one ViT forward over the stacked batch (Point-MAE groups each cloud on
  // its own); the same features as extract() on each sample.
  std::vector<SampleFeatures> extract_batch(const std::vector<Sample> &samples) const;
  const ExtractorConfig &config() const;
  // "preset=...;rgb=<sha256 or random:seed>;points=<...>": stored in bundles and checked on load.
  std::string identity() const;

 private:
  struct Impl;
  std::unique_ptr<Impl> impl_;
};

}  // namespace lsfa
