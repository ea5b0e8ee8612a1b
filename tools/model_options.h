// Options shared by the commands that run the backbones (features, fit, train, eval, bench).
#pragma once

#include <atomic>

#include <CLI/CLI.hpp>
#include <string>
#include <vector>

#include "lsfa/data/dataset.h"
#include "lsfa/model/pipeline.h"

namespace lsfa::cli {

struct ModelOptions {
  std::string preset = "small";
  std::string rgb_weights, point_weights;
  uint64_t seed = 0;
  int groups = 0, group_size = 0;
  std::string modalities = "rgb,3d";
  bool no_preprocess = false;
  std::string point_bn = "auto";  // auto | running | batch
  std::string device = "cpu";
  std::string precision = "fp32";  // fp32 | tf32 | bf16 (lsfa/core/device.h)
  int threads = 0;
  int feature_batch = 1;  // samples per backbone forward in extract_entries

  // Adds --preset, --rgb-weights, --point-weights, --groups, --group-size, --seed, --modalities,
  // --no-preprocess, --device, --precision, --threads (and --feature-batch when asked: the
  // commands that extract whole splits).
  void add_to(CLI::App *cmd, bool with_modalities = true, bool with_feature_batch = false);
  ExtractorConfig extractor_config() const;
};

// Decodes entries[i] (TIFF and PNG reading); the lsfa::Error it throws names the file.
Sample load_entry(const std::vector<DatasetEntry> &entries, size_t i);

// Features of dataset samples, with progress; `label` names the stage in the progress output.
// `batch` samples go through the backbones together (FeatureExtractor::extract_batch); the next
// batch is decoded meanwhile. Throws lsfa::Error naming the sample that fails, or when `stop`
// becomes true (checked after each batch).
std::vector<SampleFeatures> extract_entries(const FeatureExtractor &extractor,
                                            const std::vector<DatasetEntry> &entries,
                                            const std::string &label,
                                            const std::atomic<bool> *stop = nullptr,
                                            int batch = 1);

// Train entries, and held-out normal entries: validation/good when the category has it, else
// train/good split by the library's hold-out rule (lsfa/model/hold_out.h). Throws lsfa::Error
// naming the counts when fewer than lsfa::kMinCalibrationSamples would calibrate the model.
void split_train_holdout(const std::string &data, const std::string &category, DatasetLayout layout,
                         double holdout_fraction, std::vector<DatasetEntry> *train,
                         std::vector<DatasetEntry> *held_out);

// Adds `--layout auto|mvtec3d|eyecandies` (the data set's folder layout, default auto = detect)
// filling `layout`.
void add_layout_option(CLI::App *cmd, std::string &layout);

}  // namespace lsfa::cli
