// Runs a pipeline to EOS or to its first error, keeping the element messages it posted: the helper
// of the element tests that watch a whole pipeline (test_score.cpp, test_publish.cpp,
// test_recorder.cpp).
#pragma once

#include <gst/gst.h>

#include <string>
#include <vector>

struct PipelineRun {
  std::string error;                     // empty when the pipeline reached EOS
  std::vector<GstStructure *> messages;  // element messages, in order (owned)
  PipelineRun() = default;
  PipelineRun(const PipelineRun &) = delete;
  PipelineRun &operator=(const PipelineRun &) = delete;
  ~PipelineRun() {
    for (GstStructure *s : messages) gst_structure_free(s);
  }
  std::vector<const GstStructure *> named(const char *name) const {
    std::vector<const GstStructure *> out;
    for (GstStructure *s : messages)
      if (gst_structure_has_name(s, name)) out.push_back(s);
    return out;
  }
};

// Sets `pipe` PLAYING, waits up to `timeout` for each message, and leaves it in NULL. The error
// reads "<message> | <debug>"; "timeout" when no message came in time.
inline void run_pipeline(GstElement *pipe, PipelineRun *r, GstClockTime timeout = 60 * GST_SECOND) {
  GstBus *bus = gst_element_get_bus(pipe);
  gst_element_set_state(pipe, GST_STATE_PLAYING);
  for (;;) {
    GstMessage *msg = gst_bus_timed_pop_filtered(
        bus, timeout,
        static_cast<GstMessageType>(GST_MESSAGE_EOS | GST_MESSAGE_ERROR | GST_MESSAGE_ELEMENT));
    if (msg == nullptr) {
      r->error = "timeout";
      break;
    }
    if (GST_MESSAGE_TYPE(msg) == GST_MESSAGE_ELEMENT) {
      r->messages.push_back(gst_structure_copy(gst_message_get_structure(msg)));
      gst_message_unref(msg);
      continue;
    }
    if (GST_MESSAGE_TYPE(msg) == GST_MESSAGE_ERROR) {
      GError *e = nullptr;
      gchar *dbg = nullptr;
      gst_message_parse_error(msg, &e, &dbg);
      r->error = std::string(e->message) + " | " + (dbg ? dbg : "");
      g_error_free(e);
      g_free(dbg);
    }
    gst_message_unref(msg);
    break;
  }
  gst_element_set_state(pipe, GST_STATE_NULL);
  gst_object_unref(bus);
}
