// Which depth scale and intrinsics apply to a depth frame when they can come from two places: the
// stream itself (e.g. fields of the depth caps) and the user's configuration (e.g. element
// properties). The stream wins; intrinsics calibrated for another frame size (a scaler upstream)
// are rescaled to the frame.
#pragma once

#include <optional>

#include "lsfa/data/depth_camera.h"

namespace lsfa {

struct DepthCalibration {
  std::optional<double> depth_scale;  // metres per depth unit
  std::optional<Intrinsics> intrinsics;
  int intrinsics_width = 0;  // frame size the intrinsics refer to; 0 = unknown
  int intrinsics_height = 0;
};

struct ResolvedDepthCalibration {
  double depth_scale = 0;
  Intrinsics intrinsics;                // for the frame size asked for
  bool rescaled = false;                // the intrinsics were calibrated for another size
  int from_width = 0, from_height = 0;  // that size
};

// Depth scale: the stream's, else the configured one. Intrinsics: the stream's, else the
// configured ones; their size: the stream's when it gave intrinsics and a size, else the
// configured size, else the frame's. Throws lsfa::Error naming what is missing (no scale, no
// intrinsics) or invalid (non-positive scale or focal length, non-positive size).
ResolvedDepthCalibration resolve_depth_calibration(const DepthCalibration &stream,
                                                   const DepthCalibration &configured, int width,
                                                   int height);

}  // namespace lsfa
