// Building a model bundle from backbone features: adapted patch features on the shared grid, memory
// banks (greedy coreset), normalisation statistics and thresholds from held-out normal samples.
// `lsfa fit` (identity adaptors), `lsfa train` (trained adaptors) and the teach mode of lsfascore
// all build their bundles here.
#pragma once

#include <ATen/core/Tensor.h>

#include <atomic>
#include <functional>
#include <string>
#include <vector>

#include "lsfa/model/adaptor.h"
#include "lsfa/model/bundle.h"
#include "lsfa/model/coreset.h"
#include "lsfa/model/memory_bank.h"
#include "lsfa/model/scorer.h"
#include "lsfa/model/scoring.h"

namespace lsfa {

// Default adaptor sizes for the backbone widths of `features` (rgb: C1, points: C2).
AdaptorConfig default_adaptor_config(int64_t dim);

struct BuildOptions {
  CoresetOptions coreset;    // default: 10 %, projection to 128, seed 0
  bool bank_fp16 = false;    // store banks as float16 in the bundle
  BankIndexSpec bank_index;  // search of the banks (calibration here, scoring later)
  CalibrationRules rules;    // image and pixel threshold rules
  std::string method = "no-adaptation";
  std::string training_json;  // training settings/summary to store
};

// Progress callback, always called on the calling thread: stage name ("bank rgb", "bank 3d",
// "coreset rgb", "coreset 3d",
// "calibration"), items done (samples, or coreset picks), items in total.
using BuildProgress = std::function<void(const std::string &stage, size_t done, size_t total)>;

// Builds the bundle. `train` feeds the banks; `held_out` (normal samples not in the banks) gives
// the normalisation statistics and thresholds. Throws lsfa::Error when either set is empty or
// features lack a modality the configuration uses, and when `stop` becomes true (checked between
// samples and during the coreset, so Ctrl-C stops even a long selection promptly).
ModelBundle build_bundle(const ExtractorConfig &config, const std::string &extractor_identity,
                         const std::vector<SampleFeatures> &train,
                         const std::vector<SampleFeatures> &held_out, const Adaptor &rgb_adaptor,
                         const Adaptor &point_adaptor, const BuildOptions &options,
                         const BuildProgress &progress = {},
                         const std::atomic<bool> *stop = nullptr);

// The heatmap colour range: from the median of held-out fused map values to twice the distance
// from there to the pixel threshold, so the threshold sits in the middle of the colour map.
void calibrate_map_range(const at::Tensor &held_out_fused_maps, ModelBundle &bundle);

// Current UTC time as ISO 8601, for bundle metadata.
std::string utc_now_iso8601();

}  // namespace lsfa
