// lsfasrc: plays an MVTec 3D-AD layout data set as a paired stream.
#include <gst/check/gstharness.h>
#include <gst/gst.h>
#include <gst/lsfa/lsfa.h>
#include <gst/video/video.h>
#include <gtest/gtest.h>

#include <algorithm>
#include <cmath>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <sstream>
#include <string>
#include <tuple>
#include <vector>

#include "gst_test.h"
#include "lsfa/io/image_io.h"
#include "lsfa/io/tiff_io.h"
#include "lsfa_hysteresis.h"
#include "lsfa_pairing.h"
#include "test_util.h"

namespace {

using ElementsTest = lsfa_gst_test::GstTest;

// ----------------------------------------------------------------------------- lsfasrc

// A data set in the MVTec 3D-AD layout: category "part", test split with crack/000, crack/001 and
// good/000 (8 x 6 pixels). Sample k (in playing order) has rgb (10x, 10y, 50k), xyz
// (0.01x, 0.01y, 0.5 + 0.1k); crack samples have a defect pixel at (2, 3).
void write_dataset(const std::string &root) {
  namespace fs = std::filesystem;
  const char *dirs[3][2] = {{"crack", "000"}, {"crack", "001"}, {"good", "000"}};
  for (int k = 0; k < 3; ++k) {
    fs::path d = fs::path(root) / "part" / "test" / dirs[k][0];
    for (const char *sub : {"rgb", "xyz", "gt"}) fs::create_directories(d / sub);
    cv::Mat rgb(6, 8, CV_8UC3), xyz(6, 8, CV_32FC3), gt = cv::Mat::zeros(6, 8, CV_8UC1);
    for (int y = 0; y < 6; ++y)
      for (int x = 0; x < 8; ++x) {
        rgb.at<cv::Vec3b>(y, x) = cv::Vec3b(10 * x, 10 * y, 50 * k);
        xyz.at<cv::Vec3f>(y, x) = cv::Vec3f(0.01f * x, 0.01f * y, 0.5f + 0.1f * k);
      }
    std::string id = dirs[k][1];
    lsfa::write_rgb_png((d / "rgb" / (id + ".png")).string(), rgb);
    lsfa::write_xyz_tiff((d / "xyz" / (id + ".tiff")).string(), xyz);
    if (k < 2) {
      gt.at<uint8_t>(3, 2) = 255;
      lsfa::write_mask_png((d / "gt" / (id + ".png")).string(), gt);
    }
  }
}

// Checks a buffer of lsfasrc against sample k of write_dataset.
void expect_sample(GstBuffer *buf, int k) {
  GstVideoInfo info;
  gst_video_info_set_format(&info, GST_VIDEO_FORMAT_RGB, 8, 6);
  GstVideoFrame frame;
  ASSERT_TRUE(gst_video_frame_map(&frame, &info, buf, GST_MAP_READ));
  const uint8_t *p = static_cast<const uint8_t *>(GST_VIDEO_FRAME_PLANE_DATA(&frame, 0));
  const int stride = GST_VIDEO_FRAME_PLANE_STRIDE(&frame, 0);
  EXPECT_EQ(p[5 * stride + 7 * 3 + 0], 70);
  EXPECT_EQ(p[5 * stride + 7 * 3 + 1], 50);
  EXPECT_EQ(p[5 * stride + 7 * 3 + 2], 50 * k);
  gst_video_frame_unmap(&frame);

  GstLsfaRgbdMeta *m = gst_buffer_get_lsfa_rgbd_meta(buf);
  ASSERT_NE(m, nullptr);
  EXPECT_EQ(m->format, GST_LSFA_DEPTH_FORMAT_XYZ_F32);
  EXPECT_EQ(m->width, 8u);
  EXPECT_EQ(m->height, 6u);
  GstMapInfo mi;
  ASSERT_TRUE(gst_buffer_map(m->depth, &mi, GST_MAP_READ));
  const float *xyz = reinterpret_cast<const float *>(mi.data + 4 * m->stride) + 3 * 5;  // (5, 4)
  EXPECT_FLOAT_EQ(xyz[0], 0.05f);
  EXPECT_FLOAT_EQ(xyz[1], 0.04f);
  EXPECT_FLOAT_EQ(xyz[2], 0.5f + 0.1f * k);
  gst_buffer_unmap(m->depth, &mi);
  ASSERT_NE(m->mask, nullptr);  // test split: good samples get an all-zero mask
  ASSERT_TRUE(gst_buffer_map(m->mask, &mi, GST_MAP_READ));
  EXPECT_EQ(mi.data[3 * 8 + 2], k < 2 ? 255 : 0);
  EXPECT_EQ(mi.data[3 * 8 + 3], 0);
  gst_buffer_unmap(m->mask, &mi);
}

TEST_F(ElementsTest, SrcPlaysDataSetAsPairedStream) {
  lsfa::test::TempDir tmp;
  write_dataset(tmp.path());
  GstHarness *h = gst_harness_new("lsfasrc");
  g_object_set(h->element, "location", tmp.path().c_str(), "category", "part", nullptr);
  gst_util_set_object_arg(G_OBJECT(h->element), "framerate", "10/1");
  gst_harness_play(h);
  for (int k = 0; k < 3; ++k) {
    SCOPED_TRACE(k);
    GstBuffer *buf = gst_harness_pull(h);
    ASSERT_NE(buf, nullptr);
    EXPECT_EQ(GST_BUFFER_PTS(buf), k * 100 * GST_MSECOND);
    EXPECT_EQ(GST_BUFFER_DURATION(buf), 100 * GST_MSECOND);
    expect_sample(buf, k);
    gst_buffer_unref(buf);
  }
  GstCaps *caps = gst_pad_get_current_caps(h->sinkpad);
  ASSERT_NE(caps, nullptr);
  EXPECT_TRUE(gst_lsfa_caps_has_rgbd_feature(caps));
  GstVideoInfo info;
  ASSERT_TRUE(gst_video_info_from_caps(&info, caps));
  EXPECT_EQ(GST_VIDEO_INFO_WIDTH(&info), 8);
  EXPECT_EQ(GST_VIDEO_INFO_HEIGHT(&info), 6);
  EXPECT_EQ(GST_VIDEO_INFO_FPS_N(&info), 10);
  gst_caps_unref(caps);
  GstBuffer *last = nullptr;
  EXPECT_TRUE(gst_harness_pull_until_eos(h, &last));
  EXPECT_EQ(last, nullptr);  // EOS right after the third sample
  gst_harness_teardown(h);
}

TEST_F(ElementsTest, SrcLoops) {
  lsfa::test::TempDir tmp;
  write_dataset(tmp.path());
  GstHarness *h = gst_harness_new("lsfasrc");
  g_object_set(h->element, "location", tmp.path().c_str(), "category", "part", "loop", TRUE,
               nullptr);
  gst_harness_play(h);
  for (int i = 0; i < 5; ++i) {
    GstBuffer *buf = gst_harness_pull(h);
    ASSERT_NE(buf, nullptr);
    EXPECT_EQ(GST_BUFFER_PTS(buf), i * GST_SECOND);  // default 1/1, still increasing
    expect_sample(buf, i % 3);
    gst_buffer_unref(buf);
  }
  gst_harness_teardown(h);
}

// Runs a launch line to its end; returns the error text (empty when it ended with EOS).
std::string run_to_end(const std::string &line) {
  GError *err = nullptr;
  GstElement *pipe = gst_parse_launch(line.c_str(), &err);
  if (pipe == nullptr || err != nullptr) {  // a link failure returns a pipeline and an error
    std::string e = err ? err->message : "parse failed";
    g_clear_error(&err);
    if (pipe) gst_object_unref(pipe);
    return "parse: " + e;
  }
  gst_element_set_state(pipe, GST_STATE_PLAYING);
  GstBus *bus = gst_element_get_bus(pipe);
  GstMessage *msg = gst_bus_timed_pop_filtered(
      bus, 60 * GST_SECOND, static_cast<GstMessageType>(GST_MESSAGE_EOS | GST_MESSAGE_ERROR));
  std::string result;
  if (msg == nullptr) {
    result = "timeout";
  } else if (GST_MESSAGE_TYPE(msg) == GST_MESSAGE_ERROR) {
    GError *e = nullptr;
    gchar *dbg = nullptr;
    gst_message_parse_error(msg, &e, &dbg);
    result = std::string(e->message) + " | " + (dbg ? dbg : "");
    g_error_free(e);
    g_free(dbg);
  }
  if (msg) gst_message_unref(msg);
  gst_element_set_state(pipe, GST_STATE_NULL);
  gst_object_unref(bus);
  gst_object_unref(pipe);
  return result;
}

TEST_F(ElementsTest, SrcRefusesAZeroOrNegativeFramerate) {
  // framerate=0/1 used to be accepted and left every frame after the first without a timestamp;
  // the property's range now starts above zero, so GLib refuses the value before the element.
  GstElement *src = gst_element_factory_make("lsfasrc", nullptr);
  ASSERT_NE(src, nullptr);
  GParamSpec *spec = g_object_class_find_property(G_OBJECT_GET_CLASS(src), "framerate");
  ASSERT_NE(spec, nullptr);
  for (auto [n, d, ok] : {std::tuple{0, 1, false}, std::tuple{-5, 1, false},
                          std::tuple{1, 3600, true}, std::tuple{30000, 1001, true}}) {
    GValue v = G_VALUE_INIT;
    g_value_init(&v, GST_TYPE_FRACTION);
    gst_value_set_fraction(&v, n, d);
    EXPECT_EQ(g_param_value_validate(spec, &v) == FALSE, ok) << n << "/" << d;
    g_value_unset(&v);
  }
  gst_object_unref(src);
}

TEST_F(ElementsTest, SrcErrorsNameTheProblem) {
  lsfa::test::TempDir tmp;
  std::string err = run_to_end("lsfasrc location=" + tmp.path() + " category=nothere ! fakesink");
  EXPECT_NE(err.find("nothere"), std::string::npos) << err;
  err = run_to_end("lsfasrc ! fakesink");
  EXPECT_NE(err.find("location"), std::string::npos) << err;
  // An element unaware of the meta refuses the paired stream instead of dropping the depth.
  write_dataset(tmp.path());
  err = run_to_end("lsfasrc location=" + tmp.path() +
                   " category=part ! videoflip method=clockwise ! fakesink");
  EXPECT_NE(err.find("could not link"), std::string::npos) << err;
}

}  // namespace
