// Which modalities a model uses: RGB only, 3D only, or both (their normalised scores fused).
// One spelling everywhere (CLI, element properties, bundle metadata, features meta):
// "rgb", "3d", "rgb,3d".
#pragma once

#include <string>

namespace lsfa {

enum class Modalities { kRgb, kPoints, kFused };

std::string to_string(Modalities m);                      // "rgb", "3d", "rgb,3d"
Modalities modalities_from_string(const std::string &s);  // also "3d,rgb"; throws lsfa::Error
inline bool uses_rgb(Modalities m) {
  return m != Modalities::kPoints;
}
inline bool uses_points(Modalities m) {
  return m != Modalities::kRgb;
}

}  // namespace lsfa
