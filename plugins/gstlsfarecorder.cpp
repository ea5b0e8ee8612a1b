/**
 * SECTION:element-lsfarecorder
 * @title: lsfarecorder
 * @see_also: lsfascore, lsfaoverlay, lsfametapublish
 *
 * lsfarecorder is a sink that records only the anomalous parts of an inspection stream: one clip
 * file per alarm, from #GstLsfaRecorder:pre-roll seconds before the alarm started to
 * #GstLsfaRecorder:post-roll seconds after it stopped. The alarm is the state lsfascore attaches
 * to every frame (#GstLsfaAlarmMeta: the verdict after its min-anomalous-frames /
 * min-normal-frames hysteresis, where it posts `lsfa-anomaly-state`); frames that carry only a
 * #GstLsfaAnomalyMeta use its verdict. Put it after lsfaoverlay to record annotated frames.
 *
 * A clip holds the frames with PTS in [start - pre-roll, stop + post-roll), where start is the
 * frame the alarm started at and stop the first frame after it; an alarm that starts again within
 * the post-roll (PTS <= stop + post-roll) extends the clip. No frame is written twice. At end of stream an open clip is
 * finished with the frames it has. While no clip is open the last pre-roll seconds of frames are
 * kept in memory (copied, so that upstream buffer pools are not held).
 *
 * Each clip is written by a small pipeline of its own (videoconvert, then `jpegenc ! avimux` or
 * `vp8enc ! webmmux` per #GstLsfaRecorder:container, then a file) named by
 * #GstLsfaRecorder:location with the clip index (0, 1, ...) put into its `%d`. When a clip is
 * complete the element posts an element message `lsfa-recorder-clip`: `location` (string),
 * `index`, `frames` (guint), `first-timestamp`, `last-timestamp` (guint64, PTS of the first and
 * last frame written), `alarm-start` (guint64, PTS of the frame the alarm started at).
 *
 * ## Example launch lines
 * |[
 * gst-launch-1.0 lsfasrc location=data category=ring ! lsfafeatures model=ring.lsfa ! \
 *     lsfascore model=ring.lsfa ! lsfaoverlay ! \
 *     lsfarecorder location=clip-%05d.avi pre-roll=1 post-roll=2
 * ]| Writes clip-00000.avi, clip-00001.avi, ...: one annotated Motion JPEG clip per alarm.
 */
#include "gstlsfarecorder.h"

#include <gst/lsfa/lsfa.h>

#include <cmath>
#include <exception>
#include <memory>
#include <string>

#include "lsfa/core/error.h"
#include "lsfa_clip_gate.h"
#include "lsfa_clip_writer.h"

GST_DEBUG_CATEGORY_STATIC(gst_lsfa_recorder_debug);
#define GST_CAT_DEFAULT gst_lsfa_recorder_debug

enum { PROP_0, PROP_LOCATION, PROP_PRE_ROLL, PROP_POST_ROLL, PROP_CONTAINER };

#define DEFAULT_LOCATION "clip-%05d.avi"
#define DEFAULT_PRE_ROLL 1.0
#define DEFAULT_POST_ROLL 2.0
#define CLOSE_TIMEOUT (60 * GST_SECOND)

namespace {

// A frame reference owned by the gate.
class FrameRef {
 public:
  explicit FrameRef(GstBuffer *b) : b_(b) {}
  FrameRef(FrameRef &&o) noexcept : b_(o.b_) { o.b_ = nullptr; }
  FrameRef &operator=(FrameRef &&o) noexcept {
    std::swap(b_, o.b_);
    return *this;
  }
  FrameRef(const FrameRef &) = delete;
  ~FrameRef() {
    if (b_) gst_buffer_unref(b_);
  }
  GstBuffer *get() const { return b_; }

 private:
  GstBuffer *b_;
};

struct Settings {
  std::string location = DEFAULT_LOCATION;
  double pre_roll = DEFAULT_PRE_ROLL, post_roll = DEFAULT_POST_ROLL;
  GstLsfaRecorderContainer container = GST_LSFA_RECORDER_CONTAINER_AVI;
};

struct Impl {
  Settings settings;  // properties (object lock)
  // Streaming state.
  Settings active;  // the settings of this run
  std::unique_ptr<lsfa_gst::ClipGate<FrameRef>> gate;
  std::unique_ptr<lsfa_gst::ClipWriter> writer;
  guint index = 0;
  GstClockTime alarm_start = GST_CLOCK_TIME_NONE;  // of the open clip's first alarm
};

// TRUE when `pattern` has exactly one integer conversion (%d, %05d, %u, %i) and no other
// conversion but %%.
bool valid_pattern(const std::string &pattern) {
  int conversions = 0;
  for (size_t i = 0; i < pattern.size(); ++i) {
    if (pattern[i] != '%') continue;
    if (++i < pattern.size() && pattern[i] == '%') continue;
    while (i < pattern.size() && (pattern[i] == '0' || g_ascii_isdigit(pattern[i]))) ++i;
    if (i >= pattern.size() || (pattern[i] != 'd' && pattern[i] != 'u' && pattern[i] != 'i'))
      return false;
    ++conversions;
  }
  return conversions == 1;
}

}  // namespace

struct _GstLsfaRecorder {
  GstBaseSink parent;
  Impl *impl;
};

G_DEFINE_TYPE(GstLsfaRecorder, gst_lsfa_recorder, GST_TYPE_BASE_SINK);
GST_ELEMENT_REGISTER_DEFINE(lsfarecorder, "lsfarecorder", GST_RANK_NONE, GST_TYPE_LSFA_RECORDER);

GType gst_lsfa_recorder_container_get_type(void) {
  static GType type = 0;
  static const GEnumValue values[] = {
      {GST_LSFA_RECORDER_CONTAINER_AVI, "Motion JPEG in AVI (jpegenc, avimux)", "avi"},
      {GST_LSFA_RECORDER_CONTAINER_WEBM, "VP8 in WebM (vp8enc, webmmux)", "webm"},
      {0, nullptr, nullptr}};
  if (g_once_init_enter(&type))
    g_once_init_leave(&type, g_enum_register_static("GstLsfaRecorderContainer", values));
  return type;
}

static GstStaticPadTemplate sink_template = GST_STATIC_PAD_TEMPLATE(
    "sink", GST_PAD_SINK, GST_PAD_ALWAYS,
    GST_STATIC_CAPS(GST_VIDEO_CAPS_MAKE(GST_VIDEO_FORMATS_ALL) "; " GST_LSFA_RGBD_CAPS));

static void gst_lsfa_recorder_set_property(GObject *object, guint prop_id, const GValue *value,
                                           GParamSpec *pspec) {
  GstLsfaRecorder *self = GST_LSFA_RECORDER(object);
  Settings &s = self->impl->settings;
  GST_OBJECT_LOCK(self);
  switch (prop_id) {
    case PROP_LOCATION:
      s.location = g_value_get_string(value) ? g_value_get_string(value) : "";
      break;
    case PROP_PRE_ROLL:
      s.pre_roll = g_value_get_double(value);
      break;
    case PROP_POST_ROLL:
      s.post_roll = g_value_get_double(value);
      break;
    case PROP_CONTAINER:
      s.container = static_cast<GstLsfaRecorderContainer>(g_value_get_enum(value));
      break;
    default:
      G_OBJECT_WARN_INVALID_PROPERTY_ID(object, prop_id, pspec);
      break;
  }
  GST_OBJECT_UNLOCK(self);
}

static void gst_lsfa_recorder_get_property(GObject *object, guint prop_id, GValue *value,
                                           GParamSpec *pspec) {
  GstLsfaRecorder *self = GST_LSFA_RECORDER(object);
  const Settings &s = self->impl->settings;
  GST_OBJECT_LOCK(self);
  switch (prop_id) {
    case PROP_LOCATION:
      g_value_set_string(value, s.location.c_str());
      break;
    case PROP_PRE_ROLL:
      g_value_set_double(value, s.pre_roll);
      break;
    case PROP_POST_ROLL:
      g_value_set_double(value, s.post_roll);
      break;
    case PROP_CONTAINER:
      g_value_set_enum(value, s.container);
      break;
    default:
      G_OBJECT_WARN_INVALID_PROPERTY_ID(object, prop_id, pspec);
      break;
  }
  GST_OBJECT_UNLOCK(self);
}

static std::string clip_location(const std::string &pattern, guint index) {
  gchar *s = g_strdup_printf(pattern.c_str(), index);
  std::string out = s;
  g_free(s);
  return out;
}

// Gate action: a clip starts.
static void open_clip(GstLsfaRecorder *self) {
  Impl *p = self->impl;
  GstCaps *caps = gst_pad_get_current_caps(GST_BASE_SINK_PAD(self));
  lsfa::require(caps != nullptr, "no caps before the first frame");
  const std::string location = clip_location(p->active.location, p->index);
  try {
    p->writer = std::make_unique<lsfa_gst::ClipWriter>(
        location, caps,
        p->active.container == GST_LSFA_RECORDER_CONTAINER_WEBM ? lsfa_gst::ClipContainer::kWebm
                                                                : lsfa_gst::ClipContainer::kAvi);
  } catch (...) {
    gst_caps_unref(caps);
    throw;
  }
  gst_caps_unref(caps);
  GST_INFO_OBJECT(self, "clip %u: %s", p->index, location.c_str());
}

// Gate action: the open clip is complete.
static void close_clip(GstLsfaRecorder *self) {
  Impl *p = self->impl;
  std::unique_ptr<lsfa_gst::ClipWriter> w = std::move(p->writer);
  const guint index = p->index++;
  const GstClockTime alarm_start = p->alarm_start;
  p->alarm_start = GST_CLOCK_TIME_NONE;
  if (!w) return;
  w->close(CLOSE_TIMEOUT);
  GST_INFO_OBJECT(self, "clip %u done: %s, %u frames", index, w->location().c_str(), w->frames());
  GstStructure *s = gst_structure_new(
      "lsfa-recorder-clip", "location", G_TYPE_STRING, w->location().c_str(), "index", G_TYPE_UINT,
      index, "frames", G_TYPE_UINT, w->frames(), "first-timestamp", G_TYPE_UINT64, w->first_pts(),
      "last-timestamp", G_TYPE_UINT64, w->last_pts(), "alarm-start", G_TYPE_UINT64, alarm_start,
      nullptr);
  gst_element_post_message(GST_ELEMENT(self), gst_message_new_element(GST_OBJECT(self), s));
}

static gboolean gst_lsfa_recorder_start(GstBaseSink *sink) {
  GstLsfaRecorder *self = GST_LSFA_RECORDER(sink);
  Impl *p = self->impl;
  GST_OBJECT_LOCK(self);
  p->active = p->settings;
  GST_OBJECT_UNLOCK(self);
  if (!valid_pattern(p->active.location)) {
    GST_ELEMENT_ERROR(self, RESOURCE, SETTINGS, ("Invalid clip location pattern"),
                      ("location '%s' must contain exactly one %%d (e.g. clip-%%05d.avi)",
                       p->active.location.c_str()));
    return FALSE;
  }
  auto ns = [](double s) { return static_cast<uint64_t>(std::llround(s * GST_SECOND)); };
  lsfa_gst::ClipGate<FrameRef>::Actions actions;
  actions.open = [self] { open_clip(self); };
  actions.write = [self](FrameRef &&f) {
    lsfa::require(self->impl->writer != nullptr, "no clip open");
    self->impl->writer->push(f.get());
  };
  actions.close = [self] { close_clip(self); };
  p->gate = std::make_unique<lsfa_gst::ClipGate<FrameRef>>(ns(p->active.pre_roll),
                                                           ns(p->active.post_roll), actions);
  p->index = 0;
  p->alarm_start = GST_CLOCK_TIME_NONE;
  return TRUE;
}

// Ends an open clip; errors are posted as `error` (an element error) or a warning.
static bool finish_clip(GstLsfaRecorder *self, bool error) {
  Impl *p = self->impl;
  if (!p->gate) return true;
  try {
    p->gate->finish();
  } catch (const std::exception &e) {
    p->writer.reset();
    if (error)
      GST_ELEMENT_ERROR(self, RESOURCE, WRITE, ("Cannot finish the clip"), ("%s", e.what()));
    else
      GST_ELEMENT_WARNING(self, RESOURCE, WRITE, ("Cannot finish the clip"), ("%s", e.what()));
    return false;
  }
  return true;
}

static gboolean gst_lsfa_recorder_stop(GstBaseSink *sink) {
  GstLsfaRecorder *self = GST_LSFA_RECORDER(sink);
  finish_clip(self, false);  // stopped without EOS: the clip is still made whole
  self->impl->gate.reset();
  self->impl->writer.reset();
  return TRUE;
}

static GstFlowReturn gst_lsfa_recorder_render_unguarded(GstBaseSink *sink, GstBuffer *buffer) {
  GstLsfaRecorder *self = GST_LSFA_RECORDER(sink);
  Impl *p = self->impl;
  const GstClockTime pts = GST_BUFFER_PTS(buffer);
  if (!GST_CLOCK_TIME_IS_VALID(pts)) {
    GST_ELEMENT_ERROR(self, STREAM, FORMAT, ("Frame without timestamp"),
                      ("lsfarecorder measures pre-roll and post-roll on the frames' PTS"));
    return GST_FLOW_ERROR;
  }
  bool alarm = false;
  GstClockTime started = GST_CLOCK_TIME_NONE;
  if (const GstLsfaAlarmMeta *a = gst_buffer_get_lsfa_alarm_meta(buffer)) {
    alarm = a->active;
    started = a->start_timestamp;
  } else if (const GstLsfaAnomalyMeta *m = gst_buffer_get_lsfa_anomaly_meta(buffer)) {
    alarm = m->is_anomalous;
    started = pts;
  }
  if (alarm && !GST_CLOCK_TIME_IS_VALID(p->alarm_start)) p->alarm_start = started;
  // Frames that may wait in the pre-roll are copied: upstream pools get their buffers back.
  GstBuffer *frame = !p->gate->recording() && p->active.pre_roll > 0 && !alarm
                         ? gst_buffer_copy_deep(buffer)
                         : gst_buffer_ref(buffer);
  p->gate->push(FrameRef(frame), pts, alarm);
  return GST_FLOW_OK;
}

// The vfunc boundary: no C++ exception may cross into GStreamer.
static GstFlowReturn gst_lsfa_recorder_render(GstBaseSink *sink, GstBuffer *buffer) {
  try {
    return gst_lsfa_recorder_render_unguarded(sink, buffer);
  } catch (const std::exception &e) {
    GST_LSFA_RECORDER(sink)->impl->writer.reset();
    GST_ELEMENT_ERROR(sink, RESOURCE, WRITE, ("Cannot record the clip"), ("%s", e.what()));
    return GST_FLOW_ERROR;
  }
}

static gboolean gst_lsfa_recorder_event(GstBaseSink *sink, GstEvent *event) {
  GstLsfaRecorder *self = GST_LSFA_RECORDER(sink);
  switch (GST_EVENT_TYPE(event)) {
    case GST_EVENT_EOS:
      // The open clip ends with the stream, before EOS reaches the application.
      if (!finish_clip(self, true)) {
        gst_event_unref(event);
        return FALSE;
      }
      break;
    case GST_EVENT_FLUSH_STOP:
      finish_clip(self, true);  // a seek ends the clip
      break;
    default:
      break;
  }
  return GST_BASE_SINK_CLASS(gst_lsfa_recorder_parent_class)->event(sink, event);
}

static void gst_lsfa_recorder_finalize(GObject *object) {
  GstLsfaRecorder *self = GST_LSFA_RECORDER(object);
  delete self->impl;
  self->impl = nullptr;
  G_OBJECT_CLASS(gst_lsfa_recorder_parent_class)->finalize(object);
}

static void gst_lsfa_recorder_class_init(GstLsfaRecorderClass *klass) {
  GObjectClass *gobject_class = G_OBJECT_CLASS(klass);
  GstElementClass *element_class = GST_ELEMENT_CLASS(klass);
  GstBaseSinkClass *sink_class = GST_BASE_SINK_CLASS(klass);

  gobject_class->set_property = gst_lsfa_recorder_set_property;
  gobject_class->get_property = gst_lsfa_recorder_get_property;
  gobject_class->finalize = gst_lsfa_recorder_finalize;

  // Read when the element starts (NULL/READY to PAUSED).
  const GParamFlags rw = static_cast<GParamFlags>(G_PARAM_READWRITE | G_PARAM_STATIC_STRINGS |
                                                  GST_PARAM_MUTABLE_READY);
  g_object_class_install_property(
      gobject_class, PROP_LOCATION,
      g_param_spec_string("location", "Location",
                          "File name pattern of the clips with one %d for the clip index "
                          "(0, 1, ...), e.g. clip-%05d.avi",
                          DEFAULT_LOCATION, rw));
  g_object_class_install_property(
      gobject_class, PROP_PRE_ROLL,
      g_param_spec_double("pre-roll", "Pre-roll",
                          "Seconds of video before the alarm started that a clip begins with "
                          "(kept in memory while no clip is open)",
                          0.0, 3600.0, DEFAULT_PRE_ROLL, rw));
  g_object_class_install_property(
      gobject_class, PROP_POST_ROLL,
      g_param_spec_double("post-roll", "Post-roll",
                          "Seconds of video after the alarm stopped that a clip ends with (an "
                          "alarm that starts again within it extends the clip)",
                          0.0, 3600.0, DEFAULT_POST_ROLL, rw));
  g_object_class_install_property(
      gobject_class, PROP_CONTAINER,
      g_param_spec_enum("container", "Container", "Encoding and file format of the clips",
                        GST_TYPE_LSFA_RECORDER_CONTAINER, GST_LSFA_RECORDER_CONTAINER_AVI, rw));

  gst_element_class_add_static_pad_template(element_class, &sink_template);
  gst_element_class_set_static_metadata(
      element_class, "LSFA anomaly recorder", "Sink/Video",
      "Writes one video clip per alarm, with pre-roll and post-roll seconds around it, and posts "
      "lsfa-recorder-clip messages",
      "gst-lsfa developers");

  sink_class->start = GST_DEBUG_FUNCPTR(gst_lsfa_recorder_start);
  sink_class->stop = GST_DEBUG_FUNCPTR(gst_lsfa_recorder_stop);
  sink_class->render = GST_DEBUG_FUNCPTR(gst_lsfa_recorder_render);
  sink_class->event = GST_DEBUG_FUNCPTR(gst_lsfa_recorder_event);

  gst_type_mark_as_plugin_api(GST_TYPE_LSFA_RECORDER_CONTAINER, static_cast<GstPluginAPIFlags>(0));
  GST_DEBUG_CATEGORY_INIT(gst_lsfa_recorder_debug, "lsfarecorder", 0, "LSFA anomaly recorder");
}

static void gst_lsfa_recorder_init(GstLsfaRecorder *self) {
  self->impl = new Impl();
  // A recorder writes files as fast as frames come, like filesink.
  gst_base_sink_set_sync(GST_BASE_SINK(self), FALSE);
}
