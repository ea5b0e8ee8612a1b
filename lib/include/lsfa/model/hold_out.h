// Which normal samples calibrate a model (normalisation statistics, thresholds, heatmap range)
// instead of feeding its memory banks. One rule for `lsfa fit`, `lsfa train` (when the category
// has no validation split) and the teach mode of lsfascore.
#pragma once

#include <cstddef>
#include <string>
#include <vector>

namespace lsfa {

// Fewer held-out samples give no usable spread: one sample has a standard deviation of 0, and
// scores divided by it explode. Every bundle is calibrated on at least this many.
constexpr size_t kMinCalibrationSamples = 3;

// Of n samples in order, sample i is held out when floor((i + 1) * fraction) > floor(i * fraction):
// the held-out samples are spread evenly over the sequence (a stream drifts; a data set is sorted).
// Throws lsfa::Error naming the counts when fewer than kMinCalibrationSamples would be held out
// or no sample would be left for the memory banks.
std::vector<bool> hold_out_mask(size_t n, double fraction);

// Throws lsfa::Error when `count` held-out samples (from `source`, e.g. "the validation split")
// are fewer than kMinCalibrationSamples, naming both numbers.
void require_calibration_samples(size_t count, const std::string &source);

}  // namespace lsfa
