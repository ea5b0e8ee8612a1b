// FeatureExtractor: preprocessing + frozen backbones for one frame
// (lsfa/backbones/feature_extractor.h).
#include <ATen/ATen.h>
#include <ATen/core/grad_mode.h>

#include <memory>

#include "lsfa/backbones/feature_extractor.h"
#include "lsfa/backbones/presets.h"
#include "lsfa/core/error.h"
#include "lsfa/io/sha256.h"

namespace lsfa {

std::string to_string(PointBatchNorm mode) {
  switch (mode) {
    case PointBatchNorm::kRunning:
      return "running";
    case PointBatchNorm::kBatch:
      return "batch";
    case PointBatchNorm::kAuto:
      break;
  }
  return "auto";
}

PointBatchNorm point_batch_norm_from_string(const std::string &s) {
  if (s == "auto") return PointBatchNorm::kAuto;
  if (s == "running") return PointBatchNorm::kRunning;
  if (s == "batch") return PointBatchNorm::kBatch;
  throw Error("unknown Point-MAE BatchNorm mode '" + s + "' (expected auto, running or batch)");
}

bool uses_batch_statistics(PointBatchNorm mode, bool has_point_weights) {
  return mode == PointBatchNorm::kBatch || (mode == PointBatchNorm::kAuto && !has_point_weights);
}
namespace {

std::string weights_identity(const std::string &path, uint64_t seed) {
  if (path.empty()) return "random:" + std::to_string(seed);
  return "sha256:" + sha256_file(path);
}

}  // namespace

struct FeatureExtractor::Impl {
  ExtractorConfig config;
  std::unique_ptr<Backbones> backbones;
  std::string identity;
  at::Device device = at::kCPU;
};

FeatureExtractor::FeatureExtractor(const ExtractorConfig &config)
    : impl_(std::make_unique<Impl>()) {
  impl_->config = config;
  try {
    impl_->device = at::Device(config.device);
  } catch (const std::exception &) {
    throw Error("unknown device '" + config.device + "' (expected e.g. cpu or cuda:0)");
  }
  require(impl_->device.is_cpu() || at::hasCUDA(),
          "device '" + config.device + "' requested but this LibTorch build has no CUDA support");
  BackboneOptions opts;
  opts.vit_checkpoint = config.modalities != Modalities::kPoints ? config.rgb_weights : "";
  opts.point_mae_checkpoint = config.modalities != Modalities::kRgb ? config.point_weights : "";
  opts.seed = config.seed;
  opts.device = impl_->device;
  opts.groups = config.groups;
  opts.group_size = config.group_size;
  opts.batch_statistics = config.point_batch_stats;
  impl_->backbones = std::make_unique<Backbones>(build_backbones(config.preset, opts));
  impl_->config.groups = static_cast<int>(impl_->backbones->points.config().groups);
  impl_->config.group_size = static_cast<int>(impl_->backbones->points.config().group_size);
  impl_->config.backbones.clear();
  if (uses_rgb(config.modalities)) impl_->config.backbones = impl_->backbones->rgb.description();
  if (uses_points(config.modalities))
    impl_->config.backbones +=
        (impl_->config.backbones.empty() ? "" : "; ") + impl_->backbones->points.description();
  // Identity of what produced the features: a bank is only valid with the same backbones.
  std::string id = "preset=" + config.preset;
  if (config.modalities != Modalities::kPoints)
    id += ";rgb=" + weights_identity(config.rgb_weights, config.seed);
  if (config.modalities != Modalities::kRgb) {
    id += ";points=" + weights_identity(config.point_weights, config.seed);
    id += ";groups=" + std::to_string(impl_->config.groups) + "x" +
          std::to_string(impl_->config.group_size);
    if (config.point_batch_stats) id += ";bn=batch";
  }
  impl_->identity = id;
}

FeatureExtractor::~FeatureExtractor() = default;

const ExtractorConfig &FeatureExtractor::config() const {
  return impl_->config;
}
std::string FeatureExtractor::identity() const {
  return impl_->identity;
}

SampleFeatures FeatureExtractor::extract(const Sample &sample) const {
  at::NoGradGuard no_grad;
  const ExtractorConfig &c = impl_->config;
  Preprocessed pre = preprocess(sample, c.preprocess);
  SampleFeatures f;
  f.xyz = pre.xyz;
  f.valid = pre.valid;
  f.gt = pre.gt;
  f.geometry = pre.geometry;
  if (c.modalities != Modalities::kPoints) {
    at::Tensor image = pre.rgb.unsqueeze(0).to(impl_->device);
    f.rgb_tokens = impl_->backbones->rgb.forward(image).squeeze(0).to(at::kCPU).contiguous();
  }
  if (c.modalities != Modalities::kRgb) {
    const PointMae &pm = impl_->backbones->points;
    const int64_t valid = pre.valid.sum().item<int64_t>();
    if (valid < pm.config().group_size) {
      // Too few measured points to form groups: the 3D grid is background everywhere.
      f.point_centers = at::zeros({0, 3});
      f.point_groups =
          at::zeros({0, static_cast<int64_t>(pm.config().fetch_layers.size()) * pm.config().dim});
    } else {
      PointMaeOutput out = pm.forward(pre.xyz.to(impl_->device));
      f.point_centers = out.centers.to(at::kCPU).contiguous();
      f.point_groups = out.features.to(at::kCPU).contiguous();
    }
  }
  return f;
}

}  // namespace lsfa
