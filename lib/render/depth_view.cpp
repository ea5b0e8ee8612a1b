#include "lsfa/render/depth_view.h"

#include <algorithm>
#include <cmath>

#include "lsfa/core/error.h"

namespace lsfa {

namespace {

// The measurement rule of preprocessing (lsfa/preprocess/valid_point.h; render sits below it).
bool measured(const cv::Vec3f &p) {
  return std::isfinite(p[0]) && std::isfinite(p[1]) && std::isfinite(p[2]) &&
         (p[0] != 0.f || p[1] != 0.f || p[2] != 0.f);
}

void require_cloud(const cv::Mat &xyz) {
  require(xyz.type() == CV_32FC3,
          "depth view: the cloud must be CV_32FC3, got " + cv::typeToString(xyz.type()));
}

}  // namespace

ValueRange measured_z_range(const cv::Mat &xyz) {
  require_cloud(xyz);
  bool any = false;
  ValueRange r{0, 0};
  for (int y = 0; y < xyz.rows; ++y) {
    const cv::Vec3f *p = xyz.ptr<cv::Vec3f>(y);
    for (int x = 0; x < xyz.cols; ++x) {
      if (!measured(p[x])) continue;
      r.low = any ? std::min(r.low, p[x][2]) : p[x][2];
      r.high = any ? std::max(r.high, p[x][2]) : p[x][2];
      any = true;
    }
  }
  return r;
}

cv::Mat depth_view(const cv::Mat &xyz, ValueRange range, Colormap map, ChannelOrder order) {
  require_cloud(xyz);
  range = display_range(range, range);
  cv::Mat index(xyz.size(), CV_8UC1), valid(xyz.size(), CV_8UC1);
  for (int y = 0; y < xyz.rows; ++y) {
    const cv::Vec3f *p = xyz.ptr<cv::Vec3f>(y);
    uint8_t *i = index.ptr<uint8_t>(y), *v = valid.ptr<uint8_t>(y);
    for (int x = 0; x < xyz.cols; ++x) {
      v[x] = measured(p[x]) ? 255 : 0;
      i[x] = v[x] ? range_index(p[x][2], range) : 0;
    }
  }
  cv::Mat out = apply_colormap(index, map, order);
  out.setTo(cv::Scalar::all(0), valid == 0);
  return out;
}

}  // namespace lsfa
