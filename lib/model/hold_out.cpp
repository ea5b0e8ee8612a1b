#include "lsfa/model/hold_out.h"

#include <cmath>

#include "lsfa/core/error.h"

namespace lsfa {

void require_calibration_samples(size_t count, const std::string &source) {
  require(count >= kMinCalibrationSamples,
          "calibration needs at least " + std::to_string(kMinCalibrationSamples) +
              " held-out normal samples, " + source + " gives " + std::to_string(count));
}

std::vector<bool> hold_out_mask(size_t n, double fraction) {
  require(fraction > 0 && fraction < 1,
          "the held-out fraction must lie in (0, 1), got " + std::to_string(fraction));
  std::vector<bool> mask(n);
  size_t held = 0;
  for (size_t i = 0; i < n; ++i) {
    mask[i] = std::floor((i + 1) * fraction) > std::floor(i * fraction);
    held += mask[i];
  }
  require_calibration_samples(
      held,
      std::to_string(n) + " normal samples at a held-out fraction of " + std::to_string(fraction));
  require(held < n, "no sample is left for the memory banks (" + std::to_string(n) +
                        " samples, all held out)");
  return mask;
}

}  // namespace lsfa
