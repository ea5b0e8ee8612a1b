// The flow shared by `lsfa fit` and `lsfa train`: features of bank and held-out samples, then
// lsfa::learn_bundle (optional adaptation, banks, calibration) and the bundle file.
#pragma once

#include <atomic>
#include <nlohmann/json.hpp>
#include <string>

#include "lsfa/training/learn_bundle.h"
#include "model_options.h"

namespace lsfa::cli {

struct FitOptions {
  std::string data, category, out;
  std::string layout = "auto";  // --layout: auto | mvtec3d | eyecandies
  ModelOptions model;
  double coreset_ratio = 0.1;
  int64_t coreset_size = 0;
  bool fp16_banks = false;
  std::string index = "exact";  // memory bank search: exact, ivf-flat or hnsw (FAISS)
  double holdout_fraction = 0.2;
  double image_quantile = 0.99, image_margin = 0.5, pixel_quantile = 0.999;

  void add_to(CLI::App *cmd);
};

// Makes SIGINT and SIGTERM set the returned flag instead of killing the process, so a long run
// (training, coreset) stops at its next check and reports it.
const std::atomic<bool> *stop_on_interrupt();

// Runs the whole flow and writes the bundle atomically; returns the exit code. `training` goes
// into the bundle's metadata (with the training results added when `learn.adapt`); `loss_log`,
// when not empty, receives the per-step losses as CSV.
int run_learn(const FitOptions &options, LearnOptions learn, nlohmann::json training,
              const std::string &loss_log = {}, const std::atomic<bool> *stop = nullptr);

}  // namespace lsfa::cli
