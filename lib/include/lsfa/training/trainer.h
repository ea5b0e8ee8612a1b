// Self-supervised training of the LSFA adaptors (docs/training.md) on cached frozen
// backbone features: adapt each modality's native tokens, map them to the shared 56 x 56 grid,
// evaluate the LSFA objective, AdamW step with warm-up + cosine schedule.
#pragma once

#include <atomic>
#include <cstdint>
#include <functional>
#include <vector>

#include "lsfa/model/adaptor.h"
#include "lsfa/model/pipeline.h"
#include "lsfa/training/lsfa_losses.h"

namespace lsfa {

struct TrainConfig {
  int64_t epochs = 5;
  int64_t batch_size = 8;      // paper value
  double lr = 2e-3;            // paper value (peak, after warm-up)
  double min_lr = 0.0;         // end of the cosine decay
  double weight_decay = 0.01;  // AdamW decoupled decay (torch default; pulls towards identity)
  double warmup_epochs = 1.0;  // linear warm-up length, in epochs (rounded to steps)
  // Learning-rate factor of the zero-initialised output projections (attn.proj, mlp.fc2): AdamW
  // moves every element by about lr per step whatever the gradient's size, and a 2C-wide fc2 row
  // then changes each output feature by ~lr * 2C * |hidden| per step, far more than the other
  // layers do (measured in docs/training.md). 1 = the paper's plain AdamW.
  double output_lr_scale = 0.1;
  uint64_t seed = 0;  // shuffling, k-means, queue subsampling
  LossConfig loss;
  Modalities modalities = Modalities::kFused;  // which adaptors are trained
  bool use_ifc = true;                         // intra-modal feature compactness: L_LC + L_GC
  bool use_clc = true;    // cross-modal local-to-global consistency: L_LA + L_GA
  int64_t grid = 56;      // shared patch grid side (N_m = grid^2)
  void validate() const;  // throws lsfa::Error naming the bad option
};

// Loss values of one step (or means over an epoch's steps).
struct StepLosses {
  double total = 0, la = 0, ga = 0, lc = 0, gc = 0;
  double lr = 0;  // learning rate used (epochs: of the epoch's last step)
};

struct TrainResult {
  std::vector<StepLosses> steps;   // one per optimiser step, in order
  std::vector<StepLosses> epochs;  // completed epochs only
  int64_t total_steps = 0;         // planned
  bool stopped = false;            // interrupted by the stop flag
  double prepare_seconds = 0;      // building the per-sample grid operators
  double train_seconds = 0;
};

// Called after every step with the 1-based step number, the planned total and the total loss.
using TrainProgress = std::function<void(int64_t step, int64_t total, double loss)>;

// Trains `rgb` and/or `points` (per config.modalities) in place on the cached features; an adaptor
// of a modality that is off is not touched (may be undefined). Samples are shuffled each epoch with
// the seed; the last batch of an epoch may be smaller. Same data + config at a fixed thread count
// gives bitwise identical weights. When *stop becomes true the current step finishes and training
// returns (result.stopped) with the weights of the completed steps. Afterwards the adaptors'
// requires_grad is off. Throws lsfa::Error on inconsistent features or options.
TrainResult train_adaptors(const std::vector<SampleFeatures> &cached, Adaptor &rgb, Adaptor &points,
                           const TrainConfig &config, const TrainProgress &progress = {},
                           const std::atomic<bool> *stop = nullptr);

}  // namespace lsfa
