// The model bundle: one file per trained product (docs/model-bundle.md). Safetensors layout, so
// standard tools can read it: tensors = adaptor weights and memory banks; `__metadata__` = format
// version, backbone preset and checkpoint identity, preprocessing, training settings, normalisation
// statistics and thresholds. Written atomically; every field checked on load.
#pragma once

#include <ATen/core/Tensor.h>

#include <map>
#include <memory>
#include <optional>
#include <string>

#include "lsfa/backbones/feature_extractor.h"
#include "lsfa/model/adaptor.h"
#include "lsfa/model/bank_index.h"
#include "lsfa/model/scoring.h"

namespace lsfa {

constexpr int kBundleFormatVersion = 1;

struct ModalityModel {
  Adaptor adaptor;  // identity when not trained
  at::Tensor bank;  // [M,D] float32 patch features on the shared grid (after the adaptor)
  int64_t bank_source_size = 0;  // patches before coreset subsampling
};

struct ModelBundle {
  int format_version = kBundleFormatVersion;
  ExtractorConfig extractor;       // preset, groups, seed, modalities, preprocessing (paths unused)
  std::string extractor_identity;  // FeatureExtractor::identity() at training time
  std::optional<ModalityModel> rgb;
  std::optional<ModalityModel> points;
  ScoringCalibration calibration;  // per-modality statistics, fusion mode, thresholds
  double map_low = 0;              // heatmap colour range (normalised map units)
  double map_high = 1;
  std::string method;         // "no-adaptation" (lsfa fit) or "lsfa" (lsfa train)
  std::string training_json;  // training settings and summary, a JSON object as text
  std::string created;        // ISO 8601 UTC
  bool bank_fp16 = false;     // store banks as float16 in the file
  // Nearest-neighbour search of the banks (calibration and scoring). Stored in the metadata only
  // when not exact, so exact bundles are unchanged byte for byte.
  BankIndexSpec bank_index;
};

// Writes the bundle atomically (temporary file, fsync, rename).
void save_bundle(const std::string &path, const ModelBundle &bundle);

// Reads and validates a bundle; throws lsfa::Error naming the file and what is wrong.
ModelBundle load_bundle(const std::string &path);

// The extractor settings a bundle was built with (preset, grouping, modalities, preprocessing,
// BatchNorm mode) and the identity of its backbones, read from the metadata alone: the memory
// banks are not loaded. Throws lsfa::Error like load_bundle.
struct BundleExtractor {
  ExtractorConfig config;  // checkpoint paths as recorded at build time (empty: random init)
  std::string identity;    // FeatureExtractor::identity() at training time
};
BundleExtractor read_bundle_extractor(const std::string &path);

// A feature extractor set up as the bundle's, with the given checkpoints and device; an empty
// checkpoint path means the one the bundle recorded (an error naming its path and sha256 when that
// file is gone). Throws lsfa::Error naming both identities when the backbones differ from the ones
// the bundle was built with (other or changed checkpoints, other random seed).
std::unique_ptr<FeatureExtractor> extractor_for_bundle(const std::string &bundle_path,
                                                       const std::string &rgb_weights,
                                                       const std::string &point_weights,
                                                       const std::string &device,
                                                       Precision precision = Precision::kFp32);

// A human-readable description (for `lsfa info`).
std::string describe_bundle(const ModelBundle &bundle);

}  // namespace lsfa
