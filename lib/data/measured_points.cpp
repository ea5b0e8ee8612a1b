#include "lsfa/data/measured_points.h"

#include <cmath>

#include "lsfa/core/error.h"

namespace lsfa {

bool has_measured_point(const cv::Mat &xyz) {
  require(xyz.type() == CV_32FC3,
          "has_measured_point: cloud must be CV_32FC3, got " + cv::typeToString(xyz.type()));
  for (int v = 0; v < xyz.rows; ++v) {
    const cv::Vec3f *p = xyz.ptr<cv::Vec3f>(v);
    for (int u = 0; u < xyz.cols; ++u)
      if (std::isfinite(p[u][0]) && std::isfinite(p[u][1]) && std::isfinite(p[u][2]) &&
          (p[u][0] != 0.f || p[u][1] != 0.f || p[u][2] != 0.f))
        return true;
  }
  return false;
}

}  // namespace lsfa
