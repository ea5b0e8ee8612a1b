/**
 * SECTION:element-lsfascore
 * @title: lsfascore
 * @short_description: scores frames against an LSFA model bundle, or teaches one
 *
 * lsfascore reads the GstLsfaFeaturesMeta that lsfafeatures attached, applies the model bundle
 * (#GstLsfaScore:model: adaptors, memory banks, normalisation, fusion, thresholds) and attaches a
 * GstLsfaAnomalyMeta (image score, per-modality scores, verdict, anomaly map) to the frame, in
 * place. The scoring is liblsfa's `lsfa::Scorer`; the element only moves data.
 *
 * In `mode=teach` it keeps the features of a stream of normal parts and, at EOS or on the action
 * signal `teach-finish`, learns a bundle from them with `lsfa::learn_bundle` (the path of
 * `lsfa fit` and `lsfa train`), writes it to #GstLsfaScore:teach-output and inspects with it.
 * The learning runs on a worker thread of the element: frames keep flowing meanwhile, scored with
 * the bundle of #GstLsfaScore:model when one is set, passed through unscored otherwise, and the
 * new bundle replaces the old one between two frames once it is written. At EOS the element waits
 * for the learning before passing EOS on; a state change to READY or NULL cancels it promptly
 * (no file is written then).
 *
 * ## Example launch lines
 * |[
 * gst-launch-1.0 lsfasrc location=data category=ring split=test ! \
 *     lsfafeatures model=ring.lsfa ! lsfascore model=ring.lsfa ! fakesink
 * ]| Scores and posts one `lsfa-anomaly` message per frame.
 * |[
 * gst-launch-1.0 lsfasrc location=data category=ring split=train ! lsfafeatures preset=small ! \
 *     lsfascore mode=teach teach-output=ring.lsfa ! fakesink
 * ]| Teaches a bundle from normal parts.
 *
 * ## Messages
 * `lsfa-anomaly` (one per scored frame with #GstLsfaScore:message): `timestamp`, `stream-time`,
 * `running-time`, `duration` (guint64), `score`, `score-rgb`, `score-3d`, `threshold` (gfloat),
 * `is-anomalous` (gboolean), and with attach-map / attach-frame a `map` / `frame` GstSample.
 *
 * `lsfa-anomaly-state` (on alarm changes): `state` ("start" / "stop"), `timestamp`,
 * `stream-time`, `running-time`, `duration`, `start-timestamp` (guint64).
 *
 * Each scored frame also carries a #GstLsfaAlarmMeta with the alarm state after that frame.
 *
 * `lsfa-teach-progress` (teach mode, while learning; the first and last report of each stage and
 * at most one per 0.1 s in between): `stage` (string: "train", "bank rgb", "bank 3d", "coreset rgb",
 * "coreset 3d", "calibration", in this order), `done`, `total` (guint64), `eta` (gdouble, seconds
 * left in the stage, -1 while unknown), and `loss` (gdouble) in the "train" stage.
 *
 * `lsfa-teach-done` (posted from the worker when the bundle is written, just before it scores
 * the next frame): `location` and `path` (string, the same file), `train-frames`,
 * `held-out-frames`, `samples` (guint), `seconds` (gdouble, learning wall time), `threshold`
 * (gfloat).
 */
#include "gstlsfascore.h"
#include "lsfa_plugin_info.h"

#include <gst/lsfa/lsfa.h>
#include <gst/video/video.h>

#include <ATen/ATen.h>

#include <algorithm>
#include <atomic>
#include <cmath>
#include <condition_variable>
#include <deque>
#include <exception>
#include <memory>
#include <mutex>
#include <string>
#include <thread>
#include <vector>

#include "lsfa/core/error.h"
#include "lsfa/core/math_buffers.h"
#include "lsfa/core/stage_progress.h"
#include "lsfa/io/output_path.h"
#include "lsfa/model/bundle.h"
#include "lsfa/model/pipeline.h"
#include "lsfa/training/teach_job.h"
#include "lsfa_anomaly_output.h"
#include "lsfa_enums.h"
#include "lsfa_frames.h"
#include "lsfa_gvalue.h"
#include "lsfa_hysteresis.h"
#include "lsfa_score_properties.h"

GST_DEBUG_CATEGORY_STATIC(gst_lsfa_score_debug);
#define GST_CAT_DEFAULT gst_lsfa_score_debug

enum { SIGNAL_TEACH_FINISH, LAST_SIGNAL };
static guint gst_lsfa_score_signals[LAST_SIGNAL] = {0};

namespace {

struct Impl {
  lsfa_gst::ScoreSettings settings;  // properties (object lock)

  // Teach mode state (streaming thread, except the request flag).
  bool teaching = false;
  std::atomic<bool> finish_requested{false};
  std::vector<lsfa::SampleFeatures> taught;
  lsfa::ExtractorConfig teach_config;
  std::string teach_identity;

  // The learning worker: started by the streaming thread when teaching ends, joined in stop().
  std::thread worker;
  std::atomic<bool> cancel{false};         // set on PAUSED->READY: the worker gives up
  std::atomic<bool> worker_failed{false};  // it posted an error
  std::mutex worker_mutex;                 // guards learning (EOS waits on worker_done)
  std::condition_variable worker_done;
  bool learning = false;

  // The bundle in use. The streaming thread holds scorer_mutex while it scores a frame and posts
  // its messages; the worker swaps in the new scorer and posts lsfa-teach-done under it, so every
  // lsfa-anomaly message before lsfa-teach-done comes from the old bundle, every one after from
  // the new one.
  std::mutex scorer_mutex;
  std::shared_ptr<const lsfa::Scorer> scorer;

  // Streaming state.
  lsfa_gst::Hysteresis hysteresis;
  GstClockTime state_start = GST_CLOCK_TIME_NONE;

  // Batching (batch-size > 1, inspect mode): frames waiting for one scoring pass, and scored
  // frames waiting to be pushed, both in arrival order.
  guint batch_size = 1;
  std::vector<GstBuffer *> batch;
  std::deque<GstBuffer *> ready;

  void drop_batch() {
    for (GstBuffer *b : batch) gst_buffer_unref(b);
    for (GstBuffer *b : ready) gst_buffer_unref(b);
    batch.clear();
    ready.clear();
  }
};

}  // namespace

struct _GstLsfaScore {
  GstBaseTransform parent;
  Impl *impl;
};

G_DEFINE_TYPE(GstLsfaScore, gst_lsfa_score, GST_TYPE_BASE_TRANSFORM);
GST_ELEMENT_REGISTER_DEFINE(lsfascore, "lsfascore", GST_RANK_NONE, GST_TYPE_LSFA_SCORE);

static GstStaticPadTemplate sink_template = GST_STATIC_PAD_TEMPLATE(
    "sink", GST_PAD_SINK, GST_PAD_ALWAYS, GST_STATIC_CAPS(GST_LSFA_RGB_CAPS));
static GstStaticPadTemplate src_template =
    GST_STATIC_PAD_TEMPLATE("src", GST_PAD_SRC, GST_PAD_ALWAYS, GST_STATIC_CAPS(GST_LSFA_RGB_CAPS));

static void gst_lsfa_score_set_property(GObject *object, guint prop_id, const GValue *value,
                                        GParamSpec *pspec) {
  GstLsfaScore *self = GST_LSFA_SCORE(object);
  Impl *p = self->impl;
  GST_OBJECT_LOCK(self);
  const bool known = lsfa_gst::score_set_property(p->settings, prop_id, value);
  if (prop_id == lsfa_gst::PROP_MIN_ANOMALOUS_FRAMES || prop_id == lsfa_gst::PROP_MIN_NORMAL_FRAMES)
    p->hysteresis = lsfa_gst::Hysteresis(p->settings.min_anomalous, p->settings.min_normal);
  GST_OBJECT_UNLOCK(self);
  if (!known) G_OBJECT_WARN_INVALID_PROPERTY_ID(object, prop_id, pspec);
}

static void gst_lsfa_score_get_property(GObject *object, guint prop_id, GValue *value,
                                        GParamSpec *pspec) {
  GstLsfaScore *self = GST_LSFA_SCORE(object);
  GST_OBJECT_LOCK(self);
  const bool known = lsfa_gst::score_get_property(self->impl->settings, prop_id, value);
  GST_OBJECT_UNLOCK(self);
  if (!known) G_OBJECT_WARN_INVALID_PROPERTY_ID(object, prop_id, pspec);
}
// Waits until no learning runs (the worker posts its result before it clears the flag).
static void wait_for_learning(Impl *p) {
  std::unique_lock<std::mutex> lock(p->worker_mutex);
  p->worker_done.wait(lock, [p] { return !p->learning; });
}

// Cancels a running learning and joins the worker; no file is written by a cancelled one.
static void stop_learning(Impl *p) {
  p->cancel = true;
  if (p->worker.joinable()) p->worker.join();
  std::lock_guard<std::mutex> lock(p->worker_mutex);
  p->learning = false;
}

static gboolean gst_lsfa_score_start(GstBaseTransform *trans) {
  GstLsfaScore *self = GST_LSFA_SCORE(trans);
  Impl *p = self->impl;
  GST_OBJECT_LOCK(self);
  std::string model = p->settings.model, teach_output = p->settings.teach_output;
  const std::string device = lsfa_gst::score_device(p->settings);
  const lsfa::Precision precision = lsfa_gst::score_precision(p->settings);
  p->batch_size = std::max(1u, p->settings.batch_size);
  const bool teach = p->settings.mode == GST_LSFA_SCORE_MODE_TEACH;
  p->hysteresis = lsfa_gst::Hysteresis(p->settings.min_anomalous, p->settings.min_normal);
  GST_OBJECT_UNLOCK(self);
  stop_learning(p);
  p->cancel = false;
  p->worker_failed = false;
  p->state_start = GST_CLOCK_TIME_NONE;
  p->taught.clear();
  p->teach_identity.clear();
  p->finish_requested = false;
  p->teaching = teach;
  p->drop_batch();
  if (teach) {
    if (teach_output.empty()) {
      GST_ELEMENT_ERROR(self, RESOURCE, NOT_FOUND, ("No teach output"),
                        ("mode=teach needs the teach-output property (bundle file to write)"));
      return FALSE;
    }
    try {
      // Before collecting frames, not after: a read-only or missing folder fails now.
      lsfa::check_file_writable(teach_output);
    } catch (const std::exception &e) {
      GST_ELEMENT_ERROR(self, RESOURCE, OPEN_WRITE, ("Cannot write the teach output"),
                        ("%s", e.what()));
      return FALSE;
    }
    GST_INFO_OBJECT(self, "teach mode: the bundle will be written to %s", teach_output.c_str());
    if (model.empty()) return TRUE;  // frames pass through unscored until the bundle is ready
  } else if (model.empty()) {
    GST_ELEMENT_ERROR(self, RESOURCE, NOT_FOUND, ("No model bundle"),
                      ("set the model property to a bundle written by `lsfa fit` or `lsfa train`"));
    return FALSE;
  }
  std::shared_ptr<const lsfa::Scorer> scorer;
  try {
    auto loaded = std::make_shared<lsfa::Scorer>(model);
    loaded->set_device(device, precision);
    scorer = std::move(loaded);
  } catch (const std::exception &e) {
    GST_ELEMENT_ERROR(self, RESOURCE, OPEN_READ,
                      ("Cannot load the model bundle '%s'", model.c_str()), ("%s", e.what()));
    return FALSE;
  }
  GST_INFO_OBJECT(self, "loaded %s (threshold %g, map range %g..%g)", model.c_str(),
                  scorer->image_threshold(), scorer->map_low(), scorer->map_high());
  std::lock_guard<std::mutex> lock(p->scorer_mutex);
  p->scorer = std::move(scorer);
  return TRUE;
}

static gboolean gst_lsfa_score_stop(GstBaseTransform *trans) {
  GstLsfaScore *self = GST_LSFA_SCORE(trans);
  Impl *p = self->impl;
  stop_learning(p);
  p->drop_batch();
  {
    std::lock_guard<std::mutex> lock(p->scorer_mutex);
    p->scorer.reset();
  }
  p->taught.clear();
  p->teaching = false;
  // Also the cached work buffers of the threads that scored and taught (lsfa/core/math_buffers.h).
  lsfa::release_math_buffers();
  return TRUE;
}

// The worker: learns the bundle, writes it, swaps it in and posts lsfa-teach-done; posts
// lsfa-teach-progress on the way. Errors go to the bus as element errors; a cancellation (state
// change) only to the log.
static void learn_in_background(GstLsfaScore *self, lsfa::TeachJob job) {
  Impl *p = self->impl;
  const std::string out = job.output;
  lsfa::StageProgress reports;
  auto progress = [&](const std::string &stage, size_t done, size_t total, double loss) {
    double eta = -1;
    if (!reports.update(stage, done, total, &eta)) return;
    GstStructure *s =
        gst_structure_new("lsfa-teach-progress", "stage", G_TYPE_STRING, stage.c_str(), "done",
                          G_TYPE_UINT64, static_cast<guint64>(done), "total", G_TYPE_UINT64,
                          static_cast<guint64>(total), "eta", G_TYPE_DOUBLE, eta, nullptr);
    if (!std::isnan(loss)) gst_structure_set(s, "loss", G_TYPE_DOUBLE, loss, nullptr);
    gst_element_post_message(GST_ELEMENT(self), gst_message_new_element(GST_OBJECT(self), s));
  };
  try {
    lsfa::TeachOutcome r = lsfa::run_teach_job(std::move(job), progress, &p->cancel);
    const double threshold = r.bundle.calibration.image_threshold;
    auto learned = std::make_shared<lsfa::Scorer>(std::move(r.bundle));
    GST_OBJECT_LOCK(self);
    const std::string device = lsfa_gst::score_device(p->settings);
    const lsfa::Precision precision = lsfa_gst::score_precision(p->settings);
    GST_OBJECT_UNLOCK(self);
    learned->set_device(device, precision);
    std::shared_ptr<const lsfa::Scorer> scorer = std::move(learned);
    GST_INFO_OBJECT(self, "taught %zu + %zu frames in %.1f s, wrote %s", r.train_samples,
                    r.held_out_samples, r.seconds, out.c_str());
    GstStructure *s = gst_structure_new(
        "lsfa-teach-done", "location", G_TYPE_STRING, out.c_str(), "path", G_TYPE_STRING,
        out.c_str(), "train-frames", G_TYPE_UINT, static_cast<guint>(r.train_samples),
        "held-out-frames", G_TYPE_UINT, static_cast<guint>(r.held_out_samples), "samples",
        G_TYPE_UINT, static_cast<guint>(r.train_samples + r.held_out_samples), "seconds",
        G_TYPE_DOUBLE, r.seconds, "threshold", G_TYPE_FLOAT, static_cast<float>(threshold),
        nullptr);
    std::lock_guard<std::mutex> lock(p->scorer_mutex);
    p->scorer = std::move(scorer);
    gst_element_post_message(GST_ELEMENT(self), gst_message_new_element(GST_OBJECT(self), s));
  } catch (const std::exception &e) {
    if (p->cancel) {
      GST_INFO_OBJECT(self, "teach learning cancelled by a state change: %s", e.what());
    } else {
      p->worker_failed = true;
      GST_ELEMENT_ERROR(self, STREAM, FAILED, ("Teach mode could not build the model bundle"),
                        ("%s (output %s)", e.what(), out.c_str()));
    }
  }
  // This thread ends here: its work buffers (and those of its math threads) would stay cached
  // with the math library for the life of the process, a step for every teach cycle.
  lsfa::release_math_buffers();
  std::lock_guard<std::mutex> lock(p->worker_mutex);
  p->learning = false;
  p->worker_done.notify_all();
}

// Ends teaching: hands the collected frames to the worker thread (streaming thread).
static void finish_teach(GstLsfaScore *self) {
  Impl *p = self->impl;
  lsfa::TeachJob job;
  GST_OBJECT_LOCK(self);
  job.output = p->settings.teach_output;
  job.holdout = p->settings.teach_holdout;
  job.epochs = p->settings.teach_epochs;
  job.category = p->settings.category;
  GST_OBJECT_UNLOCK(self);
  job.config = p->teach_config;
  job.extractor_identity = p->teach_identity;
  job.samples = std::move(p->taught);
  p->taught.clear();
  p->teaching = false;
  p->finish_requested = false;
  GST_INFO_OBJECT(self, "learning from %zu frames on a worker thread", job.samples.size());
  {
    std::lock_guard<std::mutex> lock(p->worker_mutex);
    p->learning = true;
  }
  p->worker = std::thread(learn_in_background, self, std::move(job));
}

static void gst_lsfa_score_teach_finish(GstLsfaScore *self) {
  GST_INFO_OBJECT(self, "teach-finish requested");
  self->impl->finish_requested = true;
}

static void post_state(GstLsfaScore *self, const char *state, GstBuffer *buffer) {
  GstStructure *s = lsfa_gst::anomaly_state_message(state, &GST_BASE_TRANSFORM(self)->segment,
                                                    buffer, self->impl->state_start);
  gst_element_post_message(GST_ELEMENT(self), gst_message_new_element(GST_OBJECT(self), s));
}

static void publish(GstLsfaScore *self, const lsfa::Scorer &scorer, GstBuffer *buffer,
                    const lsfa::AnomalyResult &r);

// Keeps the features of a frame for teaching (streaming thread).
static GstFlowReturn teach_frame(GstLsfaScore *self, GstLsfaFeaturesMeta *fmeta,
                                 const lsfa::SampleFeatures &features,
                                 const std::string &identity) {
  Impl *p = self->impl;
  const lsfa::ExtractorConfig *config = lsfa_gst::extractor_config_of(fmeta);
  if (p->taught.empty()) {
    p->teach_identity = identity;
    p->teach_config = *config;
  } else if (identity != p->teach_identity) {
    GST_ELEMENT_ERROR(
        self, STREAM, FORMAT, ("The features changed during teaching"),
        ("teaching started with '%s', now '%s'", p->teach_identity.c_str(), identity.c_str()));
    return GST_FLOW_ERROR;
  }
  p->taught.push_back(features);
  GST_LOG_OBJECT(self, "taught frame %zu", p->taught.size());
  return GST_FLOW_OK;
}

// One frame: checks its features (teach mode collects them), and unless `check_only` scores it
// and publishes the result. Batches check each frame with check_only and score them together.
static GstFlowReturn gst_lsfa_score_transform_ip_unguarded(GstBaseTransform *trans,
                                                           GstBuffer *buffer,
                                                           bool check_only = false) {
  GstLsfaScore *self = GST_LSFA_SCORE(trans);
  Impl *p = self->impl;
  if (p->worker_failed) return GST_FLOW_ERROR;  // the worker posted the error
  GstLsfaFeaturesMeta *fmeta = gst_buffer_get_lsfa_features_meta(buffer);
  if (fmeta == nullptr) {
    GST_ELEMENT_ERROR(
        self, STREAM, FORMAT, ("Frame without LSFA features"),
        ("no GstLsfaFeaturesMeta on %" GST_PTR_FORMAT ": put lsfafeatures upstream", buffer));
    return GST_FLOW_ERROR;
  }
  const lsfa::SampleFeatures *features = lsfa_gst::features_of(fmeta);
  if (features == nullptr) {
    GST_ELEMENT_ERROR(self, STREAM, FORMAT, ("Frame with foreign LSFA features"),
                      ("the GstLsfaFeaturesMeta was not made by lsfafeatures"));
    return GST_FLOW_ERROR;
  }
  const std::string identity = fmeta->extractor_identity ? fmeta->extractor_identity : "";
  if (p->teaching && p->finish_requested) finish_teach(self);
  if (p->teaching) {
    const GstFlowReturn ret = teach_frame(self, fmeta, *features, identity);
    if (ret != GST_FLOW_OK) return ret;
  }

  // Held while scoring and posting, so the worker's swap falls between two frames.
  std::lock_guard<std::mutex> lock(p->scorer_mutex);
  if (!p->scorer) return GST_FLOW_OK;  // teaching or learning without a bundle: pass through
  const lsfa::Scorer &scorer = *p->scorer;
  if (identity != scorer.extractor_identity()) {
    GST_ELEMENT_ERROR(
        self, STREAM, FORMAT, ("The features do not match the model bundle"),
        ("bundle was built with '%s', the features come from '%s' (set lsfafeatures model= to "
         "the same bundle and the same checkpoints)",
         scorer.extractor_identity().c_str(), identity.c_str()));
    return GST_FLOW_ERROR;
  }

  if (check_only) return GST_FLOW_OK;
  lsfa::AnomalyResult r;
  try {
    r = scorer.score(*features);
  } catch (const std::exception &e) {
    GST_ELEMENT_ERROR(self, STREAM, FAILED, ("LSFA scoring failed"), ("%s", e.what()));
    return GST_FLOW_ERROR;
  }
  publish(self, scorer, buffer, r);
  return GST_FLOW_OK;
}

// The anomaly meta, the lsfa-anomaly message and the alarm state of one scored frame.
static void publish(GstLsfaScore *self, const lsfa::Scorer &scorer, GstBuffer *buffer,
                    const lsfa::AnomalyResult &r) {
  GstBaseTransform *trans = GST_BASE_TRANSFORM(self);
  Impl *p = self->impl;
  GST_OBJECT_LOCK(self);
  const float threshold_override = p->settings.threshold;
  const bool use_model_threshold = p->settings.use_model_threshold;
  const bool post_message = p->settings.message, attach_map = p->settings.attach_map,
             attach_frame = p->settings.attach_frame;
  GST_OBJECT_UNLOCK(self);
  GstLsfaFeaturesMeta *fmeta = gst_buffer_get_lsfa_features_meta(buffer);
  const float threshold = use_model_threshold ? r.threshold : threshold_override;
  GstBuffer *map = nullptr;
  GstLsfaAnomalyMeta *ameta = lsfa_gst::attach_anomaly_meta(buffer, r, threshold, scorer.map_low(),
                                                            scorer.map_high(), fmeta, &map);
  const bool anomalous = ameta->is_anomalous;
  if (post_message) {
    GstCaps *frame_caps =
        attach_frame ? gst_pad_get_current_caps(GST_BASE_TRANSFORM_SINK_PAD(trans)) : nullptr;
    GstStructure *s = lsfa_gst::anomaly_message(ameta, &trans->segment, buffer,
                                                attach_map ? map : nullptr, frame_caps);
    if (frame_caps) gst_caps_unref(frame_caps);
    gst_element_post_message(GST_ELEMENT(self), gst_message_new_element(GST_OBJECT(self), s));
  }
  if (map) gst_buffer_unref(map);

  // The alarm state travels with the frame too (GstLsfaAlarmMeta), for elements downstream.
  GstLsfaAlarmChange change = GST_LSFA_ALARM_CHANGE_NONE;
  GstClockTime alarm_start = p->state_start;
  switch (p->hysteresis.update(anomalous)) {
    case lsfa_gst::Hysteresis::Change::kStart:
      p->state_start = alarm_start = GST_BUFFER_PTS(buffer);
      change = GST_LSFA_ALARM_CHANGE_START;
      post_state(self, "start", buffer);
      break;
    case lsfa_gst::Hysteresis::Change::kStop:
      change = GST_LSFA_ALARM_CHANGE_STOP;
      post_state(self, "stop", buffer);
      p->state_start = GST_CLOCK_TIME_NONE;
      break;
    case lsfa_gst::Hysteresis::Change::kNone:
      break;
  }
  gst_buffer_add_lsfa_alarm_meta(buffer, p->hysteresis.active(), change, alarm_start);
  GST_LOG_OBJECT(self, "score %g threshold %g -> %s", r.score, threshold,
                 anomalous ? "anomalous" : "normal");
}

// Scores the waiting frames with one Scorer::score_batch call; each checked first as
// transform_ip checks a single frame. The scored frames move to `ready`.
static GstFlowReturn score_waiting(GstLsfaScore *self) {
  Impl *p = self->impl;
  std::vector<GstBuffer *> buffers;
  buffers.swap(p->batch);
  GstFlowReturn ret = GST_FLOW_OK;
  std::vector<lsfa::SampleFeatures> features;
  for (GstBuffer *&b : buffers) {
    b = gst_buffer_make_writable(b);
    // The same checks as a single frame (meta present, identity of the bundle).
    ret = gst_lsfa_score_transform_ip_unguarded(GST_BASE_TRANSFORM(self), b, /*check_only=*/true);
    if (ret != GST_FLOW_OK) break;
    features.push_back(*lsfa_gst::features_of(gst_buffer_get_lsfa_features_meta(b)));
  }
  // A copy of the current bundle: the teach worker may swap in a new one meanwhile.
  std::shared_ptr<const lsfa::Scorer> scorer;
  {
    std::lock_guard<std::mutex> lock(p->scorer_mutex);
    scorer = p->scorer;
  }
  if (ret == GST_FLOW_OK && !scorer) {
    // Teaching without a bundle yet: the frames pass through unscored.
    for (GstBuffer *b : buffers) p->ready.push_back(b);
    return GST_FLOW_OK;
  }
  std::vector<lsfa::AnomalyResult> results;
  if (ret == GST_FLOW_OK) {
    try {
      results = scorer->score_batch(features);
    } catch (const std::exception &e) {
      GST_ELEMENT_ERROR(self, STREAM, FAILED, ("LSFA scoring failed"), ("%s", e.what()));
      ret = GST_FLOW_ERROR;
    }
  }
  if (ret != GST_FLOW_OK) {
    for (GstBuffer *b : buffers) gst_buffer_unref(b);
    return ret;
  }
  for (size_t i = 0; i < buffers.size(); ++i) {
    publish(self, *scorer, buffers[i], results[i]);
    p->ready.push_back(buffers[i]);
  }
  return GST_FLOW_OK;
}

// Batched inspection takes the input buffers here instead of the base class's one-at-a-time path.
static GstFlowReturn gst_lsfa_score_submit_input_buffer(GstBaseTransform *trans, gboolean discont,
                                                        GstBuffer *input) {
  GstLsfaScore *self = GST_LSFA_SCORE(trans);
  Impl *p = self->impl;
  if (p->batch_size <= 1 || p->teaching)
    return GST_BASE_TRANSFORM_CLASS(gst_lsfa_score_parent_class)
        ->submit_input_buffer(trans, discont, input);
  p->batch.push_back(input);
  if (p->batch.size() < p->batch_size) return GST_FLOW_OK;
  try {
    return score_waiting(self);
  } catch (const std::exception &e) {
    GST_ELEMENT_ERROR(trans, STREAM, FAILED, ("LSFA scoring failed"), ("%s", e.what()));
    return GST_FLOW_ERROR;
  }
}

static GstFlowReturn gst_lsfa_score_generate_output(GstBaseTransform *trans, GstBuffer **outbuf) {
  Impl *p = GST_LSFA_SCORE(trans)->impl;
  if (!p->ready.empty()) {
    *outbuf = p->ready.front();
    p->ready.pop_front();
    return GST_FLOW_OK;
  }
  return GST_BASE_TRANSFORM_CLASS(gst_lsfa_score_parent_class)->generate_output(trans, outbuf);
}

// Latency: with batches the first frame waits for batch-size - 1 more.
static gboolean gst_lsfa_score_query(GstBaseTransform *trans, GstPadDirection direction,
                                     GstQuery *query) {
  gboolean ok =
      GST_BASE_TRANSFORM_CLASS(gst_lsfa_score_parent_class)->query(trans, direction, query);
  Impl *p = GST_LSFA_SCORE(trans)->impl;
  if (ok && direction == GST_PAD_SRC && GST_QUERY_TYPE(query) == GST_QUERY_LATENCY &&
      p->batch_size > 1) {
    gboolean live;
    GstClockTime min, max;
    gst_query_parse_latency(query, &live, &min, &max);
    GstVideoInfo info;
    GstCaps *caps = gst_pad_get_current_caps(GST_BASE_TRANSFORM_SINK_PAD(trans));
    if (caps && gst_video_info_from_caps(&info, caps) && GST_VIDEO_INFO_FPS_N(&info) > 0) {
      const GstClockTime wait =
          gst_util_uint64_scale_int(GST_SECOND * (p->batch_size - 1), GST_VIDEO_INFO_FPS_D(&info),
                                    GST_VIDEO_INFO_FPS_N(&info));
      min += wait;
      if (GST_CLOCK_TIME_IS_VALID(max)) max += wait;
      gst_query_set_latency(query, live, min, max);
    }
    if (caps) gst_caps_unref(caps);
  }
  return ok;
}

static gboolean gst_lsfa_score_sink_event_unguarded(GstBaseTransform *trans, GstEvent *event) {
  GstLsfaScore *self = GST_LSFA_SCORE(trans);
  Impl *p = self->impl;
  switch (GST_EVENT_TYPE(event)) {
    case GST_EVENT_EOS:
      // The bundle is written before EOS goes on (a state change cancels the wait).
      if (p->teaching) finish_teach(self);
      wait_for_learning(p);
      if (p->worker_failed || p->cancel) {
        gst_event_unref(event);
        return FALSE;
      }
      // A partial batch is scored and pushed before EOS.
      if (!p->batch.empty() && score_waiting(self) != GST_FLOW_OK) {
        gst_event_unref(event);
        return FALSE;
      }
      while (!p->ready.empty()) {
        GstBuffer *b = p->ready.front();
        p->ready.pop_front();
        gst_pad_push(GST_BASE_TRANSFORM_SRC_PAD(trans), b);
      }
      // Close an open alarm so recorders finish the segment.
      if (p->hysteresis.active()) post_state(self, "stop", nullptr);
      p->hysteresis.reset();
      p->state_start = GST_CLOCK_TIME_NONE;
      break;
    case GST_EVENT_FLUSH_STOP:
      // Teaching goes on across seeks: the frames collected so far stay; waiting frames do not.
      p->drop_batch();
      p->hysteresis.reset();
      p->state_start = GST_CLOCK_TIME_NONE;
      break;
    default:
      break;
  }
  return GST_BASE_TRANSFORM_CLASS(gst_lsfa_score_parent_class)->sink_event(trans, event);
}

// Going down from PAUSED cancels the learning first: the streaming thread may be waiting for it at
// EOS, and pad deactivation waits for the streaming thread.
static GstStateChangeReturn gst_lsfa_score_change_state(GstElement *element,
                                                        GstStateChange transition) {
  GstLsfaScore *self = GST_LSFA_SCORE(element);
  if (transition == GST_STATE_CHANGE_PAUSED_TO_READY) self->impl->cancel = true;
  return GST_ELEMENT_CLASS(gst_lsfa_score_parent_class)->change_state(element, transition);
}

// The vfunc boundary: no C++ exception may cross into GStreamer.
static GstFlowReturn gst_lsfa_score_transform_ip(GstBaseTransform *trans, GstBuffer *buffer) {
  try {
    return gst_lsfa_score_transform_ip_unguarded(trans, buffer);
  } catch (const std::exception &e) {
    GST_ELEMENT_ERROR(trans, STREAM, FAILED, ("LSFA scoring failed"), ("%s", e.what()));
    return GST_FLOW_ERROR;
  }
}

// The vfunc boundary: no C++ exception may cross into GStreamer.
static gboolean gst_lsfa_score_sink_event(GstBaseTransform *trans, GstEvent *event) {
  try {
    return gst_lsfa_score_sink_event_unguarded(trans, event);
  } catch (const std::exception &e) {
    GST_ELEMENT_ERROR(trans, STREAM, FAILED, ("LSFA scoring failed"), ("%s", e.what()));
    return FALSE;
  }
}

static void gst_lsfa_score_finalize(GObject *object) {
  GstLsfaScore *self = GST_LSFA_SCORE(object);
  stop_learning(self->impl);
  delete self->impl;
  self->impl = nullptr;
  G_OBJECT_CLASS(gst_lsfa_score_parent_class)->finalize(object);
}

static void gst_lsfa_score_class_init(GstLsfaScoreClass *klass) {
  GObjectClass *gobject_class = G_OBJECT_CLASS(klass);
  GstElementClass *element_class = GST_ELEMENT_CLASS(klass);
  GstBaseTransformClass *trans_class = GST_BASE_TRANSFORM_CLASS(klass);

  gobject_class->set_property = gst_lsfa_score_set_property;
  gobject_class->get_property = gst_lsfa_score_get_property;
  gobject_class->finalize = gst_lsfa_score_finalize;

  lsfa_gst::score_install_properties(gobject_class);

  /**
   * GstLsfaScore::teach-finish:
   *
   * Action signal: ends teaching; the frames collected until the next frame arrives are handed
   * to the learning worker, and the frames after it are scored with the new bundle as soon as
   * it is written (lsfa-teach-done), with the #GstLsfaScore:model bundle until then.
   */
  gst_lsfa_score_signals[SIGNAL_TEACH_FINISH] = g_signal_new_class_handler(
      "teach-finish", G_TYPE_FROM_CLASS(klass),
      static_cast<GSignalFlags>(G_SIGNAL_RUN_LAST | G_SIGNAL_ACTION),
      G_CALLBACK(gst_lsfa_score_teach_finish), nullptr, nullptr, nullptr, G_TYPE_NONE, 0);

  gst_element_class_add_static_pad_template(element_class, &sink_template);
  gst_element_class_add_static_pad_template(element_class, &src_template);
  gst_element_class_set_static_metadata(
      element_class, "LSFA anomaly scorer", "Filter/Analyzer/Video",
      "Scores LSFA features against a model bundle, attaches the anomaly result and posts "
      "lsfa-anomaly messages",
      LSFA_ELEMENT_AUTHOR);

  element_class->change_state = GST_DEBUG_FUNCPTR(gst_lsfa_score_change_state);
  trans_class->start = GST_DEBUG_FUNCPTR(gst_lsfa_score_start);
  trans_class->stop = GST_DEBUG_FUNCPTR(gst_lsfa_score_stop);
  trans_class->transform_ip = GST_DEBUG_FUNCPTR(gst_lsfa_score_transform_ip);
  trans_class->sink_event = GST_DEBUG_FUNCPTR(gst_lsfa_score_sink_event);
  trans_class->submit_input_buffer = GST_DEBUG_FUNCPTR(gst_lsfa_score_submit_input_buffer);
  trans_class->generate_output = GST_DEBUG_FUNCPTR(gst_lsfa_score_generate_output);
  trans_class->query = GST_DEBUG_FUNCPTR(gst_lsfa_score_query);
  trans_class->passthrough_on_same_caps = FALSE;
  trans_class->transform_ip_on_passthrough = FALSE;

  gst_type_mark_as_plugin_api(GST_TYPE_LSFA_SCORE_MODE, static_cast<GstPluginAPIFlags>(0));
  GST_DEBUG_CATEGORY_INIT(gst_lsfa_score_debug, "lsfascore", 0, "LSFA anomaly scorer");
}

static void gst_lsfa_score_init(GstLsfaScore *self) {
  self->impl = new Impl();
  gst_base_transform_set_in_place(GST_BASE_TRANSFORM(self), TRUE);
  gst_base_transform_set_qos_enabled(GST_BASE_TRANSFORM(self), TRUE);
}
