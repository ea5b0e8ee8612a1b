#include "lsfa/model/scoring.h"

#include <ATen/ATen.h>

#include <algorithm>
#include <cmath>
#include <nlohmann/json.hpp>
#include <string>

#include "lsfa/core/error.h"
#include "lsfa/io/json_fields.h"

namespace lsfa {

PatchScores score_patches(const MemoryBank &bank, const at::Tensor &patches,
                          const SearchOptions &options) {
  NeighbourResult r = bank.nearest(patches, options);
  return {r.distances, r.indices};
}

double reweighted_image_score(const MemoryBank &bank, const at::Tensor &patches,
                              const PatchScores &scores) {
  require(bank.size() >= 3, "scoring: re-weighting needs a bank of at least 3 entries, got " +
                                std::to_string(bank.size()));
  require(patches.dim() == 2 && scores.scores.numel() == patches.size(0) &&
              scores.nearest.numel() == patches.size(0) && patches.size(0) > 0,
          "scoring: patch scores do not match the patches");
  const int64_t s_idx = scores.scores.reshape({-1}).argmax().item<int64_t>();
  const double s_star = scores.scores.reshape({-1})[s_idx].item<double>();
  const int64_t star = scores.nearest.reshape({-1})[s_idx].item<int64_t>();
  at::Tensor m_test = patches[s_idx].to(at::kDouble);
  at::Tensor m_star = bank.features()[star].unsqueeze(0);
  NeighbourResult nn = bank.knn(m_star, 3);
  at::Tensor neighbours =
      bank.features().index_select(0, nn.indices[0].narrow(0, 1, 2)).to(at::kDouble);
  at::Tensor knn_dist = (neighbours - m_test.unsqueeze(0)).pow(2).sum(1).sqrt();
  const double d = std::sqrt(static_cast<double>(patches.size(1)));
  const double denom = knn_dist.div(d).exp().sum().item<double>();
  const double w = 1.0 - std::exp(s_star / d) / denom;
  return w * s_star;
}

at::Tensor gaussian_blur_matrix(int64_t n, const BlurOptions &blur) {
  require(n >= 1, "gaussian blur: size must be positive");
  require(blur.sigma > 0.0 && blur.truncate > 0.0, "gaussian blur: sigma and truncate must be > 0");
  const auto radius = static_cast<int64_t>(blur.truncate * blur.sigma + 0.5);
  std::vector<double> kernel(2 * radius + 1);
  double total = 0.0;
  for (int64_t t = -radius; t <= radius; ++t) {
    kernel[t + radius] = std::exp(-0.5 * static_cast<double>(t * t) / (blur.sigma * blur.sigma));
    total += kernel[t + radius];
  }
  for (double &k : kernel) k /= total;
  at::Tensor m = at::zeros({n, n}, at::kDouble);
  auto acc = m.accessor<double, 2>();
  for (int64_t i = 0; i < n; ++i) {
    for (int64_t t = -radius; t <= radius; ++t) {
      // Half-sample symmetric reflection (scipy 'reflect'), repeated for kernels wider than n.
      int64_t j = i + t;
      const int64_t period = 2 * n;
      j = ((j % period) + period) % period;
      if (j >= n) j = period - 1 - j;
      acc[i][j] += kernel[t + radius];
    }
  }
  return m;
}

at::Tensor gaussian_blur(const at::Tensor &maps, const BlurOptions &blur) {
  require(maps.dim() >= 2, "gaussian blur: needs at least 2 dimensions");
  const int64_t h = maps.size(-2), w = maps.size(-1);
  auto opts = maps.options().dtype(at::kFloat);
  at::Tensor x = maps.to(at::kFloat);
  at::Tensor bh = gaussian_blur_matrix(h, blur).to(opts);
  at::Tensor bw = h == w ? bh : gaussian_blur_matrix(w, blur).to(opts);
  return at::matmul(at::matmul(bh, x), bw.t());
}

at::Tensor anomaly_map(const at::Tensor &patch_scores, int64_t size, const BlurOptions &blur) {
  at::Tensor s = patch_scores.to(at::kFloat);
  if (s.dim() == 1) {
    const auto g = static_cast<int64_t>(std::llround(std::sqrt(static_cast<double>(s.numel()))));
    require(g * g == s.numel(), "anomaly map: " + std::to_string(s.numel()) +
                                    " patch scores do not form a square grid");
    s = s.view({g, g});
  }
  require(s.dim() >= 2, "anomaly map: patch scores must be [..., g, g]");
  auto lead = s.sizes().slice(0, s.dim() - 2).vec();
  at::Tensor flat = s.reshape({-1, 1, s.size(-2), s.size(-1)});
  at::Tensor up = at::upsample_bilinear2d(flat, {size, size}, /*align_corners=*/false);
  std::vector<int64_t> shape = lead;
  shape.push_back(size);
  shape.push_back(size);
  return gaussian_blur(up, blur).reshape(shape);
}

void StatsAccumulator::add(double value) {
  if (count_ == 0) shift_ = value;  // shifted sums keep the variance accurate
  const double v = value - shift_;
  sum_ += v;
  sum_sq_ += v * v;
  ++count_;
}

void StatsAccumulator::add(const at::Tensor &values) {
  if (values.numel() == 0) return;
  at::Tensor v = values.detach().to(at::kCPU, at::kDouble).reshape({-1});
  if (count_ == 0) shift_ = v[0].item<double>();
  at::Tensor c = v - shift_;
  sum_ += c.sum().item<double>();
  sum_sq_ += c.pow(2).sum().item<double>();
  count_ += v.numel();
}

ScoreStats StatsAccumulator::stats() const {
  require(count_ > 0, "normalisation: no held-out scores to compute statistics from");
  const double n = static_cast<double>(count_);
  const double mean = sum_ / n;
  const double var = std::max(0.0, sum_sq_ / n - mean * mean);
  return {shift_ + mean, std::sqrt(var), count_};
}

ScoreStats floored(ScoreStats stats) {
  stats.std = std::max({stats.std, kStdFloorRelative * std::abs(stats.mean), kStdFloorAbsolute});
  return stats;
}

double normalize_score(double value, const ScoreStats &stats) {
  return (value - stats.mean) / std::max(stats.std, kMinStd);
}

at::Tensor normalize_map(const at::Tensor &map, const ScoreStats &stats) {
  return (map - stats.mean) / std::max(stats.std, kMinStd);
}

double fuse_image_scores(double rgb, double points, const ModalityStats &rgb_stats,
                         const ModalityStats &points_stats, Modalities mode) {
  switch (mode) {
    case Modalities::kRgb:
      return normalize_score(rgb, rgb_stats.image);
    case Modalities::kPoints:
      return normalize_score(points, points_stats.image);
    case Modalities::kFused:
      break;
  }
  return 0.5 *
         (normalize_score(rgb, rgb_stats.image) + normalize_score(points, points_stats.image));
}

at::Tensor fuse_maps(const at::Tensor &rgb, const at::Tensor &points,
                     const ModalityStats &rgb_stats, const ModalityStats &points_stats,
                     Modalities mode) {
  const bool need_rgb = uses_rgb(mode), need_points = uses_points(mode);
  require(!need_rgb || rgb.defined(), "fusion: modalities " + to_string(mode) + " need an RGB map");
  require(!need_points || points.defined(),
          "fusion: modalities " + to_string(mode) + " need a 3D map");
  if (!need_points) return normalize_map(rgb, rgb_stats.pixel);
  if (!need_rgb) return normalize_map(points, points_stats.pixel);
  require(rgb.sizes() == points.sizes(), "fusion: RGB and 3D maps differ in size");
  return (normalize_map(rgb, rgb_stats.pixel) + normalize_map(points, points_stats.pixel)) * 0.5;
}

double quantile(std::vector<double> values, double q) {
  require(!values.empty(), "threshold: no held-out normal scores");
  require(q >= 0.0 && q <= 1.0, "threshold: quantile " + std::to_string(q) + " outside [0,1]");
  std::sort(values.begin(), values.end());
  const double pos = q * static_cast<double>(values.size() - 1);
  const auto lo = static_cast<size_t>(std::floor(pos));
  const size_t hi = std::min(lo + 1, values.size() - 1);
  return values[lo] + (pos - static_cast<double>(lo)) * (values[hi] - values[lo]);
}

namespace {
double population_std(const std::vector<double> &v) {
  StatsAccumulator acc;
  for (double x : v) acc.add(x);
  return acc.stats().std;
}
}  // namespace

double calibrate_threshold(const std::vector<double> &normal_scores, const ThresholdRule &rule) {
  const double q = quantile(normal_scores, rule.quantile);
  return rule.margin == 0.0 ? q : q + rule.margin * population_std(normal_scores);
}

double calibrate_threshold(const at::Tensor &normal_maps, const ThresholdRule &rule) {
  require(normal_maps.defined() && normal_maps.numel() > 0, "threshold: no held-out normal maps");
  at::Tensor v = normal_maps.detach().to(at::kCPU, at::kDouble).reshape({-1}).contiguous();
  std::vector<double> values(v.data_ptr<double>(), v.data_ptr<double>() + v.numel());
  return calibrate_threshold(values, rule);
}

ScoringCalibration calibrate(const HeldOutScores &held_out, Modalities mode,
                             const CalibrationRules &rules) {
  ScoringCalibration c;
  c.rules = rules;
  const bool use_rgb = uses_rgb(mode), use_points = uses_points(mode);
  auto modality = [](const std::vector<double> &image, const at::Tensor &maps,
                     const std::string &name) {
    require(!image.empty(), "calibration: no held-out " + name + " image scores");
    require(maps.defined() && maps.numel() > 0, "calibration: no held-out " + name + " maps");
    StatsAccumulator ia, pa;
    for (double v : image) ia.add(v);
    pa.add(maps);
    return ModalityStats{floored(ia.stats()), floored(pa.stats())};
  };
  if (use_rgb) c.rgb = modality(held_out.rgb_image, held_out.rgb_maps, "RGB");
  if (use_points) c.points = modality(held_out.points_image, held_out.points_maps, "3D");
  const size_t n = use_rgb ? held_out.rgb_image.size() : held_out.points_image.size();
  require(!(use_rgb && use_points) || held_out.points_image.size() == n,
          "calibration: RGB and 3D held-out score counts differ");
  std::vector<double> fused(n);
  for (size_t i = 0; i < n; ++i) {
    fused[i] =
        fuse_image_scores(use_rgb ? held_out.rgb_image[i] : 0.0,
                          use_points ? held_out.points_image[i] : 0.0, c.rgb, c.points, mode);
  }
  c.image_threshold = calibrate_threshold(fused, rules.image);
  at::Tensor maps =
      fuse_maps(use_rgb ? held_out.rgb_maps : at::Tensor(),
                use_points ? held_out.points_maps : at::Tensor(), c.rgb, c.points, mode);
  c.pixel_threshold = calibrate_threshold(maps, rules.pixel);
  return c;
}

namespace {
constexpr const char *kWhere = "scoring calibration";

nlohmann::json stats_json(const ScoreStats &s) {
  return {{"mean", s.mean}, {"std", s.std}, {"count", s.count}};
}
nlohmann::json rule_json(const ThresholdRule &r) {
  return {{"quantile", r.quantile}, {"margin", r.margin}};
}

ScoreStats stats_from(const nlohmann::json &j, const std::string &where) {
  ScoreStats s{json_finite(j, "mean", where), json_finite(j, "std", where),
               static_cast<int64_t>(json_finite(j, "count", where))};
  require(s.std > 0.0, "field 'std' in " + where + " is not positive (a degenerate calibration)");
  return s;
}
ThresholdRule rule_from(const nlohmann::json &j, const std::string &where) {
  ThresholdRule r{json_finite(j, "quantile", where), json_finite(j, "margin", where)};
  require(r.quantile >= 0.0 && r.quantile <= 1.0,
          "field 'quantile' in " + where + " is outside [0,1]");
  return r;
}
}  // namespace

nlohmann::json to_json(const ScoringCalibration &c) {
  auto modality = [](const ModalityStats &m) {
    return nlohmann::json{{"image", stats_json(m.image)}, {"pixel", stats_json(m.pixel)}};
  };
  return {{"rgb", modality(c.rgb)},
          {"3d", modality(c.points)},
          {"image_rule", rule_json(c.rules.image)},
          {"pixel_rule", rule_json(c.rules.pixel)},
          {"image_threshold", c.image_threshold},
          {"pixel_threshold", c.pixel_threshold}};
}

// Bundles written before the modalities were stored once also carry a "mode" key here; it
// repeats the extractor's modalities and is not read.
ScoringCalibration scoring_calibration_from_json(const nlohmann::json &j) {
  ScoringCalibration c;
  auto modality = [&j](const std::string &name) {
    const std::string where = std::string(kWhere) + " " + name;
    const nlohmann::json &m = json_member(j, name, kWhere);
    return ModalityStats{stats_from(json_member(m, "image", where), where + ".image"),
                         stats_from(json_member(m, "pixel", where), where + ".pixel")};
  };
  c.rgb = modality("rgb");
  c.points = modality("3d");
  c.rules.image =
      rule_from(json_member(j, "image_rule", kWhere), std::string(kWhere) + " image_rule");
  c.rules.pixel =
      rule_from(json_member(j, "pixel_rule", kWhere), std::string(kWhere) + " pixel_rule");
  c.image_threshold = json_finite(j, "image_threshold", kWhere);
  c.pixel_threshold = json_finite(j, "pixel_threshold", kWhere);
  return c;
}

}  // namespace lsfa
