/**
 * SECTION:element-lsfafeatures
 * @title: lsfafeatures
 * @short_description: pairs RGB and depth frames and attaches LSFA backbone features
 *
 * lsfafeatures takes colour frames on its `rgb` pad and 16-bit depth frames on a requested `depth`
 * pad, pairs them by running time (within #GstLsfaFeatures:pair-tolerance; an older
 * frame that cannot be matched is dropped and counted; in a live pipeline an rgb frame that waited
 * #GstLsfaFeatures:pair-timeout for depth is dropped with a warning), turns the depth into
 * a point cloud with the calibration of the depth caps (`depth-scale`, `intrinsics`,
 * `intrinsics-size` fields) or of the properties, preprocesses the pair and runs the frozen
 * backbones (DINO ViT on RGB, Point-MAE on the cloud). The RGB frame goes downstream unchanged with
 * a GstLsfaFeaturesMeta. Alternatively the `rgb` pad takes a paired stream (caps feature
 * `meta:LsfaRgbd`, as lsfasrc sends) whose buffers carry the cloud in a GstLsfaRgbdMeta.
 *
 * With #GstLsfaFeatures:model set, the backbone preset, grouping, preprocessing and
 * modalities come from the model bundle, and the backbones must be the ones it was built with.
 * Frames that downstream reports as late (QoS) are dropped before the backbones run.
 *
 * ## Example launch lines
 * |[
 * gst-launch-1.0 lsfasrc location=data category=ring split=test ! \
 *     lsfafeatures model=ring.lsfa ! lsfascore model=ring.lsfa ! lsfaoverlay ! \
 *     videoconvert ! autovideosink
 * ]| A data set played as a paired stream.
 * |[
 * gst-launch-1.0 lsfafeatures name=f model=ring.lsfa ! lsfascore model=ring.lsfa ! \
 *     lsfaoverlay ! videoconvert ! autovideosink \
 *   multifilesrc location=rgb/%03d.png caps=image/png,framerate=5/1 ! pngdec ! \
 *     videoconvert ! video/x-raw,format=BGRx ! f.rgb \
 *   multifilesrc location=depth/%03d.png caps=image/png,framerate=5/1 ! pngdec ! \
 *     videoconvert ! "video/x-raw,format=GRAY16_LE,depth-scale=(double)0.001, \
 *     intrinsics=(double)<600.0,600.0,319.5,239.5>" ! f.depth
 * ]| Two streams of a recorded RGB + depth sequence.
 *
 * ## Messages
 * QoS messages for frames dropped as late; a warning "The depth stream stalled" (once per stall)
 * when pair-timeout drops rgb frames; element errors name the problem (missing calibration,
 * unregistered depth size, backbones that do not match the model bundle).
 */
#include "gstlsfafeatures.h"
#include "lsfa_plugin_info.h"

#include <gst/lsfa/lsfa.h>
#include <gst/video/video.h>

#include <algorithm>
#include <cmath>
#include <exception>
#include <memory>
#include <mutex>
#include <string>
#include <vector>

#include "lsfa/core/error.h"
#include "lsfa/core/math_buffers.h"
#include "lsfa/core/threads.h"
#include "lsfa/data/measured_points.h"
#include "lsfa/model/bundle.h"
#include "lsfa/model/pipeline.h"
#include "lsfa_features_properties.h"
#include "lsfa_frames.h"
#include "lsfa_pairing.h"
#include "lsfa_qos.h"

GST_DEBUG_CATEGORY_STATIC(gst_lsfa_features_element_debug);
#define GST_CAT_DEFAULT gst_lsfa_features_element_debug

namespace {

// Everything C++ of the element; allocated in init, freed in finalize.
struct Impl {
  lsfa_gst::FeaturesSettings settings;               // properties and counters (object lock)
  GstClockTime earliest_time = GST_CLOCK_TIME_NONE;  // from downstream QoS events

  // Streaming state (aggregate thread).
  std::unique_ptr<lsfa::FeatureExtractor> extractor;
  std::string identity, modalities_text;
  GstVideoInfo rgb_info{}, depth_info{};
  bool have_rgb_caps = false, have_depth_caps = false, rgbd_mode = false;
  GstCaps *pending_src_caps = nullptr;
  GstLsfaDepthCalibration caps_calibration{};
  bool logged_rescale = false;
  bool depth_stalled = false;  // pair-timeout hit; cleared by the next depth frame

  // Batching (batch-size > 1): frames waiting for one backbone forward, in arrival order.
  guint batch_size = 1;
  std::vector<GstBuffer *> batch;
  std::vector<lsfa::Sample> batch_samples;

  void drop_batch() {
    for (GstBuffer *b : batch) gst_buffer_unref(b);
    batch.clear();
    batch_samples.clear();
  }
};

}  // namespace

struct _GstLsfaFeaturesElement {
  GstAggregator parent;
  GstAggregatorPad *rgb_pad;
  GstAggregatorPad *depth_pad;  // null until requested
  Impl *impl;
};

// G_DEFINE_TYPE by hand, for the type name: GstObject names instances after it ("GstLsfaFeatures"
// -> "lsfafeatures0", like the factory), while the C name GstLsfaFeatures is the caps library's
// features handle.
static void gst_lsfa_features_element_class_init(GstLsfaFeaturesElementClass *klass);
static void gst_lsfa_features_element_init(GstLsfaFeaturesElement *self);
static gpointer gst_lsfa_features_element_parent_class = nullptr;

static void gst_lsfa_features_element_class_intern_init(gpointer klass, gpointer) {
  gst_lsfa_features_element_parent_class = g_type_class_peek_parent(klass);
  gst_lsfa_features_element_class_init(static_cast<GstLsfaFeaturesElementClass *>(klass));
}

static void gst_lsfa_features_element_instance_init(GTypeInstance *instance, gpointer) {
  gst_lsfa_features_element_init(reinterpret_cast<GstLsfaFeaturesElement *>(instance));
}

GType gst_lsfa_features_element_get_type(void) {
  static gsize type = 0;
  if (g_once_init_enter(&type)) {
    GType t = g_type_register_static_simple(
        GST_TYPE_AGGREGATOR, g_intern_static_string("GstLsfaFeatures"),
        sizeof(GstLsfaFeaturesElementClass), gst_lsfa_features_element_class_intern_init,
        sizeof(GstLsfaFeaturesElement), gst_lsfa_features_element_instance_init,
        static_cast<GTypeFlags>(0));
    g_once_init_leave(&type, t);
  }
  return static_cast<GType>(type);
}
GST_ELEMENT_REGISTER_DEFINE(lsfafeatures, "lsfafeatures", GST_RANK_NONE,
                            GST_TYPE_LSFA_FEATURES_ELEMENT);

static GstStaticPadTemplate rgb_template =
    GST_STATIC_PAD_TEMPLATE("rgb", GST_PAD_SINK, GST_PAD_ALWAYS,
                            GST_STATIC_CAPS(GST_LSFA_RGB_CAPS "; " GST_LSFA_RGBD_CAPS));
static GstStaticPadTemplate depth_template = GST_STATIC_PAD_TEMPLATE(
    "depth", GST_PAD_SINK, GST_PAD_REQUEST, GST_STATIC_CAPS(GST_LSFA_DEPTH_CAPS));
static GstStaticPadTemplate src_template =
    GST_STATIC_PAD_TEMPLATE("src", GST_PAD_SRC, GST_PAD_ALWAYS, GST_STATIC_CAPS(GST_LSFA_RGB_CAPS));

// ------------------------------------------------------------------------------------ properties

static void gst_lsfa_features_element_set_property(GObject *object, guint prop_id,
                                                   const GValue *value, GParamSpec *pspec) {
  GstLsfaFeaturesElement *self = GST_LSFA_FEATURES_ELEMENT(object);
  GST_OBJECT_LOCK(self);
  const bool known = lsfa_gst::features_set_property(self->impl->settings, prop_id, value);
  GST_OBJECT_UNLOCK(self);
  if (!known) G_OBJECT_WARN_INVALID_PROPERTY_ID(object, prop_id, pspec);
  if (prop_id == lsfa_gst::PROP_PAIR_TOLERANCE) {
    GstClockTime tol = g_value_get_uint64(value);
    gst_aggregator_set_latency(GST_AGGREGATOR(self), tol, tol);
  }
}

static void gst_lsfa_features_element_get_property(GObject *object, guint prop_id, GValue *value,
                                                   GParamSpec *pspec) {
  GstLsfaFeaturesElement *self = GST_LSFA_FEATURES_ELEMENT(object);
  GST_OBJECT_LOCK(self);
  const bool known = lsfa_gst::features_get_property(self->impl->settings, prop_id, value);
  GST_OBJECT_UNLOCK(self);
  if (!known) G_OBJECT_WARN_INVALID_PROPERTY_ID(object, prop_id, pspec);
}

// ------------------------------------------------------------------------------------ lifecycle

static gboolean gst_lsfa_features_element_start(GstAggregator *agg) {
  GstLsfaFeaturesElement *self = GST_LSFA_FEATURES_ELEMENT(agg);
  Impl *p = self->impl;
  GST_OBJECT_LOCK(self);
  const lsfa_gst::FeaturesSettings settings = p->settings;
  p->settings.dropped_rgb = p->settings.dropped_depth = p->settings.dropped_late = 0;
  p->earliest_time = GST_CLOCK_TIME_NONE;
  GST_OBJECT_UNLOCK(self);

  try {
    lsfa::set_threads(settings.threads);
    if (!settings.model.empty()) {
      // Backbone sizes, preprocessing and modalities come from the bundle so the features match
      // its memory banks; checkpoint paths and device stay properties.
      p->extractor = lsfa::extractor_for_bundle(
          settings.model, settings.rgb_weights, settings.point_weights,
          lsfa_gst::features_device(settings), lsfa_gst::features_precision(settings));
    } else {
      p->extractor =
          std::make_unique<lsfa::FeatureExtractor>(lsfa_gst::features_extractor_config(settings));
    }
    p->identity = p->extractor->identity();
    p->modalities_text = lsfa::to_string(p->extractor->config().modalities);
  } catch (const std::exception &e) {
    p->extractor.reset();
    GST_ELEMENT_ERROR(self, RESOURCE, SETTINGS, ("Cannot set up the LSFA feature extractor"),
                      ("%s", e.what()));
    return FALSE;
  }
  GST_INFO_OBJECT(self, "feature extractor ready: %s", p->identity.c_str());
  p->batch_size = std::max(1u, settings.batch_size);
  p->drop_batch();
  gst_aggregator_set_latency(agg, settings.pair_tolerance, settings.pair_tolerance);
  return TRUE;
}

// Latency: the pairing tolerance, plus, with batches, the frames the first one waits for.
static void update_latency(GstLsfaFeaturesElement *self) {
  Impl *p = self->impl;
  GST_OBJECT_LOCK(self);
  const GstClockTime tolerance = p->settings.pair_tolerance;
  GST_OBJECT_UNLOCK(self);
  GstClockTime wait = 0;
  const int fps_n = GST_VIDEO_INFO_FPS_N(&p->rgb_info), fps_d = GST_VIDEO_INFO_FPS_D(&p->rgb_info);
  if (p->batch_size > 1 && p->have_rgb_caps && fps_n > 0 && fps_d > 0)
    wait = gst_util_uint64_scale_int(GST_SECOND * (p->batch_size - 1), fps_d, fps_n);
  gst_aggregator_set_latency(GST_AGGREGATOR(self), tolerance + wait, tolerance + wait);
}

static gboolean gst_lsfa_features_element_stop(GstAggregator *agg) {
  GstLsfaFeaturesElement *self = GST_LSFA_FEATURES_ELEMENT(agg);
  Impl *p = self->impl;
  p->extractor.reset();
  p->drop_batch();
  p->have_rgb_caps = p->have_depth_caps = p->rgbd_mode = false;
  p->caps_calibration = {};
  p->logged_rescale = false;
  p->depth_stalled = false;
  gst_clear_caps(&p->pending_src_caps);
  // The backbones are gone: hand the math library's cached work buffers back too, or a process
  // that starts and stops pipelines keeps those of every streaming thread that ever ran one.
  lsfa::release_math_buffers();
  return TRUE;
}

// ------------------------------------------------------------------------------------ pads

static GstAggregatorPad *gst_lsfa_features_element_create_new_pad(GstAggregator *agg,
                                                                  GstPadTemplate *templ,
                                                                  const gchar *req_name,
                                                                  const GstCaps *caps) {
  GstLsfaFeaturesElement *self = GST_LSFA_FEATURES_ELEMENT(agg);
  (void)req_name;
  (void)caps;
  if (g_strcmp0(GST_PAD_TEMPLATE_NAME_TEMPLATE(templ), "depth") != 0) return nullptr;
  GST_OBJECT_LOCK(self);
  if (self->depth_pad != nullptr) {
    GST_OBJECT_UNLOCK(self);
    GST_WARNING_OBJECT(self, "the depth pad exists already");
    return nullptr;
  }
  GST_OBJECT_UNLOCK(self);
  auto *pad = GST_AGGREGATOR_PAD(g_object_new(GST_TYPE_AGGREGATOR_PAD, "name", "depth", "direction",
                                              GST_PAD_SINK, "template", templ, nullptr));
  GST_OBJECT_LOCK(self);
  self->depth_pad = pad;
  GST_OBJECT_UNLOCK(self);
  return pad;
}

static void gst_lsfa_features_element_release_pad(GstElement *element, GstPad *pad) {
  GstLsfaFeaturesElement *self = GST_LSFA_FEATURES_ELEMENT(element);
  GST_OBJECT_LOCK(self);
  if (GST_PAD(self->depth_pad) == pad) self->depth_pad = nullptr;
  GST_OBJECT_UNLOCK(self);
  GST_ELEMENT_CLASS(gst_lsfa_features_element_parent_class)->release_pad(element, pad);
}

// Caps the rgb pad can take: what downstream takes, with or without the meta:LsfaRgbd feature.
static GstCaps *rgb_pad_caps(GstLsfaFeaturesElement *self, GstCaps *filter) {
  GstCaps *templ = gst_pad_get_pad_template_caps(GST_PAD(self->rgb_pad));
  GstCaps *peer = gst_pad_peer_query_caps(GST_AGGREGATOR_SRC_PAD(self), nullptr);
  GstCaps *result = lsfa_gst::caps_with_rgbd_feature(templ, peer, filter);
  gst_caps_unref(peer);
  gst_caps_unref(templ);
  return result;
}

static gboolean gst_lsfa_features_element_sink_query(GstAggregator *agg, GstAggregatorPad *pad,
                                                     GstQuery *query) {
  GstLsfaFeaturesElement *self = GST_LSFA_FEATURES_ELEMENT(agg);
  switch (GST_QUERY_TYPE(query)) {
    case GST_QUERY_CAPS: {
      GstCaps *filter;
      gst_query_parse_caps(query, &filter);
      GstCaps *caps;
      if (pad == self->rgb_pad) {
        caps = rgb_pad_caps(self, filter);
      } else {
        GstCaps *templ = gst_pad_get_pad_template_caps(GST_PAD(pad));
        caps = filter ? gst_caps_intersect_full(filter, templ, GST_CAPS_INTERSECT_FIRST)
                      : gst_caps_ref(templ);
        gst_caps_unref(templ);
      }
      gst_query_set_caps_result(query, caps);
      gst_caps_unref(caps);
      return TRUE;
    }
    case GST_QUERY_ACCEPT_CAPS: {
      GstCaps *caps;
      gst_query_parse_accept_caps(query, &caps);
      GstCaps *templ = gst_pad_get_pad_template_caps(GST_PAD(pad));
      gst_query_set_accept_caps_result(query, gst_caps_is_subset(caps, templ));
      gst_caps_unref(templ);
      return TRUE;
    }
    default:
      return GST_AGGREGATOR_CLASS(gst_lsfa_features_element_parent_class)
          ->sink_query(agg, pad, query);
  }
}

static gboolean handle_rgb_caps(GstLsfaFeaturesElement *self, GstCaps *caps) {
  Impl *p = self->impl;
  GstVideoInfo info;
  if (!gst_video_info_from_caps(&info, caps)) {
    GST_ELEMENT_ERROR(self, STREAM, FORMAT, ("Invalid caps on the rgb pad"),
                      ("cannot parse %" GST_PTR_FORMAT, caps));
    return FALSE;
  }
  p->rgb_info = info;
  p->have_rgb_caps = true;
  p->rgbd_mode = gst_lsfa_caps_has_rgbd_feature(caps);
  GstCaps *src = gst_caps_copy(caps);
  gst_caps_set_features(src, 0, nullptr);  // plain system-memory video downstream
  gst_caps_replace(&p->pending_src_caps, src);
  gst_caps_unref(src);
  GST_DEBUG_OBJECT(self, "rgb caps %" GST_PTR_FORMAT " (rgbd meta mode: %d)", caps, p->rgbd_mode);
  update_latency(self);
  return TRUE;
}

static gboolean handle_depth_caps(GstLsfaFeaturesElement *self, GstCaps *caps) {
  Impl *p = self->impl;
  GstVideoInfo info;
  if (!gst_video_info_from_caps(&info, caps) ||
      GST_VIDEO_INFO_FORMAT(&info) != GST_VIDEO_FORMAT_GRAY16_LE) {
    GST_ELEMENT_ERROR(self, STREAM, FORMAT, ("Invalid caps on the depth pad"),
                      ("expected GRAY16_LE video, got %" GST_PTR_FORMAT, caps));
    return FALSE;
  }
  GstLsfaDepthCalibration cal{};
  GError *err = nullptr;
  if (!gst_lsfa_depth_calibration_from_caps(caps, &cal, &err)) {
    GST_ELEMENT_ERROR(self, STREAM, FORMAT, ("Invalid depth calibration in the depth caps"),
                      ("%s", err->message));
    g_error_free(err);
    return FALSE;
  }
  p->depth_info = info;
  p->have_depth_caps = true;
  p->caps_calibration = cal;
  p->logged_rescale = false;
  GST_DEBUG_OBJECT(self, "depth caps %" GST_PTR_FORMAT, caps);
  return TRUE;
}

static gboolean gst_lsfa_features_element_sink_event(GstAggregator *agg, GstAggregatorPad *pad,
                                                     GstEvent *event) {
  GstLsfaFeaturesElement *self = GST_LSFA_FEATURES_ELEMENT(agg);
  if (GST_EVENT_TYPE(event) == GST_EVENT_CAPS) {
    GstCaps *caps;
    gst_event_parse_caps(event, &caps);
    gboolean ok =
        pad == self->rgb_pad ? handle_rgb_caps(self, caps) : handle_depth_caps(self, caps);
    gst_event_unref(event);
    return ok;
  }
  if (GST_EVENT_TYPE(event) == GST_EVENT_FLUSH_STOP) {
    GST_OBJECT_LOCK(self);
    self->impl->earliest_time = GST_CLOCK_TIME_NONE;
    GST_OBJECT_UNLOCK(self);
    self->impl->drop_batch();  // frames from before the seek are not output
  }
  gboolean is_rgb_segment = GST_EVENT_TYPE(event) == GST_EVENT_SEGMENT && pad == self->rgb_pad;
  gboolean ret =
      GST_AGGREGATOR_CLASS(gst_lsfa_features_element_parent_class)->sink_event(agg, pad, event);
  if (is_rgb_segment) {
    // Output buffers keep the rgb timestamps, so the output segment is the rgb segment.
    GST_OBJECT_LOCK(self);
    GstSegment segment = pad->segment;
    GST_OBJECT_UNLOCK(self);
    gst_aggregator_update_segment(agg, &segment);
  }
  return ret;
}

// ------------------------------------------------------------------------------------ processing

// Calibration of the depth stream: caps fields first, properties as fallback (the library's rule).
static lsfa::ResolvedDepthCalibration depth_calibration(GstLsfaFeaturesElement *self, int width,
                                                        int height) {
  Impl *p = self->impl;
  lsfa::DepthCalibration configured;
  GST_OBJECT_LOCK(self);
  if (p->settings.depth_scale > 0) configured.depth_scale = p->settings.depth_scale;
  if (p->settings.has_intrinsics)
    configured.intrinsics = lsfa_gst::intrinsics_from_gst(p->settings.intrinsics);
  configured.intrinsics_width = p->settings.intrinsics_width;
  configured.intrinsics_height = p->settings.intrinsics_height;
  GST_OBJECT_UNLOCK(self);
  lsfa::ResolvedDepthCalibration r = lsfa::resolve_depth_calibration(
      lsfa_gst::calibration_from_caps(p->caps_calibration), configured, width, height);
  if (r.rescaled && !p->logged_rescale) {
    GST_INFO_OBJECT(self, "intrinsics are for %dx%d, depth is %dx%d: rescaling them", r.from_width,
                    r.from_height, width, height);
    p->logged_rescale = true;
  }
  return r;
}

// Builds the sample of one frame. `depth` is null in RGB-D meta mode.
static lsfa::Sample make_sample(GstLsfaFeaturesElement *self, GstBuffer *rgb, GstBuffer *depth) {
  Impl *p = self->impl;
  if (depth == nullptr) return lsfa_gst::sample_from_rgbd_buffer(rgb, p->rgb_info);
  lsfa::require(p->have_depth_caps, "depth buffer before depth caps");
  const lsfa::ResolvedDepthCalibration cal = depth_calibration(
      self, GST_VIDEO_INFO_WIDTH(&p->depth_info), GST_VIDEO_INFO_HEIGHT(&p->depth_info));
  return lsfa_gst::sample_from_buffers(rgb, p->rgb_info, depth, p->depth_info, cal);
}

// QoS: a frame whose running time is before the earliest time downstream can still use is dropped
// before the backbones run (the expensive part).
static bool is_late(GstLsfaFeaturesElement *self, GstBuffer *rgb) {
  Impl *p = self->impl;
  GstAggregatorPad *pad = self->rgb_pad;
  GST_OBJECT_LOCK(self);
  const bool qos = p->settings.qos;
  const GstClockTime earliest = p->earliest_time;
  GST_OBJECT_UNLOCK(self);
  if (!qos || !GST_CLOCK_TIME_IS_VALID(earliest) || !GST_BUFFER_PTS_IS_VALID(rgb)) return false;
  GST_OBJECT_LOCK(pad);
  GstClockTime rt =
      gst_segment_to_running_time(&pad->segment, GST_FORMAT_TIME, GST_BUFFER_PTS(rgb));
  GstSegment segment = pad->segment;
  GST_OBJECT_UNLOCK(pad);
  if (!GST_CLOCK_TIME_IS_VALID(rt) || rt > earliest) return false;
  GST_OBJECT_LOCK(self);
  const guint64 dropped = ++p->settings.dropped_late;
  GST_OBJECT_UNLOCK(self);
  GST_DEBUG_OBJECT(self,
                   "frame at running time %" GST_TIME_FORMAT " is late (earliest %" GST_TIME_FORMAT
                   "): dropped",
                   GST_TIME_ARGS(rt), GST_TIME_ARGS(earliest));
  GstClockTime pts = GST_BUFFER_PTS(rgb);
  GstMessage *qos_msg = gst_message_new_qos(
      GST_OBJECT(self), FALSE, rt, gst_segment_to_stream_time(&segment, GST_FORMAT_TIME, pts), pts,
      GST_BUFFER_DURATION(rgb));
  gst_message_set_qos_stats(qos_msg, GST_FORMAT_BUFFERS, 0, dropped);
  gst_element_post_message(GST_ELEMENT(self), qos_msg);
  return true;
}

static gboolean gst_lsfa_features_element_src_event(GstAggregator *agg, GstEvent *event) {
  GstLsfaFeaturesElement *self = GST_LSFA_FEATURES_ELEMENT(agg);
  if (GST_EVENT_TYPE(event) == GST_EVENT_QOS) {
    GstQOSType type;
    gdouble proportion;
    GstClockTimeDiff diff;
    GstClockTime timestamp;
    gst_event_parse_qos(event, &type, &proportion, &diff, &timestamp);
    GST_OBJECT_LOCK(self);
    if (GST_CLOCK_TIME_IS_VALID(timestamp))
      self->impl->earliest_time = lsfa_gst::qos_earliest_time(timestamp, diff);
    GST_OBJECT_UNLOCK(self);
  }
  return GST_AGGREGATOR_CLASS(gst_lsfa_features_element_parent_class)->src_event(agg, event);
}

// The output caps are the rgb caps (set in process() when they arrive). Without this the base
// class fixates the src template when it first negotiates (before any rgb caps) and sends 1x1,
// 0/1 fps caps downstream ahead of the real ones, which e.g. makes vp8enc output nothing.
static GstFlowReturn gst_lsfa_features_element_update_src_caps(GstAggregator *agg, GstCaps *,
                                                               GstCaps **ret) {
  Impl *p = GST_LSFA_FEATURES_ELEMENT(agg)->impl;
  if (p->pending_src_caps != nullptr) {
    *ret = gst_caps_ref(p->pending_src_caps);
    return GST_FLOW_OK;
  }
  if (GstCaps *current = gst_pad_get_current_caps(GST_AGGREGATOR_SRC_PAD(agg))) {
    *ret = current;
    return GST_FLOW_OK;
  }
  return GST_AGGREGATOR_FLOW_NEED_DATA;
}

// "pts 0:00:01.200000000" for messages about one frame.
static std::string frame_time(GstBuffer *buffer) {
  if (!GST_BUFFER_PTS_IS_VALID(buffer)) return "(no timestamp)";
  gchar *text = g_strdup_printf("pts %" GST_TIME_FORMAT, GST_TIME_ARGS(GST_BUFFER_PTS(buffer)));
  std::string s = text;
  g_free(text);
  return s;
}

// Runs the backbones on the waiting frames (one forward) and pushes them, in order, with their
// features. Also called at EOS for a partial batch.
static GstFlowReturn run_batch(GstLsfaFeaturesElement *self) {
  GstAggregator *agg = GST_AGGREGATOR(self);
  Impl *p = self->impl;
  if (p->batch.empty()) return GST_FLOW_OK;
  std::vector<GstBuffer *> buffers;
  buffers.swap(p->batch);
  std::vector<lsfa::Sample> samples;
  samples.swap(p->batch_samples);
  std::vector<lsfa::SampleFeatures> features;
  try {
    features = p->extractor->extract_batch(samples);
    for (size_t i = 0; i < buffers.size(); ++i) {
      buffers[i] = gst_buffer_make_writable(buffers[i]);
      if (lsfa_gst::attach_features(buffers[i], std::move(features[i]), p->identity,
                                    p->modalities_text, p->extractor->config()) == nullptr)
        throw lsfa::Error("cannot attach the features meta");
    }
  } catch (const std::exception &e) {
    GST_ELEMENT_ERROR(self, STREAM, FAILED, ("LSFA feature extraction failed"), ("%s", e.what()));
    for (GstBuffer *b : buffers) gst_buffer_unref(b);
    return GST_FLOW_ERROR;
  }
  GstFlowReturn ret = GST_FLOW_OK;
  for (GstBuffer *b : buffers) {
    if (ret == GST_FLOW_OK)
      ret = gst_aggregator_finish_buffer(agg, b);
    else
      gst_buffer_unref(b);
  }
  return ret;
}

// End of stream: the frames of a partial batch go out before EOS.
static GstFlowReturn end_of_stream(GstLsfaFeaturesElement *self) {
  const GstFlowReturn ret = run_batch(self);
  return ret == GST_FLOW_OK ? GST_FLOW_EOS : ret;
}

static GstFlowReturn process(GstLsfaFeaturesElement *self, GstBuffer *rgb, GstBuffer *depth) {
  GstAggregator *agg = GST_AGGREGATOR(self);
  Impl *p = self->impl;
  if (!p->have_rgb_caps) {
    GST_ELEMENT_ERROR(self, CORE, NEGOTIATION, (nullptr), ("rgb buffer before rgb caps"));
    gst_buffer_unref(rgb);
    return GST_FLOW_NOT_NEGOTIATED;
  }
  if (depth == nullptr && !p->rgbd_mode) {
    GST_ELEMENT_ERROR(
        self, CORE, NEGOTIATION, ("No depth input"),
        ("request the depth pad (lsfafeatures name=f ... ! f.depth) or send rgb caps with the "
         "meta:LsfaRgbd feature"));
    gst_buffer_unref(rgb);
    return GST_FLOW_NOT_NEGOTIATED;
  }
  if (p->pending_src_caps != nullptr) {
    gst_aggregator_set_src_caps(agg, p->pending_src_caps);
    gst_clear_caps(&p->pending_src_caps);
  }
  if (is_late(self, rgb)) {
    gst_buffer_unref(rgb);
    return GST_FLOW_OK;
  }
  try {
    lsfa::Sample sample = make_sample(self, rgb, depth);
    // A depth frame without a single measured point (all 0, NaN or infinite: a camera fault)
    // would give empty 3D features and an all-normal 3D score without a word.
    if (lsfa::uses_points(p->extractor->config().modalities) &&
        !lsfa::has_measured_point(sample.xyz))
      throw lsfa::Error("the depth of the frame at " + frame_time(rgb) +
                        " has no measured point (every depth is 0, NaN or infinite)");
    p->batch_samples.push_back(std::move(sample));
  } catch (const std::exception &e) {
    GST_ELEMENT_ERROR(self, STREAM, FAILED, ("LSFA feature extraction failed"), ("%s", e.what()));
    gst_buffer_unref(rgb);
    return GST_FLOW_ERROR;
  }
  p->batch.push_back(rgb);
  if (p->batch.size() < p->batch_size) return GST_FLOW_OK;
  return run_batch(self);
}

// Live pipelines: when to give up waiting for depth (pair-timeout), or to end the output after the
// rgb EOS (lsfa_gst::pair_deadline). The base class waits on the clock until this running time
// plus the latency, then calls aggregate with timeout = TRUE.
static GstClockTime gst_lsfa_features_element_get_next_time(GstAggregator *agg) {
  GstLsfaFeaturesElement *self = GST_LSFA_FEATURES_ELEMENT(agg);
  GST_OBJECT_LOCK(self);
  GstAggregatorPad *depth_pad =
      self->depth_pad ? GST_AGGREGATOR_PAD(gst_object_ref(self->depth_pad)) : nullptr;
  const GstClockTime timeout = self->impl->settings.pair_timeout;
  GST_OBJECT_UNLOCK(self);
  if (depth_pad == nullptr) return GST_CLOCK_TIME_NONE;
  GstBuffer *rgb = gst_aggregator_pad_peek_buffer(self->rgb_pad);
  GstBuffer *depth = gst_aggregator_pad_peek_buffer(depth_pad);
  const GstClockTime deadline = lsfa_gst::pair_deadline(
      lsfa_gst::pad_head(self->rgb_pad, rgb), lsfa_gst::pad_head(depth_pad, depth), timeout);
  if (rgb) gst_buffer_unref(rgb);
  if (depth) gst_buffer_unref(depth);
  gst_object_unref(depth_pad);
  return deadline;
}

// The rgb head waited pair-timeout for depth in a live pipeline: drop it, and say once per stall
// that the depth stream stopped (a camera that died without EOS must not block the line).
static void drop_stalled_rgb(GstLsfaFeaturesElement *self, const lsfa_gst::PadHead &rgb,
                             GstClockTime timeout) {
  Impl *p = self->impl;
  if (!p->depth_stalled) {
    p->depth_stalled = true;
    GST_ELEMENT_WARNING(self, STREAM, FAILED, ("The depth stream stalled"),
                        ("no depth frame within pair-timeout %" GST_TIME_FORMAT
                         " of the rgb frame at running time %" GST_TIME_FORMAT
                         "; dropping rgb frames until depth frames arrive again",
                         GST_TIME_ARGS(timeout), GST_TIME_ARGS(rgb.running_time)));
  }
  GST_INFO_OBJECT(self, "depth stalled: dropping rgb frame at %" GST_TIME_FORMAT,
                  GST_TIME_ARGS(rgb.running_time));
  gst_aggregator_pad_drop_buffer(self->rgb_pad);
  GST_OBJECT_LOCK(self);
  p->settings.dropped_rgb++;
  GST_OBJECT_UNLOCK(self);
}

static GstFlowReturn gst_lsfa_features_element_aggregate_unguarded(GstAggregator *agg,
                                                                   gboolean timeout) {
  GstLsfaFeaturesElement *self = GST_LSFA_FEATURES_ELEMENT(agg);
  Impl *p = self->impl;
  GST_OBJECT_LOCK(self);
  GstAggregatorPad *depth_pad =
      self->depth_pad ? GST_AGGREGATOR_PAD(gst_object_ref(self->depth_pad)) : nullptr;
  GstClockTime tolerance = p->settings.pair_tolerance;
  GstClockTime pair_timeout = p->settings.pair_timeout;
  GST_OBJECT_UNLOCK(self);

  if (depth_pad == nullptr) {  // RGB-D meta mode
    GstBuffer *rgb = gst_aggregator_pad_pop_buffer(self->rgb_pad);
    if (rgb == nullptr)
      return gst_aggregator_pad_is_eos(self->rgb_pad) ? end_of_stream(self) : GST_FLOW_OK;
    return process(self, rgb, nullptr);
  }

  GstBuffer *rgb = gst_aggregator_pad_peek_buffer(self->rgb_pad);
  GstBuffer *depth = gst_aggregator_pad_peek_buffer(depth_pad);
  lsfa_gst::PadHead rh = lsfa_gst::pad_head(self->rgb_pad, rgb),
                    dh = lsfa_gst::pad_head(depth_pad, depth);
  lsfa_gst::PairAction action = lsfa_gst::decide_pair(rh, dh, tolerance);
  GST_LOG_OBJECT(self, "rgb %" GST_TIME_FORMAT " depth %" GST_TIME_FORMAT " timeout %d -> %s",
                 GST_TIME_ARGS(rh.running_time), GST_TIME_ARGS(dh.running_time), timeout,
                 lsfa_gst::pair_action_name(action));
  if (rgb) gst_buffer_unref(rgb);
  if (depth) gst_buffer_unref(depth);
  if (dh.has_buffer) p->depth_stalled = false;

  GstFlowReturn ret = GST_FLOW_OK;
  switch (action) {
    case lsfa_gst::PairAction::kPair: {
      rgb = gst_aggregator_pad_pop_buffer(self->rgb_pad);
      depth = gst_aggregator_pad_pop_buffer(depth_pad);
      ret = process(self, rgb, depth);
      gst_buffer_unref(depth);
      break;
    }
    case lsfa_gst::PairAction::kDropRgb:
      GST_INFO_OBJECT(self, "dropping unmatched rgb frame at %" GST_TIME_FORMAT,
                      GST_TIME_ARGS(rh.running_time));
      gst_aggregator_pad_drop_buffer(self->rgb_pad);
      GST_OBJECT_LOCK(self);
      p->settings.dropped_rgb++;
      GST_OBJECT_UNLOCK(self);
      break;
    case lsfa_gst::PairAction::kDropDepth:
      GST_INFO_OBJECT(self, "dropping unmatched depth frame at %" GST_TIME_FORMAT,
                      GST_TIME_ARGS(dh.running_time));
      gst_aggregator_pad_drop_buffer(depth_pad);
      GST_OBJECT_LOCK(self);
      p->settings.dropped_depth++;
      GST_OBJECT_UNLOCK(self);
      break;
    case lsfa_gst::PairAction::kWait:
      if (timeout && rh.has_buffer &&
          GST_CLOCK_TIME_IS_VALID(lsfa_gst::pair_deadline(rh, dh, pair_timeout)))
        drop_stalled_rgb(self, rh, pair_timeout);
      break;
    case lsfa_gst::PairAction::kEos:
      ret = end_of_stream(self);
      break;
  }
  gst_object_unref(depth_pad);
  return ret;
}

// ------------------------------------------------------------------------------------ class

// The vfunc boundary: no C++ exception may cross into GStreamer.
static GstFlowReturn gst_lsfa_features_element_aggregate(GstAggregator *agg, gboolean timeout) {
  try {
    return gst_lsfa_features_element_aggregate_unguarded(agg, timeout);
  } catch (const std::exception &e) {
    GST_ELEMENT_ERROR(agg, STREAM, FAILED, ("LSFA feature extraction failed"), ("%s", e.what()));
    return GST_FLOW_ERROR;
  }
}

static void gst_lsfa_features_element_finalize(GObject *object) {
  GstLsfaFeaturesElement *self = GST_LSFA_FEATURES_ELEMENT(object);
  gst_clear_caps(&self->impl->pending_src_caps);
  delete self->impl;
  self->impl = nullptr;
  G_OBJECT_CLASS(gst_lsfa_features_element_parent_class)->finalize(object);
}

static void gst_lsfa_features_element_class_init(GstLsfaFeaturesElementClass *klass) {
  GObjectClass *gobject_class = G_OBJECT_CLASS(klass);
  GstElementClass *element_class = GST_ELEMENT_CLASS(klass);
  GstAggregatorClass *agg_class = GST_AGGREGATOR_CLASS(klass);

  gobject_class->set_property = gst_lsfa_features_element_set_property;
  gobject_class->get_property = gst_lsfa_features_element_get_property;
  gobject_class->finalize = gst_lsfa_features_element_finalize;

  lsfa_gst::features_install_properties(gobject_class);

  gst_element_class_add_static_pad_template_with_gtype(element_class, &rgb_template,
                                                       GST_TYPE_AGGREGATOR_PAD);
  gst_element_class_add_static_pad_template_with_gtype(element_class, &depth_template,
                                                       GST_TYPE_AGGREGATOR_PAD);
  gst_element_class_add_static_pad_template_with_gtype(element_class, &src_template,
                                                       GST_TYPE_AGGREGATOR_PAD);
  gst_element_class_set_static_metadata(
      element_class, "LSFA feature extractor", "Filter/Analyzer/Video",
      "Pairs RGB and depth frames and attaches the frozen-backbone features of LSFA anomaly "
      "detection",
      LSFA_ELEMENT_AUTHOR);

  element_class->release_pad = GST_DEBUG_FUNCPTR(gst_lsfa_features_element_release_pad);
  agg_class->start = GST_DEBUG_FUNCPTR(gst_lsfa_features_element_start);
  agg_class->stop = GST_DEBUG_FUNCPTR(gst_lsfa_features_element_stop);
  agg_class->aggregate = GST_DEBUG_FUNCPTR(gst_lsfa_features_element_aggregate);
  agg_class->create_new_pad = GST_DEBUG_FUNCPTR(gst_lsfa_features_element_create_new_pad);
  agg_class->sink_event = GST_DEBUG_FUNCPTR(gst_lsfa_features_element_sink_event);
  agg_class->sink_query = GST_DEBUG_FUNCPTR(gst_lsfa_features_element_sink_query);
  agg_class->src_event = GST_DEBUG_FUNCPTR(gst_lsfa_features_element_src_event);
  agg_class->update_src_caps = GST_DEBUG_FUNCPTR(gst_lsfa_features_element_update_src_caps);
  agg_class->get_next_time = GST_DEBUG_FUNCPTR(gst_lsfa_features_element_get_next_time);

  GST_DEBUG_CATEGORY_INIT(gst_lsfa_features_element_debug, "lsfafeatures", 0,
                          "LSFA feature extractor");
}

static void gst_lsfa_features_element_init(GstLsfaFeaturesElement *self) {
  self->impl = new Impl();
  self->depth_pad = nullptr;
  GstPadTemplate *templ = gst_element_class_get_pad_template(GST_ELEMENT_GET_CLASS(self), "rgb");
  self->rgb_pad =
      GST_AGGREGATOR_PAD(g_object_new(GST_TYPE_AGGREGATOR_PAD, "name", "rgb", "direction",
                                      GST_PAD_SINK, "template", templ, nullptr));
  gst_element_add_pad(GST_ELEMENT(self), GST_PAD(self->rgb_pad));
  gst_aggregator_set_latency(GST_AGGREGATOR(self), lsfa_gst::kDefaultPairTolerance,
                             lsfa_gst::kDefaultPairTolerance);
}
