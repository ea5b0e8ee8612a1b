// FeatureExtractor: preprocessing + frozen backbones for one frame
// (lsfa/backbones/feature_extractor.h).
#include <ATen/ATen.h>
#include <ATen/core/grad_mode.h>

#include <memory>

#include "lsfa/backbones/feature_extractor.h"
#include "lsfa/backbones/presets.h"
#include "lsfa/core/device.h"
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
  impl_->device = parse_device(config.device);
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
  return std::move(extract_batch({sample}).front());
}

std::vector<SampleFeatures> FeatureExtractor::extract_batch(
    const std::vector<Sample> &samples) const {
  at::NoGradGuard no_grad;
  const ExtractorConfig &c = impl_->config;
  const at::Device device = impl_->device;
  const PrecisionScope precision(c.precision, device);
  std::vector<SampleFeatures> out(samples.size());
  std::vector<at::Tensor> images;
  for (size_t i = 0; i < samples.size(); ++i) {
    Preprocessed pre = preprocess(samples[i], c.preprocess);
    SampleFeatures &f = out[i];
    // The frame's one crossing to the device: the image and the cloud; later stages (grouping,
    // projection, scoring) run there on these tensors.
    f.xyz = pre.xyz.to(device);
    f.valid = pre.valid;
    f.gt = pre.gt;
    f.geometry = pre.geometry;
    if (c.modalities != Modalities::kPoints) images.push_back(pre.rgb);
  }
  if (!images.empty()) {
    at::Tensor tokens = impl_->backbones->rgb.forward(at::stack(images).to(device)).to(at::kFloat);
    for (size_t i = 0; i < out.size(); ++i) out[i].rgb_tokens = tokens[i].contiguous();
  }
  if (c.modalities != Modalities::kRgb) {
    const PointMae &pm = impl_->backbones->points;
    for (SampleFeatures &f : out) {
      const int64_t valid = f.valid.sum().item<int64_t>();
      if (valid < pm.config().group_size) {
        // Too few measured points to form groups: the 3D grid is background everywhere.
        auto opts = f.xyz.options().dtype(at::kFloat);
        f.point_centers = at::zeros({0, 3}, opts);
        f.point_groups = at::zeros(
            {0, static_cast<int64_t>(pm.config().fetch_layers.size()) * pm.config().dim}, opts);
      } else {
        PointMaeOutput o = pm.forward(f.xyz);
        f.point_centers = o.centers.contiguous();
        f.point_groups = o.features.to(at::kFloat).contiguous();
      }
    }
  }
  return out;
}

}  // namespace lsfa
