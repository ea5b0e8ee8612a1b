// lsfaoverlay with GstHarness: colour maps (OpenCV's), heatmap geometry and normalisation (the
// meta API's sampling rule), formats, border, contour, score text, colour bar, pass-through, state
// cycles.
#include <gst/check/gstharness.h>
#include <gst/gst.h>
#include <gst/lsfa/lsfa.h>
#include <gst/video/video.h>
#include <gtest/gtest.h>

#include <algorithm>
#include <cmath>
#include <cstdlib>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <map>
#include <random>
#include <sstream>
#include <string>
#include <vector>

#include <opencv2/imgproc.hpp>

#include "gst_test.h"
#include "lsfa/render/colorbar.h"
#include "lsfa/render/colormap.h"
#include "lsfa/render/map_sampling.h"
#include "lsfa/render/text_box.h"
#include "test_util.h"

namespace {

using ElementsTest = lsfa_gst_test::GstTest;

// ----------------------------------------------------------------------------- overlay

struct FormatLayout {
  const char *name;
  int pstride, r, g, b;
};
const FormatLayout kFormats[] = {{"RGB", 3, 0, 1, 2},  {"BGR", 3, 2, 1, 0},  {"RGBx", 4, 0, 1, 2},
                                 {"BGRx", 4, 2, 1, 0}, {"RGBA", 4, 0, 1, 2}, {"BGRA", 4, 2, 1, 0}};

struct Frame {
  int w, h;
  FormatLayout fmt;
  int stride() const {
    GstVideoInfo info;
    gst_video_info_set_format(&info, gst_video_format_from_string(fmt.name), w, h);
    return GST_VIDEO_INFO_PLANE_STRIDE(&info, 0);
  }
  size_t size() const { return static_cast<size_t>(stride()) * h; }
  std::string caps() const {
    return std::string("video/x-raw, format=") + fmt.name + ", width=" + std::to_string(w) +
           ", height=" + std::to_string(h) + ", framerate=10/1";
  }
};

GstBuffer *solid(const Frame &f, GstHarness *h, int r, int g, int b) {
  GstBuffer *buf = gst_harness_create_buffer(h, f.size());
  GstMapInfo m;
  gst_buffer_map(buf, &m, GST_MAP_WRITE);
  memset(m.data, 0, m.size);
  for (int y = 0; y < f.h; ++y)
    for (int x = 0; x < f.w; ++x) {
      uint8_t *p = m.data + y * f.stride() + x * f.fmt.pstride;
      p[f.fmt.r] = r;
      p[f.fmt.g] = g;
      p[f.fmt.b] = b;
    }
  gst_buffer_unmap(buf, &m);
  return buf;
}

struct Px {
  int r, g, b;
  bool operator==(const Px &o) const { return r == o.r && g == o.g && b == o.b; }
};
std::ostream &operator<<(std::ostream &os, const Px &p) {
  return os << "(" << p.r << "," << p.g << "," << p.b << ")";
}

std::vector<Px> pixels(const Frame &f, GstBuffer *buf) {
  std::vector<Px> out;
  GstMapInfo m;
  gst_buffer_map(buf, &m, GST_MAP_READ);
  for (int y = 0; y < f.h; ++y)
    for (int x = 0; x < f.w; ++x) {
      const uint8_t *p = m.data + y * f.stride() + x * f.fmt.pstride;
      out.push_back({p[f.fmt.r], p[f.fmt.g], p[f.fmt.b]});
    }
  gst_buffer_unmap(buf, &m);
  return out;
}

// Attaches an anomaly meta whose 2x2 map [[a, b], [a, b]] covers the frame rectangle `rect`.
GstLsfaAnomalyMeta *add_anomaly(GstBuffer *buf, float a, float b, GstLsfaRect rect, int fw,
                                int fh) {
  GstLsfaAnomalyMeta *m = gst_buffer_add_lsfa_anomaly_meta(buf);
  float v[4] = {a, b, a, b};
  GstBuffer *map = gst_buffer_new_memdup(v, sizeof v);
  gst_lsfa_anomaly_meta_set_map(m, map, 2, 2);
  gst_buffer_unref(map);
  m->map_rect = rect;
  m->frame_width = fw;
  m->frame_height = fh;
  m->map_low = 0;
  m->map_high = 3;
  m->pixel_threshold = 1.5f;
  m->score = 0.5f;
  m->threshold = 0.25f;
  m->is_anomalous = TRUE;
  return m;
}

// OpenCV's colour of `index` under `cv_map`, as R, G, B.
Px opencv_colour(int index, int cv_map) {
  cv::Mat i(1, 1, CV_8UC1, cv::Scalar(index)), bgr;
  cv::applyColorMap(i, bgr, cv_map);
  const cv::Vec3b c = bgr.at<cv::Vec3b>(0);
  return {c[2], c[1], c[0]};
}

GstHarness *overlay(const Frame &f) {
  GstHarness *h = gst_harness_new("lsfaoverlay");
  EXPECT_NE(h, nullptr);
  gst_harness_set_src_caps_str(h, f.caps().c_str());
  g_object_set(h->element, "show-border", FALSE, "show-score", FALSE, "show-contour", FALSE,
               "alpha", 1.0, nullptr);
  gst_util_set_object_arg(G_OBJECT(h->element), "colormap", "gray");
  return h;
}

TEST_F(ElementsTest, OverlayHeatmapGeometryAndFixedNormalisation) {
  Frame f{8, 8, kFormats[0]};
  GstHarness *h = overlay(f);
  GstBuffer *in = solid(f, h, 100, 100, 100);
  add_anomaly(in, 0, 3, {4, 0, 4, 8}, 8, 8);  // map covers the right half
  GstBuffer *out = gst_harness_push_and_pull(h, in);
  ASSERT_NE(out, nullptr);
  std::vector<Px> px = pixels(f, out);
  // Columns 4..7 sample the map at x = 0 (clamped), 0.25, 0.75, 1 (clamped) of [0, 3]:
  // values 0, 0.75, 2.25, 3 -> gray 0, 64, 191, 255 with the calibrated range 0..3.
  const int expected[8] = {100, 100, 100, 100, 0, 64, 191, 255};
  for (int y = 0; y < 8; ++y)
    for (int x = 0; x < 8; ++x)
      EXPECT_EQ(px[y * 8 + x], (Px{expected[x], expected[x], expected[x]})) << x << "," << y;
  gst_buffer_unref(out);

  // map-low / map-high override the calibrated range: 3 on 0..6 is mid gray.
  g_object_set(h->element, "map-low", 0.0f, "map-high", 6.0f, "alpha", 0.5, nullptr);
  in = solid(f, h, 100, 100, 100);
  add_anomaly(in, 0, 3, {4, 0, 4, 8}, 8, 8);
  out = gst_harness_push_and_pull(h, in);
  px = pixels(f, out);
  EXPECT_EQ(px[7].r, 114);  // 0.5 * 100 + 0.5 * 128
  EXPECT_EQ(px[4].r, 50);   // 0.5 * 100 + 0.5 * 0
  EXPECT_EQ(px[0].r, 100);
  gst_buffer_unref(out);
  gst_harness_teardown(h);
}

TEST_F(ElementsTest, OverlayFollowsMapRectangleBeyondTheFrame) {
  // A padded model square: the map covers [-4, 12) x [0, 16) of an 8 x 16 frame (pad left 4).
  Frame f{8, 16, kFormats[0]};
  GstHarness *h = overlay(f);
  GstBuffer *in = solid(f, h, 0, 0, 0);
  add_anomaly(in, 0, 3, {-4, 0, 16, 16}, 8, 16);
  GstBuffer *out = gst_harness_push_and_pull(h, in);
  std::vector<Px> px = pixels(f, out);
  // Map cell width 8: x = (px + 0.5 + 4) / 8 - 0.5; column 0 -> 0.0625 * 3, column 7 -> 0.9375*3.
  EXPECT_EQ(px[0].r, static_cast<int>(std::lround(0.0625 * 255)));
  EXPECT_EQ(px[7].r, static_cast<int>(std::lround(0.9375 * 255)));
  EXPECT_EQ(px[3].r, static_cast<int>(std::lround(0.4375 * 255)));
  gst_buffer_unref(out);
  gst_harness_teardown(h);
}

TEST_F(ElementsTest, OverlayMatchesMetaSamplingOnOddGeometry) {
  // A 5 x 4 map of pseudo-random values over an off-grid rectangle of a 37 x 23 frame: every pixel
  // equals the colour of gst_lsfa_anomaly_meta_sample at its centre (gray map, alpha 1), or is
  // unchanged outside the rectangle.
  Frame f{37, 23, kFormats[1]};
  GstHarness *h = overlay(f);
  GstBuffer *in = solid(f, h, 7, 7, 7);
  GstLsfaAnomalyMeta *m = gst_buffer_add_lsfa_anomaly_meta(in);
  std::vector<float> v(20);
  uint32_t state = 12345;
  for (float &x : v) {
    state = state * 1664525u + 1013904223u;
    x = static_cast<float>(state >> 8) / static_cast<float>(1 << 24) * 4.0f - 0.5f;
  }
  GstBuffer *map = gst_buffer_new_memdup(v.data(), v.size() * sizeof(float));
  gst_lsfa_anomaly_meta_set_map(m, map, 5, 4);
  gst_buffer_unref(map);
  m->map_rect = {-3.3, 2.1, 30.7, 17.9};
  m->frame_width = 37;
  m->frame_height = 23;
  m->map_low = 0;
  m->map_high = 3;
  GstLsfaAnomalyMeta expected_meta = *m;  // geometry and range for the reference sampling
  GstBuffer *out = gst_harness_push_and_pull(h, in);
  ASSERT_NE(out, nullptr);
  std::vector<Px> px = pixels(f, out);
  int inside = 0;
  for (int y = 0; y < f.h; ++y)
    for (int x = 0; x < f.w; ++x) {
      float s;
      Px want{7, 7, 7};
      if (gst_lsfa_anomaly_meta_sample(&expected_meta, v.data(), x + 0.5, y + 0.5, &s)) {
        ++inside;
        float t = std::clamp(s / 3.0f, 0.0f, 1.0f);
        int g = static_cast<int>(std::lround(t * 255.0f));
        want = {g, g, g};
      }
      ASSERT_EQ(px[y * f.w + x], want) << x << "," << y;
    }
  EXPECT_GT(inside, 300);
  EXPECT_LT(inside, 37 * 23);
  gst_buffer_unref(out);
  gst_harness_teardown(h);
}

TEST_F(ElementsTest, OverlayEveryFormatKeepsChannelOrder) {
  for (const FormatLayout &fmt : kFormats) {
    SCOPED_TRACE(fmt.name);
    Frame f{8, 4, fmt};
    GstHarness *h = overlay(f);
    gst_util_set_object_arg(G_OBJECT(h->element), "colormap", "jet");
    GstBuffer *in = solid(f, h, 10, 20, 30);
    add_anomaly(in, 3, 3, {4, 0, 4, 4}, 8, 4);
    GstBuffer *out = gst_harness_push_and_pull(h, in);
    ASSERT_NE(out, nullptr);
    std::vector<Px> px = pixels(f, out);
    EXPECT_EQ(px[0], (Px{10, 20, 30}));                      // untouched half
    EXPECT_EQ(px[7], opencv_colour(255, cv::COLORMAP_JET));  // jet's top: dark red
    EXPECT_GT(px[7].r, 100);
    EXPECT_EQ(px[7].b, 0);
    gst_buffer_unref(out);
    gst_harness_teardown(h);
  }
}

TEST_F(ElementsTest, OverlayBorderContourAndScore) {
  Frame f{64, 64, kFormats[0]};
  GstHarness *h = overlay(f);
  g_object_set(h->element, "show-border", TRUE, "border-width", 2u, "show-contour", TRUE, "alpha",
               0.0, nullptr);
  GstBuffer *in = solid(f, h, 100, 100, 100);
  add_anomaly(in, 0, 3, {0, 0, 64, 64}, 64, 64);
  GstBuffer *out = gst_harness_push_and_pull(h, in);
  std::vector<Px> px = pixels(f, out);
  EXPECT_EQ(px[0], (Px{255, 0, 0}));            // anomalous: red border
  EXPECT_EQ(px[1 * 64 + 30], (Px{255, 0, 0}));  // second border row
  EXPECT_EQ(px[2 * 64 + 2], (Px{100, 100, 100}));
  // Map value 1.5 (the pixel threshold) lies at x = 32: column 32 is the first above it.
  EXPECT_EQ(px[30 * 64 + 32], (Px{255, 255, 255}));
  EXPECT_EQ(px[30 * 64 + 31], (Px{100, 100, 100}));
  EXPECT_EQ(px[30 * 64 + 40], (Px{100, 100, 100}));  // inside the region: no contour
  gst_buffer_unref(out);

  // Normal verdict: green border; the label "OK 0.50/0.25" drawn by cv::putText in a black box
  // after the border and a 2 px gap.
  g_object_set(h->element, "show-score", TRUE, "show-contour", FALSE, nullptr);
  in = solid(f, h, 100, 100, 100);
  add_anomaly(in, 0, 3, {0, 0, 64, 64}, 64, 64)->is_anomalous = FALSE;
  out = gst_harness_push_and_pull(h, in);
  px = pixels(f, out);
  EXPECT_EQ(px[0], (Px{0, 200, 0}));
  cv::Mat expected(64, 64, CV_8UC3, cv::Scalar(100, 100, 100));
  for (const cv::Rect &r : {cv::Rect(0, 0, 64, 2), cv::Rect(0, 62, 64, 2), cv::Rect(0, 0, 2, 64),
                            cv::Rect(62, 0, 2, 64)})
    cv::rectangle(expected, r, cv::Scalar(0, 200, 0), cv::FILLED);
  const lsfa::TextBox t = lsfa::layout_text(
      "OK 0.50/0.25", {4, 4}, lsfa::fit_text_scale("OK 0.50/0.25", lsfa::text_scale({64, 64}), 56));
  cv::rectangle(expected, t.box, cv::Scalar(0, 0, 0), cv::FILLED);
  cv::putText(expected, "OK 0.50/0.25", t.origin, cv::FONT_HERSHEY_SIMPLEX, t.scale,
              cv::Scalar(255, 255, 255), t.thickness, cv::LINE_AA);
  EXPECT_EQ(px[4 * 64 + 4], (Px{0, 0, 0}));  // the box's corner
  int white = 0;
  for (int y = 0; y < 64; ++y)
    for (int x = 0; x < 64; ++x) {
      const cv::Vec3b e = expected.at<cv::Vec3b>(y, x);
      ASSERT_EQ(px[y * 64 + x], (Px{e[0], e[1], e[2]})) << x << "," << y;
      white += t.box.contains({x, y}) && px[y * 64 + x].g > 160;
    }
  EXPECT_GT(white, 20);  // the (anti-aliased) text is there
  gst_buffer_unref(out);
  gst_harness_teardown(h);
}

TEST_F(ElementsTest, OverlayColormapsAreOpenCvs) {
  // A 256-cell ramp over a 256 x 1 frame: pixel i reads cell i exactly, whose value maps to index
  // i of the calibrated range 0..3; every colour map must give OpenCV's colour of i.
  const std::map<std::string, int> opencv = {
      {"jet", cv::COLORMAP_JET},         {"inferno", cv::COLORMAP_INFERNO},
      {"turbo", cv::COLORMAP_TURBO},     {"viridis", cv::COLORMAP_VIRIDIS},
      {"magma", cv::COLORMAP_MAGMA},     {"plasma", cv::COLORMAP_PLASMA},
      {"cividis", cv::COLORMAP_CIVIDIS}, {"parula", cv::COLORMAP_PARULA},
      {"hot", cv::COLORMAP_HOT},         {"bone", cv::COLORMAP_BONE}};
  Frame f{256, 1, kFormats[0]};
  std::vector<float> ramp(256);
  for (int i = 0; i < 256; ++i) ramp[i] = 3.0f * i / 255.0f;
  for (const char *name : {"jet", "inferno", "turbo", "gray", "viridis", "magma", "plasma",
                           "cividis", "parula", "hot", "bone"}) {
    SCOPED_TRACE(name);
    GstHarness *h = overlay(f);
    gst_util_set_object_arg(G_OBJECT(h->element), "colormap", name);
    GstBuffer *in = solid(f, h, 0, 0, 0);
    GstLsfaAnomalyMeta *m = add_anomaly(in, 0, 0, {0, 0, 256, 1}, 256, 1);
    GstBuffer *map = gst_buffer_new_memdup(ramp.data(), ramp.size() * sizeof(float));
    gst_lsfa_anomaly_meta_set_map(m, map, 256, 1);
    gst_buffer_unref(map);
    GstBuffer *out = gst_harness_push_and_pull(h, in);
    ASSERT_NE(out, nullptr);
    std::vector<Px> px = pixels(f, out);
    for (int i = 0; i < 256; ++i) {
      const Px want = std::string(name) == "gray" ? Px{i, i, i} : opencv_colour(i, opencv.at(name));
      ASSERT_EQ(px[i], want) << i;
    }
    gst_buffer_unref(out);
    gst_harness_teardown(h);
  }
}

TEST_F(ElementsTest, OverlayColorbar) {
  Frame f{160, 120, kFormats[3]};  // BGRx
  GstHarness *h = overlay(f);
  gboolean shown = TRUE;
  g_object_get(h->element, "show-colorbar", &shown, nullptr);
  EXPECT_FALSE(shown);  // off by default
  gst_util_set_object_arg(G_OBJECT(h->element), "colormap", "inferno");
  g_object_set(h->element, "alpha", 0.0, nullptr);
  GstBuffer *out = gst_harness_push_and_pull(h, [&] {
    GstBuffer *in = solid(f, h, 100, 100, 100);
    add_anomaly(in, 0, 3, {0, 0, 160, 120}, 160, 120);
    return in;
  }());
  for (const Px &p : pixels(f, out)) ASSERT_EQ(p, (Px{100, 100, 100}));
  gst_buffer_unref(out);

  g_object_set(h->element, "show-colorbar", TRUE, nullptr);
  GstBuffer *in = solid(f, h, 100, 100, 100);
  add_anomaly(in, 0, 3, {0, 0, 160, 120}, 160, 120);  // range 0..3, pixel threshold 1.5
  out = gst_harness_push_and_pull(h, in);
  std::vector<Px> px = pixels(f, out);
  const cv::Rect bar = lsfa::colorbar_rect({160, 120}, 0);
  const int cx = bar.x + bar.width / 2;
  EXPECT_EQ(px[bar.y * 160 + cx], opencv_colour(255, cv::COLORMAP_INFERNO));  // map-high on top
  EXPECT_EQ(px[(bar.y + bar.height - 1) * 160 + cx], opencv_colour(0, cv::COLORMAP_INFERNO));
  const int marker = lsfa::colorbar_row(bar, {0, 3}, 1.5f);
  EXPECT_NEAR(marker, bar.y + bar.height / 2, 1);
  EXPECT_EQ(px[marker * 160 + cx], (Px{255, 255, 255}));
  gst_buffer_unref(out);
  gst_harness_teardown(h);
}

TEST_F(ElementsTest, OverlayPlacesTheMapOnAScaledFrame) {
  // The meta still names a 16 x 16 frame (a scaler that did not transform it); on the 8 x 8 frame
  // the right half it covers is the right half of the new frame, as gst_lsfa_rect_scale places it.
  Frame f{8, 8, kFormats[0]};
  GstHarness *h = overlay(f);
  GstBuffer *in = solid(f, h, 100, 100, 100);
  add_anomaly(in, 0, 3, {8, 0, 8, 16}, 16, 16);
  GstBuffer *out = gst_harness_push_and_pull(h, in);
  std::vector<Px> px = pixels(f, out);
  const int expected[8] = {100, 100, 100, 100, 0, 64, 191, 255};
  for (int y = 0; y < 8; ++y)
    for (int x = 0; x < 8; ++x)
      EXPECT_EQ(px[y * 8 + x], (Px{expected[x], expected[x], expected[x]})) << x << "," << y;
  gst_buffer_unref(out);
  gst_harness_teardown(h);
}

TEST(OverlaySampling, LibraryResamplingIsTheMetaApisBitForBit) {
  // lsfa::resample_map (what the overlay draws) against gst_lsfa_anomaly_meta_sample at every
  // pixel centre: the same float, and no value exactly where the meta API has none.
  std::mt19937 rng(42);
  std::uniform_real_distribution<double> off(-9.0, 9.0), len(3.0, 60.0);
  std::uniform_int_distribution<int> cells(1, 9), px(1, 50);
  for (int round = 0; round < 40; ++round) {
    const int mw = cells(rng), mh = cells(rng), fw = px(rng), fh = px(rng);
    std::vector<float> v(static_cast<size_t>(mw) * mh);
    std::uniform_real_distribution<float> val(-1.0f, 4.0f);
    for (float &x : v) x = val(rng);
    GstLsfaAnomalyMeta meta{};
    GstBuffer *map = gst_buffer_new_memdup(v.data(), v.size() * sizeof(float));
    meta.map = map;
    meta.map_width = mw;
    meta.map_height = mh;
    meta.map_rect = {off(rng), off(rng), len(rng), len(rng)};
    const cv::Mat ours = lsfa::resample_map(
        cv::Mat(mh, mw, CV_32FC1, v.data()),
        {meta.map_rect.x, meta.map_rect.y, meta.map_rect.width, meta.map_rect.height}, {fw, fh});
    for (int y = 0; y < fh; ++y)
      for (int x = 0; x < fw; ++x) {
        float s = 0;
        const bool has = gst_lsfa_anomaly_meta_sample(&meta, v.data(), x + 0.5, y + 0.5, &s);
        const float o = ours.at<float>(y, x);
        ASSERT_EQ(has, !std::isnan(o)) << round << ": " << x << "," << y;
        if (has) {
          ASSERT_EQ(std::memcmp(&s, &o, sizeof s), 0) << s << " vs " << o;
        }
      }
    gst_buffer_unref(map);
  }
}

TEST_F(ElementsTest, OverlayPassesFramesWithoutMeta) {
  Frame f{8, 8, kFormats[3]};
  GstHarness *h = overlay(f);
  g_object_set(h->element, "show-border", TRUE, "show-score", TRUE, nullptr);
  GstBuffer *out = gst_harness_push_and_pull(h, solid(f, h, 1, 2, 3));
  for (const Px &p : pixels(f, out)) ASSERT_EQ(p, (Px{1, 2, 3}));
  gst_buffer_unref(out);
  gst_harness_teardown(h);
}

TEST_F(ElementsTest, OverlayRefusesNonRgbCaps) {
  GstHarness *h = gst_harness_new("lsfaoverlay");
  GstCaps *caps = gst_caps_from_string("video/x-raw, format=I420, width=8, height=8");
  GstCaps *accepted = gst_pad_query_caps(h->srcpad, nullptr);
  GstCaps *peer = gst_pad_peer_query_caps(h->srcpad, caps);
  EXPECT_TRUE(gst_caps_is_empty(peer));
  gst_caps_unref(peer);
  gst_caps_unref(accepted);
  gst_caps_unref(caps);
  gst_harness_teardown(h);
}

TEST_F(ElementsTest, OverlayRepeatedNullPlayingCycles) {
  GError *err = nullptr;
  GstElement *pipe = gst_parse_launch(
      "videotestsrc num-buffers=3 ! video/x-raw,format=BGRx,width=32,height=24 ! lsfaoverlay ! "
      "fakesink sync=false",
      &err);
  ASSERT_NE(pipe, nullptr) << (err ? err->message : "");
  GstBus *bus = gst_element_get_bus(pipe);
  for (int i = 0; i < 5; ++i) {
    ASSERT_NE(gst_element_set_state(pipe, GST_STATE_PLAYING), GST_STATE_CHANGE_FAILURE);
    GstMessage *msg = gst_bus_timed_pop_filtered(
        bus, 10 * GST_SECOND, static_cast<GstMessageType>(GST_MESSAGE_EOS | GST_MESSAGE_ERROR));
    ASSERT_NE(msg, nullptr);
    EXPECT_EQ(GST_MESSAGE_TYPE(msg), GST_MESSAGE_EOS);
    gst_message_unref(msg);
    ASSERT_EQ(gst_element_set_state(pipe, GST_STATE_NULL), GST_STATE_CHANGE_SUCCESS);
  }
  gst_object_unref(bus);
  gst_object_unref(pipe);
}

}  // namespace
