// Pairing rule of lsfafeatures: which of the head buffers of the rgb and depth pads to use next.
// Pure logic, separate from the element so it is testable without GStreamer pipelines.
#pragma once

#include <gst/base/gstaggregator.h>
#include <gst/gst.h>

namespace lsfa_gst {

struct PadHead {
  bool has_buffer = false;
  GstClockTime running_time = GST_CLOCK_TIME_NONE;  // of the head buffer
  bool eos = false;                                 // pad is EOS (and so gets no more buffers)
};

enum class PairAction {
  kPair,       // both heads belong together: consume both
  kDropRgb,    // the rgb head can never be matched: drop it
  kDropDepth,  // the depth head can never be matched: drop it
  kWait,       // wait for more data
  kEos,        // no further pair is possible
};

// Rules: two heads within `tolerance` pair (heads without timestamps pair in arrival order);
// otherwise the older one is dropped (the newer one may still match a later buffer). A head whose
// partner pad is EOS and empty is dropped. Output ends (kEos) when the rgb pad is EOS and empty.
PairAction decide_pair(const PadHead &rgb, const PadHead &depth, GstClockTime tolerance);

const char *pair_action_name(PairAction action);

// Live pipelines: the running time at which the aggregator should call aggregate(timeout=TRUE)
// although not every pad has data (it waits until the clock passes it plus the latency).
// - An rgb head waiting for depth (depth pad empty, not EOS) may wait `timeout` (pair-timeout)
//   past its running time; then it is dropped as stalled. `timeout` 0 = wait for ever.
// - The rgb pad is EOS and empty: 0, at once, so the output ends even if depth never sends EOS.
// Otherwise GST_CLOCK_TIME_NONE: wait for data.
GstClockTime pair_deadline(const PadHead &rgb, const PadHead &depth, GstClockTime timeout);

// The head of an aggregator pad: its peeked `buffer` (may be null) at its running time.
PadHead pad_head(GstAggregatorPad *pad, GstBuffer *buffer);

}  // namespace lsfa_gst
