// Which points of an organized cloud are measurements: finite and not (0,0,0).
#pragma once

#include <cmath>

namespace lsfa {

inline bool valid_point(const float *p) {
  return std::isfinite(p[0]) && std::isfinite(p[1]) && std::isfinite(p[2]) &&
         (p[0] != 0.f || p[1] != 0.f || p[2] != 0.f);
}

}  // namespace lsfa
