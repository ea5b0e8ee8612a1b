// Colour maps of the anomaly overlay: OpenCV's exact maps (cv::applyColorMap) plus plain gray, on
// 8-bit indices (0 = low end of the range, 255 = high end).
#pragma once

#include <opencv2/core.hpp>
#include <string>
#include <vector>

namespace lsfa {

// Byte order of the three colour channels of a frame (a fourth padding/alpha byte, if any, follows
// them and is never written).
enum class ChannelOrder { kRgb, kBgr };

// The numbers are stable: the lsfaoverlay enum property uses them.
enum class Colormap {
  kJet = 0,
  kInferno = 1,
  kTurbo = 2,
  kGray = 3,
  kViridis = 4,
  kMagma = 5,
  kPlasma = 6,
  kCividis = 7,
  kParula = 8,
  kHot = 9,
  kBone = 10,
};

struct ColormapInfo {
  Colormap map;
  const char *name;         // short name, e.g. "jet"
  const char *description;  // the colours from low to high
};

// Every colour map, in enum order.
const std::vector<ColormapInfo> &colormaps();

// The colours of `index` (CV_8UC1) under `map`, as CV_8UC3 in `order`.
cv::Mat apply_colormap(const cv::Mat &index, Colormap map, ChannelOrder order);

// An RGB colour as a cv::Scalar in `order` (for drawing functions).
cv::Scalar colour(ChannelOrder order, int r, int g, int b);

}  // namespace lsfa
