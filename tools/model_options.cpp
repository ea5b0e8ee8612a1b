#include "model_options.h"

#include <algorithm>
#include <filesystem>
#include <future>
#include <iostream>

#include "lsfa/core/error.h"
#include "lsfa/core/threads.h"
#include "lsfa/model/hold_out.h"
#include "progress.h"

namespace lsfa::cli {

void ModelOptions::add_to(CLI::App *cmd, bool with_modalities, bool with_feature_batch) {
  cmd->add_option("--preset", preset, "Backbone sizes: paper, small, vit-s8")
      ->capture_default_str();
  cmd->add_option("--rgb-weights", rgb_weights,
                  "DINO ViT checkpoint (.pth or .safetensors); default: random init from --seed")
      ->check(CLI::ExistingFile);
  cmd->add_option("--point-weights", point_weights,
                  "Point-MAE checkpoint (pretrain.pth or .safetensors); default: random init")
      ->check(CLI::ExistingFile);
  cmd->add_option("--seed", seed, "Seed of the random backbone initialisation")
      ->capture_default_str();
  cmd->add_option("--groups", groups, "Point groups (0 = preset default)")->capture_default_str();
  cmd->add_option("--group-size", group_size, "Points per group (0 = preset default)")
      ->capture_default_str();
  if (with_modalities)
    cmd->add_option("--modalities", modalities, "rgb,3d (fused), rgb or 3d")->capture_default_str();
  cmd->add_option(
         "--point-bn", point_bn,
         "Point-MAE BatchNorm statistics: running (the checkpoint's), batch (per sample, as "
         "the reference code runs it) or auto (running with a checkpoint, batch for random "
         "weights, whose running statistics describe no data)")
      ->check(CLI::IsMember({"auto", "running", "batch"}))
      ->capture_default_str();
  cmd->add_flag("--no-preprocess", no_preprocess,
                "Only resize and normalise (no plane removal, padding or cluster cleaning)");
  cmd->add_option("--device", device, "LibTorch device (cpu, cuda:0, ...)")->capture_default_str();
  cmd->add_option("--precision", precision,
                  "Backbone precision: fp32, tf32 (TF32 products on CUDA) or bf16 (bfloat16 "
                  "autocast; float16 banks when scoring)")
      ->check(CLI::IsMember({"fp32", "tf32", "bf16"}))
      ->capture_default_str();
  cmd->add_option("--threads", threads, "LibTorch threads (0 = all cores)")->capture_default_str();
  if (with_feature_batch)
    cmd->add_option("--feature-batch", feature_batch,
                    "Samples per backbone forward when extracting features (the ViT runs once "
                    "over the stacked batch; the same features as one by one, up to rounding)")
        ->check(CLI::Range(1, 256))
        ->capture_default_str();
}

ExtractorConfig ModelOptions::extractor_config() const {
  set_threads(threads);
  ExtractorConfig c;
  c.preset = preset;
  c.rgb_weights = rgb_weights;
  c.point_weights = point_weights;
  c.seed = seed;
  c.groups = groups;
  c.group_size = group_size;
  c.modalities = modalities_from_string(modalities);
  c.point_batch_stats =
      uses_batch_statistics(point_batch_norm_from_string(point_bn), !point_weights.empty());
  c.preprocess = no_preprocess ? PreprocessOptions::resize_only() : PreprocessOptions{};
  c.device = device;
  c.precision = precision_from_string(precision);
  return c;
}

Sample load_entry(const std::vector<DatasetEntry> &entries, size_t i) {
  try {
    return load_sample(entries[i]);
  } catch (const Error &e) {
    throw Error(entries[i].rgb_path + ": " + e.what());
  }
}

namespace {

std::vector<Sample> load_entries(const std::vector<DatasetEntry> &entries, size_t begin,
                                 size_t end) {
  std::vector<Sample> samples;
  samples.reserve(end - begin);
  for (size_t i = begin; i < end; ++i) samples.push_back(load_entry(entries, i));
  return samples;
}

}  // namespace

std::vector<SampleFeatures> extract_entries(const FeatureExtractor &extractor,
                                            const std::vector<DatasetEntry> &entries,
                                            const std::string &label,
                                            const std::atomic<bool> *stop, int batch) {
  const size_t step = static_cast<size_t>(std::max(1, batch));
  std::vector<SampleFeatures> out;
  out.reserve(entries.size());
  Progress progress(label, entries.size());
  // The next batch is decoded on a second thread while the backbones run on this one, so file
  // reading and decoding do not add to the forward passes (a std::async future waits for its
  // thread when dropped, so an error or Ctrl-C below leaves no thread behind).
  auto load = [&](size_t begin) {
    return load_entries(entries, begin, std::min(entries.size(), begin + step));
  };
  std::future<std::vector<Sample>> next;
  if (!entries.empty()) next = std::async(std::launch::async, load, size_t{0});
  for (size_t begin = 0; begin < entries.size(); begin += step) {
    std::vector<Sample> samples = next.get();
    if (begin + step < entries.size()) next = std::async(std::launch::async, load, begin + step);
    try {
      if (samples.size() == 1) {
        out.push_back(extractor.extract(samples.front()));
      } else {
        for (SampleFeatures &f : extractor.extract_batch(samples)) out.push_back(std::move(f));
      }
    } catch (const Error &e) {
      if (samples.size() == 1) throw Error(entries[begin].rgb_path + ": " + e.what());
      // Name the sample: a batch that fails goes again one by one.
      for (size_t i = 0; i < samples.size(); ++i) {
        try {
          out.push_back(extractor.extract(samples[i]));
        } catch (const Error &one) {
          throw Error(entries[begin + i].rgb_path + ": " + one.what());
        }
      }
      std::cerr << "\nwarning: a batch of " << samples.size() << " samples from "
                << entries[begin].rgb_path << " failed (" << e.what()
                << ") and went through one by one\n";
    }
    progress.update(out.size());
    if (stop != nullptr && stop->load()) throw Error("interrupted: no model bundle was built");
  }
  progress.finish();
  return out;
}

void add_layout_option(CLI::App *cmd, std::string &layout) {
  cmd->add_option("--layout", layout,
                  "Data set folder layout: auto (detect), mvtec3d or eyecandies (docs/datasets.md)")
      ->capture_default_str()
      ->check(CLI::IsMember({"auto", "mvtec3d", "eyecandies"}));
}

void split_train_holdout(const std::string &data, const std::string &category, DatasetLayout layout,
                         double holdout_fraction, std::vector<DatasetEntry> *train,
                         std::vector<DatasetEntry> *held_out) {
  // Names a missing category folder (with the categories found) or an unrecognised layout.
  layout = resolve_dataset_layout(data, category, layout);
  *train = index_dataset(data, category, "train", layout);
  require(!train->empty(), "no training samples in the train split of " + data + "/" + category);
  held_out->clear();
  if (dataset_has_split(data, category, "validation", layout))
    *held_out = index_dataset(data, category, "validation", layout);
  if (!held_out->empty()) {
    require_calibration_samples(held_out->size(), "the validation split of " + category);
    return;
  }
  // No validation split: the library's hold-out rule over train (the one teach mode uses).
  const std::vector<bool> hold = hold_out_mask(train->size(), holdout_fraction);
  std::vector<DatasetEntry> bank;
  for (size_t i = 0; i < train->size(); ++i) ((hold[i] ? *held_out : bank)).push_back((*train)[i]);
  *train = std::move(bank);
  std::cerr << "no validation split: holding out " << held_out->size() << " of "
            << train->size() + held_out->size() << " training samples for calibration\n";
}

}  // namespace lsfa::cli
