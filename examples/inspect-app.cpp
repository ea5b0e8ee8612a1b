// inspect-app: runs an inspection pipeline and prints one JSON line per frame from the
// `lsfa-anomaly` messages, plus one line per alarm change from `lsfa-anomaly-state`.
//
//   inspect-app DATA CATEGORY MODEL.lsfa         plays the test split of a data set
//   inspect-app 'PIPELINE DESCRIPTION'           any gst-launch style line with an lsfascore
//
// Output (stdout), one JSON object per line:
//   {"timestamp":1000000000,"score":54.0455,"threshold":0.5,"is_anomalous":true,
//    "score_rgb":109.002,"score_3d":-0.911097}
//   {"alarm":"start","timestamp":1000000000}
// Timestamps are buffer PTS in nanoseconds (null when unknown); scores of a modality the model
// does not use are null. At the end a summary goes to stderr, with the number of frames that
// reached the sink carrying a GstLsfaAnomalyMeta (read with the gstlsfacaps library).
//
// Exit status: 0 at end of stream, 1 for bad arguments or a pipeline that does not parse, 2 when
// the pipeline posts an error (the message names the element and the cause).

#include <gst/gst.h>
#include <gst/lsfa/lsfa.h>

#include <atomic>
#include <cmath>
#include <cstdio>
#include <string>

namespace {

// Frames seen by the sink, and those with an anomaly meta. Written by the streaming thread (pad
// probe), read by the main thread at the end.
struct MetaCount {
  std::atomic<unsigned> frames{0}, with_meta{0};
};

// JSON number, or null for NaN (a modality that is off) and infinities.
std::string json_number(double value) {
  if (!std::isfinite(value)) return "null";
  char text[32];
  std::snprintf(text, sizeof text, "%.6g", value);
  return text;
}

std::string json_time(guint64 t) {
  return GST_CLOCK_TIME_IS_VALID(t) ? std::to_string(t) : std::string("null");
}

GstPadProbeReturn count_meta(GstPad *, GstPadProbeInfo *info, gpointer user_data) {
  auto *count = static_cast<MetaCount *>(user_data);
  count->frames++;
  if (gst_buffer_get_lsfa_anomaly_meta(GST_PAD_PROBE_INFO_BUFFER(info)) != nullptr) {
    count->with_meta++;
  }
  return GST_PAD_PROBE_OK;
}

void print_anomaly(const GstStructure *s) {
  guint64 timestamp = GST_CLOCK_TIME_NONE;
  gfloat score = NAN, threshold = NAN, score_rgb = NAN, score_3d = NAN;
  gboolean anomalous = FALSE;
  gst_structure_get_uint64(s, "timestamp", &timestamp);
  gst_structure_get(s, "score", G_TYPE_FLOAT, &score, "threshold", G_TYPE_FLOAT, &threshold,
                    "score-rgb", G_TYPE_FLOAT, &score_rgb, "score-3d", G_TYPE_FLOAT, &score_3d,
                    "is-anomalous", G_TYPE_BOOLEAN, &anomalous, nullptr);
  std::printf(
      "{\"timestamp\":%s,\"score\":%s,\"threshold\":%s,\"is_anomalous\":%s,"
      "\"score_rgb\":%s,\"score_3d\":%s}\n",
      json_time(timestamp).c_str(), json_number(score).c_str(), json_number(threshold).c_str(),
      anomalous ? "true" : "false", json_number(score_rgb).c_str(), json_number(score_3d).c_str());
}

void print_alarm(const GstStructure *s) {
  guint64 timestamp = GST_CLOCK_TIME_NONE;
  gst_structure_get_uint64(s, "timestamp", &timestamp);
  const gchar *state = gst_structure_get_string(s, "state");
  std::printf("{\"alarm\":\"%s\",\"timestamp\":%s}\n", state ? state : "",
              json_time(timestamp).c_str());
}

// Adds the meta probe on the sink pad of the last element (the one without a src pad).
void probe_sink(GstElement *pipeline, MetaCount *count) {
  GstIterator *it = gst_bin_iterate_sinks(GST_BIN(pipeline));
  GValue item = G_VALUE_INIT;
  if (gst_iterator_next(it, &item) == GST_ITERATOR_OK) {
    auto *sink = GST_ELEMENT(g_value_get_object(&item));
    if (GstPad *pad = gst_element_get_static_pad(sink, "sink")) {
      gst_pad_add_probe(pad, GST_PAD_PROBE_TYPE_BUFFER, count_meta, count, nullptr);
      gst_object_unref(pad);
    }
    g_value_unset(&item);
  }
  gst_iterator_free(it);
}

}  // namespace

int main(int argc, char **argv) {
  gst_init(&argc, &argv);
  gst_lsfa_caps_init();

  std::string description;
  if (argc == 2) {
    description = argv[1];
  } else if (argc == 4) {
    gchar *line = g_strdup_printf(
        "lsfasrc location=\"%s\" category=\"%s\" split=test ! lsfafeatures model=\"%s\" ! "
        "lsfascore model=\"%s\" ! fakesink",
        argv[1], argv[2], argv[3], argv[3]);
    description = line;
    g_free(line);
  } else {
    std::fprintf(stderr,
                 "usage: %s DATA CATEGORY MODEL.lsfa\n"
                 "       %s 'PIPELINE DESCRIPTION'\n",
                 argv[0], argv[0]);
    return 1;
  }

  GError *error = nullptr;
  GstElement *pipeline = gst_parse_launch(description.c_str(), &error);
  if (error != nullptr) {  // also set for a partly built pipeline (e.g. an unknown property)
    std::fprintf(stderr, "inspect-app: cannot build the pipeline: %s\n", error->message);
    g_error_free(error);
    if (pipeline) gst_object_unref(pipeline);
    return 1;
  }
  MetaCount count;
  probe_sink(pipeline, &count);

  int status = 0;
  GstBus *bus = gst_element_get_bus(pipeline);
  if (gst_element_set_state(pipeline, GST_STATE_PLAYING) == GST_STATE_CHANGE_FAILURE) {
    // The cause (e.g. a model that does not load) is posted on the bus: read it below.
    status = 2;
  }
  for (bool running = true; running;) {
    GstMessage *msg = gst_bus_timed_pop_filtered(
        bus, status == 2 ? 0 : GST_CLOCK_TIME_NONE,
        static_cast<GstMessageType>(GST_MESSAGE_ELEMENT | GST_MESSAGE_ERROR | GST_MESSAGE_EOS));
    if (msg == nullptr) break;  // state change failed and no error was posted
    switch (GST_MESSAGE_TYPE(msg)) {
      case GST_MESSAGE_ELEMENT: {
        const GstStructure *s = gst_message_get_structure(msg);
        if (gst_structure_has_name(s, "lsfa-anomaly")) print_anomaly(s);
        if (gst_structure_has_name(s, "lsfa-anomaly-state")) print_alarm(s);
        std::fflush(stdout);
        break;
      }
      case GST_MESSAGE_ERROR: {
        GError *err = nullptr;
        gchar *debug = nullptr;
        gst_message_parse_error(msg, &err, &debug);
        std::fprintf(stderr, "inspect-app: error from %s: %s\n%s%s", GST_OBJECT_NAME(msg->src),
                     err->message, debug ? debug : "", debug ? "\n" : "");
        g_error_free(err);
        g_free(debug);
        status = 2;
        running = false;
        break;
      }
      default:  // EOS
        running = false;
        break;
    }
    gst_message_unref(msg);
  }
  std::fprintf(stderr, "inspect-app: %u frames reached the sink, %u with an anomaly meta\n",
               count.frames.load(), count.with_meta.load());

  gst_element_set_state(pipeline, GST_STATE_NULL);
  gst_object_unref(bus);
  gst_object_unref(pipeline);
  return status;
}
