// Data shared by the device suites (tests/device): random clouds, synthetic frames, and a small
// model bundle learned from synthetic frames with its extractor and scorer on a chosen device.
#pragma once

#include <ATen/core/Tensor.h>

#include <cstdint>
#include <memory>
#include <string>

#include "lsfa/model/pipeline.h"

namespace lsfa::test {

// n random points [n,3] in a 0.1 m box, a tenth of them repeated (exact ties), on the CPU.
at::Tensor device_cloud(int64_t n, uint64_t seed);

// A synthetic frame (category of the generator's first category).
Sample device_sample(int width, int height, uint64_t seed);

struct DeviceModel {
  std::unique_ptr<FeatureExtractor> extractor;  // small preset, on the device
  std::unique_ptr<Scorer> scorer;               // the bundle, on the device
};
// A bundle learned on the CPU (no adaptation) from 4 + 3 synthetic 96 x 72 frames, then the
// extractor and the scorer on `device`.
DeviceModel device_model(const std::string &device);

}  // namespace lsfa::test
