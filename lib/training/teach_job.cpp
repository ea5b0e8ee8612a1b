#include "lsfa/training/teach_job.h"

#include <chrono>

namespace lsfa {

TeachOutcome run_teach_job(TeachJob job, const LearnProgress &progress,
                           const std::atomic<bool> *stop) {
  const auto start = std::chrono::steady_clock::now();
  std::vector<SampleFeatures> train, held;
  split_held_out(std::move(job.samples), job.holdout, &train, &held);
  LearnOptions options;
  options.adapt = job.epochs > 0;
  options.train.epochs = job.epochs;
  options.train.seed = job.config.seed;
  options.build.training_json =
      teach_training_json({job.epochs, train.size(), held.size(), job.category});
  TeachOutcome out;
  out.bundle =
      learn_bundle(job.config, job.extractor_identity, train, held, options, progress, stop).bundle;
  save_bundle(job.output, out.bundle);
  out.train_samples = train.size();
  out.held_out_samples = held.size();
  out.seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
  return out;
}

}  // namespace lsfa
