#include "lsfa_result_json.h"

#include <cmath>
#include <limits>

#include "lsfa/core/error.h"
#include "lsfa/render/map_regions.h"

namespace lsfa_gst {
namespace {

nlohmann::json time_or_null(GstClockTime t) {
  return GST_CLOCK_TIME_IS_VALID(t) ? nlohmann::json(static_cast<guint64>(t)) : nlohmann::json();
}

// NaN (a modality the model does not use) as null; nlohmann would write null too, but explicitly
// so the rule does not depend on the serialiser.
nlohmann::json number_or_null(double v) {
  return std::isfinite(v) ? nlohmann::json(v) : nlohmann::json();
}

// The map resampled onto the frame's pixels (NaN outside its rectangle).
cv::Mat frame_values(const GstLsfaAnomalyMeta *meta, int frame_w, int frame_h) {
  GstLsfaRect rect = meta->map_rect;
  if (frame_w <= 0 || frame_h <= 0) frame_w = meta->frame_width, frame_h = meta->frame_height;
  // A scaler that did not transform the meta leaves the old frame size in it (as lsfaoverlay).
  if (meta->frame_width > 0 && meta->frame_height > 0 &&
      (meta->frame_width != frame_w || meta->frame_height != frame_h))
    rect = gst_lsfa_rect_scale(&rect, meta->frame_width, meta->frame_height, frame_w, frame_h);
  lsfa::require(frame_w > 0 && frame_h > 0, "anomaly meta without a frame size");
  GstMapInfo info;
  lsfa::require(gst_buffer_map(meta->map, &info, GST_MAP_READ), "cannot map the anomaly map");
  const gsize need = static_cast<gsize>(meta->map_width) * meta->map_height * sizeof(float);
  if (info.size < need) {
    gst_buffer_unmap(meta->map, &info);
    throw lsfa::Error("anomaly map buffer of " + std::to_string(info.size) + " bytes for a " +
                      std::to_string(meta->map_width) + "x" + std::to_string(meta->map_height) +
                      " map");
  }
  cv::Mat map(static_cast<int>(meta->map_height), static_cast<int>(meta->map_width), CV_32FC1,
              info.data);
  cv::Mat values;
  try {
    values = lsfa::resample_map(map, {rect.x, rect.y, rect.width, rect.height},
                                cv::Size(frame_w, frame_h));
  } catch (...) {
    gst_buffer_unmap(meta->map, &info);
    throw;
  }
  gst_buffer_unmap(meta->map, &info);
  return values;
}

}  // namespace

std::string iso8601_utc(gint64 unix_us) {
  GDateTime *t = g_date_time_new_from_unix_utc(unix_us / G_USEC_PER_SEC);
  if (t == nullptr) return "";
  gchar *s = g_date_time_format(t, "%Y-%m-%dT%H:%M:%S");
  g_date_time_unref(t);
  gchar *out = g_strdup_printf("%s.%06" G_GINT64_FORMAT "Z", s, unix_us % G_USEC_PER_SEC);
  std::string r = out;
  g_free(s);
  g_free(out);
  return r;
}

nlohmann::json result_json(const GstLsfaAnomalyMeta *meta, const GstLsfaAlarmMeta *alarm,
                           const FrameTimes &times, const ResultJsonOptions &options,
                           int frame_width, int frame_height) {
  nlohmann::json j;
  j["frame"] = times.frame;
  j["pts"] = time_or_null(times.pts);
  j["duration"] = time_or_null(times.duration);
  j["running_time"] = time_or_null(times.running_time);
  j["stream_time"] = time_or_null(times.stream_time);
  j["wall_clock"] = iso8601_utc(times.wall_clock_us);
  j["score"] = number_or_null(meta->score);
  j["score_rgb"] = number_or_null(meta->score_rgb);
  j["score_3d"] = number_or_null(meta->score_3d);
  j["threshold"] = number_or_null(meta->threshold);
  j["is_anomalous"] = static_cast<bool>(meta->is_anomalous);
  if (alarm != nullptr) {
    j["alarm"] = {{"active", static_cast<bool>(alarm->active)},
                  {"change", gst_lsfa_alarm_change_to_string(alarm->change)},
                  {"start_pts", time_or_null(alarm->start_timestamp)}};
  } else {
    j["alarm"] = nullptr;
  }
  if (!options.map_stats && options.top_k == 0) return j;

  const bool has_map = meta->map != nullptr && meta->map_width > 0 && meta->map_height > 0;
  cv::Mat values;
  if (has_map) values = frame_values(meta, frame_width, frame_height);
  if (options.map_stats) {
    if (!has_map) {
      j["map"] = nullptr;
    } else {
      const lsfa::MapStatistics s = lsfa::map_statistics(values, meta->pixel_threshold);
      j["map"] = {{"max", number_or_null(s.max)},
                  {"mean", number_or_null(s.mean)},
                  {"pixel_threshold", number_or_null(meta->pixel_threshold)},
                  {"area", s.area},
                  {"area_fraction", s.area_fraction},
                  {"covered", s.covered}};
    }
  }
  if (options.top_k > 0) {
    nlohmann::json regions = nlohmann::json::array();
    if (has_map)
      for (const lsfa::MapRegion &r :
           lsfa::map_regions(values, meta->pixel_threshold, options.top_k, options.min_region_area))
        regions.push_back({{"x", r.box.x},
                           {"y", r.box.y},
                           {"width", r.box.width},
                           {"height", r.box.height},
                           {"area", r.area},
                           {"peak", r.peak},
                           {"peak_x", r.peak_at.x},
                           {"peak_y", r.peak_at.y}});
    j["regions"] = regions;
  }
  return j;
}

}  // namespace lsfa_gst
