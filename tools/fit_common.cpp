#include "fit_common.h"

#include <chrono>
#include <iostream>

#include "lsfa/bundle.h"
#include "lsfa/error.h"
#include "lsfa/model_builder.h"
#include "progress.h"

namespace lsfa::cli {

void FitOptions::add_to(CLI::App *cmd) {
  cmd->add_option("--data", data, "Data set root (MVTec 3D-AD layout)")->required();
  cmd->add_option("--category", category, "Category (product) to model")->required();
  cmd->add_option("--out", out, "Model bundle to write (e.g. MODEL.lsfa)")->required();
  model.add_to(cmd);
  cmd->add_option("--coreset-ratio", coreset_ratio, "Fraction of patches kept in each memory bank")
      ->capture_default_str();
  cmd->add_option("--coreset-size", coreset_size, "Exact bank size (overrides --coreset-ratio)");
  cmd->add_flag("--fp16-banks", fp16_banks, "Store memory banks as float16 (half the file size)");
  cmd->add_option("--holdout-fraction", holdout_fraction,
                  "Fraction of train/good held out for calibration when there is no validation split")
      ->capture_default_str();
  cmd->add_option("--image-quantile", image_quantile,
                  "Image threshold = this quantile of held-out normal scores + margin * std")
      ->capture_default_str();
  cmd->add_option("--image-margin", image_margin, "Margin (in std of held-out scores)")
      ->capture_default_str();
  cmd->add_option("--pixel-quantile", pixel_quantile,
                  "Pixel threshold = this quantile of held-out normal map values")
      ->capture_default_str();
}

int run_fit_like(const FitOptions &o, const std::string &method, nlohmann::json training,
                 const AdaptStep &adapt, const nlohmann::json *training_after_adapt) {
  const auto start = std::chrono::steady_clock::now();
  std::vector<DatasetEntry> train_entries, held_entries;
  split_train_holdout(o.data, o.category, o.holdout_fraction, &train_entries, &held_entries);
  ExtractorConfig config = o.model.extractor_config();
  FeatureExtractor extractor(config);
  std::cerr << "backbones: " << extractor.identity() << "\n";
  std::vector<SampleFeatures> train = extract_entries(extractor, train_entries, "features train");
  std::vector<SampleFeatures> held = extract_entries(extractor, held_entries, "features held-out");

  Adaptor rgb, points;
  if (config.modalities != Modalities::kPoints)
    rgb = Adaptor(default_adaptor_config(train.front().rgb_tokens.size(0)), o.model.seed + 101);
  if (config.modalities != Modalities::kRgb)
    points = Adaptor(default_adaptor_config(train.front().point_groups.size(1)), o.model.seed + 202);
  adapt(train, &rgb, &points);
  if (training_after_adapt) training = *training_after_adapt;

  BuildOptions build;
  build.coreset.ratio = o.coreset_ratio;
  build.coreset.target_count = o.coreset_size;
  build.bank_fp16 = o.fp16_banks;
  build.rules.image = {o.image_quantile, o.image_margin};
  build.rules.pixel = {o.pixel_quantile, 0.0};
  build.method = method;
  training["category"] = o.category;
  training["data"] = o.data;
  training["train_samples"] = train.size();
  training["held_out_samples"] = held.size();
  training["coreset_ratio"] = o.coreset_ratio;
  build.training_json = training.dump();

  std::unique_ptr<Progress> bar;
  std::string current;
  ModelBundle bundle = build_bundle(
      extractor.config(), extractor.identity(), train, held, rgb, points, build,
      [&](const std::string &stage, size_t done, size_t total) {
        if (stage != current) {
          if (bar) bar->finish();
          bar = std::make_unique<Progress>(stage, total);
          current = stage;
        }
        bar->update(done);
      });
  if (bar) bar->finish();
  save_bundle(o.out, bundle);
  const double secs =
      std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
  std::cout << "wrote " << o.out << " (" << method << ", " << train.size() << " train + "
            << held.size() << " held-out samples, " << secs << " s)\n";
  if (bundle.rgb)
    std::cout << "  rgb bank " << bundle.rgb->bank.size(0) << " x " << bundle.rgb->bank.size(1)
              << " (from " << bundle.rgb->bank_source_size << " patches)\n";
  if (bundle.points)
    std::cout << "  3d bank  " << bundle.points->bank.size(0) << " x "
              << bundle.points->bank.size(1) << " (from " << bundle.points->bank_source_size
              << " patches)\n";
  std::cout << "  image threshold " << bundle.calibration.image_threshold
            << ", pixel threshold " << bundle.calibration.pixel_threshold << "\n";
  return 0;
}

}  // namespace lsfa::cli
