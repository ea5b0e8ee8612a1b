// A minimal gst-launch for the fault tests: plays the pipeline description of its arguments to EOS
// and exits 0, or prints the error and exits 1. Built with the project (and so with its sanitizers,
// which an ASan-built plugin needs loaded first: Debian's gst-launch-1.0 cannot load it).
#include <gst/gst.h>

#include <cstdio>

int main(int argc, char **argv) {
  gst_init(&argc, &argv);
  if (argc < 2) {
    std::fprintf(stderr, "usage: %s PIPELINE-DESCRIPTION...\n", argv[0]);
    return 2;
  }
  GError *err = nullptr;
  GstElement *pipe = gst_parse_launchv(const_cast<const gchar **>(argv + 1), &err);
  if (pipe == nullptr || err != nullptr) {
    std::fprintf(stderr, "ERROR: cannot parse the pipeline: %s\n", err ? err->message : "?");
    g_clear_error(&err);
    if (pipe) gst_object_unref(pipe);
    return 1;
  }
  int rc = 0;
  if (gst_element_set_state(pipe, GST_STATE_PLAYING) == GST_STATE_CHANGE_FAILURE) rc = 1;
  GstBus *bus = gst_element_get_bus(pipe);
  while (rc == 0) {
    GstMessage *msg = gst_bus_timed_pop_filtered(
        bus, GST_CLOCK_TIME_NONE, static_cast<GstMessageType>(GST_MESSAGE_EOS | GST_MESSAGE_ERROR));
    if (GST_MESSAGE_TYPE(msg) == GST_MESSAGE_ERROR) {
      GError *e = nullptr;
      gchar *dbg = nullptr;
      gst_message_parse_error(msg, &e, &dbg);
      std::fprintf(stderr, "ERROR from %s: %s\n%s\n", GST_OBJECT_NAME(GST_MESSAGE_SRC(msg)),
                   e->message, dbg ? dbg : "");
      g_error_free(e);
      g_free(dbg);
      rc = 1;
    }
    const bool eos = GST_MESSAGE_TYPE(msg) == GST_MESSAGE_EOS;
    gst_message_unref(msg);
    if (eos) break;
  }
  // Errors during start come through the bus as well.
  if (rc != 0) {
    while (GstMessage *msg = gst_bus_pop_filtered(bus, GST_MESSAGE_ERROR)) {
      GError *e = nullptr;
      gchar *dbg = nullptr;
      gst_message_parse_error(msg, &e, &dbg);
      std::fprintf(stderr, "ERROR: %s\n%s\n", e->message, dbg ? dbg : "");
      g_error_free(e);
      g_free(dbg);
      gst_message_unref(msg);
    }
  }
  gst_element_set_state(pipe, GST_STATE_NULL);
  gst_object_unref(bus);
  gst_object_unref(pipe);
  gst_deinit();
  return rc;
}
