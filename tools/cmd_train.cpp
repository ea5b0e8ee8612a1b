// lsfa train: LSFA self-supervised adaptation (IFC + CLC) of the adaptors on a category's normal
// samples, then memory banks from the adapted features, calibration and the bundle.
#include <iostream>
#include <nlohmann/json.hpp>

#include "cli_common.h"
#include "commands.h"
#include "fit_common.h"
#include "lsfa/core/error.h"
#include "lsfa/training/trainer.h"

namespace lsfa::cli {
namespace {

struct TrainArgs {
  FitOptions fit;
  TrainConfig train;
  bool no_ifc = false, no_clc = false, plain_compactness = false;
  std::string background = "skip";
  std::string loss_log;
};

int run_train(TrainArgs &a) {
  TrainConfig &t = a.train;
  t.use_ifc = !a.no_ifc;
  t.use_clc = !a.no_clc;
  t.seed = a.fit.model.seed;
  t.modalities = modalities_from_string(a.fit.model.modalities);
  t.loss.background = background_patches_from_string(a.background);
  t.loss.compactness_per_channel = !a.plain_compactness;
  t.validate();

  nlohmann::json training = {{"epochs", t.epochs},
                             {"batch_size", t.batch_size},
                             {"lr", t.lr},
                             {"weight_decay", t.weight_decay},
                             {"warmup_epochs", t.warmup_epochs},
                             {"output_lr_scale", t.output_lr_scale},
                             {"compactness_per_channel", t.loss.compactness_per_channel},
                             {"seed", t.seed},
                             {"ifc", t.use_ifc},
                             {"clc", t.use_clc},
                             {"tau", t.loss.tau},
                             {"lambda", t.loss.lambda},
                             {"clusters", t.loss.clusters},
                             {"local_queue", t.loss.local_queue_size},
                             {"global_queue", t.loss.global_queue_size},
                             {"background", a.background}};
  LearnOptions learn;
  learn.adapt = true;
  learn.train = t;
  return run_learn(a.fit, learn, training, a.loss_log, stop_on_interrupt());
}

void register_train(CLI::App &app) {
  auto *cmd =
      app.add_subcommand("train", "LSFA: adapt the features (IFC + CLC), then build the model");
  auto a = std::make_shared<TrainArgs>();
  a->fit.add_to(cmd);
  TrainConfig &t = a->train;
  cmd->add_option("--epochs", t.epochs, "Training epochs")->capture_default_str();
  cmd->add_option("--batch-size", t.batch_size, "Samples per step (paper: 8)")
      ->capture_default_str();
  cmd->add_option("--lr", t.lr, "Peak learning rate of AdamW (paper: 2e-3)")->capture_default_str();
  cmd->add_option("--weight-decay", t.weight_decay, "AdamW weight decay")->capture_default_str();
  cmd->add_option("--warmup-epochs", t.warmup_epochs, "Linear warm-up length (epochs)")
      ->capture_default_str();
  cmd->add_option(
         "--output-lr-scale", t.output_lr_scale,
         "Learning-rate factor of the zero-initialised output projections (1 = plain AdamW)")
      ->capture_default_str();
  cmd->add_flag("--plain-compactness", a->plain_compactness,
                "L_LC/L_GC as plain L2 distances (default: divided by sqrt(width))");
  cmd->add_flag("--no-ifc", a->no_ifc, "Disable intra-modal feature compactness (L_LC + L_GC)");
  cmd->add_flag("--no-clc", a->no_clc, "Disable cross-modal consistency (L_LA + L_GA)");
  cmd->add_option("--tau", t.loss.tau, "InfoNCE temperature")->capture_default_str();
  cmd->add_option("--lambda", t.loss.lambda, "Weight of CLC: L = IFC + lambda * CLC")
      ->capture_default_str();
  cmd->add_option("--clusters", t.loss.clusters, "k-means clusters per sample (global features)")
      ->capture_default_str();
  cmd->add_option("--local-queue", t.loss.local_queue_size, "Patch FIFO queue size per modality")
      ->capture_default_str();
  cmd->add_option("--global-queue", t.loss.global_queue_size,
                  "Prototype FIFO queue size per modality")
      ->capture_default_str();
  cmd->add_option("--background", a->background,
                  "Patches without valid points: skip (default) or keep in the losses")
      ->check(CLI::IsMember({"skip", "keep"}))
      ->capture_default_str();
  cmd->add_option("--loss-log", a->loss_log, "Write per-step losses as CSV");
  set_runner(cmd, [a]() { return run_train(*a); });
}

LSFA_REGISTER_COMMAND(register_train);

}  // namespace
}  // namespace lsfa::cli
