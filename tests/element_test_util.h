// Helpers of the element tests that run the model code (test_features.cpp,
// test_score.cpp): a small RGB-D scene as GStreamer buffers, and lsfafeatures wired to
// harnesses.
#pragma once

#include <ATen/ATen.h>
#include <gst/check/gstharness.h>
#include <gst/gst.h>
#include <gst/lsfa/lsfa.h>
#include <gst/video/video.h>
#include <gtest/gtest.h>
#include <algorithm>
#include <cmath>
#include <cstdio>
#include <filesystem>
#include <string>
#include <vector>
#include "lsfa/core/threads.h"
#include "lsfa/data/depth_camera.h"
#include "lsfa/data/mvtec_dataset.h"
#include "lsfa/io/image_io.h"
#include "lsfa/io/tiff_io.h"
#include "lsfa/model/bundle.h"
#include "lsfa/model/pipeline.h"
#include "lsfa_frames.h"
#include "lsfa_hysteresis.h"
#include "plugins/gst_test.h"
#include "test_util.h"

namespace lsfa_gst_test {

inline constexpr int kW = 64, kH = 48;
inline constexpr double kFx = 60, kFy = 60, kCx = 31.5, kCy = 23.5, kScale = 0.001;

using PipelineTest = GstTest;

// A scene: a textured box (z = 0.47 m) on a plane (z = 0.5 m); `shift` moves the texture.
struct Scene {
  std::vector<uint8_t> rgb;     // packed R,G,B
  std::vector<uint16_t> depth;  // millimetres
};
inline Scene make_scene(int shift = 0) {
  Scene s;
  s.rgb.resize(kW * kH * 3);
  s.depth.resize(kW * kH);
  for (int y = 0; y < kH; ++y)
    for (int x = 0; x < kW; ++x) {
      bool box = x >= 20 && x < 44 && y >= 14 && y < 34;
      s.depth[y * kW + x] = box ? 470 : 500;
      uint8_t *p = &s.rgb[(y * kW + x) * 3];
      p[0] = static_cast<uint8_t>(box ? 200 : 60);
      p[1] = static_cast<uint8_t>(((x + shift) * 7 + y * 3) & 0xff);
      p[2] = static_cast<uint8_t>((x * y + shift) & 0xff);
    }
  return s;
}

// The scene's RGB in a given packed format.
inline GstBuffer *rgb_buffer(const Scene &s, const char *format, GstClockTime pts) {
  GstVideoInfo info;
  gst_video_info_set_format(&info, gst_video_format_from_string(format), kW, kH);
  GstBuffer *buf = gst_buffer_new_allocate(nullptr, GST_VIDEO_INFO_SIZE(&info), nullptr);
  GstVideoFrame f;
  gst_video_frame_map(&f, &info, buf, GST_MAP_WRITE);
  const GstVideoFormatInfo *fi = info.finfo;
  auto *d = static_cast<uint8_t *>(GST_VIDEO_FRAME_PLANE_DATA(&f, 0));
  int stride = GST_VIDEO_FRAME_PLANE_STRIDE(&f, 0), ps = GST_VIDEO_FRAME_COMP_PSTRIDE(&f, 0);
  for (int y = 0; y < kH; ++y)
    for (int x = 0; x < kW; ++x) {
      uint8_t *p = d + y * stride + x * ps;
      if (ps == 4) p[0] = p[1] = p[2] = p[3] = 0x55;  // padding/alpha must be ignored
      p[GST_VIDEO_FORMAT_INFO_POFFSET(fi, 0)] = s.rgb[(y * kW + x) * 3];
      p[GST_VIDEO_FORMAT_INFO_POFFSET(fi, 1)] = s.rgb[(y * kW + x) * 3 + 1];
      p[GST_VIDEO_FORMAT_INFO_POFFSET(fi, 2)] = s.rgb[(y * kW + x) * 3 + 2];
    }
  gst_video_frame_unmap(&f);
  GST_BUFFER_PTS(buf) = pts;
  GST_BUFFER_DURATION(buf) = 100 * GST_MSECOND;
  return buf;
}

inline GstBuffer *depth_buffer(const Scene &s, GstClockTime pts, int w = kW, int h = kH) {
  GstVideoInfo info;
  gst_video_info_set_format(&info, GST_VIDEO_FORMAT_GRAY16_LE, w, h);
  GstBuffer *buf = gst_buffer_new_allocate(nullptr, GST_VIDEO_INFO_SIZE(&info), nullptr);
  GstVideoFrame f;
  gst_video_frame_map(&f, &info, buf, GST_MAP_WRITE);
  for (int y = 0; y < h; ++y) {
    auto *row =
        reinterpret_cast<uint16_t *>(static_cast<uint8_t *>(GST_VIDEO_FRAME_PLANE_DATA(&f, 0)) +
                                     y * GST_VIDEO_FRAME_PLANE_STRIDE(&f, 0));
    for (int x = 0; x < w; ++x) row[x] = s.depth[(y * kH / h) * kW + x * kW / w];
  }
  gst_video_frame_unmap(&f);
  GST_BUFFER_PTS(buf) = pts;
  GST_BUFFER_DURATION(buf) = 100 * GST_MSECOND;
  return buf;
}

inline std::string rgb_caps(const char *format = "RGB") {
  return std::string("video/x-raw, format=") + format + ", width=" + std::to_string(kW) +
         ", height=" + std::to_string(kH) + ", framerate=10/1";
}
inline std::string depth_caps(const std::string &extra =
                                  ", depth-scale=(double)0.001, "
                                  "intrinsics=(double)<60.0, 60.0, 31.5, 23.5>") {
  return "video/x-raw, format=GRAY16_LE, width=" + std::to_string(kW) +
         ", height=" + std::to_string(kH) + ", framerate=10/1" + extra;
}

// lsfafeatures with an rgb harness and (optionally) a depth harness on the same element.
struct Features {
  GstHarness *rgb = nullptr, *depth = nullptr;
  GstBus *bus = nullptr;
  explicit Features(bool with_depth = true, const std::string &rgb_caps_str = rgb_caps(),
                    const std::string &depth_caps_str = depth_caps()) {
    GstElement *e = gst_element_factory_make("lsfafeatures", nullptr);
    g_object_set(e, "threads", 2, nullptr);
    bus = gst_bus_new();
    gst_element_set_bus(e, bus);
    rgb = gst_harness_new_with_element(e, "rgb", "src");
    gst_object_unref(e);
    gst_harness_set_src_caps_str(rgb, rgb_caps_str.c_str());
    if (with_depth) {
      depth = gst_harness_new_with_element(rgb->element, "depth", nullptr);
      gst_harness_set_src_caps_str(depth, depth_caps_str.c_str());
    }
  }
  ~Features() {
    if (depth) gst_harness_teardown(depth);
    gst_harness_teardown(rgb);
    gst_object_unref(bus);
  }
  guint64 dropped(const char *which) {
    guint64 n = 0;
    g_object_get(rgb->element, which, &n, nullptr);
    return n;
  }
  // The text of the first error on the bus, or "" after `timeout`.
  std::string error(GstClockTime timeout = 20 * GST_SECOND) {
    GstMessage *m = gst_bus_timed_pop_filtered(bus, timeout, GST_MESSAGE_ERROR);
    if (!m) return "";
    GError *e = nullptr;
    gchar *dbg = nullptr;
    gst_message_parse_error(m, &e, &dbg);
    std::string s = std::string(e->message) + " | " + (dbg ? dbg : "");
    g_error_free(e);
    g_free(dbg);
    gst_message_unref(m);
    return s;
  }
};

inline const lsfa::SampleFeatures *features(GstBuffer *buf) {
  return lsfa_gst::features_of(gst_buffer_get_lsfa_features_meta(buf));
}

}  // namespace lsfa_gst_test
