#include "lsfa/core/error.h"
#include "lsfa/model/pipeline.h"

namespace lsfa {

std::string modalities_to_string(Modalities m) {
  switch (m) {
    case Modalities::kRgb:
      return "rgb";
    case Modalities::kPoints:
      return "3d";
    case Modalities::kFused:
      break;
  }
  return "rgb,3d";
}

Modalities modalities_from_string(const std::string &s) {
  if (s == "rgb,3d" || s == "3d,rgb" || s == "fused" || s == "both") return Modalities::kFused;
  if (s == "rgb") return Modalities::kRgb;
  if (s == "3d" || s == "points" || s == "xyz") return Modalities::kPoints;
  throw Error("unknown modalities '" + s + "' (expected rgb,3d or rgb or 3d)");
}

}  // namespace lsfa
