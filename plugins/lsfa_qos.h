// QoS of lsfafeatures: from a downstream QoS event, the earliest running time a frame can still
// have to be worth extracting (the rule GstVideoDecoder uses). Pure logic, tested without
// pipelines.
#pragma once

#include <gst/gst.h>

namespace lsfa_gst {

// `timestamp` is the running time the event reports, `diff` how late (> 0) or early (< 0) it was.
// Late by diff: expect to stay that late for one more frame (timestamp + 2 diff); early: the
// earliest useful time is timestamp + diff, not before 0.
GstClockTime qos_earliest_time(GstClockTime timestamp, GstClockTimeDiff diff);

}  // namespace lsfa_gst
