// lsfafeatures: paired RGB + depth in, RGB frame with GstLsfaFeaturesMeta out.
//
// Input, two ways:
//  - an `rgb` pad (always) and a `depth` request pad: frames are paired by running time within
//    pair-tolerance; an unmatched older buffer is dropped (logged, counted in dropped-rgb /
//    dropped-depth);
//  - only the `rgb` pad, with caps feature meta:LsfaRgbd: every buffer carries its depth or XYZ
//  cloud
//    in a GstLsfaRgbdMeta (no depth pad requested).
// The element holds no algorithm: it converts frames to an lsfa::Sample and calls
// lsfa::FeatureExtractor::extract.
#include "gstlsfafeatures.h"

#include <gst/lsfa/lsfa.h>
#include <gst/video/video.h>

#include <cmath>
#include <exception>
#include <memory>
#include <mutex>
#include <string>

#include "lsfa/core/error.h"
#include "lsfa/model/pipeline.h"
#include "lsfa/core/threads.h"
#include "lsfa_frames.h"
#include "lsfa_pairing.h"

GST_DEBUG_CATEGORY_STATIC(gst_lsfa_feature_extractor_debug);
#define GST_CAT_DEFAULT gst_lsfa_feature_extractor_debug

enum {
  PROP_0,
  PROP_MODEL,
  PROP_RGB_WEIGHTS,
  PROP_POINT_WEIGHTS,
  PROP_PRESET,
  PROP_MODALITIES,
  PROP_SEED,
  PROP_THREADS,
  PROP_DEVICE,
  PROP_DEPTH_SCALE,
  PROP_INTRINSICS,
  PROP_INTRINSICS_SIZE,
  PROP_PAIR_TOLERANCE,
  PROP_DROPPED_RGB,
  PROP_DROPPED_DEPTH,
  PROP_QOS,
  PROP_DROPPED_LATE,
  PROP_POINT_BATCH_STATS,
};

#define DEFAULT_PRESET "small"
#define DEFAULT_MODALITIES "rgb,3d"
#define DEFAULT_SEED 0
#define DEFAULT_THREADS 0
#define DEFAULT_DEVICE "cpu"
#define DEFAULT_DEPTH_SCALE 0.0
#define DEFAULT_PAIR_TOLERANCE (10 * GST_MSECOND)
#define DEFAULT_QOS TRUE

namespace {

// Everything C++ of the element; allocated in init, freed in finalize.
struct Impl {
  // Properties (object lock).
  std::string model, rgb_weights, point_weights,
      preset = DEFAULT_PRESET, modalities = DEFAULT_MODALITIES, device = DEFAULT_DEVICE;
  guint64 seed = DEFAULT_SEED;
  gint threads = DEFAULT_THREADS;
  gdouble depth_scale = DEFAULT_DEPTH_SCALE;
  bool has_intrinsics = false;
  GstLsfaIntrinsics intrinsics{};
  gint intrinsics_width = 0, intrinsics_height = 0;
  GstClockTime pair_tolerance = DEFAULT_PAIR_TOLERANCE;
  guint64 dropped_rgb = 0, dropped_depth = 0, dropped_late = 0;
  bool qos = DEFAULT_QOS;
  bool point_batch_stats = false;
  GstClockTime earliest_time = GST_CLOCK_TIME_NONE;  // from downstream QoS events

  // Streaming state (aggregate thread).
  std::unique_ptr<lsfa::FeatureExtractor> extractor;
  std::string identity, modalities_text;
  GstVideoInfo rgb_info{}, depth_info{};
  bool have_rgb_caps = false, have_depth_caps = false, rgbd_mode = false;
  GstCaps *pending_src_caps = nullptr;
  GstLsfaDepthCalibration caps_calibration{};
  bool logged_rescale = false;
};

}  // namespace

struct _GstLsfaFeatureExtractor {
  GstAggregator parent;
  GstAggregatorPad *rgb_pad;
  GstAggregatorPad *depth_pad;  // null until requested
  Impl *impl;
};

G_DEFINE_TYPE(GstLsfaFeatureExtractor, gst_lsfa_feature_extractor, GST_TYPE_AGGREGATOR);
GST_ELEMENT_REGISTER_DEFINE(lsfafeatures, "lsfafeatures", GST_RANK_NONE,
                            GST_TYPE_LSFA_FEATURE_EXTRACTOR);

static GstStaticPadTemplate rgb_template =
    GST_STATIC_PAD_TEMPLATE("rgb", GST_PAD_SINK, GST_PAD_ALWAYS,
                            GST_STATIC_CAPS(GST_LSFA_RGB_CAPS "; " GST_LSFA_RGBD_CAPS));
static GstStaticPadTemplate depth_template = GST_STATIC_PAD_TEMPLATE(
    "depth", GST_PAD_SINK, GST_PAD_REQUEST, GST_STATIC_CAPS(GST_LSFA_DEPTH_CAPS));
static GstStaticPadTemplate src_template =
    GST_STATIC_PAD_TEMPLATE("src", GST_PAD_SRC, GST_PAD_ALWAYS, GST_STATIC_CAPS(GST_LSFA_RGB_CAPS));

// ------------------------------------------------------------------------------------ properties

static void set_value_array_doubles(GValue *value, const double *v, int n) {
  for (int i = 0; i < n; ++i) {
    GValue item = G_VALUE_INIT;
    g_value_init(&item, G_TYPE_DOUBLE);
    g_value_set_double(&item, v[i]);
    gst_value_array_append_value(value, &item);
    g_value_unset(&item);
  }
}

static void set_value_array_ints(GValue *value, const int *v, int n) {
  for (int i = 0; i < n; ++i) {
    GValue item = G_VALUE_INIT;
    g_value_init(&item, G_TYPE_INT);
    g_value_set_int(&item, v[i]);
    gst_value_array_append_value(value, &item);
    g_value_unset(&item);
  }
}

static void gst_lsfa_feature_extractor_set_property(GObject *object, guint prop_id,
                                                    const GValue *value, GParamSpec *pspec) {
  GstLsfaFeatureExtractor *self = GST_LSFA_FEATURE_EXTRACTOR(object);
  Impl *p = self->impl;
  auto str = [value]() {
    const gchar *s = g_value_get_string(value);
    return std::string(s ? s : "");
  };
  GST_OBJECT_LOCK(self);
  switch (prop_id) {
    case PROP_MODEL:
      p->model = str();
      break;
    case PROP_RGB_WEIGHTS:
      p->rgb_weights = str();
      break;
    case PROP_POINT_WEIGHTS:
      p->point_weights = str();
      break;
    case PROP_PRESET:
      p->preset = str();
      break;
    case PROP_MODALITIES:
      p->modalities = str();
      break;
    case PROP_SEED:
      p->seed = g_value_get_uint64(value);
      break;
    case PROP_THREADS:
      p->threads = g_value_get_int(value);
      break;
    case PROP_DEVICE:
      p->device = str();
      break;
    case PROP_DEPTH_SCALE:
      p->depth_scale = g_value_get_double(value);
      break;
    case PROP_INTRINSICS: {
      guint n = gst_value_array_get_size(value);
      if (n == 0) {
        p->has_intrinsics = false;
      } else if (n == 4) {
        double k[4];
        for (guint i = 0; i < 4; ++i)
          k[i] = g_value_get_double(gst_value_array_get_value(value, i));
        p->intrinsics = {k[0], k[1], k[2], k[3]};
        p->has_intrinsics = true;
      } else {
        g_warning("lsfafeatures: intrinsics needs 4 values <fx, fy, cx, cy>, got %u; ignored", n);
      }
      break;
    }
    case PROP_INTRINSICS_SIZE: {
      guint n = gst_value_array_get_size(value);
      if (n == 0) {
        p->intrinsics_width = p->intrinsics_height = 0;
      } else if (n == 2) {
        p->intrinsics_width = g_value_get_int(gst_value_array_get_value(value, 0));
        p->intrinsics_height = g_value_get_int(gst_value_array_get_value(value, 1));
      } else {
        g_warning("lsfafeatures: intrinsics-size needs 2 values <width, height>, got %u; ignored",
                  n);
      }
      break;
    }
    case PROP_PAIR_TOLERANCE:
      p->pair_tolerance = g_value_get_uint64(value);
      break;
    case PROP_QOS:
      p->qos = g_value_get_boolean(value);
      break;
    case PROP_POINT_BATCH_STATS:
      p->point_batch_stats = g_value_get_boolean(value);
      break;
    default:
      G_OBJECT_WARN_INVALID_PROPERTY_ID(object, prop_id, pspec);
      break;
  }
  GST_OBJECT_UNLOCK(self);
  if (prop_id == PROP_PAIR_TOLERANCE) {
    GstClockTime tol = g_value_get_uint64(value);
    gst_aggregator_set_latency(GST_AGGREGATOR(self), tol, tol);
  }
}

static void gst_lsfa_feature_extractor_get_property(GObject *object, guint prop_id, GValue *value,
                                                    GParamSpec *pspec) {
  GstLsfaFeatureExtractor *self = GST_LSFA_FEATURE_EXTRACTOR(object);
  Impl *p = self->impl;
  GST_OBJECT_LOCK(self);
  switch (prop_id) {
    case PROP_MODEL:
      g_value_set_string(value, p->model.empty() ? nullptr : p->model.c_str());
      break;
    case PROP_RGB_WEIGHTS:
      g_value_set_string(value, p->rgb_weights.empty() ? nullptr : p->rgb_weights.c_str());
      break;
    case PROP_POINT_WEIGHTS:
      g_value_set_string(value, p->point_weights.empty() ? nullptr : p->point_weights.c_str());
      break;
    case PROP_PRESET:
      g_value_set_string(value, p->preset.c_str());
      break;
    case PROP_MODALITIES:
      g_value_set_string(value, p->modalities.c_str());
      break;
    case PROP_SEED:
      g_value_set_uint64(value, p->seed);
      break;
    case PROP_THREADS:
      g_value_set_int(value, p->threads);
      break;
    case PROP_DEVICE:
      g_value_set_string(value, p->device.c_str());
      break;
    case PROP_DEPTH_SCALE:
      g_value_set_double(value, p->depth_scale);
      break;
    case PROP_INTRINSICS:
      if (p->has_intrinsics) {
        double k[4] = {p->intrinsics.fx, p->intrinsics.fy, p->intrinsics.cx, p->intrinsics.cy};
        set_value_array_doubles(value, k, 4);
      }
      break;
    case PROP_INTRINSICS_SIZE:
      if (p->intrinsics_width > 0) {
        int s[2] = {p->intrinsics_width, p->intrinsics_height};
        set_value_array_ints(value, s, 2);
      }
      break;
    case PROP_PAIR_TOLERANCE:
      g_value_set_uint64(value, p->pair_tolerance);
      break;
    case PROP_DROPPED_RGB:
      g_value_set_uint64(value, p->dropped_rgb);
      break;
    case PROP_DROPPED_DEPTH:
      g_value_set_uint64(value, p->dropped_depth);
      break;
    case PROP_QOS:
      g_value_set_boolean(value, p->qos);
      break;
    case PROP_POINT_BATCH_STATS:
      g_value_set_boolean(value, p->point_batch_stats);
      break;
    case PROP_DROPPED_LATE:
      g_value_set_uint64(value, p->dropped_late);
      break;
    default:
      G_OBJECT_WARN_INVALID_PROPERTY_ID(object, prop_id, pspec);
      break;
  }
  GST_OBJECT_UNLOCK(self);
}

// ------------------------------------------------------------------------------------ lifecycle

static gboolean gst_lsfa_feature_extractor_start(GstAggregator *agg) {
  GstLsfaFeatureExtractor *self = GST_LSFA_FEATURE_EXTRACTOR(agg);
  Impl *p = self->impl;
  GST_OBJECT_LOCK(self);
  std::string model = p->model;
  lsfa::ExtractorConfig config;
  config.preset = p->preset;
  config.rgb_weights = p->rgb_weights;
  config.point_weights = p->point_weights;
  config.seed = p->seed;
  config.device = p->device;
  config.point_batch_stats = p->point_batch_stats;
  std::string modalities = p->modalities;
  int threads = p->threads;
  p->dropped_rgb = p->dropped_depth = p->dropped_late = 0;
  p->earliest_time = GST_CLOCK_TIME_NONE;
  GstClockTime tol = p->pair_tolerance;
  GST_OBJECT_UNLOCK(self);

  try {
    lsfa::set_threads(threads);
    std::string expected_identity;
    if (!model.empty()) {
      // Backbone sizes, preprocessing and modalities come from the bundle so the features match
      // its memory bank; checkpoint paths stay properties (the bundle stores their identity).
      lsfa::Scorer scorer(model);
      lsfa::ExtractorConfig from_bundle = scorer.extractor_config();
      from_bundle.rgb_weights = config.rgb_weights;
      from_bundle.point_weights = config.point_weights;
      from_bundle.device = config.device;
      config = from_bundle;
      expected_identity = scorer.extractor_identity();
    } else {
      config.modalities = lsfa::modalities_from_string(modalities);
    }
    p->extractor = std::make_unique<lsfa::FeatureExtractor>(config);
    p->identity = p->extractor->identity();
    p->modalities_text = lsfa::to_string(config.modalities);
    if (!expected_identity.empty() && expected_identity != p->identity) {
      throw lsfa::Error("the backbones do not match the model bundle '" + model +
                        "': bundle was built with '" + expected_identity + "', this element has '" +
                        p->identity +
                        "' (set rgb-weights / point-weights to the same checkpoints)");
    }
  } catch (const std::exception &e) {
    p->extractor.reset();
    GST_ELEMENT_ERROR(self, RESOURCE, SETTINGS, ("Cannot set up the LSFA feature extractor"),
                      ("%s", e.what()));
    return FALSE;
  }
  GST_INFO_OBJECT(self, "feature extractor ready: %s", p->identity.c_str());
  gst_aggregator_set_latency(agg, tol, tol);
  return TRUE;
}

static gboolean gst_lsfa_feature_extractor_stop(GstAggregator *agg) {
  GstLsfaFeatureExtractor *self = GST_LSFA_FEATURE_EXTRACTOR(agg);
  Impl *p = self->impl;
  p->extractor.reset();
  p->have_rgb_caps = p->have_depth_caps = p->rgbd_mode = false;
  p->caps_calibration = {};
  p->logged_rescale = false;
  gst_clear_caps(&p->pending_src_caps);
  return TRUE;
}

// ------------------------------------------------------------------------------------ pads

static GstAggregatorPad *gst_lsfa_feature_extractor_create_new_pad(GstAggregator *agg,
                                                                   GstPadTemplate *templ,
                                                                   const gchar *req_name,
                                                                   const GstCaps *caps) {
  GstLsfaFeatureExtractor *self = GST_LSFA_FEATURE_EXTRACTOR(agg);
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

static void gst_lsfa_feature_extractor_release_pad(GstElement *element, GstPad *pad) {
  GstLsfaFeatureExtractor *self = GST_LSFA_FEATURE_EXTRACTOR(element);
  GST_OBJECT_LOCK(self);
  if (GST_PAD(self->depth_pad) == pad) self->depth_pad = nullptr;
  GST_OBJECT_UNLOCK(self);
  GST_ELEMENT_CLASS(gst_lsfa_feature_extractor_parent_class)->release_pad(element, pad);
}

// Caps the rgb pad can take: what downstream takes, with or without the meta:LsfaRgbd feature.
static GstCaps *rgb_pad_caps(GstLsfaFeatureExtractor *self, GstCaps *filter) {
  GstCaps *templ = gst_pad_get_pad_template_caps(GST_PAD(self->rgb_pad));
  GstCaps *peer = gst_pad_peer_query_caps(GST_AGGREGATOR_SRC_PAD(self), nullptr);
  GstCaps *result;
  if (gst_caps_is_any(peer)) {
    result = gst_caps_ref(templ);
  } else {
    GstCaps *both = gst_caps_copy(peer);
    GstCaps *with_meta = gst_caps_copy(peer);
    for (guint i = 0; i < gst_caps_get_size(with_meta); ++i)
      gst_caps_set_features(with_meta, i,
                            gst_caps_features_new(GST_LSFA_CAPS_FEATURE_META_RGBD, nullptr));
    both = gst_caps_merge(both, with_meta);
    result = gst_caps_intersect(templ, both);
    gst_caps_unref(both);
  }
  gst_caps_unref(peer);
  gst_caps_unref(templ);
  if (filter) {
    GstCaps *f = gst_caps_intersect_full(filter, result, GST_CAPS_INTERSECT_FIRST);
    gst_caps_unref(result);
    result = f;
  }
  return result;
}

static gboolean gst_lsfa_feature_extractor_sink_query(GstAggregator *agg, GstAggregatorPad *pad,
                                                      GstQuery *query) {
  GstLsfaFeatureExtractor *self = GST_LSFA_FEATURE_EXTRACTOR(agg);
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
      return GST_AGGREGATOR_CLASS(gst_lsfa_feature_extractor_parent_class)
          ->sink_query(agg, pad, query);
  }
}

static gboolean handle_rgb_caps(GstLsfaFeatureExtractor *self, GstCaps *caps) {
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
  return TRUE;
}

static gboolean handle_depth_caps(GstLsfaFeatureExtractor *self, GstCaps *caps) {
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

static gboolean gst_lsfa_feature_extractor_sink_event(GstAggregator *agg, GstAggregatorPad *pad,
                                                      GstEvent *event) {
  GstLsfaFeatureExtractor *self = GST_LSFA_FEATURE_EXTRACTOR(agg);
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
  }
  gboolean is_rgb_segment = GST_EVENT_TYPE(event) == GST_EVENT_SEGMENT && pad == self->rgb_pad;
  gboolean ret =
      GST_AGGREGATOR_CLASS(gst_lsfa_feature_extractor_parent_class)->sink_event(agg, pad, event);
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

// Calibration of the depth stream: caps fields first, properties as fallback; intrinsics rescaled
// when they were calibrated for another image size (a scaler upstream).
static void depth_calibration(GstLsfaFeatureExtractor *self, int width, int height, double *scale,
                              GstLsfaIntrinsics *k) {
  Impl *p = self->impl;
  const GstLsfaDepthCalibration &cal = p->caps_calibration;
  GST_OBJECT_LOCK(self);
  double prop_scale = p->depth_scale;
  bool prop_has_k = p->has_intrinsics;
  GstLsfaIntrinsics prop_k = p->intrinsics;
  int prop_w = p->intrinsics_width, prop_h = p->intrinsics_height;
  GST_OBJECT_UNLOCK(self);

  if (cal.flags & GST_LSFA_CALIBRATION_HAS_DEPTH_SCALE)
    *scale = cal.depth_scale;
  else if (prop_scale > 0)
    *scale = prop_scale;
  else
    throw lsfa::Error(
        "no depth scale: the depth caps have no depth-scale field and the depth-scale property is "
        "not set");

  int kw = width, kh = height;
  if (cal.flags & GST_LSFA_CALIBRATION_HAS_INTRINSICS) {
    *k = cal.intrinsics;
    if (cal.flags & GST_LSFA_CALIBRATION_HAS_INTRINSICS_SIZE) {
      kw = cal.intrinsics_width;
      kh = cal.intrinsics_height;
    } else if (prop_w > 0) {
      kw = prop_w;
      kh = prop_h;
    }
  } else if (prop_has_k) {
    *k = prop_k;
    if (prop_w > 0) {
      kw = prop_w;
      kh = prop_h;
    }
  } else {
    throw lsfa::Error(
        "no intrinsics: the depth caps have no intrinsics field and the intrinsics property is not "
        "set");
  }
  if (kw != width || kh != height) {
    if (!p->logged_rescale) {
      GST_INFO_OBJECT(self, "intrinsics are for %dx%d, depth is %dx%d: rescaling them", kw, kh,
                      width, height);
      p->logged_rescale = true;
    }
    *k = gst_lsfa_intrinsics_rescale(k, kw, kh, width, height);
  }
}

// Builds the sample of one frame. `depth` is null in RGB-D meta mode.
static lsfa::Sample make_sample(GstLsfaFeatureExtractor *self, GstBuffer *rgb, GstBuffer *depth) {
  Impl *p = self->impl;
  lsfa::Sample sample;
  GstVideoFrame frame;
  lsfa::require(gst_video_frame_map(&frame, &p->rgb_info, rgb, GST_MAP_READ),
                "cannot map the rgb frame");
  sample.rgb = lsfa_gst::rgb_from_frame(&frame);
  gst_video_frame_unmap(&frame);
  const int w = sample.rgb.cols, h = sample.rgb.rows;

  if (depth == nullptr) {
    const GstLsfaRgbdMeta *meta = gst_buffer_get_lsfa_rgbd_meta(rgb);
    lsfa::require(meta != nullptr,
                  "rgb buffer without GstLsfaRgbdMeta although the caps announce meta:LsfaRgbd");
    sample.xyz = lsfa_gst::cloud_from_rgbd_meta(meta, w, h);
    sample.gt = lsfa_gst::mask_from_rgbd_meta(meta, w, h);
  } else {
    lsfa::require(p->have_depth_caps, "depth buffer before depth caps");
    const int dw = GST_VIDEO_INFO_WIDTH(&p->depth_info), dh = GST_VIDEO_INFO_HEIGHT(&p->depth_info);
    if (dw != w || dh != h)
      throw lsfa::Error("rgb is " + std::to_string(w) + "x" + std::to_string(h) + " but depth is " +
                        std::to_string(dw) + "x" + std::to_string(dh) +
                        ": registered depth of the same size is required");
    double scale;
    GstLsfaIntrinsics k;
    depth_calibration(self, dw, dh, &scale, &k);
    lsfa::require(gst_video_frame_map(&frame, &p->depth_info, depth, GST_MAP_READ),
                  "cannot map the depth frame");
    cv::Mat d = lsfa_gst::depth_from_frame(&frame);
    gst_video_frame_unmap(&frame);
    sample.xyz = lsfa_gst::cloud_from_depth(d, scale, k);
  }
  return sample;
}

// QoS: a frame whose running time is before the earliest time downstream can still use is dropped
// before the backbones run (the expensive part).
static bool is_late(GstLsfaFeatureExtractor *self, GstBuffer *rgb) {
  Impl *p = self->impl;
  GstAggregatorPad *pad = self->rgb_pad;
  GST_OBJECT_LOCK(self);
  const bool qos = p->qos;
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
  const guint64 dropped = ++p->dropped_late;
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

static gboolean gst_lsfa_feature_extractor_src_event(GstAggregator *agg, GstEvent *event) {
  GstLsfaFeatureExtractor *self = GST_LSFA_FEATURE_EXTRACTOR(agg);
  if (GST_EVENT_TYPE(event) == GST_EVENT_QOS) {
    GstQOSType type;
    gdouble proportion;
    GstClockTimeDiff diff;
    GstClockTime timestamp;
    gst_event_parse_qos(event, &type, &proportion, &diff, &timestamp);
    GST_OBJECT_LOCK(self);
    if (GST_CLOCK_TIME_IS_VALID(timestamp)) {
      // Late by diff > 0: expect to stay that late for one more frame (as GstVideoDecoder does).
      self->impl->earliest_time =
          diff > 0
              ? timestamp + 2 * diff
              : (diff < 0 && timestamp < static_cast<GstClockTime>(-diff) ? 0 : timestamp + diff);
    }
    GST_OBJECT_UNLOCK(self);
  }
  return GST_AGGREGATOR_CLASS(gst_lsfa_feature_extractor_parent_class)->src_event(agg, event);
}

// The output caps are the rgb caps (set in process() when they arrive). Without this the base
// class fixates the src template when it first negotiates (before any rgb caps) and sends 1x1,
// 0/1 fps caps downstream ahead of the real ones, which e.g. makes vp8enc output nothing.
static GstFlowReturn gst_lsfa_feature_extractor_update_src_caps(GstAggregator *agg, GstCaps *,
                                                                GstCaps **ret) {
  Impl *p = GST_LSFA_FEATURE_EXTRACTOR(agg)->impl;
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

static GstFlowReturn process(GstLsfaFeatureExtractor *self, GstBuffer *rgb, GstBuffer *depth) {
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
    lsfa::SampleFeatures features = p->extractor->extract(sample);
    rgb = gst_buffer_make_writable(rgb);
    if (lsfa_gst::attach_features(rgb, std::move(features), p->identity, p->modalities_text,
                                  p->extractor->config()) == nullptr)
      throw lsfa::Error("cannot attach the features meta");
  } catch (const std::exception &e) {
    GST_ELEMENT_ERROR(self, STREAM, FAILED, ("LSFA feature extraction failed"), ("%s", e.what()));
    gst_buffer_unref(rgb);
    return GST_FLOW_ERROR;
  }
  return gst_aggregator_finish_buffer(agg, rgb);
}

static lsfa_gst::PadHead head_of(GstAggregatorPad *pad, GstBuffer *buffer) {
  lsfa_gst::PadHead h;
  h.eos = gst_aggregator_pad_is_eos(pad);
  h.has_buffer = buffer != nullptr;
  if (buffer != nullptr && GST_BUFFER_PTS_IS_VALID(buffer)) {
    GST_OBJECT_LOCK(pad);
    h.running_time =
        gst_segment_to_running_time(&pad->segment, GST_FORMAT_TIME, GST_BUFFER_PTS(buffer));
    GST_OBJECT_UNLOCK(pad);
  }
  return h;
}

static GstFlowReturn gst_lsfa_feature_extractor_aggregate_unguarded(GstAggregator *agg,
                                                                    gboolean timeout) {
  GstLsfaFeatureExtractor *self = GST_LSFA_FEATURE_EXTRACTOR(agg);
  Impl *p = self->impl;
  GST_OBJECT_LOCK(self);
  GstAggregatorPad *depth_pad =
      self->depth_pad ? GST_AGGREGATOR_PAD(gst_object_ref(self->depth_pad)) : nullptr;
  GstClockTime tolerance = p->pair_tolerance;
  GST_OBJECT_UNLOCK(self);

  if (depth_pad == nullptr) {  // RGB-D meta mode
    GstBuffer *rgb = gst_aggregator_pad_pop_buffer(self->rgb_pad);
    if (rgb == nullptr)
      return gst_aggregator_pad_is_eos(self->rgb_pad) ? GST_FLOW_EOS : GST_FLOW_OK;
    return process(self, rgb, nullptr);
  }

  GstBuffer *rgb = gst_aggregator_pad_peek_buffer(self->rgb_pad);
  GstBuffer *depth = gst_aggregator_pad_peek_buffer(depth_pad);
  lsfa_gst::PadHead rh = head_of(self->rgb_pad, rgb), dh = head_of(depth_pad, depth);
  lsfa_gst::PairAction action = lsfa_gst::decide_pair(rh, dh, tolerance);
  GST_LOG_OBJECT(self, "rgb %" GST_TIME_FORMAT " depth %" GST_TIME_FORMAT " timeout %d -> %s",
                 GST_TIME_ARGS(rh.running_time), GST_TIME_ARGS(dh.running_time), timeout,
                 lsfa_gst::pair_action_name(action));
  if (rgb) gst_buffer_unref(rgb);
  if (depth) gst_buffer_unref(depth);

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
      p->dropped_rgb++;
      GST_OBJECT_UNLOCK(self);
      break;
    case lsfa_gst::PairAction::kDropDepth:
      GST_INFO_OBJECT(self, "dropping unmatched depth frame at %" GST_TIME_FORMAT,
                      GST_TIME_ARGS(dh.running_time));
      gst_aggregator_pad_drop_buffer(depth_pad);
      GST_OBJECT_LOCK(self);
      p->dropped_depth++;
      GST_OBJECT_UNLOCK(self);
      break;
    case lsfa_gst::PairAction::kWait:
      break;
    case lsfa_gst::PairAction::kEos:
      ret = GST_FLOW_EOS;
      break;
  }
  gst_object_unref(depth_pad);
  return ret;
}

// ------------------------------------------------------------------------------------ class

// The vfunc boundary: no C++ exception may cross into GStreamer.
static GstFlowReturn gst_lsfa_feature_extractor_aggregate(GstAggregator *agg, gboolean timeout) {
  try {
    return gst_lsfa_feature_extractor_aggregate_unguarded(agg, timeout);
  } catch (const std::exception &e) {
    GST_ELEMENT_ERROR(agg, STREAM, FAILED, ("LSFA feature extraction failed"), ("%s", e.what()));
    return GST_FLOW_ERROR;
  }
}

static void gst_lsfa_feature_extractor_finalize(GObject *object) {
  GstLsfaFeatureExtractor *self = GST_LSFA_FEATURE_EXTRACTOR(object);
  gst_clear_caps(&self->impl->pending_src_caps);
  delete self->impl;
  self->impl = nullptr;
  G_OBJECT_CLASS(gst_lsfa_feature_extractor_parent_class)->finalize(object);
}

static void gst_lsfa_feature_extractor_class_init(GstLsfaFeatureExtractorClass *klass) {
  GObjectClass *gobject_class = G_OBJECT_CLASS(klass);
  GstElementClass *element_class = GST_ELEMENT_CLASS(klass);
  GstAggregatorClass *agg_class = GST_AGGREGATOR_CLASS(klass);

  gobject_class->set_property = gst_lsfa_feature_extractor_set_property;
  gobject_class->get_property = gst_lsfa_feature_extractor_get_property;
  gobject_class->finalize = gst_lsfa_feature_extractor_finalize;

  const auto ready = static_cast<GParamFlags>(G_PARAM_READWRITE | G_PARAM_STATIC_STRINGS |
                                              GST_PARAM_MUTABLE_READY);
  const auto playing = static_cast<GParamFlags>(G_PARAM_READWRITE | G_PARAM_STATIC_STRINGS |
                                                GST_PARAM_MUTABLE_PLAYING);
  const auto readonly = static_cast<GParamFlags>(G_PARAM_READABLE | G_PARAM_STATIC_STRINGS);
  const auto element_flags = static_cast<GParamFlags>(G_PARAM_READWRITE | G_PARAM_STATIC_STRINGS);

  g_object_class_install_property(
      gobject_class, PROP_MODEL,
      g_param_spec_string(
          "model", "Model bundle",
          "Optional model bundle: backbone preset, preprocessing and modalities are "
          "taken from it (overriding preset, modalities, seed, point-batch-stats) so the features "
          "match its memory bank; the checkpoint identities are checked",
          nullptr, ready));
  g_object_class_install_property(
      gobject_class, PROP_RGB_WEIGHTS,
      g_param_spec_string("rgb-weights", "RGB weights",
                          "DINO ViT checkpoint (.pth or .safetensors); empty = random "
                          "initialisation from seed",
                          nullptr, ready));
  g_object_class_install_property(
      gobject_class, PROP_POINT_WEIGHTS,
      g_param_spec_string("point-weights", "Point weights",
                          "Point-MAE checkpoint (.pth); empty = random initialisation from seed",
                          nullptr, ready));
  g_object_class_install_property(
      gobject_class, PROP_PRESET,
      g_param_spec_string("preset", "Preset", "Backbone size preset (ignored when model is set)",
                          DEFAULT_PRESET, ready));
  g_object_class_install_property(
      gobject_class, PROP_MODALITIES,
      g_param_spec_string("modalities", "Modalities",
                          "Modalities to extract: \"rgb,3d\", \"rgb\" or \"3d\" (ignored when "
                          "model is set)",
                          DEFAULT_MODALITIES, ready));
  g_object_class_install_property(
      gobject_class, PROP_SEED,
      g_param_spec_uint64("seed", "Seed",
                          "Seed of the random initialisation of backbones without checkpoint", 0,
                          G_MAXUINT64, DEFAULT_SEED, ready));
  g_object_class_install_property(
      gobject_class, PROP_THREADS,
      g_param_spec_int("threads", "Threads",
                       "LibTorch intra-op threads (process-wide; 0 = all cores)", 0, 1024,
                       DEFAULT_THREADS, ready));
  g_object_class_install_property(
      gobject_class, PROP_DEVICE,
      g_param_spec_string("device", "Device", "Compute device, e.g. \"cpu\" or \"cuda:0\"",
                          DEFAULT_DEVICE, ready));
  g_object_class_install_property(
      gobject_class, PROP_DEPTH_SCALE,
      g_param_spec_double("depth-scale", "Depth scale",
                          "Metres per depth unit, used when the depth caps have no depth-scale "
                          "field (0 = unset)",
                          0.0, G_MAXDOUBLE, DEFAULT_DEPTH_SCALE, playing));
  g_object_class_install_property(
      gobject_class, PROP_INTRINSICS,
      gst_param_spec_array(
          "intrinsics", "Intrinsics",
          "Depth camera intrinsics <fx, fy, cx, cy> in pixels, used when the depth "
          "caps have no intrinsics field (empty = unset)",
          g_param_spec_double("value", "Value", "One intrinsic parameter", -G_MAXDOUBLE,
                              G_MAXDOUBLE, 0.0, element_flags),
          playing));
  g_object_class_install_property(
      gobject_class, PROP_INTRINSICS_SIZE,
      gst_param_spec_array(
          "intrinsics-size", "Intrinsics size",
          "Image size <width, height> the intrinsics were calibrated for; when it "
          "differs from the depth size the intrinsics are rescaled (empty = the "
          "depth size)",
          g_param_spec_int("value", "Value", "Width or height", 1, G_MAXINT, 1, element_flags),
          playing));
  g_object_class_install_property(
      gobject_class, PROP_PAIR_TOLERANCE,
      g_param_spec_uint64("pair-tolerance", "Pair tolerance",
                          "Largest running-time difference (ns) of an rgb and a depth frame that "
                          "belong together; also the latency the element adds",
                          0, G_MAXUINT64, DEFAULT_PAIR_TOLERANCE, playing));
  g_object_class_install_property(
      gobject_class, PROP_DROPPED_RGB,
      g_param_spec_uint64("dropped-rgb", "Dropped rgb",
                          "Rgb frames dropped because no depth frame matched them", 0, G_MAXUINT64,
                          0, readonly));
  g_object_class_install_property(
      gobject_class, PROP_DROPPED_DEPTH,
      g_param_spec_uint64("dropped-depth", "Dropped depth",
                          "Depth frames dropped because no rgb frame matched them", 0, G_MAXUINT64,
                          0, readonly));
  g_object_class_install_property(
      gobject_class, PROP_POINT_BATCH_STATS,
      g_param_spec_boolean("point-batch-stats", "Point batch statistics",
                           "Point-MAE BatchNorm with per-sample batch statistics, as the reference "
                           "code does (ignored when model is set)",
                           FALSE, ready));
  g_object_class_install_property(
      gobject_class, PROP_QOS,
      g_param_spec_boolean("qos", "QoS",
                           "Drop frames before feature extraction when downstream reports they "
                           "would be late (QoS events)",
                           DEFAULT_QOS, playing));
  g_object_class_install_property(
      gobject_class, PROP_DROPPED_LATE,
      g_param_spec_uint64("dropped-late", "Dropped late",
                          "Frames dropped before extraction because of QoS", 0, G_MAXUINT64, 0,
                          readonly));

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
      "gst-lsfa developers");

  element_class->release_pad = GST_DEBUG_FUNCPTR(gst_lsfa_feature_extractor_release_pad);
  agg_class->start = GST_DEBUG_FUNCPTR(gst_lsfa_feature_extractor_start);
  agg_class->stop = GST_DEBUG_FUNCPTR(gst_lsfa_feature_extractor_stop);
  agg_class->aggregate = GST_DEBUG_FUNCPTR(gst_lsfa_feature_extractor_aggregate);
  agg_class->create_new_pad = GST_DEBUG_FUNCPTR(gst_lsfa_feature_extractor_create_new_pad);
  agg_class->sink_event = GST_DEBUG_FUNCPTR(gst_lsfa_feature_extractor_sink_event);
  agg_class->sink_query = GST_DEBUG_FUNCPTR(gst_lsfa_feature_extractor_sink_query);
  agg_class->src_event = GST_DEBUG_FUNCPTR(gst_lsfa_feature_extractor_src_event);
  agg_class->update_src_caps = GST_DEBUG_FUNCPTR(gst_lsfa_feature_extractor_update_src_caps);

  GST_DEBUG_CATEGORY_INIT(gst_lsfa_feature_extractor_debug, "lsfafeatures", 0,
                          "LSFA feature extractor");
}

static void gst_lsfa_feature_extractor_init(GstLsfaFeatureExtractor *self) {
  self->impl = new Impl();
  self->depth_pad = nullptr;
  GstPadTemplate *templ = gst_element_class_get_pad_template(GST_ELEMENT_GET_CLASS(self), "rgb");
  self->rgb_pad =
      GST_AGGREGATOR_PAD(g_object_new(GST_TYPE_AGGREGATOR_PAD, "name", "rgb", "direction",
                                      GST_PAD_SINK, "template", templ, nullptr));
  gst_element_add_pad(GST_ELEMENT(self), GST_PAD(self->rgb_pad));
  gst_aggregator_set_latency(GST_AGGREGATOR(self), DEFAULT_PAIR_TOLERANCE, DEFAULT_PAIR_TOLERANCE);
}
