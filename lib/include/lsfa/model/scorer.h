// Scoring one sample with a model: the adaptors and memory banks of each modality give patch
// scores, a re-weighted image score and a pixel map (lsfa/model/scoring.h), which the bundle's
// calibration normalises, fuses and compares with its thresholds. The Scorer holds a loaded
// bundle with its banks ready for search.
#pragma once

#include <ATen/core/Tensor.h>

#include <cstdint>
#include <memory>
#include <string>
#include <vector>

#include "lsfa/backbones/feature_extractor.h"
#include "lsfa/model/adaptor.h"
#include "lsfa/model/memory_bank.h"
#include "lsfa/model/scoring.h"

namespace lsfa {

// Adapted shared-grid patch features of one sample: [grid*grid, C], row = y*grid + x.
at::Tensor rgb_grid_patches(const Adaptor &adaptor, const SampleFeatures &features);
at::Tensor point_grid_patches(const Adaptor &adaptor, const SampleFeatures &features);

// Raw (unnormalised) result of one modality on one sample.
struct ModalityScore {
  double image = 0;  // re-weighted PatchCore image score
  at::Tensor map;    // [224,224] float32 blurred patch-distance map
  at::Tensor patch;  // [56,56] patch scores
};
ModalityScore score_modality(const MemoryBank &bank, const at::Tensor &patches);

struct AnomalyResult {
  float score = 0;      // fused (or single-modality) normalised image score
  float score_rgb = 0;  // normalised per-modality image scores (NaN when the modality is off)
  float score_3d = 0;
  float threshold = 0;     // image threshold in use
  bool anomalous = false;  // score > threshold
  float pixel_threshold = 0;
  at::Tensor map;          // [224,224] float32 normalised anomaly map in model space (CPU)
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

  // Moves the adaptors and banks to a device ("cpu", "cuda:N"; lsfa::Error when unusable) and
  // sets the precision of the adaptor forwards; bf16 also stores the banks in float16.
  void set_device(const std::string &device, Precision precision = Precision::kFp32);
  std::string device() const;

  // Features on another device are copied to the scorer's; the result's map is on the CPU.
  AnomalyResult score(const SampleFeatures &features) const;
  std::vector<AnomalyResult> score_batch(const std::vector<SampleFeatures> &features) const;
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

// Scores one sample with a bundle and its banks (what Scorer::score does).
AnomalyResult score_sample(const ModelBundle &bundle, const MemoryBank *rgb_bank,
                           const MemoryBank *point_bank, const SampleFeatures &features);
// Several samples with one bank search per modality over all their patches; the same results as
// score_sample on each. The features lie on the banks' device; the maps come back on the CPU.
std::vector<AnomalyResult> score_samples(const ModelBundle &bundle, const MemoryBank *rgb_bank,
                                         const MemoryBank *point_bank,
                                         const std::vector<SampleFeatures> &features);

}  // namespace lsfa
