#include "lsfa/core/modalities.h"

#include "lsfa/core/error.h"

namespace lsfa {

std::string to_string(Modalities m) {
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
  if (s == "rgb,3d" || s == "3d,rgb") return Modalities::kFused;
  if (s == "rgb") return Modalities::kRgb;
  if (s == "3d") return Modalities::kPoints;
  throw Error("unknown modalities '" + s + "' (expected rgb,3d or rgb or 3d)");
}

}  // namespace lsfa
