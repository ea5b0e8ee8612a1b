// Tests of the gstlsfacaps library: caps helpers, the metas (init, copy, free, scale), the sample
// tags.
#include <gst/check/gstharness.h>
#include <gst/gst.h>
#include <gst/lsfa/lsfa.h>
#include <gst/video/video.h>
#include <gtest/gtest.h>

#include <cmath>
#include <vector>

#include "test_util.h"  // LSFA_TEST_ASAN

#ifdef LSFA_TEST_ASAN
// GLib is built without frame pointers: with the fast unwinder, the 16 KiB block its library
// constructor allocates at load time shows only malloc <- g_malloc, and the `_dl_init` entry of
// tests/sanitizers/lsan.supp cannot match it. Full unwinding (merged with ASAN_OPTIONS) can.
extern "C" const char *__asan_default_options() {
  return "fast_unwind_on_malloc=0";
}
#endif

namespace {

class CapsTest : public ::testing::Test {
 protected:
  static void SetUpTestSuite() {
    gst_init(nullptr, nullptr);
    gst_lsfa_caps_init();
  }
};

GstCaps *caps(const char *s) {
  GstCaps *c = gst_caps_from_string(s);
  EXPECT_NE(c, nullptr) << s;
  return c;
}

GstBuffer *float_buffer(const std::vector<float> &v) {
  GstBuffer *b = gst_buffer_new_allocate(nullptr, v.size() * sizeof(float), nullptr);
  gst_buffer_fill(b, 0, v.data(), v.size() * sizeof(float));
  return b;
}

TEST_F(CapsTest, RgbdFeatureIsDetected) {
  GstCaps *with = caps("video/x-raw(meta:LsfaRgbd), format=RGB, width=4, height=4");
  GstCaps *without = caps("video/x-raw, format=RGB, width=4, height=4");
  GstCaps *other = caps("video/x-raw(memory:DMABuf), format=RGB");
  EXPECT_TRUE(gst_lsfa_caps_has_rgbd_feature(with));
  EXPECT_FALSE(gst_lsfa_caps_has_rgbd_feature(without));
  EXPECT_FALSE(gst_lsfa_caps_has_rgbd_feature(other));
  // The template strings parse and the RGB-D template does not intersect plain video.
  GstCaps *rgb = caps(GST_LSFA_RGB_CAPS);
  GstCaps *rgbd = caps(GST_LSFA_RGBD_CAPS);
  EXPECT_FALSE(gst_caps_can_intersect(rgb, rgbd));
  EXPECT_TRUE(gst_caps_can_intersect(rgbd, with));
  EXPECT_TRUE(gst_caps_can_intersect(rgb, without));
  for (GstCaps *c : {with, without, other, rgb, rgbd}) gst_caps_unref(c);
}

TEST_F(CapsTest, CalibrationParsesAllFields) {
  GstCaps *c = caps(
      "video/x-raw, format=GRAY16_LE, width=640, height=480, depth-scale=(double)0.001, "
      "intrinsics=(double)<600.5, 601.0, 319.5, 239.5>, intrinsics-size=(int)<640, 480>");
  GstLsfaDepthCalibration cal{};
  GError *err = nullptr;
  ASSERT_TRUE(gst_lsfa_depth_calibration_from_caps(c, &cal, &err));
  EXPECT_EQ(cal.flags, GST_LSFA_CALIBRATION_HAS_DEPTH_SCALE | GST_LSFA_CALIBRATION_HAS_INTRINSICS |
                           GST_LSFA_CALIBRATION_HAS_INTRINSICS_SIZE);
  EXPECT_DOUBLE_EQ(cal.depth_scale, 0.001);
  EXPECT_DOUBLE_EQ(cal.intrinsics.fx, 600.5);
  EXPECT_DOUBLE_EQ(cal.intrinsics.fy, 601.0);
  EXPECT_DOUBLE_EQ(cal.intrinsics.cx, 319.5);
  EXPECT_DOUBLE_EQ(cal.intrinsics.cy, 239.5);
  EXPECT_EQ(cal.intrinsics_width, 640);
  EXPECT_EQ(cal.intrinsics_height, 480);
  gst_caps_unref(c);
}

TEST_F(CapsTest, CalibrationAbsentFieldsClearFlags) {
  GstCaps *c = caps("video/x-raw, format=GRAY16_LE, width=640, height=480");
  GstLsfaDepthCalibration cal{};
  cal.flags = GST_LSFA_CALIBRATION_HAS_DEPTH_SCALE;
  ASSERT_TRUE(gst_lsfa_depth_calibration_from_caps(c, &cal, nullptr));
  EXPECT_EQ(cal.flags, 0);
  gst_caps_unref(c);
}

TEST_F(CapsTest, CalibrationRejectsBadFields) {
  const char *bad[] = {
      "video/x-raw, depth-scale=(double)-1.0",
      "video/x-raw, depth-scale=(double)0.0",
      "video/x-raw, depth-scale=(string)metre",
      "video/x-raw, intrinsics=(double)<1.0, 2.0, 3.0>",
      "video/x-raw, intrinsics=(double)<0.0, 2.0, 3.0, 4.0>",
      "video/x-raw, intrinsics=(string)<a, b, c, d>",
      "video/x-raw, intrinsics=(double)5.0",
      "video/x-raw, intrinsics-size=(int)<640>",
      "video/x-raw, intrinsics-size=(int)<640, 0>",
      "video/x-raw, intrinsics-size=(double)<640.0, 480.0>",
  };
  for (const char *s : bad) {
    GstCaps *c = caps(s);
    GstLsfaDepthCalibration cal{};
    GError *err = nullptr;
    EXPECT_FALSE(gst_lsfa_depth_calibration_from_caps(c, &cal, &err)) << s;
    ASSERT_NE(err, nullptr) << s;
    EXPECT_TRUE(g_error_matches(err, GST_LSFA_CAPS_ERROR, GST_LSFA_CAPS_ERROR_BAD_FIELD));
    // The message names the field.
    std::string field = std::string(s).substr(13, std::string(s).find('=') - 13);
    EXPECT_NE(std::string(err->message).find(field), std::string::npos) << err->message;
    g_error_free(err);
    gst_caps_unref(c);
  }
}

TEST_F(CapsTest, CalibrationRoundTripsThroughCaps) {
  GstLsfaDepthCalibration cal{};
  cal.flags = static_cast<GstLsfaCalibrationFlags>(GST_LSFA_CALIBRATION_HAS_DEPTH_SCALE |
                                                   GST_LSFA_CALIBRATION_HAS_INTRINSICS |
                                                   GST_LSFA_CALIBRATION_HAS_INTRINSICS_SIZE);
  cal.depth_scale = 0.000125;
  cal.intrinsics = {711.11, 712.5, 255.5, 256.25};
  cal.intrinsics_width = 512;
  cal.intrinsics_height = 513;
  GstCaps *c = caps("video/x-raw, format=GRAY16_LE, width=512, height=513");
  gst_lsfa_depth_calibration_to_caps(&cal, c);
  gchar *text = gst_caps_to_string(c);
  GstCaps *back = caps(text);  // through the string form, as gst-launch users write it
  g_free(text);
  GstLsfaDepthCalibration out{};
  ASSERT_TRUE(gst_lsfa_depth_calibration_from_caps(back, &out, nullptr));
  EXPECT_EQ(out.flags, cal.flags);
  EXPECT_DOUBLE_EQ(out.depth_scale, cal.depth_scale);
  EXPECT_DOUBLE_EQ(out.intrinsics.fx, cal.intrinsics.fx);
  EXPECT_DOUBLE_EQ(out.intrinsics.fy, cal.intrinsics.fy);
  EXPECT_DOUBLE_EQ(out.intrinsics.cx, cal.intrinsics.cx);
  EXPECT_DOUBLE_EQ(out.intrinsics.cy, cal.intrinsics.cy);
  EXPECT_EQ(out.intrinsics_width, 512);
  EXPECT_EQ(out.intrinsics_height, 513);
  gst_caps_unref(c);
  gst_caps_unref(back);
}

TEST_F(CapsTest, IntrinsicsRescaleKeepsPixelCentres) {
  GstLsfaIntrinsics k{600, 500, 319.5, 239.5};  // principal point at the image centre
  GstLsfaIntrinsics h = gst_lsfa_intrinsics_rescale(&k, 640, 480, 320, 240);
  EXPECT_DOUBLE_EQ(h.fx, 300);
  EXPECT_DOUBLE_EQ(h.fy, 250);
  EXPECT_DOUBLE_EQ(h.cx, 159.5);  // still the centre of a 320-wide image
  EXPECT_DOUBLE_EQ(h.cy, 119.5);
  // A ray through the original pixel-corner x=64 (u=63.5) lands on corner 32 after halving.
  GstLsfaIntrinsics k2{100, 100, 10, 20};
  GstLsfaIntrinsics d = gst_lsfa_intrinsics_rescale(&k2, 100, 100, 200, 50);
  EXPECT_DOUBLE_EQ(d.fx, 200);
  EXPECT_DOUBLE_EQ(d.fy, 50);
  EXPECT_DOUBLE_EQ(d.cx, 20.5);
  EXPECT_DOUBLE_EQ(d.cy, 9.75);
}

TEST_F(CapsTest, RectScaleAndGridMapping) {
  GstLsfaRect r{-10, 0, 120, 100};
  GstLsfaRect s = gst_lsfa_rect_scale(&r, 100, 100, 50, 200);
  EXPECT_DOUBLE_EQ(s.x, -5);
  EXPECT_DOUBLE_EQ(s.y, 0);
  EXPECT_DOUBLE_EQ(s.width, 60);
  EXPECT_DOUBLE_EQ(s.height, 200);
  GstLsfaRect g{0, 0, 4, 4};
  double gx, gy;
  gst_lsfa_rect_frame_to_grid(&g, 2, 2, 1.0, 3.0, &gx, &gy);  // centre of cell (0, 1)
  EXPECT_DOUBLE_EQ(gx, 0);
  EXPECT_DOUBLE_EQ(gy, 1);
}

TEST_F(CapsTest, RgbdMetaAddCopyFree) {
  GstBuffer *frame = gst_buffer_new_allocate(nullptr, 4 * 3 * 3, nullptr);
  GstBuffer *depth = gst_buffer_new_allocate(nullptr, 4 * 3 * 2, nullptr);
  GstBuffer *mask = gst_buffer_new_allocate(nullptr, 4 * 3, nullptr);
  GstLsfaIntrinsics k{5, 6, 1.5, 1};
  GstLsfaRgbdMeta *m =
      gst_buffer_add_lsfa_rgbd_meta(frame, GST_LSFA_DEPTH_FORMAT_GRAY16, depth, 4, 3, 0, 0.001, &k);
  ASSERT_NE(m, nullptr);
  gst_lsfa_rgbd_meta_set_mask(m, mask);
  EXPECT_EQ(m->stride, 8u);  // packed
  EXPECT_EQ(GST_MINI_OBJECT_REFCOUNT_VALUE(depth), 2);

  GstBuffer *copy = gst_buffer_copy(frame);
  GstLsfaRgbdMeta *c = gst_buffer_get_lsfa_rgbd_meta(copy);
  ASSERT_NE(c, nullptr);
  EXPECT_NE(c, m);
  EXPECT_EQ(c->depth, depth);  // shared, not duplicated
  EXPECT_EQ(c->mask, mask);
  EXPECT_EQ(c->width, 4u);
  EXPECT_EQ(c->height, 3u);
  EXPECT_DOUBLE_EQ(c->depth_scale, 0.001);
  EXPECT_DOUBLE_EQ(c->intrinsics.fy, 6);
  EXPECT_EQ(GST_MINI_OBJECT_REFCOUNT_VALUE(depth), 3);
  gst_buffer_unref(copy);
  gst_buffer_unref(frame);
  EXPECT_EQ(GST_MINI_OBJECT_REFCOUNT_VALUE(depth), 1);  // both metas released it
  EXPECT_EQ(GST_MINI_OBJECT_REFCOUNT_VALUE(mask), 1);
  gst_buffer_unref(depth);
  gst_buffer_unref(mask);
}

TEST_F(CapsTest, RgbdMetaRefusesShortDepthBuffer) {
  GstBuffer *frame = gst_buffer_new();
  GstBuffer *depth = gst_buffer_new_allocate(nullptr, 10, nullptr);
  // 4 x 3 XYZ floats need 144 bytes: refused with a critical, no meta added.
  g_test_expect_message("GstLsfaCaps", G_LOG_LEVEL_CRITICAL, "*");
  EXPECT_EQ(gst_buffer_add_lsfa_rgbd_meta(frame, GST_LSFA_DEPTH_FORMAT_XYZ_F32, depth, 4, 3, 0, 0,
                                          nullptr),
            nullptr);
  g_test_assert_expected_messages();
  EXPECT_EQ(gst_buffer_get_lsfa_rgbd_meta(frame), nullptr);
  gst_buffer_unref(frame);
  gst_buffer_unref(depth);
}

TEST_F(CapsTest, RgbdMetaRefusesAStrideThatWrapsAround) {
  // stride * (height - 1) + row used to wrap around to a small number (2^63 * 2 + 2 = 2), so a
  // 10-byte buffer was accepted for 3 rows of 2^63 bytes.
  GstBuffer *frame = gst_buffer_new();
  GstBuffer *depth = gst_buffer_new_allocate(nullptr, 10, nullptr);
  g_test_expect_message("GstLsfaCaps", G_LOG_LEVEL_CRITICAL, "*");
  EXPECT_EQ(gst_buffer_add_lsfa_rgbd_meta(frame, GST_LSFA_DEPTH_FORMAT_GRAY16, depth, 1, 3,
                                          gsize{1} << 63, 0.001, nullptr),
            nullptr);
  g_test_assert_expected_messages();
  EXPECT_EQ(gst_buffer_get_lsfa_rgbd_meta(frame), nullptr);
  gst_buffer_unref(frame);
  gst_buffer_unref(depth);
}

int g_freed = 0;
void count_free(gpointer data) {
  EXPECT_EQ(GPOINTER_TO_INT(data), 42);
  g_freed++;
}

TEST_F(CapsTest, FeaturesMetaSharesHandleAndFreesOnce) {
  g_freed = 0;
  GstLsfaFeatures *f = gst_lsfa_features_new(GINT_TO_POINTER(42), count_free);
  GstBuffer *frame = gst_buffer_new();
  GstLsfaFeaturesMeta *m = gst_buffer_add_lsfa_features_meta(frame, f, "preset=small", "rgb,3d");
  gst_lsfa_features_unref(f);  // the meta holds the only reference now
  ASSERT_NE(m, nullptr);
  m->rgb_channels = 64;
  m->rgb_grid = 28;
  m->point_groups = 128;
  m->point_channels = 96;
  m->model_size = 224;
  m->frame_width = 400;
  m->frame_height = 300;
  m->model_rect = {0, -50, 400, 400};
  GstBuffer *valid = gst_buffer_new_allocate(nullptr, 224 * 224, nullptr);
  gst_lsfa_features_meta_set_valid(m, valid);
  gst_buffer_unref(valid);

  GstBuffer *copy = gst_buffer_copy(frame);
  GstLsfaFeaturesMeta *c = gst_buffer_get_lsfa_features_meta(copy);
  ASSERT_NE(c, nullptr);
  EXPECT_EQ(c->features, m->features);
  EXPECT_EQ(GPOINTER_TO_INT(gst_lsfa_features_get_data(c->features)), 42);
  EXPECT_STREQ(c->extractor_identity, "preset=small");
  EXPECT_NE(c->extractor_identity, m->extractor_identity);  // own copy of the string
  EXPECT_STREQ(c->modalities, "rgb,3d");
  EXPECT_EQ(c->rgb_channels, 64u);
  EXPECT_EQ(c->point_groups, 128u);
  EXPECT_EQ(c->model_size, 224u);
  EXPECT_EQ(c->valid, m->valid);
  EXPECT_DOUBLE_EQ(c->model_rect.y, -50);
  gst_buffer_unref(frame);
  EXPECT_EQ(g_freed, 0);
  gst_buffer_unref(copy);
  EXPECT_EQ(g_freed, 1);
}

TEST_F(CapsTest, FeaturesHandleIsBoxed) {
  g_freed = 0;
  GstLsfaFeatures *f = gst_lsfa_features_new(GINT_TO_POINTER(42), count_free);
  GValue v = G_VALUE_INIT;
  g_value_init(&v, GST_LSFA_TYPE_FEATURES);
  g_value_set_boxed(&v, f);
  gst_lsfa_features_unref(f);
  EXPECT_EQ(g_freed, 0);
  g_value_unset(&v);
  EXPECT_EQ(g_freed, 1);
}

TEST_F(CapsTest, AnomalyMetaDefaultsAndCopy) {
  GstBuffer *frame = gst_buffer_new();
  GstLsfaAnomalyMeta *m = gst_buffer_add_lsfa_anomaly_meta(frame);
  ASSERT_NE(m, nullptr);
  EXPECT_TRUE(std::isnan(m->score_rgb));
  EXPECT_TRUE(std::isnan(m->score_3d));
  EXPECT_EQ(m->map, nullptr);
  m->score = 2.5f;
  m->score_rgb = 1.5f;
  m->threshold = 2.0f;
  m->is_anomalous = TRUE;
  m->pixel_threshold = 3;
  m->map_low = -1;
  m->map_high = 5;
  m->frame_width = 8;
  m->frame_height = 6;
  m->map_rect = {0, -1, 8, 8};
  GstBuffer *map = float_buffer({1, 2, 3, 4});
  EXPECT_FALSE(gst_lsfa_anomaly_meta_set_map(m, map, 3, 2));  // 6 floats do not fit in 4
  ASSERT_TRUE(gst_lsfa_anomaly_meta_set_map(m, map, 2, 2));
  gst_buffer_unref(map);

  GstBuffer *copy = gst_buffer_copy(frame);
  GstLsfaAnomalyMeta *c = gst_buffer_get_lsfa_anomaly_meta(copy);
  ASSERT_NE(c, nullptr);
  EXPECT_FLOAT_EQ(c->score, 2.5f);
  EXPECT_FLOAT_EQ(c->score_rgb, 1.5f);
  EXPECT_TRUE(std::isnan(c->score_3d));
  EXPECT_FLOAT_EQ(c->threshold, 2.0f);
  EXPECT_TRUE(c->is_anomalous);
  EXPECT_EQ(c->map, m->map);
  EXPECT_EQ(c->map_width, 2u);
  EXPECT_FLOAT_EQ(c->pixel_threshold, 3);
  EXPECT_FLOAT_EQ(c->map_low, -1);
  EXPECT_FLOAT_EQ(c->map_high, 5);
  EXPECT_DOUBLE_EQ(c->map_rect.y, -1);
  EXPECT_EQ(c->frame_height, 6);
  gst_buffer_unref(copy);
  gst_buffer_unref(frame);
}

TEST_F(CapsTest, AnomalyMetaBilinearSample) {
  GstBuffer *frame = gst_buffer_new();
  GstLsfaAnomalyMeta *m = gst_buffer_add_lsfa_anomaly_meta(frame);
  GstBuffer *map = float_buffer({0, 10, 20, 30});
  gst_lsfa_anomaly_meta_set_map(m, map, 2, 2);
  m->map_rect = {2, 2, 4, 4};  // the 2x2 map covers frame pixels [2,6) x [2,6)
  GstMapInfo info;
  ASSERT_TRUE(gst_buffer_map(map, &info, GST_MAP_READ));
  const float *d = reinterpret_cast<const float *>(info.data);
  float v = -1;
  EXPECT_FALSE(gst_lsfa_anomaly_meta_sample(m, d, 1.5, 3.5, &v));  // left of the rect
  EXPECT_FALSE(gst_lsfa_anomaly_meta_sample(m, d, 3.5, 6.5, &v));  // below it
  ASSERT_TRUE(gst_lsfa_anomaly_meta_sample(m, d, 3.0, 3.0, &v));   // centre of cell (0,0)
  EXPECT_FLOAT_EQ(v, 0);
  ASSERT_TRUE(gst_lsfa_anomaly_meta_sample(m, d, 5.0, 5.0, &v));  // centre of cell (1,1)
  EXPECT_FLOAT_EQ(v, 30);
  ASSERT_TRUE(gst_lsfa_anomaly_meta_sample(m, d, 4.0, 3.0, &v));  // halfway in x
  EXPECT_FLOAT_EQ(v, 5);
  ASSERT_TRUE(gst_lsfa_anomaly_meta_sample(m, d, 4.0, 4.0, &v));  // middle of all four
  EXPECT_FLOAT_EQ(v, 15);
  ASSERT_TRUE(gst_lsfa_anomaly_meta_sample(m, d, 2.1, 2.1, &v));  // edge: clamped to cell (0,0)
  EXPECT_FLOAT_EQ(v, 0);
  gst_buffer_unmap(map, &info);
  gst_buffer_unref(map);
  gst_buffer_unref(frame);
}

TEST_F(CapsTest, AnomalyMetaRefusesWrappingMapSizesAndNaNGeometry) {
  GstBuffer *frame = gst_buffer_new();
  GstLsfaAnomalyMeta *m = gst_buffer_add_lsfa_anomaly_meta(frame);
  GstBuffer *map = float_buffer({0, 10, 20, 30});
  // 2^31 x 2^31 floats = 2^64 bytes used to wrap around to 0 and fit in any buffer.
  EXPECT_FALSE(gst_lsfa_anomaly_meta_set_map(m, map, 1u << 31, 1u << 31));
  EXPECT_FALSE(gst_lsfa_anomaly_meta_set_map(m, map, 1u << 31, 0));  // beyond G_MAXINT
  ASSERT_TRUE(gst_lsfa_anomaly_meta_set_map(m, map, 2, 2));
  GstMapInfo info;
  ASSERT_TRUE(gst_buffer_map(map, &info, GST_MAP_READ));
  const float *d = reinterpret_cast<const float *>(info.data);
  float v = -1;
  // A NaN rectangle or position used to pass the bounds test and index with (gint)floor(NaN).
  const double nan = std::nan(""), inf = INFINITY;
  for (GstLsfaRect r :
       {GstLsfaRect{nan, 0, 4, 4}, GstLsfaRect{0, 0, nan, 4}, GstLsfaRect{-inf, 0, inf, 4}}) {
    m->map_rect = r;
    EXPECT_FALSE(gst_lsfa_anomaly_meta_sample(m, d, 1.0, 1.0, &v));
  }
  m->map_rect = {0, 0, 4, 4};
  EXPECT_FALSE(gst_lsfa_anomaly_meta_sample(m, d, nan, 1.0, &v));
  EXPECT_FALSE(gst_lsfa_anomaly_meta_sample(m, d, 1.0, nan, &v));
  EXPECT_TRUE(gst_lsfa_anomaly_meta_sample(m, d, 1.0, 1.0, &v));
  gst_buffer_unmap(map, &info);
  gst_buffer_unref(map);
  gst_buffer_unref(frame);
}

// Calls a meta's transform with the video scale quark, as video scalers do.
GstBuffer *scale_transform(GstBuffer *src, GType api, int in_w, int in_h, int out_w, int out_h) {
  GstVideoInfo in, out;
  gst_video_info_set_format(&in, GST_VIDEO_FORMAT_RGB, in_w, in_h);
  gst_video_info_set_format(&out, GST_VIDEO_FORMAT_RGB, out_w, out_h);
  GstVideoMetaTransform t = {&in, &out};
  GstMeta *meta = gst_buffer_get_meta(src, api);
  GstBuffer *dst = gst_buffer_new();
  EXPECT_TRUE(
      meta->info->transform_func(dst, meta, src, gst_video_meta_transform_scale_get_quark(), &t));
  return dst;
}

TEST_F(CapsTest, ScaleTransformUpdatesGeometry) {
  GstBuffer *frame = gst_buffer_new();
  GstLsfaAnomalyMeta *a = gst_buffer_add_lsfa_anomaly_meta(frame);
  a->frame_width = 400;
  a->frame_height = 300;
  a->map_rect = {0, -50, 400, 400};
  a->score = 7;
  GstLsfaFeatures *f = gst_lsfa_features_new(nullptr, nullptr);
  GstLsfaFeaturesMeta *fm = gst_buffer_add_lsfa_features_meta(frame, f, "id", "rgb");
  gst_lsfa_features_unref(f);
  fm->frame_width = 400;
  fm->frame_height = 300;
  fm->model_rect = {0, -50, 400, 400};

  GstBuffer *s = scale_transform(frame, GST_LSFA_ANOMALY_META_API_TYPE, 400, 300, 200, 600);
  GstLsfaAnomalyMeta *sa = gst_buffer_get_lsfa_anomaly_meta(s);
  ASSERT_NE(sa, nullptr);
  EXPECT_EQ(sa->frame_width, 200);
  EXPECT_EQ(sa->frame_height, 600);
  EXPECT_DOUBLE_EQ(sa->map_rect.x, 0);
  EXPECT_DOUBLE_EQ(sa->map_rect.y, -100);
  EXPECT_DOUBLE_EQ(sa->map_rect.width, 200);
  EXPECT_DOUBLE_EQ(sa->map_rect.height, 800);
  EXPECT_FLOAT_EQ(sa->score, 7);
  gst_buffer_unref(s);

  s = scale_transform(frame, GST_LSFA_FEATURES_META_API_TYPE, 400, 300, 100, 75);
  GstLsfaFeaturesMeta *sf = gst_buffer_get_lsfa_features_meta(s);
  ASSERT_NE(sf, nullptr);
  EXPECT_EQ(sf->frame_width, 100);
  EXPECT_DOUBLE_EQ(sf->model_rect.y, -12.5);
  EXPECT_DOUBLE_EQ(sf->model_rect.width, 100);
  gst_buffer_unref(s);
  gst_buffer_unref(frame);
}

TEST_F(CapsTest, MetasSurviveRealVideoScaler) {
  GstHarness *h = gst_harness_new_parse("videoscale");
  ASSERT_NE(h, nullptr);
  gst_harness_set_src_caps_str(h, "video/x-raw, format=RGB, width=64, height=48, framerate=10/1");
  gst_harness_set_sink_caps_str(h, "video/x-raw, format=RGB, width=32, height=96");
  GstBuffer *frame = gst_harness_create_buffer(h, 64 * 48 * 3);
  gst_buffer_memset(frame, 0, 0x40, 64 * 48 * 3);
  GstLsfaAnomalyMeta *a = gst_buffer_add_lsfa_anomaly_meta(frame);
  a->frame_width = 64;
  a->frame_height = 48;
  a->map_rect = {0, -8, 64, 64};
  a->is_anomalous = TRUE;
  ASSERT_EQ(gst_harness_push(h, frame), GST_FLOW_OK);
  GstBuffer *out = gst_harness_pull(h);
  ASSERT_NE(out, nullptr);
  GstLsfaAnomalyMeta *o = gst_buffer_get_lsfa_anomaly_meta(out);
  ASSERT_NE(o, nullptr) << "videoscale dropped the anomaly meta";
  EXPECT_TRUE(o->is_anomalous);
  EXPECT_EQ(o->frame_width, 32);
  EXPECT_EQ(o->frame_height, 96);
  EXPECT_DOUBLE_EQ(o->map_rect.y, -16);
  EXPECT_DOUBLE_EQ(o->map_rect.width, 32);
  EXPECT_DOUBLE_EQ(o->map_rect.height, 128);
  gst_buffer_unref(out);
  gst_harness_teardown(h);
}

TEST_F(CapsTest, SampleMetaAddCopyTransformAndTags) {
  GstBuffer *b = gst_buffer_new_allocate(nullptr, 16, nullptr);
  GstLsfaSampleMeta *m = gst_buffer_add_lsfa_sample_meta(b, "/d/ring/test/crack/rgb/003.png",
                                                         "ring", "test", "crack", "003", 1);
  ASSERT_NE(m, nullptr);
  EXPECT_EQ(gst_buffer_get_lsfa_sample_meta(b), m);
  // The strings are copies, and the meta survives a copy and any transform (it has no API tags,
  // so video converters keep it).
  GstBuffer *copy = gst_buffer_copy(b);
  GstLsfaSampleMeta *c = gst_buffer_get_lsfa_sample_meta(copy);
  ASSERT_NE(c, nullptr);
  EXPECT_NE(c->path, m->path);
  EXPECT_STREQ(c->path, "/d/ring/test/crack/rgb/003.png");
  EXPECT_STREQ(c->category, "ring");
  EXPECT_STREQ(c->split, "test");
  EXPECT_STREQ(c->defect, "crack");
  EXPECT_STREQ(c->id, "003");
  EXPECT_EQ(c->label, 1);
  const gchar *const *tags = gst_meta_api_type_get_tags(GST_LSFA_SAMPLE_META_API_TYPE);
  EXPECT_TRUE(tags == nullptr || tags[0] == nullptr);
  EXPECT_FALSE(gst_meta_api_type_has_tag(GST_LSFA_SAMPLE_META_API_TYPE,
                                         g_quark_from_string(GST_META_TAG_VIDEO_STR)));
  GstBuffer *scaled = gst_buffer_new();
  GstVideoMetaTransform scale{};
  ASSERT_TRUE(GST_LSFA_SAMPLE_META_INFO->transform_func(
      scaled, &m->meta, b, gst_video_meta_transform_scale_get_quark(), &scale));
  EXPECT_STREQ(gst_buffer_get_lsfa_sample_meta(scaled)->defect, "crack");

  GstTagList *list = gst_lsfa_sample_meta_to_tag_list(m);
  gchar *path = nullptr, *defect = nullptr;
  gint label = -1;
  ASSERT_TRUE(gst_tag_list_get_string(list, GST_LSFA_TAG_SAMPLE_PATH, &path));
  ASSERT_TRUE(gst_tag_list_get_string(list, GST_LSFA_TAG_DEFECT, &defect));
  ASSERT_TRUE(gst_tag_list_get_int(list, GST_LSFA_TAG_LABEL, &label));
  EXPECT_STREQ(path, "/d/ring/test/crack/rgb/003.png");
  EXPECT_STREQ(defect, "crack");
  EXPECT_EQ(label, 1);
  EXPECT_EQ(gst_tag_get_type(GST_LSFA_TAG_LABEL), G_TYPE_INT);
  g_free(path);
  g_free(defect);
  gst_tag_list_unref(list);
  for (GstBuffer *x : {b, copy, scaled}) gst_buffer_unref(x);
}

TEST_F(CapsTest, SampleMetaRefusesALabelOtherThanZeroOrOne) {
  GstBuffer *b = gst_buffer_new();
  g_test_expect_message("GstLsfaCaps", G_LOG_LEVEL_CRITICAL, "*label*");
  EXPECT_EQ(gst_buffer_add_lsfa_sample_meta(b, "p", "c", "test", "good", "0", 2), nullptr);
  g_test_assert_expected_messages();
  EXPECT_EQ(gst_buffer_get_lsfa_sample_meta(b), nullptr);
  // NULL strings are stored as "".
  GstLsfaSampleMeta *m =
      gst_buffer_add_lsfa_sample_meta(b, nullptr, nullptr, nullptr, nullptr, nullptr, 0);
  ASSERT_NE(m, nullptr);
  EXPECT_STREQ(m->path, "");
  EXPECT_STREQ(m->defect, "");
  gst_buffer_unref(b);
}

TEST_F(CapsTest, FeaturesHandleTypeLeavesTheElementNameFree) {
  // GstObject names instances after their type: the name GstLsfaFeatures is the element's.
  EXPECT_STREQ(g_type_name(GST_LSFA_TYPE_FEATURES), "GstLsfaFeaturesHandle");
  EXPECT_TRUE(G_TYPE_IS_BOXED(GST_LSFA_TYPE_FEATURES));
}

}  // namespace
