#include "lsfa/model/model_builder.h"

#include <ATen/ATen.h>

#include <cmath>
#include <cstdlib>
#include <ctime>
#include <limits>

#include "lsfa/core/error.h"
#include "lsfa/model/projection.h"

namespace lsfa {
namespace {

constexpr int64_t kGrid = 56;

bool uses_rgb(Modalities m) {
  return m != Modalities::kPoints;
}
bool uses_points(Modalities m) {
  return m != Modalities::kRgb;
}

}  // namespace

AdaptorConfig default_adaptor_config(int64_t dim) {
  AdaptorConfig c;
  c.dim = dim;
  c.heads = 0;
  c.mlp_ratio = 2;
  return c;
}

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

ModelBundle build_bundle(const ExtractorConfig &config, const std::string &identity,
                         const std::vector<SampleFeatures> &train,
                         const std::vector<SampleFeatures> &held_out, const Adaptor &rgb_adaptor,
                         const Adaptor &point_adaptor, const BuildOptions &options,
                         const BuildProgress &progress, const std::atomic<bool> *stop) {
  require(!train.empty(), "no training samples to build the memory banks from");
  require(!held_out.empty(),
          "no held-out normal samples to calibrate normalisation and thresholds");
  at::NoGradGuard no_grad;
  ModelBundle b;
  b.extractor = config;
  b.extractor.rgb_weights.clear();
  b.extractor.point_weights.clear();
  b.extractor_identity = identity;
  b.method = options.method;
  b.training_json = options.training_json;
  b.created = utc_now_iso8601();
  b.bank_fp16 = options.bank_fp16;

  auto check_stop = [stop] {
    if (stop != nullptr && stop->load()) throw Error("interrupted: no model bundle was built");
  };
  std::vector<MemoryBank> banks(2);
  for (bool rgb : {true, false}) {
    if (rgb ? !uses_rgb(config.modalities) : !uses_points(config.modalities)) continue;
    const Adaptor &adaptor = rgb ? rgb_adaptor : point_adaptor;
    const std::string stage = rgb ? "bank rgb" : "bank 3d";
    std::vector<at::Tensor> all;
    all.reserve(train.size());
    for (size_t i = 0; i < train.size(); ++i) {
      all.push_back(rgb ? rgb_grid_patches(adaptor, train[i])
                        : point_grid_patches(adaptor, train[i]));
      if (progress) progress(stage, i + 1, train.size());
      check_stop();
    }
    at::Tensor patches = at::cat(all, 0);
    all.clear();
    CoresetCallbacks cb;
    const std::string coreset_stage = rgb ? "coreset rgb" : "coreset 3d";
    if (progress)
      cb.progress = [&](int64_t picked, int64_t total) {
        progress(coreset_stage, static_cast<size_t>(picked), static_cast<size_t>(total));
      };
    if (stop != nullptr) cb.cancelled = [stop] { return stop->load(); };
    at::Tensor idx;
    try {
      idx = coreset_indices(patches, options.coreset, cb);
    } catch (const Error &) {
      check_stop();  // report an interruption as such
      throw;
    }
    ModalityModel m;
    m.adaptor = adaptor.defined() ? adaptor : Adaptor(default_adaptor_config(patches.size(1)), 0);
    m.bank = patches.index_select(0, idx).contiguous();
    m.bank_source_size = patches.size(0);
    banks[rgb ? 0 : 1] = MemoryBank(m.bank, options.bank_fp16 ? at::kHalf : at::kFloat);
    (rgb ? b.rgb : b.points) = std::move(m);
  }

  // Held-out normal samples: raw scores per modality -> statistics -> fused thresholds.
  HeldOutScores hs;
  std::vector<at::Tensor> rgb_maps, point_maps;
  for (size_t i = 0; i < held_out.size(); ++i) {
    if (b.rgb) {
      ModalityScore s = score_modality(banks[0], rgb_grid_patches(b.rgb->adaptor, held_out[i]));
      hs.rgb_image.push_back(s.image);
      rgb_maps.push_back(s.map);
    }
    if (b.points) {
      ModalityScore s =
          score_modality(banks[1], point_grid_patches(b.points->adaptor, held_out[i]));
      hs.points_image.push_back(s.image);
      point_maps.push_back(s.map);
    }
    if (progress) progress("calibration", i + 1, held_out.size());
    check_stop();
  }
  if (!rgb_maps.empty()) hs.rgb_maps = at::stack(rgb_maps);
  if (!point_maps.empty()) hs.points_maps = at::stack(point_maps);
  b.calibration = calibrate(hs, config.modalities, options.rules);
  at::Tensor fused = fuse_maps(hs.rgb_maps, hs.points_maps, b.calibration.rgb, b.calibration.points,
                               config.modalities);
  calibrate_map_range(fused, b);
  return b;
}

void calibrate_map_range(const at::Tensor &fused_maps, ModelBundle &b) {
  at::Tensor flat = fused_maps.reshape({-1}).to(at::kFloat);
  const double median = flat.median().item<double>();
  const double thr = b.calibration.pixel_threshold;
  const double half = std::max(thr - median, 1e-3);
  b.map_low = median;
  b.map_high = thr + half;
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
  r.score =
      static_cast<float>(fuse_image_scores(rgb_image, point_image, cal.rgb, cal.points, cal.mode));
  r.score_rgb = b.rgb ? static_cast<float>(normalize_score(rgb_image, cal.rgb.image))
                      : std::numeric_limits<float>::quiet_NaN();
  r.score_3d = b.points ? static_cast<float>(normalize_score(point_image, cal.points.image))
                        : std::numeric_limits<float>::quiet_NaN();
  r.threshold = static_cast<float>(cal.image_threshold);
  r.pixel_threshold = static_cast<float>(cal.pixel_threshold);
  r.anomalous = r.score > r.threshold;
  r.map = fuse_maps(rgb_map, point_map, cal.rgb, cal.points, cal.mode).to(at::kFloat).contiguous();
  r.geometry = f.geometry;
  return r;
}

std::string utc_now_iso8601() {
  // SOURCE_DATE_EPOCH (reproducible-builds convention) pins the time, so the same seed and data
  // give a byte-identical bundle.
  std::time_t t = std::time(nullptr);
  if (const char *epoch = std::getenv("SOURCE_DATE_EPOCH"))
    t = static_cast<std::time_t>(std::atoll(epoch));
  std::tm tm{};
  gmtime_r(&t, &tm);
  char buf[32];
  std::strftime(buf, sizeof buf, "%Y-%m-%dT%H:%M:%SZ", &tm);
  return buf;
}

}  // namespace lsfa
