// The learning of a teach run (the teach mode of lsfascore), from the frames collected on a stream
// to the bundle file: hold-out split, lsfa::learn_bundle, atomic write. It takes its frames by
// value and shares nothing with the caller, so the element runs it on a worker thread while frames
// keep flowing.
#pragma once

#include <atomic>
#include <string>
#include <vector>

#include "lsfa/model/bundle.h"
#include "lsfa/training/learn_bundle.h"

namespace lsfa {

struct TeachJob {
  ExtractorConfig config;               // extractor settings of the collected features
  std::string extractor_identity;       // identity of those backbones
  std::vector<SampleFeatures> samples;  // collected normal frames, in stream order
  double holdout = 0.2;                 // fraction held out for calibration (hold_out.h rule)
  unsigned epochs = 0;                  // LSFA adaptation epochs; 0 = identity adaptors
  std::string category;                 // recorded in the bundle when not empty
  std::string output;                   // bundle file to write
};

struct TeachOutcome {
  ModelBundle bundle;  // the bundle as written to the output file
  size_t train_samples = 0, held_out_samples = 0;
  double seconds = 0;  // wall time of split, learning and writing
};

// Runs the job and writes `job.output` atomically. Throws lsfa::Error on bad input (e.g. too few
// frames to hold out), on a write failure and when `stop` becomes true (then no file is written).
TeachOutcome run_teach_job(TeachJob job, const LearnProgress &progress = {},
                           const std::atomic<bool> *stop = nullptr);

}  // namespace lsfa
