// The JSON line lsfametapublish writes for one frame: times, scores, verdict and alarm state from
// the frame's metas and, on request, statistics and regions of its anomaly map (computed by
// liblsfa's lsfa/render/map_regions.h on the map resampled to the frame). Field list in
// docs/publish.md.
#pragma once

#include <gst/gst.h>
#include <gst/lsfa/lsfa.h>

#include <nlohmann/json.hpp>
#include <string>

namespace lsfa_gst {

struct ResultJsonOptions {
  bool map_stats = false;  // "map": max, mean, area above the pixel threshold
  unsigned top_k = 0;      // "regions": up to top_k regions (0: none)
  unsigned min_region_area = 1;
};

// When and which frame.
struct FrameTimes {
  guint64 frame = 0;  // frames seen by the element, from 0
  GstClockTime pts = GST_CLOCK_TIME_NONE, duration = GST_CLOCK_TIME_NONE;
  GstClockTime running_time = GST_CLOCK_TIME_NONE, stream_time = GST_CLOCK_TIME_NONE;
  gint64 wall_clock_us = 0;  // g_get_real_time() when the frame passed
};

// The line's object. `frame_width` x `frame_height` is the size of the frame the buffer holds (0:
// the meta's); when it differs from the meta's, the map rectangle is scaled the way lsfaoverlay
// does. `alarm` may be null (no "alarm" state known: the field is null). Throws lsfa::Error on a
// malformed map.
nlohmann::json result_json(const GstLsfaAnomalyMeta *meta, const GstLsfaAlarmMeta *alarm,
                           const FrameTimes &times, const ResultJsonOptions &options,
                           int frame_width, int frame_height);

// "2026-12-01T16:41:26.123456Z" (UTC, microseconds).
std::string iso8601_utc(gint64 unix_us);

}  // namespace lsfa_gst
