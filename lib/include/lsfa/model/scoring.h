// PatchCore scoring on the shared patch grid (docs/scoring.md): patch scores, the re-weighted image
// score, the pixel anomaly map, per-modality normalisation, fusion of the modalities and
// thresholds. Small pure functions; the calibration structs hold plain numbers so a bundle can
// store them.
#pragma once

#include <ATen/core/Tensor.h>

#include <nlohmann/json_fwd.hpp>
#include <string>
#include <vector>

#include "lsfa/core/modalities.h"
#include "lsfa/model/memory_bank.h"

namespace lsfa {

// Patch scores of one sample: distance of each patch feature to its nearest bank entry.
struct PatchScores {
  at::Tensor scores;   // [N] float32
  at::Tensor nearest;  // [N] int64 bank index
};
PatchScores score_patches(const MemoryBank &bank, const at::Tensor &patches,
                          const SearchOptions &options = {});

// PatchCore re-weighting as M3DM's compute_s_s_map does it: s* = max patch score at patch p*,
// m_test = patches[p*], m* = bank[nearest[p*]]; the 3 nearest bank entries of m* (m* itself or an
// entry at distance 0 from it first) without the first one give m_1, m_2;
// w = 1 - exp(s*/sqrt(D)) / sum_j exp(||m_test - m_j|| / sqrt(D)); returns w * s*.
// patches [N,D] with their scores from score_patches. Throws lsfa::Error for a bank of fewer than
// 3 entries.
double reweighted_image_score(const MemoryBank &bank, const at::Tensor &patches,
                              const PatchScores &scores);

// Patch scores [..., g, g] (or [g*g] for a square g) -> pixel map [..., size, size] float32:
// bilinear upsampling (align_corners = false, as torch) then a Gaussian blur.
struct BlurOptions {
  double sigma = 4.0;
  double truncate = 4.0;  // kernel radius = int(truncate * sigma + 0.5) = 16 taps each side
};
at::Tensor anomaly_map(const at::Tensor &patch_scores, int64_t size = 224,
                       const BlurOptions &blur = {});

// Gaussian blur of the last two dims as scipy.ndimage.gaussian_filter(x, sigma, truncate=truncate,
// mode='reflect'): normalised sampled kernel, border mirrored with the edge sample repeated
// (d c b a | a b c d). Computed as two matrix products with the border folded into the matrices.
at::Tensor gaussian_blur(const at::Tensor &maps, const BlurOptions &blur = {});
// The [n,n] matrix B with blur(x) = B x along one axis.
at::Tensor gaussian_blur_matrix(int64_t n, const BlurOptions &blur = {});

// Mean and standard deviation (population, ddof = 0) of scores of held-out normal samples.
struct ScoreStats {
  double mean = 0.0;
  double std = 1.0;
  int64_t count = 0;
};
// Accumulates values (doubles, in the order given) and yields their statistics.
class StatsAccumulator {
 public:
  void add(double value);
  void add(const at::Tensor &values);  // every element
  ScoreStats stats() const;            // throws lsfa::Error when nothing was added
 private:
  double sum_ = 0.0, sum_sq_ = 0.0, shift_ = 0.0;
  int64_t count_ = 0;
};
// Smallest std used for normalising: a constant modality would otherwise divide by zero.
constexpr double kMinStd = 1e-12;
// Floor on the standard deviations a calibration stores: held-out scores that barely vary (e.g.
// the same part filmed again and again) would otherwise turn the next normal part's small
// difference into a huge normalised score. The floor is 0.1 % of the mean, at least 1e-6.
constexpr double kStdFloorRelative = 1e-3;
constexpr double kStdFloorAbsolute = 1e-6;
ScoreStats floored(ScoreStats stats);
double normalize_score(double value, const ScoreStats &stats);  // (v - mean) / std
at::Tensor normalize_map(const at::Tensor &map, const ScoreStats &stats);

// Normalisation of one modality: image scores and pixel-map values separately.
struct ModalityStats {
  ScoreStats image;
  ScoreStats pixel;
};

// Fused scores are in normalised units in every mode: rgb = z_rgb, 3d = z_3d,
// fused = (z_rgb + z_3d) / 2. The modality a mode does not use may be passed as NaN / undefined.
double fuse_image_scores(double rgb, double points, const ModalityStats &rgb_stats,
                         const ModalityStats &points_stats, Modalities mode);
at::Tensor fuse_maps(const at::Tensor &rgb, const at::Tensor &points,
                     const ModalityStats &rgb_stats, const ModalityStats &points_stats,
                     Modalities mode);

// Threshold = quantile(q) of held-out normal scores (linear interpolation, as numpy's default)
// plus margin * their standard deviation.
struct ThresholdRule {
  double quantile = 0.99;
  double margin = 0.0;
};
double quantile(std::vector<double> values, double q);  // throws lsfa::Error on empty / bad q
double calibrate_threshold(const std::vector<double> &normal_scores, const ThresholdRule &rule);
// Pixel values are many: the quantile is taken over all elements of `maps` (float32 on the CPU).
double calibrate_threshold(const at::Tensor &normal_maps, const ThresholdRule &rule);

// Defaults: image threshold = 99 % quantile of held-out fused normal image scores + 0.5 std (the
// margin guards against the next normal part scoring just above the largest of a few held-out
// ones); pixel threshold = 99.9 % quantile of held-out fused normal map values, no margin.
struct CalibrationRules {
  ThresholdRule image{0.99, 0.5};
  ThresholdRule pixel{0.999, 0.0};
};

// Everything a bundle stores to turn raw modality scores into a verdict.
struct ScoringCalibration {
  ModalityStats rgb;
  ModalityStats points;
  CalibrationRules rules;
  double image_threshold = 0.0;  // in fused (normalised) units
  double pixel_threshold = 0.0;
};
nlohmann::json to_json(const ScoringCalibration &c);
// Throws lsfa::Error naming the missing or invalid key.
ScoringCalibration scoring_calibration_from_json(const nlohmann::json &j);

// Raw results of held-out normal samples, per modality (maps [n,S,S]; an unused modality may be
// empty / undefined when the mode does not use it).
struct HeldOutScores {
  std::vector<double> rgb_image, points_image;
  at::Tensor rgb_maps, points_maps;
};
// Statistics of each used modality, then thresholds on the fused held-out scores.
ScoringCalibration calibrate(const HeldOutScores &held_out, Modalities mode,
                             const CalibrationRules &rules = {});

}  // namespace lsfa
