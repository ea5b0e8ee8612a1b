/* GstLsfaAlarmMeta: the alarm state of the stream at one frame (attached by lsfascore next to the
 * GstLsfaAnomalyMeta, read by lsfametapublish, lsfarecorder and applications). The alarm is the
 * verdict after lsfascore's hysteresis (min-anomalous-frames / min-normal-frames): it starts after
 * that many anomalous frames in a row and stops after that many normal ones, exactly where
 * lsfascore posts its `lsfa-anomaly-state` messages. */
#pragma once

#include <gst/gst.h>

G_BEGIN_DECLS

/* What happened to the alarm at this frame. */
typedef enum {
  GST_LSFA_ALARM_CHANGE_NONE = 0,  /* the state is the one of the previous frame */
  GST_LSFA_ALARM_CHANGE_START = 1, /* the alarm started at this frame (it is active) */
  GST_LSFA_ALARM_CHANGE_STOP = 2,  /* the alarm stopped at this frame (it is no longer active) */
} GstLsfaAlarmChange;

typedef struct {
  GstMeta meta;

  gboolean active;           /* an alarm is on after this frame */
  GstLsfaAlarmChange change; /* start / stop at this frame, or none */
  /* PTS of the frame the current alarm started at (for a stop: of the alarm that stopped);
   * GST_CLOCK_TIME_NONE when no alarm is or was on. */
  GstClockTime start_timestamp;
} GstLsfaAlarmMeta;

GType gst_lsfa_alarm_meta_api_get_type(void);
#define GST_LSFA_ALARM_META_API_TYPE (gst_lsfa_alarm_meta_api_get_type())
const GstMetaInfo *gst_lsfa_alarm_meta_get_info(void);
#define GST_LSFA_ALARM_META_INFO (gst_lsfa_alarm_meta_get_info())

#define gst_buffer_get_lsfa_alarm_meta(b) \
  ((GstLsfaAlarmMeta *)gst_buffer_get_meta((b), GST_LSFA_ALARM_META_API_TYPE))

/* Adds the alarm meta with the given state. */
GstLsfaAlarmMeta *gst_buffer_add_lsfa_alarm_meta(GstBuffer *buffer, gboolean active,
                                                 GstLsfaAlarmChange change,
                                                 GstClockTime start_timestamp);

/* "start", "stop" or "none". */
const gchar *gst_lsfa_alarm_change_to_string(GstLsfaAlarmChange change);

G_END_DECLS
