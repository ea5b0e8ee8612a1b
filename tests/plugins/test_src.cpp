// lsfasrc: plays an MVTec 3D-AD or Eyecandies data set as a paired stream or as plain video, with
// each sample's path, defect type and label in a meta and in tags.
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
#include "lsfa/render/colormap.h"
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
  // Switched to the paired stream after linking, the refusal comes at negotiation; the error says
  // why and what to use instead.
  {
    GError *perr = nullptr;
    GstElement *pipe = gst_parse_launch(("lsfasrc name=s location=" + tmp.path() +
                                         " category=part output=rgb ! videoflip ! fakesink")
                                            .c_str(),
                                        &perr);
    ASSERT_NE(pipe, nullptr);
    ASSERT_EQ(perr, nullptr);
    GstElement *src = gst_bin_get_by_name(GST_BIN(pipe), "s");
    gst_util_set_object_arg(G_OBJECT(src), "output", "paired");
    gst_object_unref(src);
    gst_element_set_state(pipe, GST_STATE_PLAYING);
    GstBus *bus = gst_element_get_bus(pipe);
    GstMessage *msg = gst_bus_timed_pop_filtered(
        bus, 30 * GST_SECOND, static_cast<GstMessageType>(GST_MESSAGE_EOS | GST_MESSAGE_ERROR));
    ASSERT_NE(msg, nullptr);
    ASSERT_EQ(GST_MESSAGE_TYPE(msg), GST_MESSAGE_ERROR);
    GError *e = nullptr;
    gchar *dbg = nullptr;
    gst_message_parse_error(msg, &e, &dbg);
    const std::string text = std::string(e->message) + " | " + (dbg ? dbg : "");
    EXPECT_NE(text.find("meta:LsfaRgbd"), std::string::npos) << text;
    EXPECT_NE(text.find("output=rgb"), std::string::npos) << text;
    g_error_free(e);
    g_free(dbg);
    gst_message_unref(msg);
    gst_element_set_state(pipe, GST_STATE_NULL);
    gst_object_unref(bus);
    gst_object_unref(pipe);
  }
  // The plain-video outputs link to it and play.
  for (const char *output : {"rgb", "depth"}) {
    err = run_to_end("lsfasrc location=" + tmp.path() + " category=part output=" + output +
                     " ! videoflip method=clockwise ! fakesink");
    EXPECT_EQ(err, "") << output;
  }
}

// ----------------------------------------------------------------------------- sample meta, tags

// What a probe on a sink pad saw, in order: "tag" (with its three values) or "buffer" (with the
// sample meta's values, and the frame).
struct Seen {
  bool is_tag = false;
  std::string path, defect, category, split, id;
  int label = -1;
  GstBuffer *buffer = nullptr;  // a reference, for buffers
};

GstPadProbeReturn record(GstPad *, GstPadProbeInfo *info, gpointer data) {
  auto *seen = static_cast<std::vector<Seen> *>(data);
  if (GST_PAD_PROBE_INFO_TYPE(info) & GST_PAD_PROBE_TYPE_BUFFER) {
    GstBuffer *buf = GST_PAD_PROBE_INFO_BUFFER(info);
    Seen s;
    s.buffer = gst_buffer_ref(buf);
    if (GstLsfaSampleMeta *m = gst_buffer_get_lsfa_sample_meta(buf)) {
      s.path = m->path;
      s.defect = m->defect;
      s.category = m->category;
      s.split = m->split;
      s.id = m->id;
      s.label = m->label;
    }
    seen->push_back(s);
  } else if (GstEvent *ev = GST_PAD_PROBE_INFO_EVENT(info); GST_EVENT_TYPE(ev) == GST_EVENT_TAG) {
    GstTagList *list = nullptr;
    gst_event_parse_tag(ev, &list);
    Seen s;
    s.is_tag = true;
    gchar *str = nullptr;
    if (gst_tag_list_get_string(list, GST_LSFA_TAG_SAMPLE_PATH, &str)) s.path = str;
    g_free(str);
    str = nullptr;
    if (gst_tag_list_get_string(list, GST_LSFA_TAG_DEFECT, &str)) s.defect = str;
    g_free(str);
    gst_tag_list_get_int(list, GST_LSFA_TAG_LABEL, &s.label);
    seen->push_back(s);
  }
  return GST_PAD_PROBE_OK;
}

// Runs `line` (which has a sink named "sink") to EOS, recording what reaches the sink.
std::vector<Seen> run_and_record(const std::string &line, std::string *error) {
  std::vector<Seen> seen;
  GError *err = nullptr;
  GstElement *pipe = gst_parse_launch(line.c_str(), &err);
  if (pipe == nullptr || err != nullptr) {
    *error = "parse: " + std::string(err ? err->message : "failed");
    g_clear_error(&err);
    if (pipe) gst_object_unref(pipe);
    return seen;
  }
  GstElement *sink = gst_bin_get_by_name(GST_BIN(pipe), "sink");
  GstPad *pad = gst_element_get_static_pad(sink, "sink");
  gst_pad_add_probe(
      pad,
      static_cast<GstPadProbeType>(GST_PAD_PROBE_TYPE_BUFFER | GST_PAD_PROBE_TYPE_EVENT_DOWNSTREAM),
      record, &seen, nullptr);
  gst_object_unref(pad);
  gst_object_unref(sink);
  gst_element_set_state(pipe, GST_STATE_PLAYING);
  GstBus *bus = gst_element_get_bus(pipe);
  GstMessage *msg = gst_bus_timed_pop_filtered(
      bus, 60 * GST_SECOND, static_cast<GstMessageType>(GST_MESSAGE_EOS | GST_MESSAGE_ERROR));
  *error = msg == nullptr ? "timeout" : "";
  if (msg && GST_MESSAGE_TYPE(msg) == GST_MESSAGE_ERROR) {
    GError *e = nullptr;
    gchar *dbg = nullptr;
    gst_message_parse_error(msg, &e, &dbg);
    *error = std::string(e->message) + " | " + (dbg ? dbg : "");
    g_error_free(e);
    g_free(dbg);
  }
  if (msg) gst_message_unref(msg);
  gst_element_set_state(pipe, GST_STATE_NULL);
  gst_object_unref(bus);
  gst_object_unref(pipe);
  return seen;
}

void release(std::vector<Seen> &seen) {
  for (Seen &s : seen) gst_clear_buffer(&s.buffer);
}

// The buffers of `seen`, each checked to follow a tag event with its meta's path, defect, label.
std::vector<const Seen *> buffers_after_their_tags(const std::vector<Seen> &seen) {
  std::vector<const Seen *> out;
  const Seen *last_tag = nullptr;
  for (const Seen &s : seen) {
    if (s.is_tag) {
      last_tag = &s;
      continue;
    }
    out.push_back(&s);
    SCOPED_TRACE(s.path);
    EXPECT_NE(last_tag, nullptr) << "no tag event before the frame";
    if (last_tag == nullptr) continue;
    EXPECT_EQ(last_tag->path, s.path);
    EXPECT_EQ(last_tag->defect, s.defect);
    EXPECT_EQ(last_tag->label, s.label);
    last_tag = nullptr;  // one tag event per sample
  }
  return out;
}

TEST_F(ElementsTest, SrcFramesCarryTheirSamplePathDefectAndLabel) {
  lsfa::test::TempDir tmp;
  write_dataset(tmp.path());
  // Samples in playing order: files as write_dataset writes them.
  const std::string test_dir = tmp.path() + "/part/test/";
  const std::vector<std::tuple<std::string, std::string, int>> expected = {
      {test_dir + "crack/rgb/000.png", "crack", 1},
      {test_dir + "crack/rgb/001.png", "crack", 1},
      {test_dir + "good/rgb/000.png", "good", 0}};
  for (const char *output : {"paired", "rgb", "depth"}) {
    SCOPED_TRACE(output);
    std::string err;
    std::vector<Seen> seen =
        run_and_record("lsfasrc location=" + tmp.path() + " category=part output=" + output +
                           " ! fakesink name=sink",
                       &err);
    EXPECT_EQ(err, "");
    std::vector<const Seen *> frames = buffers_after_their_tags(seen);
    ASSERT_EQ(frames.size(), 3u);
    for (int k = 0; k < 3; ++k) {
      EXPECT_EQ(frames[k]->path, std::get<0>(expected[k]));
      EXPECT_EQ(frames[k]->defect, std::get<1>(expected[k]));
      EXPECT_EQ(frames[k]->label, std::get<2>(expected[k]));
      EXPECT_EQ(frames[k]->category, "part");
      EXPECT_EQ(frames[k]->split, "test");
      EXPECT_EQ(frames[k]->id, k == 1 ? "001" : "000");
      EXPECT_TRUE(std::filesystem::is_regular_file(frames[k]->path));
    }
    release(seen);
  }
}

TEST_F(ElementsTest, SrcRgbOutputIsPlainVideoWithTheImagePixels) {
  lsfa::test::TempDir tmp;
  write_dataset(tmp.path());
  const std::string test_dir = tmp.path() + "/part/test/";
  const std::vector<std::string> files = {test_dir + "crack/rgb/000.png",
                                          test_dir + "crack/rgb/001.png",
                                          test_dir + "good/rgb/000.png"};
  // Through videoconvert to BGRx: converted pixels, and the sample meta kept.
  std::string err;
  std::vector<Seen> seen = run_and_record(
      "lsfasrc location=" + tmp.path() +
          " category=part output=rgb ! videoconvert ! video/x-raw,format=BGRx ! fakesink name=sink",
      &err);
  EXPECT_EQ(err, "");
  std::vector<const Seen *> frames = buffers_after_their_tags(seen);
  ASSERT_EQ(frames.size(), 3u);
  for (int k = 0; k < 3; ++k) {
    SCOPED_TRACE(k);
    EXPECT_EQ(frames[k]->path, files[k]);  // the meta went through videoconvert
    EXPECT_EQ(gst_buffer_get_lsfa_rgbd_meta(frames[k]->buffer), nullptr);
    const cv::Mat rgb = lsfa::read_rgb_png(files[k]);
    GstMapInfo mi;
    ASSERT_TRUE(gst_buffer_map(frames[k]->buffer, &mi, GST_MAP_READ));
    ASSERT_EQ(mi.size, static_cast<gsize>(8 * 6 * 4));
    int wrong = 0;
    for (int y = 0; y < 6; ++y)
      for (int x = 0; x < 8; ++x) {
        const uint8_t *px = mi.data + (y * 8 + x) * 4;
        const cv::Vec3b want = rgb.at<cv::Vec3b>(y, x);  // R, G, B
        wrong += px[0] != want[2] || px[1] != want[1] || px[2] != want[0];
      }
    EXPECT_EQ(wrong, 0);
    gst_buffer_unmap(frames[k]->buffer, &mi);
  }
  release(seen);

  // Encoded with ordinary elements (the documented preview / encode lines with a file sink).
  const std::string out = tmp.file("png");
  std::filesystem::create_directories(out);
  err = run_to_end("lsfasrc location=" + tmp.path() +
                   " category=part output=rgb ! videoconvert ! pngenc ! multifilesink location=" +
                   out + "/%03d.png");
  EXPECT_EQ(err, "");
  for (int k = 0; k < 3; ++k) {
    char name[16];
    snprintf(name, sizeof(name), "/%03d.png", k);
    const cv::Mat got = lsfa::read_rgb_png(out + name), want = lsfa::read_rgb_png(files[k]);
    ASSERT_EQ(got.size(), want.size());
    EXPECT_EQ(cv::norm(got, want, cv::NORM_INF), 0.0) << name;
  }
  err = run_to_end("lsfasrc location=" + tmp.path() +
                   " category=part output=rgb ! videoconvert ! jpegenc ! filesink location=" +
                   tmp.file("frames.mjpeg"));
  EXPECT_EQ(err, "");
  EXPECT_GT(std::filesystem::file_size(tmp.file("frames.mjpeg")), 0u);
}

TEST_F(ElementsTest, SrcDepthOutputColoursZOverTheSampleRange) {
  // One sample: z = 0.5 + 0.01 x (8 x 6), pixel (0, 0) unmeasured, pixel (1, 0) NaN.
  lsfa::test::TempDir tmp;
  namespace fs = std::filesystem;
  const fs::path d = fs::path(tmp.path()) / "slope" / "train" / "good";
  fs::create_directories(d / "rgb");
  fs::create_directories(d / "xyz");
  cv::Mat rgb(6, 8, CV_8UC3, cv::Scalar(1, 2, 3)), xyz(6, 8, CV_32FC3);
  for (int y = 0; y < 6; ++y)
    for (int x = 0; x < 8; ++x)
      xyz.at<cv::Vec3f>(y, x) = cv::Vec3f(0.01f * x, 0.01f * y, 0.5f + 0.01f * x);
  xyz.at<cv::Vec3f>(0, 0) = cv::Vec3f(0, 0, 0);
  xyz.at<cv::Vec3f>(0, 1) = cv::Vec3f(NAN, NAN, NAN);
  lsfa::write_rgb_png((d / "rgb" / "000.png").string(), rgb);
  lsfa::write_xyz_tiff((d / "xyz" / "000.tiff").string(), xyz);

  GstHarness *h = gst_harness_new("lsfasrc");
  g_object_set(h->element, "location", tmp.path().c_str(), "category", "slope", nullptr);
  gst_util_set_object_arg(G_OBJECT(h->element), "split", "train");
  gst_util_set_object_arg(G_OBJECT(h->element), "output", "depth");
  gst_harness_play(h);
  GstBuffer *buf = gst_harness_pull(h);
  ASSERT_NE(buf, nullptr);
  GstCaps *caps = gst_pad_get_current_caps(h->sinkpad);
  ASSERT_NE(caps, nullptr);
  EXPECT_FALSE(gst_lsfa_caps_has_rgbd_feature(caps));
  GstVideoInfo info;
  ASSERT_TRUE(gst_video_info_from_caps(&info, caps));
  EXPECT_EQ(GST_VIDEO_INFO_FORMAT(&info), GST_VIDEO_FORMAT_RGB);
  gst_caps_unref(caps);
  EXPECT_EQ(gst_buffer_get_lsfa_rgbd_meta(buf), nullptr);
  // Expected: turbo at round((z - 0.5) / 0.07 * 255) in R,G,B; black where unmeasured.
  cv::Mat index(1, 256, CV_8UC1);
  for (int i = 0; i < 256; ++i) index.at<uint8_t>(0, i) = static_cast<uint8_t>(i);
  const cv::Mat turbo =
      lsfa::apply_colormap(index, lsfa::Colormap::kTurbo, lsfa::ChannelOrder::kRgb);
  GstVideoFrame frame;
  ASSERT_TRUE(gst_video_frame_map(&frame, &info, buf, GST_MAP_READ));
  const uint8_t *p = static_cast<const uint8_t *>(GST_VIDEO_FRAME_PLANE_DATA(&frame, 0));
  const int stride = GST_VIDEO_FRAME_PLANE_STRIDE(&frame, 0);
  int wrong = 0;
  for (int y = 0; y < 6; ++y)
    for (int x = 0; x < 8; ++x) {
      const uint8_t *px = p + y * stride + 3 * x;
      cv::Vec3b want(0, 0, 0);
      if (y > 0 || x > 1) {
        const float z = xyz.at<cv::Vec3f>(y, x)[2];
        const float high = 0.5f + 0.01f * 7;  // the cloud's largest z, as written
        want = turbo.at<cv::Vec3b>(
            0, static_cast<int>(std::lround((z - 0.5f) / (high - 0.5f) * 255.0f)));
      }
      wrong += px[0] != want[0] || px[1] != want[1] || px[2] != want[2];
    }
  EXPECT_EQ(wrong, 0);
  // The ends of the range are the ends of the map.
  EXPECT_EQ(cv::Vec3b(p[stride + 0], p[stride + 1], p[stride + 2]), turbo.at<cv::Vec3b>(0, 0));
  EXPECT_EQ(cv::Vec3b(p[stride + 21], p[stride + 22], p[stride + 23]), turbo.at<cv::Vec3b>(0, 255));
  gst_video_frame_unmap(&frame);
  gst_buffer_unref(buf);
  gst_harness_teardown(h);

  // The documented preview line, with a file sink for the display.
  const std::string out = tmp.file("depth");
  std::filesystem::create_directories(out);
  EXPECT_EQ(run_to_end("lsfasrc location=" + tmp.path() +
                       " category=slope split=train output=depth ! videoconvert ! pngenc ! "
                       "multifilesink location=" +
                       out + "/%03d.png"),
            "");
  EXPECT_TRUE(std::filesystem::is_regular_file(out + "/000.png"));
}

// ----------------------------------------------------------------------------- Eyecandies

TEST_F(ElementsTest, SrcPlaysAnEyecandiesCategory) {
  lsfa::test::TempDir tmp;
  const std::string cat = tmp.file("CandyCane");
  std::string out;
  ASSERT_EQ(lsfa::test::run_python("data_fixtures.py", "eyecandies " + lsfa::test::shell_quote(cat),
                                   &out),
            0)
      << out;
  for (const char *dataset : {"auto", "eyecandies"}) {
    SCOPED_TRACE(dataset);
    GstHarness *h = gst_harness_new("lsfasrc");
    g_object_set(h->element, "location", tmp.path().c_str(), "category", "CandyCane", nullptr);
    gst_util_set_object_arg(G_OBJECT(h->element), "dataset", dataset);
    gst_harness_play(h);
    for (int k = 0; k < 2; ++k) {
      SCOPED_TRACE(k);
      GstBuffer *buf = gst_harness_pull(h);
      ASSERT_NE(buf, nullptr);
      // The index orders samples by defect then id, as for MVTec 3D-AD: the fixture's sample 001
      // (the one with a defect, "bad") before 000 ("good").
      const bool bad = k == 0;
      const std::string id = bad ? "001" : "000";
      GstLsfaSampleMeta *s = gst_buffer_get_lsfa_sample_meta(buf);
      ASSERT_NE(s, nullptr);
      EXPECT_EQ(std::string(s->path), cat + "/test_public/data/" + id + "_image_4.png");
      EXPECT_STREQ(s->defect, bad ? "bad" : "good");
      EXPECT_EQ(s->label, bad ? 1 : 0);
      EXPECT_STREQ(s->split, "test");
      EXPECT_STREQ(s->category, "CandyCane");
      // Pixels: image 4; cloud: the reference loader's world-frame cloud.
      const cv::Mat rgb = lsfa::read_rgb_png(s->path);
      GstMapInfo mi;
      ASSERT_TRUE(gst_buffer_map(buf, &mi, GST_MAP_READ));
      ASSERT_EQ(mi.size, rgb.total() * 3);  // 32 x 24 RGB rows are 4-byte aligned
      EXPECT_EQ(memcmp(mi.data, rgb.data, mi.size), 0);
      gst_buffer_unmap(buf, &mi);
      GstLsfaRgbdMeta *m = gst_buffer_get_lsfa_rgbd_meta(buf);
      ASSERT_NE(m, nullptr);
      const cv::Mat ref = lsfa::read_xyz_tiff(cat + "/test_public_" + id + "_world.tiff");
      ASSERT_EQ(m->width, static_cast<guint>(ref.cols));
      ASSERT_TRUE(gst_buffer_map(m->depth, &mi, GST_MAP_READ));
      double worst = 0;
      const float *xyz = reinterpret_cast<const float *>(mi.data);
      for (int y = 0; y < ref.rows; ++y)
        for (int x = 0; x < ref.cols; ++x)
          for (int c = 0; c < 3; ++c)
            worst = std::max(worst, std::abs(double(xyz[(y * ref.cols + x) * 3 + c]) -
                                             ref.at<cv::Vec3f>(y, x)[c]));
      gst_buffer_unmap(m->depth, &mi);
      EXPECT_LT(worst, 1e-5);
      ASSERT_NE(m->mask, nullptr);
      ASSERT_TRUE(gst_buffer_map(m->mask, &mi, GST_MAP_READ));
      EXPECT_EQ(mi.data[4 * 32 + 5], bad ? 255 : 0);  // the fixture's defect: rows 3-5, cols 4-8
      gst_buffer_unmap(m->mask, &mi);
      gst_buffer_unref(buf);
    }
    GstBuffer *last = nullptr;
    EXPECT_TRUE(gst_harness_pull_until_eos(h, &last));
    EXPECT_EQ(last, nullptr);
    gst_harness_teardown(h);
  }
  // validation -> val/; a named layout that does not match fails naming the directory.
  std::string err;
  std::vector<Seen> seen =
      run_and_record("lsfasrc location=" + tmp.path() +
                         " category=CandyCane split=validation ! fakesink name=sink",
                     &err);
  EXPECT_EQ(err, "");
  std::vector<const Seen *> frames = buffers_after_their_tags(seen);
  ASSERT_EQ(frames.size(), 1u);
  EXPECT_EQ(frames[0]->path, cat + "/val/data/000_image_4.png");
  release(seen);
  err = run_to_end("lsfasrc location=" + tmp.path() +
                   " category=CandyCane dataset=mvtec3d ! fakesink");
  // A named layout the folder does not have: the error names the folder and the layout.
  EXPECT_NE(err.find("CandyCane does not have the MVTec 3D-AD layout"), std::string::npos) << err;
  write_dataset(tmp.path());
  err =
      run_to_end("lsfasrc location=" + tmp.path() + " category=part dataset=eyecandies ! fakesink");
  EXPECT_NE(err.find("part does not have the Eyecandies layout"), std::string::npos) << err;
}

}  // namespace
