// Tests of full lsfa pipelines with a model bundle (lsfa synth + lsfa fit): scores against the
// library, messages, hysteresis, errors, teach mode, two-stream PNG input, QoS, state cycles.
#include <cstring>
#include <nlohmann/json.hpp>

#include <atomic>
#include <chrono>

#include "element_test_util.h"
#include "pipeline_run.h"
#include "small_model.h"

namespace {

using namespace lsfa_gst_test;

// ----------------------------------------------------------------------------- full pipelines

// A synthetic data set (`lsfa synth`, category ring, 96 x 72) and a bundle fitted on it
// (`lsfa fit`, small preset), shared by the tests below.
class ModelTest : public PipelineTest {
 protected:
  static void SetUpTestSuite() {
    PipelineTest::SetUpTestSuite();
    lsfa::set_threads(2);
    dir_ = new lsfa::test::TempDir();
    data_ = dir_->file("data");
    bundle_ = dir_->file("ring.lsfa");
    ASSERT_TRUE(lsfa::test::synth_and_fit(data_, "ring",
                                          "--seed 5 --train 6 --validation 3 --test-good 2 "
                                          "--test-defect 1 --stream 4 --size 96x72",
                                          bundle_));
  }
  static void TearDownTestSuite() {
    delete dir_;
    dir_ = nullptr;
  }
  static lsfa::test::TempDir *dir_;
  static std::string data_, bundle_;
};
lsfa::test::TempDir *ModelTest::dir_ = nullptr;
std::string ModelTest::data_, ModelTest::bundle_;

// Parses a launch line and runs it to EOS or error, collecting element messages.
void run_line(const std::string &line, PipelineRun *r) {
  GError *err = nullptr;
  GstElement *pipe = gst_parse_launch(line.c_str(), &err);
  if (pipe == nullptr || err) {
    r->error = std::string("parse: ") + (err ? err->message : "");
    g_clear_error(&err);
    if (pipe) gst_object_unref(pipe);
    return;
  }
  run_pipeline(pipe, r);
  gst_object_unref(pipe);
}

float float_field(const GstStructure *s, const char *name) {
  float v = NAN;
  EXPECT_TRUE(gst_structure_get(s, name, G_TYPE_FLOAT, &v, nullptr)) << name;
  return v;
}

TEST_F(ModelTest, PipelineScoresMatchTheLibrary) {
  PipelineRun r;
  run_line("lsfasrc location=" + data_ +
               " category=ring split=test framerate=5/1 num-buffers=4 ! " +
               "lsfafeatures threads=2 model=" + bundle_ + " ! lsfascore model=" + bundle_ +
               " attach-map=true attach-frame=true ! lsfaoverlay ! fakesink",
           &r);
  ASSERT_EQ(r.error, "");
  auto msgs = r.named("lsfa-anomaly");

  // The same samples scored directly with the library.
  lsfa::Scorer scorer(bundle_);
  lsfa::FeatureExtractor extractor(scorer.extractor_config());
  auto entries = lsfa::index_split(data_, "ring", "test");
  ASSERT_GE(entries.size(), 4u);
  entries.resize(4);  // the first four in playing order (sorted by defect, then id)
  ASSERT_EQ(msgs.size(), entries.size());
  for (size_t i = 0; i < entries.size(); ++i) {
    SCOPED_TRACE(entries[i].rgb_path);
    lsfa::AnomalyResult expected = scorer.score(extractor.extract(lsfa::load_sample(entries[i])));
    const GstStructure *m = msgs[i];
    EXPECT_NEAR(float_field(m, "score"), expected.score, 1e-4);
    EXPECT_NEAR(float_field(m, "threshold"), scorer.image_threshold(), 1e-6);
    gboolean anomalous = FALSE;
    ASSERT_TRUE(gst_structure_get_boolean(m, "is-anomalous", &anomalous));
    EXPECT_EQ(static_cast<bool>(anomalous), expected.score > scorer.image_threshold());
    guint64 ts = 0, rt = 0, st = 0, dur = 0;
    ASSERT_TRUE(gst_structure_get(m, "timestamp", G_TYPE_UINT64, &ts, "running-time", G_TYPE_UINT64,
                                  &rt, "stream-time", G_TYPE_UINT64, &st, "duration", G_TYPE_UINT64,
                                  &dur, nullptr));
    EXPECT_EQ(ts, i * 200 * GST_MSECOND);
    EXPECT_EQ(rt, ts);
    EXPECT_EQ(st, ts);
    EXPECT_EQ(dur, 200 * GST_MSECOND);
    EXPECT_TRUE(gst_structure_has_field(m, "score-rgb"));
    EXPECT_TRUE(gst_structure_has_field(m, "score-3d"));
    // The map sample: 224 x 224 floats equal to the library's map.
    GstSample *map = nullptr;
    ASSERT_TRUE(gst_structure_get(m, "map", GST_TYPE_SAMPLE, &map, nullptr));
    const GstStructure *mc = gst_caps_get_structure(gst_sample_get_caps(map), 0);
    int w = 0, h = 0;
    gst_structure_get_int(mc, "width", &w);
    gst_structure_get_int(mc, "height", &h);
    EXPECT_EQ(w, 224);
    EXPECT_EQ(h, 224);
    GstMapInfo mi;
    ASSERT_TRUE(gst_buffer_map(gst_sample_get_buffer(map), &mi, GST_MAP_READ));
    at::Tensor got = at::from_blob(mi.data, {h, w}, at::kFloat).clone();
    gst_buffer_unmap(gst_sample_get_buffer(map), &mi);
    EXPECT_TRUE(at::allclose(got, expected.map.to(at::kFloat), 1e-4, 1e-4));
    gst_sample_unref(map);
    GstSample *frame = nullptr;
    ASSERT_TRUE(gst_structure_get(m, "frame", GST_TYPE_SAMPLE, &frame, nullptr));
    GstVideoInfo vi;
    ASSERT_TRUE(gst_video_info_from_caps(&vi, gst_sample_get_caps(frame)));
    EXPECT_EQ(GST_VIDEO_INFO_WIDTH(&vi), 96);
    gst_sample_unref(frame);
  }
}

// batch-size=4 on both elements: 6 frames (a full batch, then a partial one flushed at EOS) give
// the same messages as batch-size=1: scores, verdicts, timestamps and maps, in the same order.
TEST_F(ModelTest, BatchOfFourScoresLikeOneByOne) {
  auto run = [&](int batch, PipelineRun *r) {
    const std::string b = " batch-size=" + std::to_string(batch);
    run_line("lsfasrc location=" + data_ +
                 " category=ring split=test loop=true framerate=5/1 num-buffers=6 ! "
                 "lsfafeatures threads=2 model=" +
                 bundle_ + b + " ! lsfascore model=" + bundle_ + b + " attach-map=true ! fakesink",
             r);
  };
  PipelineRun one, four;
  run(1, &one);
  run(4, &four);
  ASSERT_EQ(one.error, "");
  ASSERT_EQ(four.error, "");
  auto a = one.named("lsfa-anomaly"), b = four.named("lsfa-anomaly");
  ASSERT_EQ(a.size(), 6u);
  ASSERT_EQ(b.size(), 6u);
  for (size_t i = 0; i < a.size(); ++i) {
    SCOPED_TRACE(i);
    EXPECT_EQ(float_field(a[i], "score"), float_field(b[i], "score"));
    EXPECT_EQ(float_field(a[i], "score-rgb"), float_field(b[i], "score-rgb"));
    EXPECT_EQ(float_field(a[i], "score-3d"), float_field(b[i], "score-3d"));
    guint64 ta = 0, tb = 0;
    ASSERT_TRUE(gst_structure_get(a[i], "timestamp", G_TYPE_UINT64, &ta, nullptr));
    ASSERT_TRUE(gst_structure_get(b[i], "timestamp", G_TYPE_UINT64, &tb, nullptr));
    EXPECT_EQ(ta, i * 200 * GST_MSECOND);
    EXPECT_EQ(tb, ta);
    GstSample *ma = nullptr, *mb = nullptr;
    ASSERT_TRUE(gst_structure_get(a[i], "map", GST_TYPE_SAMPLE, &ma, nullptr));
    ASSERT_TRUE(gst_structure_get(b[i], "map", GST_TYPE_SAMPLE, &mb, nullptr));
    GstMapInfo ia, ib;
    ASSERT_TRUE(gst_buffer_map(gst_sample_get_buffer(ma), &ia, GST_MAP_READ));
    ASSERT_TRUE(gst_buffer_map(gst_sample_get_buffer(mb), &ib, GST_MAP_READ));
    ASSERT_EQ(ia.size, ib.size);
    EXPECT_EQ(std::memcmp(ia.data, ib.data, ia.size), 0) << "maps differ";
    gst_buffer_unmap(gst_sample_get_buffer(ma), &ia);
    gst_buffer_unmap(gst_sample_get_buffer(mb), &ib);
    gst_sample_unref(ma);
    gst_sample_unref(mb);
  }
}

// The waiting frames of a batch show in the latency lsfafeatures and lsfascore report: at 5
// frames/s a batch of 4 waits 3 frames (600 ms) on top of the batch-size=1 latency.
TEST_F(ModelTest, BatchWaitIsReportedAsLatency) {
  auto latency = [&](int batch) {
    const std::string b = " batch-size=" + std::to_string(batch);
    GError *err = nullptr;
    GstElement *pipe = gst_parse_launch(
        ("lsfasrc location=" + data_ + " category=ring split=test loop=true framerate=5/1 ! " +
         "lsfafeatures threads=2 model=" + bundle_ + b + " ! lsfascore name=s model=" + bundle_ +
         b + " ! fakesink sync=false")
            .c_str(),
        &err);
    EXPECT_EQ(err, nullptr);
    gst_element_set_state(pipe, GST_STATE_PAUSED);
    gst_element_get_state(pipe, nullptr, nullptr, 60 * GST_SECOND);
    // Asked at lsfascore's src pad: a pipeline that is not live answers 0 for the whole.
    GstElement *score = gst_bin_get_by_name(GST_BIN(pipe), "s");
    GstPad *src = gst_element_get_static_pad(score, "src");
    GstQuery *q = gst_query_new_latency();
    GstClockTime min = GST_CLOCK_TIME_NONE;
    if (gst_pad_query(src, q)) gst_query_parse_latency(q, nullptr, &min, nullptr);
    gst_query_unref(q);
    gst_object_unref(src);
    gst_object_unref(score);
    gst_element_set_state(pipe, GST_STATE_NULL);
    gst_object_unref(pipe);
    return min;
  };
  const GstClockTime one = latency(1), four = latency(4);
  ASSERT_TRUE(GST_CLOCK_TIME_IS_VALID(one));
  ASSERT_TRUE(GST_CLOCK_TIME_IS_VALID(four));
  EXPECT_EQ(four - one, 2 * 600 * GST_MSECOND);  // both elements wait for 3 frames
}

TEST_F(ModelTest, ThresholdTakesAnyValueAndTheModelsIsItsOwnState) {
  const std::string head = "lsfasrc location=" + data_ + " category=ring split=test " +
                           "num-buffers=3 ! lsfafeatures threads=2 model=" + bundle_ +
                           " ! lsfascore model=" + bundle_;
  // A negative threshold (normal parts may score below 0 in normalised units): every frame whose
  // score exceeds it is anomalous, and the messages carry it.
  PipelineRun negative;
  run_line(head + " threshold=-1000 ! fakesink", &negative);
  ASSERT_EQ(negative.error, "");
  ASSERT_EQ(negative.named("lsfa-anomaly").size(), 3u);
  for (const GstStructure *m : negative.named("lsfa-anomaly")) {
    EXPECT_FLOAT_EQ(float_field(m, "threshold"), -1000.0f);
    gboolean a = FALSE;
    gst_structure_get_boolean(m, "is-anomalous", &a);
    EXPECT_TRUE(a);
  }
  // use-model-threshold=true after the threshold brings back the bundle's calibrated one.
  PipelineRun model;
  run_line(head + " threshold=-1000 use-model-threshold=true ! fakesink", &model);
  ASSERT_EQ(model.error, "");
  lsfa::Scorer scorer(bundle_);
  for (const GstStructure *m : model.named("lsfa-anomaly"))
    EXPECT_NEAR(float_field(m, "threshold"), scorer.image_threshold(), 1e-6);
}

TEST_F(ModelTest, AlarmStateFollowsHysteresis) {
  // Verdicts of the test frames with a threshold between their scores, then the state messages the
  // element posts with min-anomalous-frames=2 and min-normal-frames=2, against Hysteresis.
  PipelineRun first;
  const std::string head = "lsfasrc location=" + data_ + " category=ring split=test loop=true " +
                           "num-buffers=8 ! lsfafeatures threads=2 model=" + bundle_ +
                           " ! lsfascore model=" + bundle_;
  run_line(head + " ! fakesink", &first);
  ASSERT_EQ(first.error, "");
  std::vector<float> scores;
  for (const GstStructure *m : first.named("lsfa-anomaly"))
    scores.push_back(float_field(m, "score"));
  ASSERT_EQ(scores.size(), 8u);
  std::vector<float> sorted = scores;
  std::sort(sorted.begin(), sorted.end());
  const float threshold = (sorted[3] + sorted[4]) / 2;  // any value, negative included

  PipelineRun r;
  run_line(head + " threshold=" + std::to_string(threshold) +
               " min-anomalous-frames=2 min-normal-frames=2 ! fakesink",
           &r);
  ASSERT_EQ(r.error, "");
  lsfa_gst::Hysteresis h(2, 2);
  std::vector<std::string> expected;
  for (const GstStructure *m : r.named("lsfa-anomaly")) {
    gboolean a = FALSE;
    gst_structure_get_boolean(m, "is-anomalous", &a);
    EXPECT_EQ(static_cast<bool>(a), float_field(m, "score") > threshold);
    auto change = h.update(a);
    if (change == lsfa_gst::Hysteresis::Change::kStart) expected.push_back("start");
    if (change == lsfa_gst::Hysteresis::Change::kStop) expected.push_back("stop");
  }
  if (h.active()) expected.push_back("stop");  // closed at EOS
  std::vector<std::string> states;
  for (const GstStructure *m : r.named("lsfa-anomaly-state"))
    states.push_back(gst_structure_get_string(m, "state"));
  EXPECT_EQ(states, expected);
}

TEST_F(ModelTest, ScoreErrorsNameTheProblem) {
  PipelineRun a;
  run_line("lsfasrc location=" + data_ + " category=ring ! lsfafeatures threads=2 model=" +
               bundle_ + " ! lsfascore ! fakesink",
           &a);
  EXPECT_NE(a.error.find("model"), std::string::npos) << a.error;
  PipelineRun b;
  run_line("lsfasrc location=" + data_ + " category=ring ! lsfafeatures threads=2 model=" +
               bundle_ + " ! lsfascore model=" + dir_->file("missing.lsfa") + " ! fakesink",
           &b);
  EXPECT_NE(b.error.find("missing.lsfa"), std::string::npos) << b.error;
  PipelineRun c;
  run_line("videotestsrc num-buffers=1 ! video/x-raw,format=RGB ! lsfascore model=" + bundle_ +
               " ! fakesink",
           &c);
  EXPECT_NE(c.error.find("lsfafeatures"), std::string::npos) << c.error;
  // Features from other backbones than the bundle's (another seed).
  PipelineRun d;
  run_line("lsfasrc location=" + data_ + " category=ring num-buffers=1 ! lsfafeatures threads=2 " +
               "preset=small seed=99 ! lsfascore model=" + bundle_ + " ! fakesink",
           &d);
  EXPECT_NE(d.error.find("do not match"), std::string::npos) << d.error;
}

TEST_F(ModelTest, TeachModeBuildsAUsableBundle) {
  const std::string taught = dir_->file("taught.lsfa");
  PipelineRun t;
  run_line("lsfasrc location=" + data_ + " category=ring split=train ! lsfafeatures threads=2 " +
               "model=" + bundle_ + " ! lsfascore mode=teach teach-holdout=0.5 category=ring " +
               "teach-output=" + taught + " ! fakesink",
           &t);
  ASSERT_EQ(t.error, "");
  auto done = t.named("lsfa-teach-done");
  ASSERT_EQ(done.size(), 1u);
  guint train = 0, held = 0;
  gst_structure_get_uint(done[0], "train-frames", &train);
  gst_structure_get_uint(done[0], "held-out-frames", &held);
  EXPECT_EQ(train, 3u);  // frames 1, 3, 5 (0-based) are held out at 0.5
  EXPECT_EQ(held, 3u);
  EXPECT_TRUE(t.named("lsfa-anomaly").empty());  // teaching scores nothing
  lsfa::ModelBundle b = lsfa::load_bundle(taught);
  EXPECT_EQ(nlohmann::json::parse(b.training_json)["category"], "ring");
  EXPECT_EQ(b.calibration.rgb.image.count, 3);
  lsfa::Scorer fitted(bundle_);
  EXPECT_EQ(b.extractor_identity, fitted.extractor_identity());

  PipelineRun r;
  run_line("lsfasrc location=" + data_ + " category=ring split=test num-buffers=3 ! " +
               "lsfafeatures threads=2 model=" + taught + " ! lsfascore model=" + taught +
               " ! fakesink",
           &r);
  ASSERT_EQ(r.error, "");
  EXPECT_EQ(r.named("lsfa-anomaly").size(), 3u);
}

TEST_F(ModelTest, TeachWithTooFewHeldOutFramesIsAnErrorNamingTheCounts) {
  // 6 frames at the default teach-holdout 0.2 hold out 1: no degenerate bundle is written.
  const std::string taught = dir_->file("too-few.lsfa");
  PipelineRun t;
  run_line("lsfasrc location=" + data_ + " category=ring split=train ! lsfafeatures threads=2 " +
               "model=" + bundle_ + " ! lsfascore mode=teach teach-output=" + taught +
               " ! fakesink",
           &t);
  EXPECT_NE(t.error.find("at least 3 held-out normal samples"), std::string::npos) << t.error;
  EXPECT_NE(t.error.find("6 normal samples"), std::string::npos) << t.error;
  EXPECT_FALSE(std::filesystem::exists(taught));
}

// A teach pipeline on the looping train split: lsfafeatures ! identity name=tap ! lsfascore
// name=score (with `score_props`) ! fakesink name=sink; teach-finish is emitted when frame
// `finish_at` reaches the tap (from the streaming thread, so frames 1..finish_at-1 are taught).
struct TeachLine {
  GstElement *pipe = nullptr, *score = nullptr;
  std::atomic<int> tapped{0}, sunk{0};
  int finish_at = 7;
  TeachLine(const std::string &data, const std::string &features_model, const std::string &source,
            const std::string &score_props) {
    GError *err = nullptr;
    pipe = gst_parse_launch(("lsfasrc location=" + data + " category=ring split=train loop=true " +
                             source + " ! lsfafeatures threads=2 model=" + features_model +
                             " ! identity name=tap signal-handoffs=true ! lsfascore name=score " +
                             score_props + " ! fakesink name=sink signal-handoffs=true")
                                .c_str(),
                            &err);
    EXPECT_EQ(err, nullptr) << err->message;
    score = gst_bin_get_by_name(GST_BIN(pipe), "score");
    GstElement *tap = gst_bin_get_by_name(GST_BIN(pipe), "tap");
    GstElement *sink = gst_bin_get_by_name(GST_BIN(pipe), "sink");
    g_signal_connect(tap, "handoff", G_CALLBACK(+[](GstElement *, GstBuffer *, gpointer data) {
                       auto *t = static_cast<TeachLine *>(data);
                       if (++t->tapped == t->finish_at)
                         g_signal_emit_by_name(t->score, "teach-finish");
                     }),
                     this);
    g_signal_connect(sink, "handoff",
                     G_CALLBACK(+[](GstElement *, GstBuffer *, GstPad *, gpointer data) {
                       ++static_cast<TeachLine *>(data)->sunk;
                     }),
                     this);
    gst_object_unref(tap);
    gst_object_unref(sink);
  }
  ~TeachLine() {
    gst_element_set_state(pipe, GST_STATE_NULL);
    gst_object_unref(score);
    gst_object_unref(pipe);
  }
};

std::string string_field(const GstStructure *s, const char *name) {
  const char *v = gst_structure_get_string(s, name);
  return v ? v : "";
}

TEST_F(ModelTest, TeachFinishSwapsTheBundleBetweenFrames) {
  // Retraining a line: lsfascore scores with the old bundle (model=) while it collects frames and
  // while it learns, then with the new one.
  const std::string taught = dir_->file("signal.lsfa");
  TeachLine line(data_, bundle_, "num-buffers=40",
                 "model=" + bundle_ + " mode=teach teach-holdout=0.5 teach-output=" + taught);
  PipelineRun r;
  run_pipeline(line.pipe, &r);
  ASSERT_EQ(r.error, "");
  EXPECT_EQ(line.sunk.load(), 40);  // every frame came out
  auto done = r.named("lsfa-teach-done");
  ASSERT_EQ(done.size(), 1u);
  guint train = 0, held = 0, samples = 0;
  gdouble seconds = -1;
  gst_structure_get_uint(done[0], "train-frames", &train);
  gst_structure_get_uint(done[0], "held-out-frames", &held);
  gst_structure_get_uint(done[0], "samples", &samples);
  gst_structure_get_double(done[0], "seconds", &seconds);
  EXPECT_EQ(train + held, 6u);  // frames 1..6; the 7th came after teach-finish
  EXPECT_EQ(samples, 6u);
  EXPECT_GT(seconds, 0.0);
  EXPECT_EQ(string_field(done[0], "path"), taught);
  EXPECT_EQ(string_field(done[0], "location"), taught);
  const float old_threshold = lsfa::Scorer(bundle_).image_threshold();
  const float new_threshold = lsfa::Scorer(taught).image_threshold();
  EXPECT_FLOAT_EQ(float_field(done[0], "threshold"), new_threshold);
  ASSERT_NE(old_threshold, new_threshold);  // else the swap could not be seen
  // One lsfa-anomaly message per frame: the old bundle's threshold before lsfa-teach-done, the new
  // one's after it.
  int before = 0, after = 0;
  bool swapped = false;
  for (GstStructure *s : r.messages) {
    if (gst_structure_has_name(s, "lsfa-teach-done")) swapped = true;
    if (!gst_structure_has_name(s, "lsfa-anomaly")) continue;
    EXPECT_FLOAT_EQ(float_field(s, "threshold"), swapped ? new_threshold : old_threshold);
    ++(swapped ? after : before);
  }
  EXPECT_EQ(before + after, 40);
  EXPECT_GE(before, 7);  // at least the taught frames and the one that finished teaching
  EXPECT_GE(after, 1);
  // Progress: the stages of a fit in order, each complete at its last report, done never
  // decreasing within a stage.
  std::vector<std::string> stages;
  guint64 last_done = 0, last_total = 0;
  for (const GstStructure *s : r.named("lsfa-teach-progress")) {
    const std::string stage = string_field(s, "stage");
    guint64 d = 0, t = 0;
    gdouble eta = -2;
    ASSERT_TRUE(gst_structure_get_uint64(s, "done", &d));
    ASSERT_TRUE(gst_structure_get_uint64(s, "total", &t));
    ASSERT_TRUE(gst_structure_get_double(s, "eta", &eta));
    EXPECT_LE(d, t);
    EXPECT_GE(eta, -1.0);
    if (stages.empty() || stages.back() != stage) {
      if (!stages.empty() && stages.back() != "coreset rgb" && stages.back() != "coreset 3d") {
        EXPECT_EQ(last_done, last_total) << stages.back();  // a coreset may stop early
      }
      stages.push_back(stage);
    } else {
      EXPECT_GE(d, last_done) << stage;
    }
    last_done = d;
    last_total = t;
  }
  EXPECT_EQ(last_done, last_total);
  const std::vector<std::string> expected = {"bank rgb", "bank 3d", "coreset rgb", "coreset 3d",
                                             "calibration"};
  EXPECT_EQ(stages, expected);
}

TEST_F(ModelTest, FramesFlowWhileTeachLearnsAndNullCancelsIt) {
  // 1000 epochs of adaptation would take many minutes: frames must keep passing (unscored, no
  // model) while the worker trains, and NULL must stop it at once without writing a file.
  const std::string taught = dir_->file("slow.lsfa");
  TeachLine line(data_, bundle_, "",
                 "mode=teach teach-holdout=0.5 teach-epochs=1000 teach-output=" + taught);
  GstBus *bus = gst_element_get_bus(line.pipe);
  gst_element_set_state(line.pipe, GST_STATE_PLAYING);
  int at_first_progress = -1, progress = 0;
  guint64 last_done = 0;
  std::string error;
  const auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(120);
  while (std::chrono::steady_clock::now() < deadline) {
    GstMessage *msg = gst_bus_timed_pop_filtered(
        bus, 100 * GST_MSECOND,
        static_cast<GstMessageType>(GST_MESSAGE_EOS | GST_MESSAGE_ERROR | GST_MESSAGE_ELEMENT));
    if (msg != nullptr) {
      const GstStructure *s = gst_message_get_structure(msg);
      if (GST_MESSAGE_TYPE(msg) != GST_MESSAGE_ELEMENT) error = "EOS or error";
      if (s && gst_structure_has_name(s, "lsfa-teach-done")) error = "learning finished";
      if (s && gst_structure_has_name(s, "lsfa-teach-progress")) {
        EXPECT_EQ(string_field(s, "stage"), "train");
        guint64 d = 0;
        gst_structure_get_uint64(s, "done", &d);
        EXPECT_GE(d, last_done);
        last_done = d;
        if (++progress == 1) at_first_progress = line.sunk.load();
      }
      gst_message_unref(msg);
      if (!error.empty()) break;
    }
    // The worker trains (progress came) and 5 more frames went through meanwhile.
    if (at_first_progress >= 0 && line.sunk.load() >= at_first_progress + 5) break;
  }
  gst_object_unref(bus);
  ASSERT_EQ(error, "");
  ASSERT_GE(at_first_progress, 0) << "no lsfa-teach-progress";
  EXPECT_GE(line.sunk.load(), at_first_progress + 5) << "the stream stalled while learning";
  EXPECT_GE(at_first_progress, line.finish_at - 1);  // the taught frames came out before
  const auto t0 = std::chrono::steady_clock::now();
  EXPECT_EQ(gst_element_set_state(line.pipe, GST_STATE_NULL), GST_STATE_CHANGE_SUCCESS);
  const double secs = std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
  // What NULL waits for: the frame lsfafeatures is extracting and one training step (about a
  // second on two free cores; 5 s measured with the machine 9x oversubscribed). Without the
  // cancellation it would be the rest of 1000 epochs: many minutes.
  std::printf("NULL during learning returned in %.2f s\n", secs);
  EXPECT_LT(secs, 20.0);
  EXPECT_FALSE(std::filesystem::exists(taught));
}

TEST_F(ModelTest, TwoStreamPipelineFromPngSequences) {
  // The synthetic stream: RGB and 16-bit depth PNG sequences plus intrinsics.json.
  const std::string stream = data_ + "/ring/stream";
  lsfa::DepthCamera cam = lsfa::read_camera_json(stream + "/intrinsics.json");
  char cal[256];
  std::snprintf(cal, sizeof cal,
                "depth-scale=(double)%.9g,intrinsics=(double)<%.9g,%.9g,%.9g,%.9g>,"
                "intrinsics-size=(int)<%d,%d>",
                cam.depth_scale, cam.intrinsics.fx, cam.intrinsics.fy, cam.intrinsics.cx,
                cam.intrinsics.cy, cam.width, cam.height);
  PipelineRun r;
  run_line("lsfafeatures name=f threads=2 model=" + bundle_ + " ! lsfascore model=" + bundle_ +
               " ! lsfaoverlay ! fakesink " + "multifilesrc location=" + stream +
               "/rgb/%03d.png stop-index=3 caps=image/png,framerate=5/1 ! pngdec ! videoconvert ! "
               "video/x-raw,format=BGRx ! f.rgb " +
               "multifilesrc location=" + stream +
               "/depth/%03d.png stop-index=3 caps=image/png,framerate=5/1 ! pngdec ! "
               "videoconvert ! video/x-raw,format=GRAY16_LE," +
               cal + " ! f.depth",
           &r);
  ASSERT_EQ(r.error, "");
  EXPECT_EQ(r.named("lsfa-anomaly").size(), 4u);
}

TEST_F(ModelTest, RepeatedNullPlayingCycles) {
  GError *err = nullptr;
  GstElement *pipe =
      gst_parse_launch(("lsfasrc location=" + data_ + " category=ring split=test num-buffers=2 ! " +
                        "lsfafeatures threads=2 model=" + bundle_ +
                        " ! lsfascore model=" + bundle_ + " ! lsfaoverlay ! fakesink")
                           .c_str(),
                       &err);
  ASSERT_NE(pipe, nullptr);
  for (int i = 0; i < 3; ++i) {
    SCOPED_TRACE(i);
    PipelineRun r;
    run_pipeline(pipe, &r);
    EXPECT_EQ(r.error, "");
    EXPECT_EQ(r.named("lsfa-anomaly").size(), 2u);
  }
  gst_object_unref(pipe);
}

TEST_F(ModelTest, ScoreDropsLateFramesOnQos) {
  GstHarness *h = gst_harness_new_parse(
      ("lsfafeatures name=f threads=2 model=" + bundle_ + " ! lsfascore model=" + bundle_).c_str());
  ASSERT_NE(h, nullptr);
  GstBus *bus = gst_bus_new();
  gst_element_set_bus(h->element, bus);
  std::string caps = rgb_caps();
  caps.replace(caps.find("video/x-raw"), 11, "video/x-raw(meta:LsfaRgbd)");
  gst_harness_set_src_caps_str(h, caps.c_str());
  Scene s = make_scene();
  auto frame = [&](GstClockTime pts) {
    GstBuffer *in = rgb_buffer(s, "RGB", pts);
    GstBuffer *d = gst_buffer_new_memdup(s.depth.data(), s.depth.size() * 2);
    GstLsfaIntrinsics k{kFx, kFy, kCx, kCy};
    gst_buffer_add_lsfa_rgbd_meta(in, GST_LSFA_DEPTH_FORMAT_GRAY16, d, kW, kH, 0, kScale, &k);
    gst_buffer_unref(d);
    return in;
  };
  ASSERT_EQ(gst_harness_push(h, frame(0)), GST_FLOW_OK);
  GstBuffer *out = gst_harness_pull(h);
  ASSERT_NE(out, nullptr);
  EXPECT_NE(gst_buffer_get_lsfa_anomaly_meta(out), nullptr);
  gst_buffer_unref(out);
  // Downstream reports being 5 s late at 0: frames before 10 s (5 s late now, and as late again
  // for the next frame) are dropped, later ones scored.
  ASSERT_TRUE(gst_harness_push_upstream_event(
      h, gst_event_new_qos(GST_QOS_TYPE_UNDERFLOW, 0.5, 5 * GST_SECOND, 0)));
  ASSERT_EQ(gst_harness_push(h, frame(100 * GST_MSECOND)), GST_FLOW_OK);
  ASSERT_EQ(gst_harness_push(h, frame(11 * GST_SECOND)), GST_FLOW_OK);
  out = gst_harness_pull(h);
  ASSERT_NE(out, nullptr);
  EXPECT_EQ(GST_BUFFER_PTS(out), 11 * GST_SECOND);  // the late frame never came out
  gst_buffer_unref(out);
  int anomaly = 0, qos = 0;
  while (GstMessage *m = gst_bus_pop(bus)) {
    if (GST_MESSAGE_TYPE(m) == GST_MESSAGE_QOS) ++qos;
    if (GST_MESSAGE_TYPE(m) == GST_MESSAGE_ELEMENT &&
        gst_structure_has_name(gst_message_get_structure(m), "lsfa-anomaly"))
      ++anomaly;
    gst_message_unref(m);
  }
  EXPECT_EQ(anomaly, 2);
  EXPECT_GE(qos, 1);
  // lsfafeatures dropped the late frame before running the backbones.
  GstElement *f = gst_bin_get_by_name(GST_BIN(h->element), "f");
  guint64 late = 0;
  g_object_get(f, "dropped-late", &late, nullptr);
  EXPECT_EQ(late, 1u);
  gst_object_unref(f);
  gst_object_unref(bus);
  gst_harness_teardown(h);
}

}  // namespace
