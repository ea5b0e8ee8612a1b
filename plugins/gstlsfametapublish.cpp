/**
 * SECTION:element-lsfametapublish
 * @title: lsfametapublish
 * @see_also: lsfascore, lsfarecorder
 *
 * lsfametapublish writes one JSON object per line for every frame that carries a
 * #GstLsfaAnomalyMeta (put it after lsfascore or lsfaoverlay): the frame number, PTS, running time,
 * stream time, duration and wall clock; the image score, per-modality scores, threshold and
 * verdict; the alarm state from lsfascore's #GstLsfaAlarmMeta; with #GstLsfaMetaPublish:map-stats
 * the maximum, mean and area above the pixel threshold of the anomaly map over the frame's pixels;
 * with #GstLsfaMetaPublish:top-k the largest regions above the pixel threshold (bounding box in
 * frame pixels, area, peak). Frames pass unchanged. The line format is in docs/publish.md.
 *
 * Targets (#GstLsfaMetaPublish:target): `file` appends to #GstLsfaMetaPublish:location, one
 * write per line, nothing buffered in the process; `stdout`; `udp` sends one datagram per line to
 * #GstLsfaMetaPublish:host : #GstLsfaMetaPublish:port; `tcp` connects to host:port and sends the
 * lines over the connection.
 *
 * Failures: a file or stdout that cannot be written, an unknown host or a missing port are errors
 * (GST_ELEMENT_ERROR). A UDP send that fails drops the line with a warning. A TCP connection that
 * cannot be made or is lost drops the lines with a warning (GST_ELEMENT_WARNING, once per cause)
 * and is retried every #GstLsfaMetaPublish:reconnect-interval seconds; with reconnect-interval=0 it
 * is an error instead. No connect or send blocks longer than #GstLsfaMetaPublish:timeout.
 *
 * ## Example launch lines
 * |[
 * gst-launch-1.0 lsfasrc location=data category=ring ! lsfafeatures model=ring.lsfa ! \
 *     lsfascore model=ring.lsfa ! lsfametapublish location=results.jsonl map-stats=true top-k=3 ! \
 *     fakesink
 * ]| Appends one line per frame to results.jsonl, with map statistics and up to three regions.
 * |[
 * gst-launch-1.0 lsfasrc location=data category=ring ! lsfafeatures model=ring.lsfa ! \
 *     lsfascore model=ring.lsfa ! lsfametapublish target=tcp host=127.0.0.1 port=5555 ! fakesink
 * ]| Sends the lines to a TCP listener (e.g. an MES gateway) on port 5555.
 */
#include "gstlsfametapublish.h"

#include <gst/lsfa/lsfa.h>
#include <gst/video/video.h>

#include <exception>
#include <memory>
#include <string>

#include "lsfa_publish_target.h"
#include "lsfa_result_json.h"

GST_DEBUG_CATEGORY_STATIC(gst_lsfa_meta_publish_debug);
#define GST_CAT_DEFAULT gst_lsfa_meta_publish_debug

enum {
  PROP_0,
  PROP_TARGET,
  PROP_LOCATION,
  PROP_HOST,
  PROP_PORT,
  PROP_TIMEOUT,
  PROP_RECONNECT_INTERVAL,
  PROP_MAP_STATS,
  PROP_TOP_K,
  PROP_MIN_REGION_AREA,
};

namespace {

struct Settings {
  GstLsfaPublishTarget target = GST_LSFA_PUBLISH_TARGET_FILE;
  std::string location;
  std::string host = "127.0.0.1";
  guint port = 0;
  guint timeout = 2;
  gdouble reconnect_interval = 1.0;
  lsfa_gst::ResultJsonOptions json;
};

struct Impl {
  Settings settings;  // properties (object lock)
  // Streaming state.
  std::unique_ptr<lsfa_gst::PublishTarget> out;
  lsfa_gst::ResultJsonOptions json;
  guint64 frames = 0;
  guint64 dropped = 0;
  int width = 0, height = 0;  // frame size from the caps (0: not video caps)
};

}  // namespace

struct _GstLsfaMetaPublish {
  GstBaseTransform parent;
  Impl *impl;
};

G_DEFINE_TYPE(GstLsfaMetaPublish, gst_lsfa_meta_publish, GST_TYPE_BASE_TRANSFORM);
GST_ELEMENT_REGISTER_DEFINE(lsfametapublish, "lsfametapublish", GST_RANK_NONE,
                            GST_TYPE_LSFA_META_PUBLISH);

GType gst_lsfa_publish_target_get_type(void) {
  static GType type = 0;
  static const GEnumValue values[] = {
      {GST_LSFA_PUBLISH_TARGET_FILE, "Append to the file named by location", "file"},
      {GST_LSFA_PUBLISH_TARGET_STDOUT, "Standard output", "stdout"},
      {GST_LSFA_PUBLISH_TARGET_UDP, "One UDP datagram per line to host:port", "udp"},
      {GST_LSFA_PUBLISH_TARGET_TCP, "A TCP connection to host:port (reconnected)", "tcp"},
      {0, nullptr, nullptr}};
  if (g_once_init_enter(&type))
    g_once_init_leave(&type, g_enum_register_static("GstLsfaPublishTarget", values));
  return type;
}

static GstStaticPadTemplate sink_template =
    GST_STATIC_PAD_TEMPLATE("sink", GST_PAD_SINK, GST_PAD_ALWAYS, GST_STATIC_CAPS_ANY);
static GstStaticPadTemplate src_template =
    GST_STATIC_PAD_TEMPLATE("src", GST_PAD_SRC, GST_PAD_ALWAYS, GST_STATIC_CAPS_ANY);

static void gst_lsfa_meta_publish_set_property(GObject *object, guint prop_id, const GValue *value,
                                               GParamSpec *pspec) {
  GstLsfaMetaPublish *self = GST_LSFA_META_PUBLISH(object);
  Settings &s = self->impl->settings;
  GST_OBJECT_LOCK(self);
  switch (prop_id) {
    case PROP_TARGET:
      s.target = static_cast<GstLsfaPublishTarget>(g_value_get_enum(value));
      break;
    case PROP_LOCATION:
      s.location = g_value_get_string(value) ? g_value_get_string(value) : "";
      break;
    case PROP_HOST:
      s.host = g_value_get_string(value) ? g_value_get_string(value) : "";
      break;
    case PROP_PORT:
      s.port = g_value_get_uint(value);
      break;
    case PROP_TIMEOUT:
      s.timeout = g_value_get_uint(value);
      break;
    case PROP_RECONNECT_INTERVAL:
      s.reconnect_interval = g_value_get_double(value);
      break;
    case PROP_MAP_STATS:
      s.json.map_stats = g_value_get_boolean(value);
      break;
    case PROP_TOP_K:
      s.json.top_k = g_value_get_uint(value);
      break;
    case PROP_MIN_REGION_AREA:
      s.json.min_region_area = g_value_get_uint(value);
      break;
    default:
      G_OBJECT_WARN_INVALID_PROPERTY_ID(object, prop_id, pspec);
      break;
  }
  GST_OBJECT_UNLOCK(self);
}

static void gst_lsfa_meta_publish_get_property(GObject *object, guint prop_id, GValue *value,
                                               GParamSpec *pspec) {
  GstLsfaMetaPublish *self = GST_LSFA_META_PUBLISH(object);
  const Settings &s = self->impl->settings;
  GST_OBJECT_LOCK(self);
  switch (prop_id) {
    case PROP_TARGET:
      g_value_set_enum(value, s.target);
      break;
    case PROP_LOCATION:
      g_value_set_string(value, s.location.empty() ? nullptr : s.location.c_str());
      break;
    case PROP_HOST:
      g_value_set_string(value, s.host.c_str());
      break;
    case PROP_PORT:
      g_value_set_uint(value, s.port);
      break;
    case PROP_TIMEOUT:
      g_value_set_uint(value, s.timeout);
      break;
    case PROP_RECONNECT_INTERVAL:
      g_value_set_double(value, s.reconnect_interval);
      break;
    case PROP_MAP_STATS:
      g_value_set_boolean(value, s.json.map_stats);
      break;
    case PROP_TOP_K:
      g_value_set_uint(value, s.json.top_k);
      break;
    case PROP_MIN_REGION_AREA:
      g_value_set_uint(value, s.json.min_region_area);
      break;
    default:
      G_OBJECT_WARN_INVALID_PROPERTY_ID(object, prop_id, pspec);
      break;
  }
  GST_OBJECT_UNLOCK(self);
}

static gboolean gst_lsfa_meta_publish_start(GstBaseTransform *trans) {
  GstLsfaMetaPublish *self = GST_LSFA_META_PUBLISH(trans);
  Impl *p = self->impl;
  GST_OBJECT_LOCK(self);
  const Settings s = p->settings;
  GST_OBJECT_UNLOCK(self);
  lsfa_gst::TargetConfig config;
  config.kind = static_cast<lsfa_gst::TargetKind>(s.target);
  config.location = s.location;
  config.host = s.host;
  config.port = s.port;
  config.timeout_s = s.timeout;
  config.reconnect_interval_s = s.reconnect_interval;
  std::string error, warning;
  p->out = lsfa_gst::open_publish_target(config, &error, &warning);
  if (!p->out) {
    GST_ELEMENT_ERROR(self, RESOURCE, OPEN_WRITE, ("Cannot open the results target"),
                      ("%s", error.c_str()));
    return FALSE;
  }
  if (!warning.empty())
    GST_ELEMENT_WARNING(self, RESOURCE, OPEN_WRITE, ("Results target not reachable yet"),
                        ("%s", warning.c_str()));
  p->json = s.json;
  p->frames = 0;
  p->dropped = 0;
  p->width = p->height = 0;
  return TRUE;
}

static gboolean gst_lsfa_meta_publish_stop(GstBaseTransform *trans) {
  Impl *p = GST_LSFA_META_PUBLISH(trans)->impl;
  if (p->dropped > 0)
    GST_INFO_OBJECT(trans, "%" G_GUINT64_FORMAT " line(s) were not delivered", p->dropped);
  p->out.reset();
  return TRUE;
}

static gboolean gst_lsfa_meta_publish_set_caps(GstBaseTransform *trans, GstCaps *incaps,
                                               GstCaps *outcaps) {
  Impl *p = GST_LSFA_META_PUBLISH(trans)->impl;
  (void)outcaps;
  GstVideoInfo info;
  // Any caps pass; video caps give the frame size the regions are measured in.
  if (gst_caps_is_fixed(incaps) &&
      gst_structure_has_name(gst_caps_get_structure(incaps, 0), "video/x-raw") &&
      gst_video_info_from_caps(&info, incaps)) {
    p->width = GST_VIDEO_INFO_WIDTH(&info);
    p->height = GST_VIDEO_INFO_HEIGHT(&info);
  } else {
    p->width = p->height = 0;
  }
  return TRUE;
}

static GstFlowReturn gst_lsfa_meta_publish_transform_ip_unguarded(GstBaseTransform *trans,
                                                                  GstBuffer *buffer) {
  GstLsfaMetaPublish *self = GST_LSFA_META_PUBLISH(trans);
  Impl *p = self->impl;
  lsfa_gst::FrameTimes t;
  t.frame = p->frames++;
  const GstLsfaAnomalyMeta *meta = gst_buffer_get_lsfa_anomaly_meta(buffer);
  if (meta == nullptr) {
    GST_LOG_OBJECT(self, "frame %" G_GUINT64_FORMAT " has no anomaly meta: no line", t.frame);
    return GST_FLOW_OK;
  }
  t.wall_clock_us = g_get_real_time();
  t.pts = GST_BUFFER_PTS(buffer);
  t.duration = GST_BUFFER_DURATION(buffer);
  if (GST_CLOCK_TIME_IS_VALID(t.pts) && trans->segment.format == GST_FORMAT_TIME) {
    t.running_time = gst_segment_to_running_time(&trans->segment, GST_FORMAT_TIME, t.pts);
    t.stream_time = gst_segment_to_stream_time(&trans->segment, GST_FORMAT_TIME, t.pts);
  }
  const std::string line = lsfa_gst::result_json(meta, gst_buffer_get_lsfa_alarm_meta(buffer), t,
                                                 p->json, p->width, p->height)
                               .dump();
  std::string message;
  switch (p->out->write(line, &message)) {
    case lsfa_gst::PublishTarget::Status::kOk:
      break;
    case lsfa_gst::PublishTarget::Status::kDropped:
      ++p->dropped;
      if (!message.empty())
        GST_ELEMENT_WARNING(self, RESOURCE, WRITE, ("Results not delivered"),
                            ("%s", message.c_str()));
      break;
    case lsfa_gst::PublishTarget::Status::kFailed:
      GST_ELEMENT_ERROR(self, RESOURCE, WRITE, ("Cannot write the results"),
                        ("%s", message.c_str()));
      return GST_FLOW_ERROR;
  }
  return GST_FLOW_OK;
}

// The vfunc boundary: no C++ exception may cross into GStreamer.
static GstFlowReturn gst_lsfa_meta_publish_transform_ip(GstBaseTransform *trans,
                                                        GstBuffer *buffer) {
  try {
    return gst_lsfa_meta_publish_transform_ip_unguarded(trans, buffer);
  } catch (const std::exception &e) {
    GST_ELEMENT_ERROR(trans, STREAM, FAILED, ("Cannot publish the anomaly result"),
                      ("%s", e.what()));
    return GST_FLOW_ERROR;
  }
}

static void gst_lsfa_meta_publish_finalize(GObject *object) {
  GstLsfaMetaPublish *self = GST_LSFA_META_PUBLISH(object);
  delete self->impl;
  self->impl = nullptr;
  G_OBJECT_CLASS(gst_lsfa_meta_publish_parent_class)->finalize(object);
}

static void gst_lsfa_meta_publish_class_init(GstLsfaMetaPublishClass *klass) {
  GObjectClass *gobject_class = G_OBJECT_CLASS(klass);
  GstElementClass *element_class = GST_ELEMENT_CLASS(klass);
  GstBaseTransformClass *trans_class = GST_BASE_TRANSFORM_CLASS(klass);

  gobject_class->set_property = gst_lsfa_meta_publish_set_property;
  gobject_class->get_property = gst_lsfa_meta_publish_get_property;
  gobject_class->finalize = gst_lsfa_meta_publish_finalize;

  // Read when the element starts (NULL/READY to PAUSED).
  const GParamFlags rw = static_cast<GParamFlags>(G_PARAM_READWRITE | G_PARAM_STATIC_STRINGS |
                                                  GST_PARAM_MUTABLE_READY);
  g_object_class_install_property(
      gobject_class, PROP_TARGET,
      g_param_spec_enum("target", "Target", "Where the JSON lines go", GST_TYPE_LSFA_PUBLISH_TARGET,
                        GST_LSFA_PUBLISH_TARGET_FILE, rw));
  g_object_class_install_property(
      gobject_class, PROP_LOCATION,
      g_param_spec_string("location", "Location",
                          "File the lines are appended to (target=file); created when missing",
                          nullptr, rw));
  g_object_class_install_property(
      gobject_class, PROP_HOST,
      g_param_spec_string("host", "Host", "Host name or address to send to (target=udp, tcp)",
                          "127.0.0.1", rw));
  g_object_class_install_property(
      gobject_class, PROP_PORT,
      g_param_spec_uint("port", "Port", "Port to send to (target=udp, tcp; required there)", 0,
                        65535, 0, rw));
  g_object_class_install_property(
      gobject_class, PROP_TIMEOUT,
      g_param_spec_uint("timeout", "Timeout",
                        "Longest a TCP connect or send may block the stream, in seconds "
                        "(a send that times out counts as a lost connection)",
                        1, 3600, 2, rw));
  g_object_class_install_property(
      gobject_class, PROP_RECONNECT_INTERVAL,
      g_param_spec_double("reconnect-interval", "Reconnect interval",
                          "target=tcp: seconds between connection attempts while disconnected "
                          "(lines are dropped meanwhile, with a warning); 0 = a connection that "
                          "cannot be made or is lost is an error",
                          0.0, 3600.0, 1.0, rw));
  g_object_class_install_property(
      gobject_class, PROP_MAP_STATS,
      g_param_spec_boolean("map-stats", "Map statistics",
                           "Add \"map\": max, mean and area above the pixel threshold of the "
                           "anomaly map over the frame's pixels",
                           FALSE, rw));
  g_object_class_install_property(
      gobject_class, PROP_TOP_K,
      g_param_spec_uint("top-k", "Top k regions",
                        "Add \"regions\": up to this many regions above the pixel threshold "
                        "(8-connected, largest peak first; box in frame pixels, area, peak); 0 = "
                        "no regions",
                        0, 1024, 0, rw));
  g_object_class_install_property(
      gobject_class, PROP_MIN_REGION_AREA,
      g_param_spec_uint("min-region-area", "Minimum region area",
                        "Regions smaller than this many frame pixels are not listed", 1, G_MAXUINT,
                        1, rw));

  gst_element_class_add_static_pad_template(element_class, &sink_template);
  gst_element_class_add_static_pad_template(element_class, &src_template);
  gst_element_class_set_static_metadata(
      element_class, "LSFA result publisher", "Filter/Metadata",
      "Writes one JSON line per scored frame (times, scores, verdict, alarm, map statistics, "
      "regions) to a file, stdout, UDP or TCP; frames pass unchanged",
      "gst-lsfa developers");

  trans_class->start = GST_DEBUG_FUNCPTR(gst_lsfa_meta_publish_start);
  trans_class->stop = GST_DEBUG_FUNCPTR(gst_lsfa_meta_publish_stop);
  trans_class->set_caps = GST_DEBUG_FUNCPTR(gst_lsfa_meta_publish_set_caps);
  trans_class->transform_ip = GST_DEBUG_FUNCPTR(gst_lsfa_meta_publish_transform_ip);
  trans_class->transform_ip_on_passthrough = TRUE;

  gst_type_mark_as_plugin_api(GST_TYPE_LSFA_PUBLISH_TARGET, static_cast<GstPluginAPIFlags>(0));
  GST_DEBUG_CATEGORY_INIT(gst_lsfa_meta_publish_debug, "lsfametapublish", 0,
                          "LSFA result publisher");
}

static void gst_lsfa_meta_publish_init(GstLsfaMetaPublish *self) {
  self->impl = new Impl();
  gst_base_transform_set_passthrough(GST_BASE_TRANSFORM(self), TRUE);
}
