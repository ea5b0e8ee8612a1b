// What lsfascore puts out for a scored frame: the GstLsfaAnomalyMeta on the buffer and the fields
// of its `lsfa-anomaly` / `lsfa-anomaly-state` element messages (documented in docs/elements.md).
#pragma once

#include <gst/gst.h>
#include <gst/lsfa/lsfa.h>

#include "lsfa/model/pipeline.h"

namespace lsfa_gst {

// Attaches the anomaly meta of `result` with the verdict for `threshold`; the map geometry comes
// from the features meta (up to date even when a scaler sits between the elements). The map
// (packed float32) is also returned in `map` (a new reference, or null without a map) so a
// message can carry it.
GstLsfaAnomalyMeta *attach_anomaly_meta(GstBuffer *buffer, const lsfa::AnomalyResult &result,
                                        float threshold, float map_low, float map_high,
                                        const GstLsfaFeaturesMeta *features, GstBuffer **map);

// Fields "timestamp", "stream-time", "running-time", "duration" of `buffer` in `segment` (all
// GST_CLOCK_TIME_NONE when `buffer` is null).
void set_message_times(GstStructure *s, const GstSegment *segment, GstBuffer *buffer);

// The `lsfa-anomaly` structure of a scored frame; with `map` (from attach_anomaly_meta) it gets a
// "map" GstSample, with `frame_caps` a "frame" GstSample of the buffer.
GstStructure *anomaly_message(const GstLsfaAnomalyMeta *meta, const GstSegment *segment,
                              GstBuffer *buffer, GstBuffer *map, GstCaps *frame_caps);

// The `lsfa-anomaly-state` structure: "start" or "stop", the times of `buffer` (null at EOS) and
// "start-timestamp" of the alarm.
GstStructure *anomaly_state_message(const char *state, const GstSegment *segment, GstBuffer *buffer,
                                    GstClockTime start_timestamp);

}  // namespace lsfa_gst
