// Learning a model bundle from backbone features of normal samples: adaptors (identity, or trained
// with the LSFA objective), then memory banks, calibration and thresholds. `lsfa fit`, `lsfa train`
// and the teach mode of lsfascore all learn through here, so a bundle taught from a stream is the
// same kind of bundle the command line builds.
#pragma once

#include <atomic>
#include <functional>
#include <string>
#include <vector>

#include "lsfa/model/bundle.h"
#include "lsfa/model/model_builder.h"
#include "lsfa/model/pipeline.h"
#include "lsfa/training/trainer.h"

namespace lsfa {

struct LearnOptions {
  bool adapt = false;  // false: identity adaptors (no adaptation); true: LSFA training
  TrainConfig train;   // settings of the LSFA training (when adapt)
  BuildOptions build;  // banks, thresholds, metadata
};

struct LearnResult {
  ModelBundle bundle;
  TrainResult training;  // empty when not adapted
  size_t train_samples = 0, held_out_samples = 0;
};

// Progress of the whole learning: stage ("train", "bank rgb", "bank 3d", "coreset rgb",
// "coreset 3d", "calibration"), done, total, and the current loss for "train" (NaN otherwise).
using LearnProgress =
    std::function<void(const std::string &stage, size_t done, size_t total, double loss)>;

// Learns from separate bank and held-out samples. Throws lsfa::Error when training was stopped
// through `stop` (nothing is returned then) or on bad input.
LearnResult learn_bundle(const ExtractorConfig &config, const std::string &extractor_identity,
                         const std::vector<SampleFeatures> &train,
                         const std::vector<SampleFeatures> &held_out, const LearnOptions &options,
                         const LearnProgress &progress = {},
                         const std::atomic<bool> *stop = nullptr);

// The training metadata a teach run (the teach mode of lsfascore) stores in its bundle, as a JSON
// object: {"source": "lsfascore teach mode", "epochs", "train_samples", "held_out_samples"} and
// "category" when one is given (lsfa eval reads it).
struct TeachRecord {
  unsigned epochs = 0;
  size_t train_samples = 0, held_out_samples = 0;
  std::string category;  // empty: not recorded
};
std::string teach_training_json(const TeachRecord &record);

// Splits a sequence of normal samples (e.g. the frames of a teach run) into bank samples and
// held-out samples with the rule of lsfa/model/hold_out.h. Throws lsfa::Error naming the counts
// when fewer than kMinCalibrationSamples would be held out or none would be left for the banks.
void split_held_out(std::vector<SampleFeatures> samples, double fraction,
                    std::vector<SampleFeatures> *train, std::vector<SampleFeatures> *held_out);

}  // namespace lsfa
