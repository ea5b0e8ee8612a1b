#include "lsfa/model/scorer.h"

#include <ATen/ATen.h>
#include <ATen/core/grad_mode.h>

#include <limits>

#include "lsfa/core/error.h"
#include "lsfa/model/bundle.h"
#include "lsfa/model/projection.h"

namespace lsfa {
namespace {

constexpr int64_t kGrid = 56;  // the shared patch grid both modalities are projected to

}  // namespace

at::Tensor rgb_grid_patches(const Adaptor &adaptor, const SampleFeatures &f) {
  require(f.rgb_tokens.defined() && f.rgb_tokens.dim() == 3,
          "sample features hold no RGB tokens (was the RGB modality disabled?)");
  const int64_t c = f.rgb_tokens.size(0), h = f.rgb_tokens.size(1), w = f.rgb_tokens.size(2);
  at::Tensor tokens = f.rgb_tokens.reshape({c, h * w}).t();  // [784,C]
  if (adaptor.defined() && !adaptor.is_identity()) tokens = adaptor.forward(tokens);
  at::Tensor grid = rgb_tokens_to_grid(tokens.t().reshape({c, h, w}), kGrid);
  return grid.reshape({c, kGrid * kGrid}).t().contiguous();
}

at::Tensor point_grid_patches(const Adaptor &adaptor, const SampleFeatures &f) {
  require(f.point_groups.defined() && f.point_centers.defined() && f.xyz.defined(),
          "sample features hold no point groups (was the 3D modality disabled?)");
  const int64_t c = f.point_groups.size(1);
  if (f.point_groups.size(0) == 0) {
    // No valid points in the frame: the grid is background (zero) everywhere.
    return at::zeros({kGrid * kGrid, c}, f.point_groups.options());
  }
  at::Tensor groups = f.point_groups;
  if (adaptor.defined() && !adaptor.is_identity()) groups = adaptor.forward(groups);
  at::Tensor grid = project_groups_to_grid(f.xyz, f.point_centers, groups, kGrid);
  return grid.reshape({c, kGrid * kGrid}).t().contiguous();
}

ModalityScore score_modality(const MemoryBank &bank, const at::Tensor &patches) {
  ModalityScore s;
  PatchScores ps = score_patches(bank, patches);
  s.image = reweighted_image_score(bank, patches, ps);
  s.patch = ps.scores.reshape({kGrid, kGrid});
  s.map = anomaly_map(s.patch, 224);
  return s;
}

AnomalyResult score_sample(const ModelBundle &b, const MemoryBank *rgb_bank,
                           const MemoryBank *point_bank, const SampleFeatures &f) {
  at::NoGradGuard no_grad;
  const double nan = std::numeric_limits<double>::quiet_NaN();
  double rgb_image = nan, point_image = nan;
  at::Tensor rgb_map, point_map;
  if (b.rgb) {
    require(rgb_bank != nullptr, "scorer: RGB memory bank missing");
    ModalityScore s = score_modality(*rgb_bank, rgb_grid_patches(b.rgb->adaptor, f));
    rgb_image = s.image;
    rgb_map = s.map;
  }
  if (b.points) {
    require(point_bank != nullptr, "scorer: 3D memory bank missing");
    ModalityScore s = score_modality(*point_bank, point_grid_patches(b.points->adaptor, f));
    point_image = s.image;
    point_map = s.map;
  }
  const ScoringCalibration &cal = b.calibration;
  AnomalyResult r;
  r.score = static_cast<float>(
      fuse_image_scores(rgb_image, point_image, cal.rgb, cal.points, b.extractor.modalities));
  r.score_rgb = b.rgb ? static_cast<float>(normalize_score(rgb_image, cal.rgb.image))
                      : std::numeric_limits<float>::quiet_NaN();
  r.score_3d = b.points ? static_cast<float>(normalize_score(point_image, cal.points.image))
                        : std::numeric_limits<float>::quiet_NaN();
  r.threshold = static_cast<float>(cal.image_threshold);
  r.pixel_threshold = static_cast<float>(cal.pixel_threshold);
  r.anomalous = r.score > r.threshold;
  r.map = fuse_maps(rgb_map, point_map, cal.rgb, cal.points, b.extractor.modalities)
              .to(at::kFloat)
              .contiguous();
  r.geometry = f.geometry;
  return r;
}

struct Scorer::Impl {
  ModelBundle bundle;
  MemoryBank rgb_bank, point_bank;
};

Scorer::Scorer(const std::string &bundle_path) : Scorer(load_bundle(bundle_path)) {}

Scorer::Scorer(ModelBundle bundle) : impl_(std::make_unique<Impl>()) {
  impl_->bundle = std::move(bundle);
  const ModelBundle &b = impl_->bundle;
  if (b.rgb) impl_->rgb_bank = MemoryBank(b.rgb->bank, b.bank_fp16 ? at::kHalf : at::kFloat);
  if (b.points)
    impl_->point_bank = MemoryBank(b.points->bank, b.bank_fp16 ? at::kHalf : at::kFloat);
  // An approximate index is rebuilt from the bank here (it is not stored in the file).
  if (!b.bank_index.exact()) {
    if (b.rgb) impl_->rgb_bank.use_index(b.bank_index);
    if (b.points) impl_->point_bank.use_index(b.bank_index);
  }
}

Scorer::~Scorer() = default;

AnomalyResult Scorer::score(const SampleFeatures &features) const {
  const ModelBundle &b = impl_->bundle;
  return score_sample(b, b.rgb ? &impl_->rgb_bank : nullptr,
                      b.points ? &impl_->point_bank : nullptr, features);
}

const ExtractorConfig &Scorer::extractor_config() const {
  return impl_->bundle.extractor;
}
std::string Scorer::extractor_identity() const {
  return impl_->bundle.extractor_identity;
}
float Scorer::image_threshold() const {
  return static_cast<float>(impl_->bundle.calibration.image_threshold);
}
float Scorer::pixel_threshold() const {
  return static_cast<float>(impl_->bundle.calibration.pixel_threshold);
}
float Scorer::map_low() const {
  return static_cast<float>(impl_->bundle.map_low);
}
float Scorer::map_high() const {
  return static_cast<float>(impl_->bundle.map_high);
}
const ModelBundle &Scorer::bundle() const {
  return impl_->bundle;
}

}  // namespace lsfa
