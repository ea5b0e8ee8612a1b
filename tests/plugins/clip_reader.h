// Reads a clip back for the recorder tests: decodes it with GStreamer (avidemux ! jpegdec or
// matroskademux ! vp8dec) and returns the frames' mean grey levels, in order.
#pragma once

#include <gst/gst.h>
#include <gst/video/video.h>

#include <string>
#include <vector>

namespace lsfa_gst_test {

// Mean of the first channel of each decoded frame (converted to GRAY8); an empty vector and
// `error` set when the file does not decode to the end.
inline std::vector<double> decode_clip(const std::string &path, std::string *error) {
  std::vector<double> means;
  const bool webm = path.size() > 5 && path.substr(path.size() - 5) == ".webm";
  const std::string desc = std::string("filesrc name=src ! ") +
                           (webm ? "matroskademux ! vp8dec" : "avidemux ! jpegdec") +
                           " ! videoconvert ! video/x-raw,format=GRAY8 ! fakesink name=sink";
  GError *e = nullptr;
  GstElement *pipe = gst_parse_launch(desc.c_str(), &e);
  if (pipe == nullptr || e) {
    *error = e ? e->message : "parse error";
    g_clear_error(&e);
    return means;
  }
  GstElement *src = gst_bin_get_by_name(GST_BIN(pipe), "src");
  g_object_set(src, "location", path.c_str(), nullptr);
  gst_object_unref(src);
  GstElement *sink = gst_bin_get_by_name(GST_BIN(pipe), "sink");
  GstPad *pad = gst_element_get_static_pad(sink, "sink");
  gst_pad_add_probe(
      pad, GST_PAD_PROBE_TYPE_BUFFER,
      [](GstPad *p, GstPadProbeInfo *info, gpointer data) -> GstPadProbeReturn {
        GstCaps *caps = gst_pad_get_current_caps(p);
        GstVideoInfo vi;
        gst_video_info_from_caps(&vi, caps);
        gst_caps_unref(caps);
        GstVideoFrame f;
        if (gst_video_frame_map(&f, &vi, GST_PAD_PROBE_INFO_BUFFER(info), GST_MAP_READ)) {
          double sum = 0;
          const int w = GST_VIDEO_FRAME_WIDTH(&f), h = GST_VIDEO_FRAME_HEIGHT(&f);
          for (int y = 0; y < h; ++y) {
            const guint8 *row = static_cast<const guint8 *>(GST_VIDEO_FRAME_PLANE_DATA(&f, 0)) +
                                y * GST_VIDEO_FRAME_PLANE_STRIDE(&f, 0);
            for (int x = 0; x < w; ++x) sum += row[x];
          }
          static_cast<std::vector<double> *>(data)->push_back(sum / (w * h));
          gst_video_frame_unmap(&f);
        }
        return GST_PAD_PROBE_OK;
      },
      &means, nullptr);
  gst_object_unref(pad);
  gst_object_unref(sink);
  gst_element_set_state(pipe, GST_STATE_PLAYING);
  GstBus *bus = gst_element_get_bus(pipe);
  GstMessage *m = gst_bus_timed_pop_filtered(
      bus, 30 * GST_SECOND, static_cast<GstMessageType>(GST_MESSAGE_EOS | GST_MESSAGE_ERROR));
  if (m == nullptr) {
    *error = "timeout decoding " + path;
  } else if (GST_MESSAGE_TYPE(m) == GST_MESSAGE_ERROR) {
    GError *err = nullptr;
    gst_message_parse_error(m, &err, nullptr);
    *error = err->message;
    g_error_free(err);
  }
  if (m) gst_message_unref(m);
  gst_object_unref(bus);
  gst_element_set_state(pipe, GST_STATE_NULL);
  gst_object_unref(pipe);
  if (!error->empty()) means.clear();
  return means;
}

}  // namespace lsfa_gst_test
