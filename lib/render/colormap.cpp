#include "lsfa/render/colormap.h"

#include <opencv2/imgproc.hpp>

#include "lsfa/core/error.h"

namespace lsfa {
namespace {

// OpenCV's map for each Colormap; -1: gray (identity, which OpenCV has no map for).
int opencv_map(Colormap map) {
  switch (map) {
    case Colormap::kJet:
      return cv::COLORMAP_JET;
    case Colormap::kInferno:
      return cv::COLORMAP_INFERNO;
    case Colormap::kTurbo:
      return cv::COLORMAP_TURBO;
    case Colormap::kGray:
      return -1;
    case Colormap::kViridis:
      return cv::COLORMAP_VIRIDIS;
    case Colormap::kMagma:
      return cv::COLORMAP_MAGMA;
    case Colormap::kPlasma:
      return cv::COLORMAP_PLASMA;
    case Colormap::kCividis:
      return cv::COLORMAP_CIVIDIS;
    case Colormap::kParula:
      return cv::COLORMAP_PARULA;
    case Colormap::kHot:
      return cv::COLORMAP_HOT;
    case Colormap::kBone:
      return cv::COLORMAP_BONE;
  }
  throw Error("unknown colour map " + std::to_string(static_cast<int>(map)));
}

}  // namespace

const std::vector<ColormapInfo> &colormaps() {
  static const std::vector<ColormapInfo> all = {
      {Colormap::kJet, "jet", "Jet (dark blue - cyan - yellow - dark red)"},
      {Colormap::kInferno, "inferno", "Inferno (black - purple - orange - pale yellow)"},
      {Colormap::kTurbo, "turbo", "Turbo (dark blue - cyan - green - yellow - dark red)"},
      {Colormap::kGray, "gray", "Gray (black - white)"},
      {Colormap::kViridis, "viridis", "Viridis (purple - teal - yellow)"},
      {Colormap::kMagma, "magma", "Magma (black - purple - pink - pale yellow)"},
      {Colormap::kPlasma, "plasma", "Plasma (blue - purple - orange - yellow)"},
      {Colormap::kCividis, "cividis", "Cividis (dark blue - gray - yellow), colour-blind safe"},
      {Colormap::kParula, "parula", "Parula (dark blue - teal - yellow)"},
      {Colormap::kHot, "hot", "Hot (black - red - yellow - white)"},
      {Colormap::kBone, "bone", "Bone (black - blue gray - white)"},
  };
  return all;
}

cv::Mat apply_colormap(const cv::Mat &index, Colormap map, ChannelOrder order) {
  require(index.type() == CV_8UC1, "apply_colormap: the index must be CV_8UC1");
  cv::Mat out;
  const int cv_map = opencv_map(map);
  if (cv_map < 0) {
    cv::cvtColor(index, out, cv::COLOR_GRAY2BGR);
    return out;
  }
  cv::applyColorMap(index, out, cv_map);  // BGR
  if (order == ChannelOrder::kRgb) cv::cvtColor(out, out, cv::COLOR_BGR2RGB);
  return out;
}

cv::Scalar colour(ChannelOrder order, int r, int g, int b) {
  return order == ChannelOrder::kRgb ? cv::Scalar(r, g, b) : cv::Scalar(b, g, r);
}

}  // namespace lsfa
