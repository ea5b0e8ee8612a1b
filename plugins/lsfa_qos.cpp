#include "lsfa_qos.h"

namespace lsfa_gst {

GstClockTime qos_earliest_time(GstClockTime timestamp, GstClockTimeDiff diff) {
  if (diff > 0) return timestamp + 2 * static_cast<GstClockTime>(diff);
  const GstClockTime early = static_cast<GstClockTime>(-diff);
  return timestamp < early ? 0 : timestamp - early;
}

}  // namespace lsfa_gst
