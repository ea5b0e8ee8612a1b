// The flow shared by `lsfa fit` and `lsfa train`: features of train and held-out samples, optional
// adaptation, banks, calibration, bundle.
#pragma once

#include <functional>
#include <nlohmann/json.hpp>
#include <string>
#include <vector>

#include "lsfa/adaptor.h"
#include "lsfa/pipeline.h"
#include "model_options.h"

namespace lsfa::cli {

struct FitOptions {
  std::string data, category, out;
  ModelOptions model;
  double coreset_ratio = 0.1;
  int64_t coreset_size = 0;
  bool fp16_banks = false;
  double holdout_fraction = 0.2;
  double image_quantile = 0.99, image_margin = 0.5, pixel_quantile = 0.999;

  void add_to(CLI::App *cmd);
};

// Adapts the adaptors in place given the cached training features (nothing for `lsfa fit`).
using AdaptStep = std::function<void(const std::vector<SampleFeatures> &train, Adaptor *rgb,
                                     Adaptor *points)>;

// Runs the whole flow and writes the bundle; returns the exit code. `training` goes into the
// bundle's metadata; when `training_after_adapt` is given it is read after the adaptation step
// (which may add its results to it) instead.
int run_fit_like(const FitOptions &options, const std::string &method, nlohmann::json training,
                 const AdaptStep &adapt, const nlohmann::json *training_after_adapt = nullptr);

}  // namespace lsfa::cli
