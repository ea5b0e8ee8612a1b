#include "fit_common.h"

#include <chrono>
#include <cmath>
#include <csignal>
#include <iostream>
#include <memory>
#include <sstream>

#include "lsfa/core/error.h"
#include "lsfa/io/atomic_file.h"
#include "lsfa/io/output_path.h"
#include "lsfa/model/bundle.h"
#include "progress.h"

namespace lsfa::cli {
namespace {

std::string losses_csv(const TrainResult &r) {
  std::ostringstream os;
  os << "step,total,la,ga,lc,gc,lr\n";
  for (size_t i = 0; i < r.steps.size(); ++i) {
    const StepLosses &s = r.steps[i];
    os << i << "," << s.total << "," << s.la << "," << s.ga << "," << s.lc << "," << s.gc << ","
       << s.lr << "\n";
  }
  return os.str();
}

nlohmann::json epoch_json(const TrainResult &r) {
  nlohmann::json a = nlohmann::json::array();
  for (const StepLosses &s : r.epochs)
    a.push_back({{"total", s.total}, {"la", s.la}, {"ga", s.ga}, {"lc", s.lc}, {"gc", s.gc}});
  return a;
}

}  // namespace

void FitOptions::add_to(CLI::App *cmd) {
  cmd->add_option("--data", data, "Data set root (MVTec 3D-AD or Eyecandies layout)")->required();
  add_layout_option(cmd, layout);
  cmd->add_option("--category", category, "Category (product) to model")->required();
  cmd->add_option("--out", out, "Model bundle to write (e.g. MODEL.lsfa)")->required();
  model.add_to(cmd, /*with_modalities=*/true, /*with_feature_batch=*/true);
  cmd->add_option("--coreset-ratio", coreset_ratio, "Fraction of patches kept in each memory bank")
      ->capture_default_str();
  cmd->add_option("--coreset-size", coreset_size, "Exact bank size (overrides --coreset-ratio)");
  cmd->add_flag("--fp16-banks", fp16_banks, "Store memory banks as float16 (half the file size)");
  cmd->add_option("--index", index,
                  "Memory bank search stored in the bundle: exact, or the approximate FAISS "
                  "indexes ivf-flat or hnsw for very large banks (docs/scoring.md)")
      ->check(CLI::IsMember({"exact", "ivf-flat", "hnsw"}))
      ->capture_default_str();
  cmd->add_option(
         "--holdout-fraction", holdout_fraction,
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

namespace {

std::atomic<bool> g_stop{false};

extern "C" void on_interrupt(int) {
  g_stop.store(true);
}

}  // namespace

const std::atomic<bool> *stop_on_interrupt() {
  std::signal(SIGINT, on_interrupt);
  std::signal(SIGTERM, on_interrupt);
  return &g_stop;
}

int run_learn(const FitOptions &o, LearnOptions learn, nlohmann::json training,
              const std::string &loss_log, const std::atomic<bool> *stop) {
  const auto start = std::chrono::steady_clock::now();
  check_file_writable(o.out);  // before minutes of work, not after them
  learn.build.bank_index.kind = bank_index_kind_from_string(o.index);
  require(learn.build.bank_index.exact() || approximate_index_available(),
          "--index " + o.index +
              " needs FAISS, and this build of lsfa has none: install libfaiss-dev "
              "(tools/setup-deps.sh) and rebuild");
  std::vector<DatasetEntry> train_entries, held_entries;
  split_train_holdout(o.data, o.category, parse_dataset_layout(o.layout), o.holdout_fraction,
                      &train_entries, &held_entries);
  ExtractorConfig config = o.model.extractor_config();
  FeatureExtractor extractor(config);
  std::cerr << "backbones: " << extractor.identity() << "\n";
  std::vector<SampleFeatures> train =
      extract_entries(extractor, train_entries, "features train", stop, o.model.feature_batch);
  std::vector<SampleFeatures> held =
      extract_entries(extractor, held_entries, "features held-out", stop, o.model.feature_batch);

  learn.build.coreset.ratio = o.coreset_ratio;
  learn.build.coreset.target_count = o.coreset_size;
  learn.build.bank_fp16 = o.fp16_banks;
  learn.build.rules.image = {o.image_quantile, o.image_margin};
  learn.build.rules.pixel = {o.pixel_quantile, 0.0};
  learn.train.seed = o.model.seed;
  training["category"] = o.category;
  training["data"] = o.data;
  training["train_samples"] = train.size();
  training["held_out_samples"] = held.size();
  training["coreset_ratio"] = o.coreset_ratio;
  learn.build.training_json = training.dump();

  std::unique_ptr<Progress> bar;
  std::string current;
  LearnResult r = learn_bundle(
      extractor.config(), extractor.identity(), train, held, learn,
      [&](const std::string &stage, size_t done, size_t total, double loss) {
        if (stage != current) {
          if (bar) bar->finish();
          bar = std::make_unique<Progress>(stage, total);
          current = stage;
        }
        char extra[48] = "";
        if (!std::isnan(loss)) std::snprintf(extra, sizeof extra, "loss %.4f", loss);
        bar->update(done, extra);
      },
      stop);
  if (bar) bar->finish();
  if (learn.adapt) {
    training["steps"] = r.training.total_steps;
    // No wall times in the bundle: the same seed and data must give byte-identical files.
    training["epoch_losses"] = epoch_json(r.training);
    r.bundle.training_json = training.dump();
    if (!loss_log.empty()) write_file_atomic(loss_log, losses_csv(r.training));
  }
  save_bundle(o.out, r.bundle);

  const ModelBundle &bundle = r.bundle;
  const double secs =
      std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
  std::cout << "wrote " << o.out << " (" << bundle.method << ", " << train.size() << " train + "
            << held.size() << " held-out samples, " << secs << " s)\n";
  if (learn.adapt && !r.training.epochs.empty()) {
    std::cout << "  training: " << r.training.total_steps << " steps in "
              << r.training.train_seconds << " s; epoch mean loss "
              << r.training.epochs.front().total << " -> " << r.training.epochs.back().total
              << " (L_LA " << r.training.epochs.front().la << " -> " << r.training.epochs.back().la
              << ")\n";
  }
  if (bundle.rgb)
    std::cout << "  rgb bank " << bundle.rgb->bank.size(0) << " x " << bundle.rgb->bank.size(1)
              << " (from " << bundle.rgb->bank_source_size << " patches)\n";
  if (bundle.points)
    std::cout << "  3d bank  " << bundle.points->bank.size(0) << " x "
              << bundle.points->bank.size(1) << " (from " << bundle.points->bank_source_size
              << " patches)\n";
  std::cout << "  image threshold " << bundle.calibration.image_threshold << ", pixel threshold "
            << bundle.calibration.pixel_threshold << "\n";
  return 0;
}

}  // namespace lsfa::cli
