#include "lsfa_anomaly_output.h"

#include <ATen/ATen.h>

namespace lsfa_gst {

GstLsfaAnomalyMeta *attach_anomaly_meta(GstBuffer *buffer, const lsfa::AnomalyResult &r,
                                        float threshold, float map_low, float map_high,
                                        const GstLsfaFeaturesMeta *features, GstBuffer **map) {
  *map = nullptr;
  guint map_w = 0, map_h = 0;
  if (r.map.defined() && r.map.dim() == 2) {
    at::Tensor m = r.map.to(at::Device(at::kCPU)).to(at::kFloat).contiguous();
    map_h = static_cast<guint>(m.size(0));
    map_w = static_cast<guint>(m.size(1));
    *map = gst_buffer_new_memdup(m.data_ptr<float>(), m.numel() * sizeof(float));
  }
  GstLsfaAnomalyMeta *meta = gst_buffer_add_lsfa_anomaly_meta(buffer);
  meta->score = r.score;
  meta->score_rgb = r.score_rgb;
  meta->score_3d = r.score_3d;
  meta->threshold = threshold;
  meta->is_anomalous = r.score > threshold;
  if (*map) gst_lsfa_anomaly_meta_set_map(meta, *map, map_w, map_h);
  meta->pixel_threshold = r.pixel_threshold;
  meta->map_low = map_low;
  meta->map_high = map_high;
  meta->frame_width = features->frame_width;
  meta->frame_height = features->frame_height;
  meta->map_rect = features->model_rect;
  return meta;
}

void set_message_times(GstStructure *s, const GstSegment *segment, GstBuffer *buffer) {
  GstClockTime pts = GST_CLOCK_TIME_NONE, duration = GST_CLOCK_TIME_NONE;
  GstClockTime stream_time = GST_CLOCK_TIME_NONE, running_time = GST_CLOCK_TIME_NONE;
  if (buffer != nullptr) {
    pts = GST_BUFFER_PTS(buffer);
    duration = GST_BUFFER_DURATION(buffer);
    if (GST_CLOCK_TIME_IS_VALID(pts) && segment->format == GST_FORMAT_TIME) {
      stream_time = gst_segment_to_stream_time(segment, GST_FORMAT_TIME, pts);
      running_time = gst_segment_to_running_time(segment, GST_FORMAT_TIME, pts);
    }
  }
  gst_structure_set(s, "timestamp", G_TYPE_UINT64, pts, "stream-time", G_TYPE_UINT64, stream_time,
                    "running-time", G_TYPE_UINT64, running_time, "duration", G_TYPE_UINT64,
                    duration, nullptr);
}

GstStructure *anomaly_message(const GstLsfaAnomalyMeta *meta, const GstSegment *segment,
                              GstBuffer *buffer, GstBuffer *map, GstCaps *frame_caps) {
  GstStructure *s = gst_structure_new_empty("lsfa-anomaly");
  set_message_times(s, segment, buffer);
  gst_structure_set(s, "score", G_TYPE_FLOAT, meta->score, "score-rgb", G_TYPE_FLOAT,
                    meta->score_rgb, "score-3d", G_TYPE_FLOAT, meta->score_3d, "threshold",
                    G_TYPE_FLOAT, meta->threshold, "is-anomalous", G_TYPE_BOOLEAN,
                    meta->is_anomalous, nullptr);
  if (map != nullptr) {
    GstCaps *caps = gst_caps_new_simple(
        "application/x-lsfa-anomaly-map", "format", G_TYPE_STRING, "F32LE", "width", G_TYPE_INT,
        static_cast<gint>(meta->map_width), "height", G_TYPE_INT,
        static_cast<gint>(meta->map_height), "low", G_TYPE_FLOAT, meta->map_low, "high",
        G_TYPE_FLOAT, meta->map_high, "pixel-threshold", G_TYPE_FLOAT, meta->pixel_threshold,
        "rect-x", G_TYPE_DOUBLE, meta->map_rect.x, "rect-y", G_TYPE_DOUBLE, meta->map_rect.y,
        "rect-width", G_TYPE_DOUBLE, meta->map_rect.width, "rect-height", G_TYPE_DOUBLE,
        meta->map_rect.height, nullptr);
    GstSample *sample = gst_sample_new(map, caps, nullptr, nullptr);
    gst_structure_set(s, "map", GST_TYPE_SAMPLE, sample, nullptr);
    gst_sample_unref(sample);
    gst_caps_unref(caps);
  }
  if (frame_caps != nullptr) {
    GstSample *sample = gst_sample_new(buffer, frame_caps, segment, nullptr);
    gst_structure_set(s, "frame", GST_TYPE_SAMPLE, sample, nullptr);
    gst_sample_unref(sample);
  }
  return s;
}

GstStructure *anomaly_state_message(const char *state, const GstSegment *segment, GstBuffer *buffer,
                                    GstClockTime start_timestamp) {
  GstStructure *s = gst_structure_new("lsfa-anomaly-state", "state", G_TYPE_STRING, state, nullptr);
  set_message_times(s, segment, buffer);
  gst_structure_set(s, "start-timestamp", G_TYPE_UINT64, start_timestamp, nullptr);
  return s;
}

}  // namespace lsfa_gst
