// lsfarecorder: the clip rule (ClipGate) on known alarm patterns, then the element on a synthetic
// stream with alarms at known frames: the number of clips, their frames (pre-roll, post-roll,
// merged alarms, end of stream) read back by decoding the files, the messages, and errors.
#include <gst/app/gstappsrc.h>
#include <gst/gst.h>
#include <gst/lsfa/lsfa.h>
#include <gst/video/video.h>
#include <gtest/gtest.h>

#include <cmath>
#include <filesystem>
#include <set>
#include <string>
#include <vector>

#include "clip_reader.h"
#include "gst_test.h"
#include "lsfa_clip_gate.h"
#include "pipeline_run.h"
#include "test_util.h"

namespace {

using RecorderTest = lsfa_gst_test::GstTest;

// ----------------------------------------------------------------------------- the clip rule

// Runs the gate over frames 0..n-1 at `fps` with the alarm on for the frames in `on`; returns the
// frame numbers of each clip.
std::vector<std::vector<int>> clips(int n, int fps, const std::set<int> &on, double pre,
                                    double post, bool finish = true) {
  std::vector<std::vector<int>> out;
  bool open = false;
  lsfa_gst::ClipGate<int>::Actions a;
  a.open = [&] {
    EXPECT_FALSE(open);
    open = true;
    out.emplace_back();
  };
  a.write = [&](int &&f) {
    EXPECT_TRUE(open);
    out.back().push_back(f);
  };
  a.close = [&] {
    EXPECT_TRUE(open);
    open = false;
  };
  const uint64_t second = 1000000000ull;
  lsfa_gst::ClipGate<int> gate(static_cast<uint64_t>(std::llround(pre * second)),
                               static_cast<uint64_t>(std::llround(post * second)), a);
  for (int i = 0; i < n; ++i) gate.push(i, i * second / fps, on.count(i) > 0);
  if (finish) gate.finish();
  EXPECT_FALSE(open);
  return out;
}

std::vector<int> range(int from, int to) {  // [from, to)
  std::vector<int> r;
  for (int i = from; i < to; ++i) r.push_back(i);
  return r;
}

TEST(ClipGate, PreRollAndPostRollAroundOneAlarm) {
  // 5 fps, alarm on for frames 10..14 (start 10, stop 15): [10 - 5, 15 + 10) = frames 5..24.
  auto c = clips(40, 5, {10, 11, 12, 13, 14}, 1.0, 2.0);
  ASSERT_EQ(c.size(), 1u);
  EXPECT_EQ(c[0], range(5, 25));
  // No pre-roll, no post-roll: exactly the frames of the alarm.
  c = clips(40, 5, {10, 11, 12, 13, 14}, 0, 0);
  ASSERT_EQ(c.size(), 1u);
  EXPECT_EQ(c[0], range(10, 15));
  // A pre-roll longer than the stream before the alarm: from frame 0.
  c = clips(40, 5, {3}, 10, 0.2);
  ASSERT_EQ(c.size(), 1u);
  EXPECT_EQ(c[0], range(0, 5));
}

TEST(ClipGate, AlarmWithinThePostRollExtendsTheClip) {
  // Stop at 12, the post-roll would end at 22, the alarm is back at 18: one clip to 20 + 10.
  auto c = clips(40, 5, {10, 11, 18, 19}, 0.4, 2.0);
  ASSERT_EQ(c.size(), 1u);
  EXPECT_EQ(c[0], range(8, 30));
  // Back exactly at stop + post-roll (frame 22) still extends it; one frame later is a new clip
  // whose pre-roll starts after the first clip.
  c = clips(40, 5, {10, 11, 22}, 0.4, 2.0);
  ASSERT_EQ(c.size(), 1u);
  EXPECT_EQ(c[0], range(8, 33));
  c = clips(40, 5, {10, 11, 23}, 0.4, 2.0);
  ASSERT_EQ(c.size(), 2u);
  EXPECT_EQ(c[0], range(8, 22));
  EXPECT_EQ(c[1], range(22, 24 + 10));
}

TEST(ClipGate, NoFrameTwiceAndTheEndOfStreamClosesTheClip) {
  // Clip 0 closes at frame 25 (stop 15 + 10); the alarm at 30 takes its pre-roll only from 25 on,
  // and its clip is closed by the end of the stream at frame 39.
  auto c = clips(40, 5, {10, 11, 12, 13, 14, 30, 31}, 1.0, 2.0);
  ASSERT_EQ(c.size(), 2u);
  EXPECT_EQ(c[0], range(5, 25));
  EXPECT_EQ(c[1], range(25, 40));
  // The same with a pre-roll that would reach back into clip 0: still from 25.
  c = clips(40, 5, {10, 11, 12, 13, 14, 30, 31}, 3.0, 2.0);
  EXPECT_EQ(c[1], range(25, 40));
  // Never an alarm: nothing.
  EXPECT_TRUE(clips(40, 5, {}, 1.0, 2.0).empty());
}

// ----------------------------------------------------------------------------- the alarm meta

TEST_F(RecorderTest, AlarmMetaKeepsItsStateThroughCopies) {
  GstBuffer *b = gst_buffer_new_allocate(nullptr, 16, nullptr);
  EXPECT_EQ(gst_buffer_get_lsfa_alarm_meta(b), nullptr);
  GstLsfaAlarmMeta *m =
      gst_buffer_add_lsfa_alarm_meta(b, TRUE, GST_LSFA_ALARM_CHANGE_START, 3 * GST_SECOND);
  ASSERT_NE(m, nullptr);
  GstBuffer *copy = gst_buffer_copy_deep(b);
  const GstLsfaAlarmMeta *c = gst_buffer_get_lsfa_alarm_meta(copy);
  ASSERT_NE(c, nullptr);
  EXPECT_TRUE(c->active);
  EXPECT_EQ(c->change, GST_LSFA_ALARM_CHANGE_START);
  EXPECT_EQ(c->start_timestamp, 3 * GST_SECOND);
  EXPECT_STREQ(gst_lsfa_alarm_change_to_string(GST_LSFA_ALARM_CHANGE_START), "start");
  EXPECT_STREQ(gst_lsfa_alarm_change_to_string(GST_LSFA_ALARM_CHANGE_STOP), "stop");
  EXPECT_STREQ(gst_lsfa_alarm_change_to_string(GST_LSFA_ALARM_CHANGE_NONE), "none");
  // Tag-less: a conversion that keeps only tag-less metas keeps it.
  EXPECT_FALSE(gst_meta_api_type_has_tag(GST_LSFA_ALARM_META_API_TYPE,
                                         g_quark_from_static_string(GST_META_TAG_VIDEO_STR)));
  gst_buffer_unref(copy);
  gst_buffer_unref(b);
}

// ----------------------------------------------------------------------------- the element

constexpr int kW = 32, kH = 24, kFps = 5;

// Frame i: grey level 6 * i (so a decoded clip tells which frames it holds), with the alarm meta.
GstBuffer *frame(int i, bool alarm, GstLsfaAlarmChange change, bool alarm_meta = true) {
  GstVideoInfo info;
  gst_video_info_set_format(&info, GST_VIDEO_FORMAT_RGB, kW, kH);
  GstBuffer *b = gst_buffer_new_allocate(nullptr, GST_VIDEO_INFO_SIZE(&info), nullptr);
  gst_buffer_memset(b, 0, static_cast<guint8>(6 * i), GST_VIDEO_INFO_SIZE(&info));
  GST_BUFFER_PTS(b) = gst_util_uint64_scale(i, GST_SECOND, kFps);
  GST_BUFFER_DURATION(b) = GST_SECOND / kFps;
  if (alarm_meta) {
    gst_buffer_add_lsfa_alarm_meta(b, alarm, change, GST_CLOCK_TIME_NONE);
  } else {
    GstLsfaAnomalyMeta *m = gst_buffer_add_lsfa_anomaly_meta(b);
    m->is_anomalous = alarm;
  }
  return b;
}

struct Recording : PipelineRun {
  std::vector<const GstStructure *> clips;  // the lsfa-recorder-clip messages among `messages`
};

// Streams frames 0..n-1 into `appsrc ! lsfarecorder PROPS` with the alarm on for `on`.
void record(const std::string &props, int n, const std::set<int> &on, Recording *r,
            bool alarm_meta = true) {
  const std::string desc =
      "appsrc name=src format=time caps=video/x-raw,format=RGB,width=" + std::to_string(kW) +
      ",height=" + std::to_string(kH) + ",framerate=" + std::to_string(kFps) +
      "/1 ! lsfarecorder name=rec " + props;
  GError *e = nullptr;
  GstElement *pipe = gst_parse_launch(desc.c_str(), &e);
  ASSERT_TRUE(pipe != nullptr && e == nullptr) << (e ? e->message : "");
  GstElement *src = gst_bin_get_by_name(GST_BIN(pipe), "src");
  gst_element_set_state(pipe, GST_STATE_PLAYING);
  bool was = false;
  for (int i = 0; i < n; ++i) {
    const bool a = on.count(i) > 0;
    GstLsfaAlarmChange change =
        a == was ? GST_LSFA_ALARM_CHANGE_NONE
                 : (a ? GST_LSFA_ALARM_CHANGE_START : GST_LSFA_ALARM_CHANGE_STOP);
    was = a;
    if (gst_app_src_push_buffer(GST_APP_SRC(src), frame(i, a, change, alarm_meta)) != GST_FLOW_OK)
      break;
  }
  gst_app_src_end_of_stream(GST_APP_SRC(src));
  gst_object_unref(src);
  run_pipeline(pipe, r);  // already PLAYING: collects what the recorder posted, to EOS or error
  r->clips = r->named("lsfa-recorder-clip");
  gst_object_unref(pipe);
}

// The frame numbers a decoded clip holds (from the grey levels).
std::vector<int> frames_in(const std::string &path) {
  std::string error;
  std::vector<double> means = lsfa_gst_test::decode_clip(path, &error);
  EXPECT_EQ(error, "") << path;
  std::vector<int> out;
  for (double m : means) out.push_back(static_cast<int>(std::lround(m / 6.0)));
  return out;
}

guint uint_field(const GstStructure *s, const char *name) {
  guint v = 0;
  EXPECT_TRUE(gst_structure_get_uint(s, name, &v)) << name;
  return v;
}
guint64 time_field(const GstStructure *s, const char *name) {
  guint64 v = 0;
  EXPECT_TRUE(gst_structure_get_uint64(s, name, &v)) << name;
  return v;
}

TEST_F(RecorderTest, OneClipPerAlarmWithPreRollAndPostRoll) {
  lsfa::test::TempDir dir;
  Recording r;
  record("location=" + dir.file("clip-%05d.avi") + " pre-roll=1 post-roll=2", 40,
         {10, 11, 12, 13, 14, 30, 31}, &r);
  ASSERT_EQ(r.error, "");
  ASSERT_EQ(r.clips.size(), 2u);
  const std::vector<std::vector<int>> expected = {range(5, 25), range(25, 40)};
  const std::vector<int> alarm_frames = {10, 30};
  for (size_t i = 0; i < 2; ++i) {
    SCOPED_TRACE(i);
    const GstStructure *m = r.clips[i];
    char name[32];
    std::snprintf(name, sizeof name, "clip-%05zu.avi", i);
    EXPECT_EQ(std::string(gst_structure_get_string(m, "location")), dir.file(name));
    EXPECT_EQ(uint_field(m, "index"), i);
    EXPECT_EQ(uint_field(m, "frames"), expected[i].size());
    EXPECT_EQ(time_field(m, "first-timestamp"),
              gst_util_uint64_scale(expected[i].front(), GST_SECOND, kFps));
    EXPECT_EQ(time_field(m, "last-timestamp"),
              gst_util_uint64_scale(expected[i].back(), GST_SECOND, kFps));
    EXPECT_EQ(time_field(m, "alarm-start"), GST_CLOCK_TIME_NONE);  // the test's metas carry none
    // The file holds exactly these frames, in order.
    EXPECT_EQ(frames_in(dir.file(name)), expected[i]);
  }
  EXPECT_FALSE(std::filesystem::exists(dir.file("clip-00002.avi")));
}

TEST_F(RecorderTest, WebmClipsAndTheVerdictWithoutAlarmMeta) {
  lsfa::test::TempDir dir;
  Recording r;
  // Only anomaly metas: their verdict is the alarm. No pre-roll; post-roll 0.4 s = 2 frames.
  record("location=" + dir.file("c%d.webm") + " container=webm pre-roll=0 post-roll=0.4", 20,
         {4, 5, 12}, &r, false);
  ASSERT_EQ(r.error, "");
  ASSERT_EQ(r.clips.size(), 2u);
  // VP8 writes limited-range video without saying so, so the grey levels do not name the frames
  // here (the AVI test does that): the counts from decoding, the frames from the messages.
  std::string error;
  EXPECT_EQ(lsfa_gst_test::decode_clip(dir.file("c0.webm"), &error).size(), 4u) << error;
  EXPECT_EQ(lsfa_gst_test::decode_clip(dir.file("c1.webm"), &error).size(), 3u) << error;
  EXPECT_EQ(time_field(r.clips[0], "first-timestamp"), gst_util_uint64_scale(4, GST_SECOND, kFps));
  EXPECT_EQ(time_field(r.clips[0], "last-timestamp"), gst_util_uint64_scale(7, GST_SECOND, kFps));
  EXPECT_EQ(time_field(r.clips[1], "first-timestamp"), gst_util_uint64_scale(12, GST_SECOND, kFps));
  EXPECT_EQ(time_field(r.clips[1], "last-timestamp"), gst_util_uint64_scale(14, GST_SECOND, kFps));
  EXPECT_EQ(time_field(r.clips[0], "alarm-start"), gst_util_uint64_scale(4, GST_SECOND, kFps));
}

TEST_F(RecorderTest, NoAlarmNoFile) {
  lsfa::test::TempDir dir;
  Recording r;
  record("location=" + dir.file("clip-%05d.avi"), 20, {}, &r);
  ASSERT_EQ(r.error, "");
  EXPECT_TRUE(r.clips.empty());
  EXPECT_TRUE(std::filesystem::is_empty(dir.path()));
}

TEST_F(RecorderTest, BadLocationsAreErrorsNamingThem) {
  lsfa::test::TempDir dir;
  for (const char *pattern : {"clip.avi", "clip-%d-%d.avi", "clip-%s.avi"}) {
    Recording r;
    record(std::string("location=") + pattern, 3, {1}, &r);
    EXPECT_NE(r.error.find("must contain exactly one %d"), std::string::npos) << r.error;
    EXPECT_NE(r.error.find(pattern), std::string::npos) << r.error;
  }
  Recording r;
  record("location=" + dir.file("missing/clip-%d.avi"), 3, {1}, &r);
  EXPECT_NE(r.error.find("missing/clip-0.avi"), std::string::npos) << r.error;
}

}  // namespace
