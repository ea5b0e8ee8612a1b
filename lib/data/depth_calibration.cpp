#include "lsfa/data/depth_calibration.h"

#include <cmath>
#include <string>

#include "lsfa/core/error.h"

namespace lsfa {

ResolvedDepthCalibration resolve_depth_calibration(const DepthCalibration &stream,
                                                   const DepthCalibration &configured, int width,
                                                   int height) {
  require(width > 0 && height > 0, "depth calibration: frame size " + std::to_string(width) + "x" +
                                       std::to_string(height) + " is not positive");
  ResolvedDepthCalibration r;
  if (stream.depth_scale)
    r.depth_scale = *stream.depth_scale;
  else if (configured.depth_scale)
    r.depth_scale = *configured.depth_scale;
  else
    throw Error(
        "no depth scale: the depth stream carries none (caps field depth-scale) and none is "
        "configured (property depth-scale)");
  require(std::isfinite(r.depth_scale) && r.depth_scale > 0,
          "depth scale " + std::to_string(r.depth_scale) + " is not a positive number");

  const DepthCalibration *source = stream.intrinsics ? &stream : &configured;
  if (!source->intrinsics)
    throw Error(
        "no intrinsics: the depth stream carries none (caps field intrinsics) and none are "
        "configured (property intrinsics)");
  r.intrinsics = *source->intrinsics;
  const Intrinsics &k = r.intrinsics;
  require(std::isfinite(k.fx) && std::isfinite(k.fy) && k.fx > 0 && k.fy > 0 &&
              std::isfinite(k.cx) && std::isfinite(k.cy),
          "intrinsics need positive finite focal lengths and a finite principal point");

  int kw = width, kh = height;
  if (source == &stream && stream.intrinsics_width > 0) {
    kw = stream.intrinsics_width;
    kh = stream.intrinsics_height;
  } else if (configured.intrinsics_width > 0) {
    kw = configured.intrinsics_width;
    kh = configured.intrinsics_height;
  }
  require(kw > 0 && kh > 0,
          "intrinsics size " + std::to_string(kw) + "x" + std::to_string(kh) + " is not positive");
  if (kw != width || kh != height) {
    r.intrinsics = r.intrinsics.scaled(kw, kh, width, height);
    r.rescaled = true;
    r.from_width = kw;
    r.from_height = kh;
  }
  return r;
}

}  // namespace lsfa
