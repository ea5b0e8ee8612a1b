// Tests of the lsfa GStreamer elements with GstHarness, and of their pure helpers (pairing rule,
// alarm hysteresis, colour maps). The plugin is found through GST_PLUGIN_PATH (set by meson).
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
#include <vector>

#include "lsfa/image_io.h"
#include "lsfa/tiff_io.h"
#include "lsfa_draw.h"
#include "lsfa_hysteresis.h"
#include "lsfa_pairing.h"
#include "test_util.h"

namespace {

using lsfa_gst::Hysteresis;
using lsfa_gst::PadHead;
using lsfa_gst::PairAction;

class ElementsTest : public ::testing::Test {
 protected:
  static void SetUpTestSuite() {
    gst_init(nullptr, nullptr);
    gst_lsfa_caps_init();
  }
};

// ----------------------------------------------------------------------------- pairing rule

PadHead head(GstClockTime t, bool eos = false) {
  PadHead h;
  h.has_buffer = true;
  h.running_time = t;
  h.eos = eos;
  return h;
}
PadHead empty(bool eos) {
  PadHead h;
  h.eos = eos;
  return h;
}

TEST(PairingTest, WithinTolerancePairs) {
  const GstClockTime tol = 5 * GST_MSECOND;
  EXPECT_EQ(decide_pair(head(100 * GST_MSECOND), head(100 * GST_MSECOND), tol), PairAction::kPair);
  EXPECT_EQ(decide_pair(head(100 * GST_MSECOND), head(105 * GST_MSECOND), tol), PairAction::kPair);
  EXPECT_EQ(decide_pair(head(105 * GST_MSECOND), head(100 * GST_MSECOND), tol), PairAction::kPair);
  EXPECT_EQ(decide_pair(head(0), head(0), 0), PairAction::kPair);
}

TEST(PairingTest, OlderUnmatchedHeadIsDropped) {
  const GstClockTime tol = 5 * GST_MSECOND;
  EXPECT_EQ(decide_pair(head(100 * GST_MSECOND), head(106 * GST_MSECOND), tol),
            PairAction::kDropRgb);
  EXPECT_EQ(decide_pair(head(140 * GST_MSECOND), head(100 * GST_MSECOND), tol),
            PairAction::kDropDepth);
  EXPECT_EQ(decide_pair(head(1), head(0), 0), PairAction::kDropDepth);
}

TEST(PairingTest, MissingTimestampsPairInArrivalOrder) {
  EXPECT_EQ(decide_pair(head(GST_CLOCK_TIME_NONE), head(7 * GST_SECOND), 0), PairAction::kPair);
  EXPECT_EQ(decide_pair(head(7 * GST_SECOND), head(GST_CLOCK_TIME_NONE), 0), PairAction::kPair);
}

TEST(PairingTest, WaitsAndEnds) {
  const GstClockTime tol = GST_MSECOND;
  EXPECT_EQ(decide_pair(head(0), empty(false), tol), PairAction::kWait);
  EXPECT_EQ(decide_pair(empty(false), head(0), tol), PairAction::kWait);
  EXPECT_EQ(decide_pair(empty(false), empty(false), tol), PairAction::kWait);
  // The partner is gone for good: the head can never pair.
  EXPECT_EQ(decide_pair(head(0), empty(true), tol), PairAction::kDropRgb);
  // Output ends with the rgb stream.
  EXPECT_EQ(decide_pair(empty(true), head(0), tol), PairAction::kEos);
  EXPECT_EQ(decide_pair(empty(true), empty(true), tol), PairAction::kEos);
  EXPECT_EQ(decide_pair(empty(true), empty(false), tol), PairAction::kEos);
  // Depth EOS but depth still has a head: pairing goes on.
  EXPECT_EQ(decide_pair(head(0), head(0, true), tol), PairAction::kPair);
}

// A simulated stream: depth frames every 33 ms with one missing, rgb every 33 ms with jitter.
TEST(PairingTest, SimulatedStreamsDropOnlyTheUnmatched) {
  std::vector<GstClockTime> rgb, depth;
  for (int i = 0; i < 10; ++i) {
    rgb.push_back(i * 33 * GST_MSECOND + (i % 2) * GST_MSECOND);
    if (i != 4) depth.push_back(i * 33 * GST_MSECOND);
  }
  depth.push_back(400 * GST_MSECOND);  // a depth frame no rgb frame matches (rgb ends at ~298 ms)
  size_t ri = 0, di = 0;
  int pairs = 0, dropped_rgb = 0, dropped_depth = 0;
  for (;;) {
    PadHead r = ri < rgb.size() ? head(rgb[ri]) : empty(true);
    PadHead d = di < depth.size() ? head(depth[di]) : empty(true);
    PairAction a = decide_pair(r, d, 5 * GST_MSECOND);
    if (a == PairAction::kEos) break;
    ASSERT_NE(a, PairAction::kWait);
    if (a == PairAction::kPair) ++pairs, ++ri, ++di;
    if (a == PairAction::kDropRgb) ++dropped_rgb, ++ri;
    if (a == PairAction::kDropDepth) ++dropped_depth, ++di;
  }
  EXPECT_EQ(pairs, 9);
  EXPECT_EQ(dropped_rgb, 1);    // frame 4 had no depth
  EXPECT_EQ(dropped_depth, 0);  // the 400 ms depth is left when rgb ends
}

// ----------------------------------------------------------------------------- hysteresis

TEST(HysteresisTest, StartsAndStopsAfterRuns) {
  Hysteresis h(3, 2);
  using C = Hysteresis::Change;
  std::vector<bool> verdicts = {true, true,  false, true,  true, true,
                                true, false, true,  false, false};
  std::vector<C> expected = {C::kNone, C::kNone, C::kNone, C::kNone, C::kNone, C::kStart,
                             C::kNone, C::kNone, C::kNone, C::kNone, C::kStop};
  for (size_t i = 0; i < verdicts.size(); ++i)
    EXPECT_EQ(h.update(verdicts[i]), expected[i]) << "frame " << i;
  EXPECT_FALSE(h.active());
}

TEST(HysteresisTest, DefaultReactsToEveryFrame) {
  Hysteresis h;
  EXPECT_EQ(h.update(true), Hysteresis::Change::kStart);
  EXPECT_EQ(h.update(true), Hysteresis::Change::kNone);
  EXPECT_EQ(h.update(false), Hysteresis::Change::kStop);
  EXPECT_EQ(h.update(false), Hysteresis::Change::kNone);
  h.update(true);
  h.reset();
  EXPECT_FALSE(h.active());
}

// ----------------------------------------------------------------------------- colour maps

TEST(ColormapTest, EndPointsAndMonotonicGray) {
  using lsfa_gst::Colormap;
  const auto &jet = lsfa_gst::colormap_table(Colormap::kJet);
  EXPECT_EQ(jet[0].r, 0);
  EXPECT_EQ(jet[0].g, 0);
  EXPECT_EQ(jet[0].b, 128);
  EXPECT_EQ(jet[255].r, 128);
  EXPECT_EQ(jet[255].g, 0);
  EXPECT_EQ(jet[255].b, 0);
  // Jet's mid point lies between cyan (0.375) and yellow (0.625): green-ish.
  EXPECT_EQ(jet[128].g, 255);
  const auto &gray = lsfa_gst::colormap_table(Colormap::kGray);
  for (int i = 0; i < 256; ++i) {
    EXPECT_EQ(gray[i].r, i);
    EXPECT_EQ(gray[i].g, i);
    EXPECT_EQ(gray[i].b, i);
  }
  const auto &inferno = lsfa_gst::colormap_table(Colormap::kInferno);
  EXPECT_LT(inferno[0].r + inferno[0].g + inferno[0].b, 10);  // black end
  EXPECT_GT(inferno[255].r + inferno[255].g, 500);            // pale yellow end
  const auto &turbo = lsfa_gst::colormap_table(Colormap::kTurbo);
  EXPECT_GT(turbo[0].b, turbo[0].r);      // dark blue
  EXPECT_GT(turbo[255].r, turbo[255].b);  // dark red
  // Perceived brightness of inferno grows monotonically.
  for (int i = 1; i < 256; ++i) {
    int prev = inferno[i - 1].r * 3 + inferno[i - 1].g * 6 + inferno[i - 1].b;
    int cur = inferno[i].r * 3 + inferno[i].g * 6 + inferno[i].b;
    EXPECT_GE(cur + 12, prev) << i;
  }
}

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
    EXPECT_EQ(px[0], (Px{10, 20, 30}));  // untouched half
    EXPECT_EQ(px[7], (Px{128, 0, 0}));   // jet's top is dark red
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

  // Normal verdict: green border; score text "0.50/0.25" in a black box after the border.
  g_object_set(h->element, "show-score", TRUE, "show-contour", FALSE, nullptr);
  in = solid(f, h, 100, 100, 100);
  add_anomaly(in, 0, 3, {0, 0, 64, 64}, 64, 64)->is_anomalous = FALSE;
  out = gst_harness_push_and_pull(h, in);
  px = pixels(f, out);
  EXPECT_EQ(px[0], (Px{0, 200, 0}));
  // Box at (3, 3) (border 2 + scale 1); first glyph '0' at (5, 5): top row 01110.
  EXPECT_EQ(px[3 * 64 + 3], (Px{0, 0, 0}));
  EXPECT_EQ(px[5 * 64 + 5], (Px{0, 0, 0}));
  EXPECT_EQ(px[5 * 64 + 6], (Px{255, 255, 255}));
  EXPECT_EQ(px[5 * 64 + 8], (Px{255, 255, 255}));
  EXPECT_EQ(px[5 * 64 + 9], (Px{0, 0, 0}));
  // '.' (second glyph, x 11..15) has pixels only in its last two rows.
  EXPECT_EQ(px[5 * 64 + 12], (Px{0, 0, 0}));
  EXPECT_EQ(px[10 * 64 + 12], (Px{255, 255, 255}));
  gst_buffer_unref(out);
  gst_harness_teardown(h);
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

// ----------------------------------------------------------------------------- factories

TEST_F(ElementsTest, AllElementsExistWithDocumentedDefaults) {
  for (const char *name : {"lsfafeatures", "lsfascore", "lsfaoverlay", "lsfasrc"}) {
    GstElement *e = gst_element_factory_make(name, nullptr);
    ASSERT_NE(e, nullptr) << name << " not found (GST_PLUGIN_PATH=" << g_getenv("GST_PLUGIN_PATH")
                          << ")";
    gst_object_unref(e);
  }
  GstElement *f = gst_element_factory_make("lsfafeatures", nullptr);
  guint64 tol = 0;
  gchar *preset = nullptr;
  g_object_get(f, "pair-tolerance", &tol, "preset", &preset, nullptr);
  EXPECT_EQ(tol, 10 * GST_MSECOND);
  EXPECT_STREQ(preset, "small");
  g_free(preset);
  // The depth pad is a request pad; a second one is refused.
  GstPad *depth = gst_element_request_pad_simple(f, "depth");
  ASSERT_NE(depth, nullptr);
  EXPECT_STREQ(GST_PAD_NAME(depth), "depth");
  EXPECT_EQ(gst_element_request_pad_simple(f, "depth"), nullptr);
  gst_element_release_request_pad(f, depth);
  gst_object_unref(depth);
  GstPad *again = gst_element_request_pad_simple(f, "depth");
  EXPECT_NE(again, nullptr);
  gst_object_unref(again);
  gst_object_unref(f);

  GstElement *s = gst_element_factory_make("lsfascore", nullptr);
  gfloat thr = 0;
  gboolean message = FALSE;
  g_object_get(s, "threshold", &thr, "message", &message, nullptr);
  EXPECT_FLOAT_EQ(thr, -1.0f);
  EXPECT_TRUE(message);
  gst_object_unref(s);
}

TEST_F(ElementsTest, FeaturesIntrinsicsPropertyRoundTrips) {
  GstElement *f = gst_element_factory_make("lsfafeatures", nullptr);
  gst_util_set_object_arg(G_OBJECT(f), "intrinsics", "<600.0, 601.0, 320.5, 240.5>");
  gst_util_set_object_arg(G_OBJECT(f), "intrinsics-size", "<640, 480>");
  GValue v = G_VALUE_INIT;
  g_value_init(&v, GST_TYPE_ARRAY);
  g_object_get_property(G_OBJECT(f), "intrinsics", &v);
  ASSERT_EQ(gst_value_array_get_size(&v), 4u);
  EXPECT_DOUBLE_EQ(g_value_get_double(gst_value_array_get_value(&v, 1)), 601.0);
  EXPECT_DOUBLE_EQ(g_value_get_double(gst_value_array_get_value(&v, 3)), 240.5);
  g_value_unset(&v);
  g_value_init(&v, GST_TYPE_ARRAY);
  g_object_get_property(G_OBJECT(f), "intrinsics-size", &v);
  ASSERT_EQ(gst_value_array_get_size(&v), 2u);
  EXPECT_EQ(g_value_get_int(gst_value_array_get_value(&v, 0)), 640);
  g_value_unset(&v);
  gst_object_unref(f);
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

// ----------------------------------------------------------------------------- gst-inspect

std::string read_file(const std::string &path) {
  std::ifstream in(path);
  std::stringstream ss;
  ss << in.rdbuf();
  return ss.str();
}

TEST_F(ElementsTest, InspectOutputIsCleanAndDocumented) {
  const char *root = g_getenv("LSFA_SOURCE_ROOT");
  ASSERT_NE(root, nullptr) << "run through meson test (LSFA_SOURCE_ROOT)";
  lsfa::test::TempDir tmp;
  for (const char *name : {"lsfafeatures", "lsfascore", "lsfaoverlay", "lsfasrc"}) {
    SCOPED_TRACE(name);
    // The output without the line naming the build directory; stderr kept apart.
    std::string out, err_file = tmp.file(std::string(name) + ".err");
    int rc = lsfa::test::run_command(
        std::string("GST_INSPECT_NO_COLORS=1 PAGER=cat GST_PAGER=cat gst-inspect-1.0 ") + name +
            " 2>" + lsfa::test::shell_quote(err_file) + " | grep -v '^ *Filename '",
        &out);
    EXPECT_EQ(rc, 0) << out;
    // Clean: no warnings or criticals while loading and introspecting.
    EXPECT_EQ(read_file(err_file), "");
    std::string expected = read_file(std::string(root) + "/docs/inspect/" + name + ".txt");
    EXPECT_EQ(out, expected) << "docs/inspect/" << name
                             << ".txt is out of date: run tools/update-inspect-docs.sh";
  }
}

}  // namespace
