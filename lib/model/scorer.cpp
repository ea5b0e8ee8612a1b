#include "lsfa/model/scorer.h"

#include <ATen/ATen.h>
#include <ATen/core/grad_mode.h>

#include <limits>

#include "lsfa/core/device.h"
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
  return rgb_tokens_to_patches(tokens, h, w, kGrid);
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
  return project_groups_to_patches(f.xyz, f.point_centers, groups, kGrid).contiguous();
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
  return std::move(score_samples(b, rgb_bank, point_bank, {f}).front());
}

namespace {

// Raw image scores and maps of one modality for every sample: the adapted patches of all samples
// searched in the bank at once, then each sample's re-weighted score and map.
void score_modality_batch(const MemoryBank &bank, const std::vector<at::Tensor> &patches,
                          std::vector<double> *image, std::vector<at::Tensor> *maps) {
  PatchScores all = score_patches(bank, patches.size() == 1 ? patches[0] : at::cat(patches, 0));
  int64_t row = 0;
  for (const at::Tensor &p : patches) {
    const int64_t n = p.size(0);
    PatchScores ps{all.scores.narrow(0, row, n), all.nearest.narrow(0, row, n)};
    row += n;
    image->push_back(reweighted_image_score(bank, p, ps));
    maps->push_back(anomaly_map(ps.scores.reshape({kGrid, kGrid}), 224));
  }
}

}  // namespace

std::vector<AnomalyResult> score_samples(const ModelBundle &b, const MemoryBank *rgb_bank,
                                         const MemoryBank *point_bank,
                                         const std::vector<SampleFeatures> &fs) {
  at::NoGradGuard no_grad;
  const double nan = std::numeric_limits<double>::quiet_NaN();
  const size_t n = fs.size();
  std::vector<double> rgb_image, point_image;
  std::vector<at::Tensor> rgb_maps, point_maps;
  if (b.rgb) {
    require(rgb_bank != nullptr, "scorer: RGB memory bank missing");
    std::vector<at::Tensor> patches;
    for (const SampleFeatures &f : fs) patches.push_back(rgb_grid_patches(b.rgb->adaptor, f));
    score_modality_batch(*rgb_bank, patches, &rgb_image, &rgb_maps);
  }
  if (b.points) {
    require(point_bank != nullptr, "scorer: 3D memory bank missing");
    std::vector<at::Tensor> patches;
    for (const SampleFeatures &f : fs) patches.push_back(point_grid_patches(b.points->adaptor, f));
    score_modality_batch(*point_bank, patches, &point_image, &point_maps);
  }
  const ScoringCalibration &cal = b.calibration;
  std::vector<AnomalyResult> out(n);
  for (size_t i = 0; i < n; ++i) {
    const double ri = b.rgb ? rgb_image[i] : nan, pi = b.points ? point_image[i] : nan;
    AnomalyResult &r = out[i];
    r.score =
        static_cast<float>(fuse_image_scores(ri, pi, cal.rgb, cal.points, b.extractor.modalities));
    r.score_rgb = b.rgb ? static_cast<float>(normalize_score(ri, cal.rgb.image))
                        : std::numeric_limits<float>::quiet_NaN();
    r.score_3d = b.points ? static_cast<float>(normalize_score(pi, cal.points.image))
                          : std::numeric_limits<float>::quiet_NaN();
    r.threshold = static_cast<float>(cal.image_threshold);
    r.pixel_threshold = static_cast<float>(cal.pixel_threshold);
    r.anomalous = r.score > r.threshold;
    // The map's one trip back from the device.
    r.map = fuse_maps(b.rgb ? rgb_maps[i] : at::Tensor(), b.points ? point_maps[i] : at::Tensor(),
                      cal.rgb, cal.points, b.extractor.modalities)
                .to(at::kCPU, at::kFloat)
                .contiguous();
    r.geometry = fs[i].geometry;
  }
  return out;
}

struct Scorer::Impl {
  ModelBundle bundle;
  MemoryBank rgb_bank, point_bank;
  at::Device device = at::kCPU;
  Precision precision = Precision::kFp32;

  void make_banks() {
    const ModelBundle &b = bundle;
    const at::ScalarType storage =
        b.bank_fp16 || precision == Precision::kBf16 ? at::kHalf : at::kFloat;
    if (b.rgb) {
      rgb_bank = MemoryBank(b.rgb->bank, storage);
      rgb_bank.to(device);
    }
    if (b.points) {
      point_bank = MemoryBank(b.points->bank, storage);
      point_bank.to(device);
    }
    // An approximate index is rebuilt from the bank here (it is not stored in the file).
    if (!b.bank_index.exact()) {
      if (b.rgb) rgb_bank.use_index(b.bank_index);
      if (b.points) point_bank.use_index(b.bank_index);
    }
  }
};

Scorer::Scorer(const std::string &bundle_path) : Scorer(load_bundle(bundle_path)) {}

Scorer::Scorer(ModelBundle bundle) : impl_(std::make_unique<Impl>()) {
  impl_->bundle = std::move(bundle);
  impl_->make_banks();
}

void Scorer::set_device(const std::string &device, Precision precision) {
  const at::Device d = parse_device(device);
  ModelBundle &b = impl_->bundle;
  if (b.rgb && b.rgb->adaptor.defined()) b.rgb->adaptor.to(d);
  if (b.points && b.points->adaptor.defined()) b.points->adaptor.to(d);
  impl_->device = d;
  impl_->precision = precision;
  impl_->make_banks();
}

std::string Scorer::device() const {
  return impl_->device.str();
}

Scorer::~Scorer() = default;

namespace {

at::Tensor on(const at::Tensor &t, const at::Device &device) {
  return t.defined() ? t.to(device) : t;
}

}  // namespace

AnomalyResult Scorer::score(const SampleFeatures &features) const {
  return std::move(score_batch({features}).front());
}

std::vector<AnomalyResult> Scorer::score_batch(const std::vector<SampleFeatures> &features) const {
  const ModelBundle &b = impl_->bundle;
  const at::Device device = impl_->device;
  std::vector<SampleFeatures> here(features);
  for (SampleFeatures &f : here) {
    // No copy when the features are already there (the extractor on the same device).
    f.rgb_tokens = on(f.rgb_tokens, device);
    f.point_centers = on(f.point_centers, device);
    f.point_groups = on(f.point_groups, device);
    f.xyz = on(f.xyz, device);
  }
  const PrecisionScope precision(impl_->precision, device);
  return score_samples(b, b.rgb ? &impl_->rgb_bank : nullptr,
                       b.points ? &impl_->point_bank : nullptr, here);
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
