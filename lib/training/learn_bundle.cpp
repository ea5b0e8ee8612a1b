#include "lsfa/training/learn_bundle.h"

#include <cmath>
#include <limits>

#include <nlohmann/json.hpp>

#include "lsfa/core/error.h"
#include "lsfa/model/hold_out.h"

namespace lsfa {

LearnResult learn_bundle(const ExtractorConfig &config, const std::string &identity,
                         const std::vector<SampleFeatures> &train,
                         const std::vector<SampleFeatures> &held_out, const LearnOptions &options,
                         const LearnProgress &progress, const std::atomic<bool> *stop) {
  require(!train.empty(), "no samples to learn the memory banks from");
  LearnResult r;
  r.train_samples = train.size();
  r.held_out_samples = held_out.size();
  const uint64_t seed = options.adapt ? options.train.seed : config.seed;
  Adaptor rgb, points;
  if (config.modalities != Modalities::kPoints)
    rgb = Adaptor(default_adaptor_config(train.front().rgb_tokens.size(0)), seed + 101);
  if (config.modalities != Modalities::kRgb)
    points = Adaptor(default_adaptor_config(train.front().point_groups.size(1)), seed + 202);
  // Adaptors start from the same CPU initialisation on every device and train where the features
  // are (the extractor's device).
  const SampleFeatures &f0 = train.front();
  const at::Device device =
      (f0.rgb_tokens.defined() ? f0.rgb_tokens : f0.point_groups).defined()
          ? (f0.rgb_tokens.defined() ? f0.rgb_tokens : f0.point_groups).device()
          : at::Device(at::kCPU);
  if (rgb.defined()) rgb.to(device);
  if (points.defined()) points.to(device);
  if (options.adapt) {
    TrainConfig tc = options.train;
    tc.modalities = config.modalities;
    r.training = train_adaptors(
        train, rgb, points, tc,
        [&](int64_t step, int64_t total, double loss) {
          if (progress)
            progress("train", static_cast<size_t>(step), static_cast<size_t>(total), loss);
        },
        stop);
    if (r.training.stopped) throw Error("training was interrupted: no model bundle was built");
  }
  BuildOptions build = options.build;
  if (build.method.empty() || build.method == "no-adaptation")
    build.method = options.adapt ? "lsfa" : "no-adaptation";
  const double nan = std::numeric_limits<double>::quiet_NaN();
  r.bundle = build_bundle(
      config, identity, train, held_out, rgb, points, build,
      [&](const std::string &stage, size_t done, size_t total) {
        if (progress) progress(stage, done, total, nan);
      },
      stop);
  return r;
}

void split_held_out(std::vector<SampleFeatures> samples, double fraction,
                    std::vector<SampleFeatures> *train, std::vector<SampleFeatures> *held_out) {
  const std::vector<bool> hold = hold_out_mask(samples.size(), fraction);
  train->clear();
  held_out->clear();
  for (size_t i = 0; i < samples.size(); ++i)
    (hold[i] ? held_out : train)->push_back(std::move(samples[i]));
}

std::string teach_training_json(const TeachRecord &record) {
  nlohmann::json j = {{"source", "lsfascore teach mode"},
                      {"epochs", record.epochs},
                      {"train_samples", record.train_samples},
                      {"held_out_samples", record.held_out_samples}};
  if (!record.category.empty()) j["category"] = record.category;
  return j.dump();
}

}  // namespace lsfa
