// Tests of lsfafeatures running the model code: pairing, calibration, formats, the paired-stream
// mode, caps changes. Small backbones (preset "small", random initialisation) keep them fast.
#include "element_test_util.h"

namespace {

using namespace lsfa_gst_test;

TEST_F(PipelineTest, FeaturesPairsTwoStreamsAndAttachesMeta) {
  Features f;
  Scene s = make_scene();
  ASSERT_EQ(gst_harness_push(f.rgb, rgb_buffer(s, "RGB", 0)), GST_FLOW_OK);
  ASSERT_EQ(gst_harness_push(f.depth, depth_buffer(s, 0)), GST_FLOW_OK);
  GstBuffer *out = gst_harness_pull(f.rgb);
  ASSERT_NE(out, nullptr) << f.error(0);
  EXPECT_EQ(GST_BUFFER_PTS(out), 0u);
  GstLsfaFeaturesMeta *m = gst_buffer_get_lsfa_features_meta(out);
  ASSERT_NE(m, nullptr);
  EXPECT_STREQ(m->modalities, "rgb,3d");
  ASSERT_NE(m->extractor_identity, nullptr);
  EXPECT_NE(std::string(m->extractor_identity), "");
  EXPECT_GT(m->rgb_channels, 0u);
  EXPECT_GT(m->point_groups, 0u);
  EXPECT_EQ(m->model_size, 224u);
  EXPECT_EQ(m->frame_width, kW);
  EXPECT_EQ(m->frame_height, kH);
  // The model square covers the whole frame.
  EXPECT_DOUBLE_EQ(m->model_rect.width, m->model_rect.height);
  EXPECT_LE(m->model_rect.x, 0);
  EXPECT_LE(m->model_rect.y, 0);
  EXPECT_GE(m->model_rect.x + m->model_rect.width, kW);
  EXPECT_GE(m->model_rect.y + m->model_rect.height, kH);
  ASSERT_NE(m->valid, nullptr);
  GstMapInfo mi;
  gst_buffer_map(m->valid, &mi, GST_MAP_READ);
  size_t valid = 0;
  for (size_t i = 0; i < mi.size; ++i) valid += mi.data[i];
  gst_buffer_unmap(m->valid, &mi);
  EXPECT_GT(valid, 0u);  // the box survives plane removal
  ASSERT_NE(features(out), nullptr);
  EXPECT_TRUE(features(out)->rgb_tokens.defined());
  // Output caps: the rgb caps.
  GstCaps *caps = gst_pad_get_current_caps(f.rgb->sinkpad);
  GstCaps *expected = gst_caps_from_string(rgb_caps().c_str());
  EXPECT_TRUE(gst_caps_is_equal(caps, expected)) << gst_caps_to_string(caps);
  gst_caps_unref(caps);
  gst_caps_unref(expected);
  gst_buffer_unref(out);
}

TEST_F(PipelineTest, FeaturesDropUnmatchedFramesAndEndWithRgb) {
  Features f;
  g_object_set(f.rgb->element, "pair-tolerance", 10 * GST_MSECOND, nullptr);
  Scene s = make_scene();
  const GstClockTime ms = GST_MSECOND;
  gst_harness_push(f.rgb, rgb_buffer(s, "RGB", 0));
  gst_harness_push(f.depth, depth_buffer(s, 0));
  gst_harness_push(f.rgb, rgb_buffer(s, "RGB", 100 * ms));  // no depth: dropped
  gst_harness_push(f.depth, depth_buffer(s, 203 * ms));     // late but within tolerance
  gst_harness_push(f.rgb, rgb_buffer(s, "RGB", 200 * ms));
  gst_harness_push(f.depth, depth_buffer(s, 260 * ms));  // no rgb: dropped
  gst_harness_push(f.rgb, rgb_buffer(s, "RGB", 300 * ms));
  gst_harness_push(f.depth, depth_buffer(s, 300 * ms));
  gst_harness_push_event(f.depth, gst_event_new_eos());
  gst_harness_push(f.rgb, rgb_buffer(s, "RGB", 400 * ms));  // depth ended: dropped
  gst_harness_push_event(f.rgb, gst_event_new_eos());
  std::vector<GstClockTime> pts;
  GstBuffer *b = nullptr;
  while (gst_harness_pull_until_eos(f.rgb, &b) && b != nullptr) {
    pts.push_back(GST_BUFFER_PTS(b));
    gst_buffer_unref(b);
  }
  EXPECT_EQ(pts, (std::vector<GstClockTime>{0, 200 * ms, 300 * ms}));
  EXPECT_EQ(f.dropped("dropped-rgb"), 2u);
  EXPECT_EQ(f.dropped("dropped-depth"), 1u);
  EXPECT_EQ(f.error(0), "");
}

TEST_F(PipelineTest, FeaturesChannelOrderDoesNotChangeFeatures) {
  Scene s = make_scene();
  at::Tensor reference;
  for (const char *format : {"RGB", "BGR", "RGBx", "BGRx", "RGBA", "BGRA"}) {
    SCOPED_TRACE(format);
    Features f(true, rgb_caps(format));
    gst_harness_push(f.rgb, rgb_buffer(s, format, 0));
    gst_harness_push(f.depth, depth_buffer(s, 0));
    GstBuffer *out = gst_harness_pull(f.rgb);
    ASSERT_NE(out, nullptr) << f.error(0);
    const lsfa::SampleFeatures *sf = features(out);
    ASSERT_NE(sf, nullptr);
    if (!reference.defined())
      reference = sf->rgb_tokens.clone();
    else
      EXPECT_TRUE(at::equal(reference, sf->rgb_tokens));
    GstCaps *caps = gst_pad_get_current_caps(f.rgb->sinkpad);
    GstCaps *expected = gst_caps_from_string(rgb_caps(format).c_str());
    EXPECT_TRUE(gst_caps_is_equal(caps, expected));
    gst_caps_unref(caps);
    gst_caps_unref(expected);
    gst_buffer_unref(out);
  }
}

TEST_F(PipelineTest, FeaturesRescaleStaleIntrinsics) {
  // Depth at 64 x 48 whose caps carry intrinsics calibrated for 128 x 96 (a scaler upstream): the
  // cloud must equal the one made with intrinsics for 64 x 48.
  Scene s = make_scene();
  at::Tensor clouds[2];
  const std::string extras[2] = {
      ", depth-scale=(double)0.001, intrinsics=(double)<60.0, 60.0, 31.5, 23.5>",
      ", depth-scale=(double)0.001, intrinsics=(double)<120.0, 120.0, 63.5, 47.5>, "
      "intrinsics-size=(int)<128, 96>"};
  for (int i = 0; i < 2; ++i) {
    Features f(true, rgb_caps(), depth_caps(extras[i]));
    gst_harness_push(f.rgb, rgb_buffer(s, "RGB", 0));
    gst_harness_push(f.depth, depth_buffer(s, 0));
    GstBuffer *out = gst_harness_pull(f.rgb);
    ASSERT_NE(out, nullptr) << f.error(0);
    clouds[i] = features(out)->xyz.clone();
    gst_buffer_unref(out);
  }
  EXPECT_TRUE(at::allclose(clouds[0], clouds[1], 1e-6, 1e-7));
}

TEST_F(PipelineTest, FeaturesPropertiesAreCalibrationFallback) {
  Scene s = make_scene();
  Features f(true, rgb_caps(), depth_caps(""));
  gst_util_set_object_arg(G_OBJECT(f.rgb->element), "intrinsics", "<60.0, 60.0, 31.5, 23.5>");
  g_object_set(f.rgb->element, "depth-scale", kScale, nullptr);
  gst_harness_push(f.rgb, rgb_buffer(s, "RGB", 0));
  gst_harness_push(f.depth, depth_buffer(s, 0));
  GstBuffer *out = gst_harness_pull(f.rgb);
  ASSERT_NE(out, nullptr) << f.error(0);
  gst_buffer_unref(out);
}

TEST_F(PipelineTest, FeaturesBadCalibrationIsAnElementError) {
  Scene s = make_scene();
  struct Case {
    std::string depth_extra, expect;
  } cases[] = {
      {", depth-scale=(double)0.001, intrinsics=(double)<60.0, 60.0>", "intrinsics"},
      {", depth-scale=(double)-1.0, intrinsics=(double)<60.0, 60.0, 31.5, 23.5>", "depth-scale"},
      {", depth-scale=(double)0.001, intrinsics=(double)<60.0, 60.0, 31.5, 23.5>, "
       "intrinsics-size=(int)<0, 48>",
       "intrinsics-size"},
      {", intrinsics=(double)<60.0, 60.0, 31.5, 23.5>", "depth scale"},  // nothing to fall back on
      {", depth-scale=(double)0.001", "no intrinsics"},
  };
  for (const Case &c : cases) {
    SCOPED_TRACE(c.depth_extra);
    Features f(true, rgb_caps(), depth_caps(c.depth_extra));
    gst_harness_push(f.rgb, rgb_buffer(s, "RGB", 0));
    gst_harness_push(f.depth, depth_buffer(s, 0));
    std::string err = f.error();
    EXPECT_NE(err.find(c.expect), std::string::npos) << err;
  }
}

TEST_F(PipelineTest, FeaturesRefuseDepthOfAnotherSize) {
  Scene s = make_scene();
  Features f(true, rgb_caps(),
             "video/x-raw, format=GRAY16_LE, width=32, height=24, framerate=10/1, "
             "depth-scale=(double)0.001, intrinsics=(double)<30.0, 30.0, 15.5, 11.5>");
  gst_harness_push(f.rgb, rgb_buffer(s, "RGB", 0));
  gst_harness_push(f.depth, depth_buffer(s, 0, 32, 24));
  std::string err = f.error();
  EXPECT_NE(err.find("64x48"), std::string::npos) << err;
  EXPECT_NE(err.find("32x24"), std::string::npos) << err;
}

TEST_F(PipelineTest, FeaturesWithoutDepthNeedThePairedStream) {
  Scene s = make_scene();
  Features f(false);
  gst_harness_push(f.rgb, rgb_buffer(s, "RGB", 0));
  std::string err = f.error();
  EXPECT_NE(err.find("depth"), std::string::npos) << err;
}

TEST_F(PipelineTest, FeaturesFromPairedStreamMatchTwoStreams) {
  // The same frame as RGB + GRAY16 depth on two pads, and as one RGB-D stream with the depth in a
  // GstLsfaRgbdMeta: identical features.
  Scene s = make_scene();
  at::Tensor two, one;
  {
    Features f;
    gst_harness_push(f.rgb, rgb_buffer(s, "RGB", 0));
    gst_harness_push(f.depth, depth_buffer(s, 0));
    GstBuffer *out = gst_harness_pull(f.rgb);
    ASSERT_NE(out, nullptr) << f.error(0);
    two = features(out)->point_groups.clone();
    gst_buffer_unref(out);
  }
  {
    std::string caps = rgb_caps();
    caps.replace(caps.find("video/x-raw"), 11, "video/x-raw(meta:LsfaRgbd)");
    Features f(false, caps);
    GstBuffer *in = rgb_buffer(s, "RGB", 0);
    GstBuffer *d = gst_buffer_new_memdup(s.depth.data(), s.depth.size() * 2);
    GstLsfaIntrinsics k{kFx, kFy, kCx, kCy};
    gst_buffer_add_lsfa_rgbd_meta(in, GST_LSFA_DEPTH_FORMAT_GRAY16, d, kW, kH, 0, kScale, &k);
    gst_buffer_unref(d);
    gst_harness_push(f.rgb, in);
    GstBuffer *out = gst_harness_pull(f.rgb);
    ASSERT_NE(out, nullptr) << f.error(0);
    one = features(out)->point_groups.clone();
    // Downstream sees plain video.
    GstCaps *c = gst_pad_get_current_caps(f.rgb->sinkpad);
    EXPECT_FALSE(gst_lsfa_caps_has_rgbd_feature(c));
    gst_caps_unref(c);
    gst_buffer_unref(out);
  }
  EXPECT_TRUE(at::equal(two, one));
}

TEST_F(PipelineTest, FeaturesCapsChangeMidStream) {
  Scene s = make_scene();
  Features f;
  gst_harness_push(f.rgb, rgb_buffer(s, "RGB", 0));
  gst_harness_push(f.depth, depth_buffer(s, 0));
  GstBuffer *out = gst_harness_pull(f.rgb);
  ASSERT_NE(out, nullptr) << f.error(0);
  gst_buffer_unref(out);
  gst_harness_set_src_caps_str(f.rgb, rgb_caps("BGRx").c_str());
  gst_harness_push(f.rgb, rgb_buffer(s, "BGRx", 100 * GST_MSECOND));
  gst_harness_push(f.depth, depth_buffer(s, 100 * GST_MSECOND));
  out = gst_harness_pull(f.rgb);
  ASSERT_NE(out, nullptr) << f.error(0);
  GstCaps *caps = gst_pad_get_current_caps(f.rgb->sinkpad);
  GstCaps *expected = gst_caps_from_string(rgb_caps("BGRx").c_str());
  EXPECT_TRUE(gst_caps_is_equal(caps, expected));
  gst_caps_unref(caps);
  gst_caps_unref(expected);
  gst_buffer_unref(out);
}

}  // namespace
