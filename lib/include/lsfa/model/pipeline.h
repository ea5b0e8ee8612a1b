// The inference pipeline of one frame, as the command-line tool and the GStreamer elements use it:
//   Sample --FeatureExtractor--> SampleFeatures --Scorer(bundle)--> AnomalyResult
// The extractor holds the frozen backbones and the preprocessing (lsfa/backbones/
// feature_extractor.h); the scorer holds what a model bundle holds: adaptors, memory banks,
// normalisation, thresholds (lsfa/model/scorer.h).
#pragma once

#include "lsfa/backbones/feature_extractor.h"
#include "lsfa/model/scorer.h"
