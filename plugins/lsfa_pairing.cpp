#include "lsfa_pairing.h"

namespace lsfa_gst {

PairAction decide_pair(const PadHead &rgb, const PadHead &depth, GstClockTime tolerance) {
  if (rgb.has_buffer && depth.has_buffer) {
    if (!GST_CLOCK_TIME_IS_VALID(rgb.running_time) || !GST_CLOCK_TIME_IS_VALID(depth.running_time))
      return PairAction::kPair;
    GstClockTime diff = rgb.running_time > depth.running_time
                            ? rgb.running_time - depth.running_time
                            : depth.running_time - rgb.running_time;
    if (diff <= tolerance) return PairAction::kPair;
    return rgb.running_time < depth.running_time ? PairAction::kDropRgb : PairAction::kDropDepth;
  }
  if (rgb.has_buffer) return depth.eos ? PairAction::kDropRgb : PairAction::kWait;
  if (rgb.eos) return PairAction::kEos;
  if (depth.has_buffer) return PairAction::kWait;
  return PairAction::kWait;
}

const char *pair_action_name(PairAction action) {
  switch (action) {
    case PairAction::kPair:
      return "pair";
    case PairAction::kDropRgb:
      return "drop-rgb";
    case PairAction::kDropDepth:
      return "drop-depth";
    case PairAction::kWait:
      return "wait";
    case PairAction::kEos:
      return "eos";
  }
  return "?";
}

GstClockTime pair_deadline(const PadHead &rgb, const PadHead &depth, GstClockTime timeout) {
  if (!rgb.has_buffer && rgb.eos) return 0;
  if (timeout == 0 || !rgb.has_buffer || !GST_CLOCK_TIME_IS_VALID(rgb.running_time) ||
      depth.has_buffer || depth.eos)
    return GST_CLOCK_TIME_NONE;
  // Saturate: a timeout near G_MAXUINT64 means "practically never", not a wrapped early time.
  if (timeout >= GST_CLOCK_TIME_NONE - rgb.running_time) return GST_CLOCK_TIME_NONE;
  return rgb.running_time + timeout;
}

PadHead pad_head(GstAggregatorPad *pad, GstBuffer *buffer) {
  PadHead h;
  h.eos = gst_aggregator_pad_is_eos(pad);
  h.has_buffer = buffer != nullptr;
  if (buffer != nullptr && GST_BUFFER_PTS_IS_VALID(buffer)) {
    GST_OBJECT_LOCK(pad);
    h.running_time =
        gst_segment_to_running_time(&pad->segment, GST_FORMAT_TIME, GST_BUFFER_PTS(buffer));
    GST_OBJECT_UNLOCK(pad);
  }
  return h;
}

}  // namespace lsfa_gst
