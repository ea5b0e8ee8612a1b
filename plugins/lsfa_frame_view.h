// A cv::Mat view (no copy) of the pixels of a mapped packed-RGB video frame, with the byte order of
// its colour channels, for the six formats the lsfa elements accept (GST_LSFA_RGB_FORMATS).
#pragma once

#include <gst/video/video.h>

#include <opencv2/core.hpp>

#include "lsfa/render/colormap.h"

namespace lsfa_gst {

struct FrameView {
  cv::Mat pixels;  // CV_8UC3 (RGB, BGR) or CV_8UC4 (RGBx, BGRx, RGBA, BGRA), the frame's stride
  lsfa::ChannelOrder order;
};

// Throws lsfa::Error for any other format.
FrameView frame_view(GstVideoFrame *frame);

}  // namespace lsfa_gst
