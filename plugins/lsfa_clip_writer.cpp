#include "lsfa_clip_writer.h"

#include "lsfa/core/error.h"

namespace lsfa_gst {
namespace {

std::string error_of(GstMessage *msg) {
  GError *e = nullptr;
  gchar *debug = nullptr;
  gst_message_parse_error(msg, &e, &debug);
  std::string s = e ? e->message : "unknown error";
  if (debug) s += std::string(" (") + debug + ")";
  g_clear_error(&e);
  g_free(debug);
  return s;
}

}  // namespace

ClipWriter::ClipWriter(const std::string &location, GstCaps *caps, ClipContainer container)
    : location_(location) {
  // Motion JPEG in AVI: every frame a key frame, any frame size; VP8 in WebM: smaller files.
  const char *encode = container == ClipContainer::kWebm
                           ? "vp8enc deadline=1 keyframe-max-dist=30 ! webmmux"
                           : "jpegenc ! avimux";
  const std::string desc = std::string("appsrc name=src format=time block=true ! videoconvert ! ") +
                           encode + " ! filesink name=sink";
  GError *e = nullptr;
  pipeline_ = gst_parse_launch(desc.c_str(), &e);
  if (pipeline_ == nullptr || e != nullptr) {
    std::string why = e ? e->message : "unknown error";
    g_clear_error(&e);
    if (pipeline_) gst_object_unref(pipeline_);
    pipeline_ = nullptr;
    throw lsfa::Error("cannot build the clip writer (" + desc + "): " + why);
  }
  src_ = gst_bin_get_by_name(GST_BIN(pipeline_), "src");
  GstElement *sink = gst_bin_get_by_name(GST_BIN(pipeline_), "sink");
  g_object_set(sink, "location", location.c_str(), nullptr);
  gst_object_unref(sink);
  GstCaps *plain = gst_caps_copy(caps);
  gst_caps_set_features(plain, 0, nullptr);  // meta:LsfaRgbd and the like mean nothing here
  g_object_set(src_, "caps", plain, nullptr);
  gst_caps_unref(plain);
  if (gst_element_set_state(pipeline_, GST_STATE_PLAYING) == GST_STATE_CHANGE_FAILURE) {
    std::string why = "state change failed";
    GstBus *bus = gst_element_get_bus(pipeline_);
    if (GstMessage *m = gst_bus_pop_filtered(bus, GST_MESSAGE_ERROR)) {
      why = error_of(m);
      gst_message_unref(m);
    }
    gst_object_unref(bus);
    shut_down();
    throw lsfa::Error("cannot write the clip '" + location + "': " + why);
  }
}

ClipWriter::~ClipWriter() {
  shut_down();
}

void ClipWriter::shut_down() {
  if (pipeline_ == nullptr) return;
  gst_element_set_state(pipeline_, GST_STATE_NULL);
  gst_object_unref(src_);
  gst_object_unref(pipeline_);
  pipeline_ = nullptr;
  src_ = nullptr;
}

void ClipWriter::check_error() {
  GstBus *bus = gst_element_get_bus(pipeline_);
  GstMessage *m = gst_bus_pop_filtered(bus, GST_MESSAGE_ERROR);
  gst_object_unref(bus);
  if (m == nullptr) return;
  const std::string why = error_of(m);
  gst_message_unref(m);
  throw lsfa::Error("writing the clip '" + location_ + "': " + why);
}

void ClipWriter::push(GstBuffer *frame) {
  check_error();
  const GstClockTime pts = GST_BUFFER_PTS(frame);
  if (!GST_CLOCK_TIME_IS_VALID(first_pts_)) first_pts_ = pts;
  last_pts_ = pts;
  // A new buffer header sharing the memory: the clip's timestamps start at 0.
  GstBuffer *b = gst_buffer_copy(frame);
  if (GST_CLOCK_TIME_IS_VALID(pts) && GST_CLOCK_TIME_IS_VALID(first_pts_))
    GST_BUFFER_PTS(b) = pts - first_pts_;
  GST_BUFFER_DTS(b) = GST_CLOCK_TIME_NONE;
  GstFlowReturn ret = GST_FLOW_OK;
  g_signal_emit_by_name(src_, "push-buffer", b, &ret);
  gst_buffer_unref(b);
  if (ret != GST_FLOW_OK) {
    check_error();
    throw lsfa::Error("writing the clip '" + location_ + "': " + gst_flow_get_name(ret));
  }
  ++frames_;
}

void ClipWriter::close(GstClockTime timeout) {
  GstFlowReturn ret = GST_FLOW_OK;
  g_signal_emit_by_name(src_, "end-of-stream", &ret);
  GstBus *bus = gst_element_get_bus(pipeline_);
  GstMessage *m = gst_bus_timed_pop_filtered(
      bus, timeout, static_cast<GstMessageType>(GST_MESSAGE_EOS | GST_MESSAGE_ERROR));
  gst_object_unref(bus);
  std::string why;
  if (m == nullptr)
    why = "the writer did not finish in time";
  else if (GST_MESSAGE_TYPE(m) == GST_MESSAGE_ERROR)
    why = error_of(m);
  if (m) gst_message_unref(m);
  shut_down();
  if (!why.empty()) throw lsfa::Error("finishing the clip '" + location_ + "': " + why);
}

}  // namespace lsfa_gst
