// Depth image to organized cloud and back with arbitrary calibration values (NaN, infinities,
// zero or negative focal lengths and scales), and the intrinsics JSON reader. An input starting
// with '{' is an intrinsics file; otherwise 5 doubles, a size and the depth pixels.
#include <cstddef>
#include <cstdint>

#include "fuzz_util.h"
#include "lsfa/core/error.h"
#include "lsfa/data/depth_camera.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
  if (size > 0 && data[0] == '{') {
    try {
      (void)lsfa::read_camera_json(lsfa::fuzz::write_scratch("camera.json", data, size));
    } catch (const lsfa::Error &) {
    }
    return 0;
  }
  lsfa::fuzz::Cursor in(data, size);
  lsfa::Intrinsics k{in.take<double>(), in.take<double>(), in.take<double>(), in.take<double>()};
  const double scale = in.take<double>();
  const int w = in.take<uint8_t>() % 32 + 1, h = in.take<uint8_t>() % 32 + 1;
  const int to_w = in.take<int16_t>(), to_h = in.take<int16_t>();
  cv::Mat depth16(h, w, CV_16UC1, cv::Scalar(0));
  cv::Mat depth_m(h, w, CV_32FC1, cv::Scalar(0));
  for (int v = 0; v < h; ++v)
    for (int u = 0; u < w; ++u) {
      const uint16_t d = in.take<uint16_t>();
      depth16.at<uint16_t>(v, u) = d;
      depth_m.at<float>(v, u) = in.take<float>();
    }
  try {
    cv::Mat cloud = lsfa::depth_to_cloud(depth16, scale, k);
    (void)lsfa::cloud_to_depth(cloud, scale);
  } catch (const lsfa::Error &) {
  }
  try {
    cv::Mat cloud = lsfa::depth_metres_to_cloud(depth_m, k);
    (void)lsfa::cloud_to_depth(cloud, scale);
  } catch (const lsfa::Error &) {
  }
  try {
    (void)k.scaled(w, h, to_w, to_h);
  } catch (const lsfa::Error &) {
  }
  return 0;
}
