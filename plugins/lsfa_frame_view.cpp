#include "lsfa_frame_view.h"

#include <string>

#include "lsfa/core/error.h"

namespace lsfa_gst {

FrameView frame_view(GstVideoFrame *frame) {
  int type = 0;
  lsfa::ChannelOrder order = lsfa::ChannelOrder::kRgb;
  switch (GST_VIDEO_FRAME_FORMAT(frame)) {
    case GST_VIDEO_FORMAT_RGB:
      type = CV_8UC3;
      break;
    case GST_VIDEO_FORMAT_BGR:
      type = CV_8UC3;
      order = lsfa::ChannelOrder::kBgr;
      break;
    case GST_VIDEO_FORMAT_RGBx:
    case GST_VIDEO_FORMAT_RGBA:
      type = CV_8UC4;
      break;
    case GST_VIDEO_FORMAT_BGRx:
    case GST_VIDEO_FORMAT_BGRA:
      type = CV_8UC4;
      order = lsfa::ChannelOrder::kBgr;
      break;
    default:
      throw lsfa::Error(std::string("unsupported video format ") +
                        gst_video_format_to_string(GST_VIDEO_FRAME_FORMAT(frame)));
  }
  return {cv::Mat(GST_VIDEO_FRAME_HEIGHT(frame), GST_VIDEO_FRAME_WIDTH(frame), type,
                  GST_VIDEO_FRAME_PLANE_DATA(frame, 0), GST_VIDEO_FRAME_PLANE_STRIDE(frame, 0)),
          order};
}

}  // namespace lsfa_gst
