// Scorer: a loaded model bundle applied to frames (lsfa/pipeline.h).
#include <ATen/ATen.h>

#include "lsfa/model/bundle.h"
#include "lsfa/core/error.h"
#include "lsfa/model/memory_bank.h"
#include "lsfa/model/model_builder.h"
#include "lsfa/model/pipeline.h"

namespace lsfa {

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
