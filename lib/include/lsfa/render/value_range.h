// The fixed normalisation of anomaly values to colour-map indices: a model-calibrated range (the
// same value has the same colour in every frame), not a per-frame min/max.
#pragma once

#include <cstdint>
#include <opencv2/core.hpp>

namespace lsfa {

struct ValueRange {
  float low = 0, high = 1;
};

// `preferred` when it is a proper range (low < high), else `fallback`; a degenerate result is
// widened to [low, low + 1].
ValueRange display_range(ValueRange preferred, ValueRange fallback);

// Index of `value`: round(clamp((value - low) / (high - low), 0, 1) * 255).
uint8_t range_index(float value, ValueRange range);

// range_index of every element of the CV_32FC1 `values` (NaN gives 0), as CV_8UC1.
cv::Mat range_indices(const cv::Mat &values, ValueRange range);

}  // namespace lsfa
