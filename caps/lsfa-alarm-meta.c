/* GstLsfaAlarmMeta: registration, init and transform. The meta has no tags: it describes the
 * frame's moment in the stream, not its pixels, so converters, scalers and encoders may keep it. */
#include "gst/lsfa/lsfa-alarm-meta.h"

static GType alarm_api_type;

GType gst_lsfa_alarm_meta_api_get_type(void) {
  static const gchar *tags[] = {NULL};
  if (g_once_init_enter(&alarm_api_type)) {
    GType t = gst_meta_api_type_register("GstLsfaAlarmMetaAPI", tags);
    g_once_init_leave(&alarm_api_type, t);
  }
  return alarm_api_type;
}

static gboolean alarm_meta_init(GstMeta *meta, gpointer params, GstBuffer *buffer) {
  GstLsfaAlarmMeta *m = (GstLsfaAlarmMeta *)meta;
  (void)params;
  (void)buffer;
  m->active = FALSE;
  m->change = GST_LSFA_ALARM_CHANGE_NONE;
  m->start_timestamp = GST_CLOCK_TIME_NONE;
  return TRUE;
}

/* Every transform (copy, scale, conversion, encoding) keeps the state as it is. */
static gboolean alarm_meta_transform(GstBuffer *dest, GstMeta *meta, GstBuffer *buffer, GQuark type,
                                     gpointer data) {
  const GstLsfaAlarmMeta *src = (const GstLsfaAlarmMeta *)meta;
  (void)buffer;
  (void)type;
  (void)data;
  return gst_buffer_add_lsfa_alarm_meta(dest, src->active, src->change, src->start_timestamp) !=
         NULL;
}

const GstMetaInfo *gst_lsfa_alarm_meta_get_info(void) {
  static const GstMetaInfo *info = NULL;
  if (g_once_init_enter((GstMetaInfo **)&info)) {
    const GstMetaInfo *mi =
        gst_meta_register(GST_LSFA_ALARM_META_API_TYPE, "GstLsfaAlarmMeta",
                          sizeof(GstLsfaAlarmMeta), alarm_meta_init, NULL, alarm_meta_transform);
    g_once_init_leave((GstMetaInfo **)&info, (GstMetaInfo *)mi);
  }
  return info;
}

/**
 * gst_buffer_add_lsfa_alarm_meta: (skip)
 *
 * For lsfascore; bindings read the alarm state from the lsfa-anomaly-state messages.
 */
GstLsfaAlarmMeta *gst_buffer_add_lsfa_alarm_meta(GstBuffer *buffer, gboolean active,
                                                 GstLsfaAlarmChange change,
                                                 GstClockTime start_timestamp) {
  GstLsfaAlarmMeta *m;
  g_return_val_if_fail(GST_IS_BUFFER(buffer), NULL);
  g_return_val_if_fail(change >= GST_LSFA_ALARM_CHANGE_NONE && change <= GST_LSFA_ALARM_CHANGE_STOP,
                       NULL);
  m = (GstLsfaAlarmMeta *)gst_buffer_add_meta(buffer, GST_LSFA_ALARM_META_INFO, NULL);
  if (m == NULL) return NULL;
  m->active = active ? TRUE : FALSE;
  m->change = change;
  m->start_timestamp = start_timestamp;
  return m;
}

const gchar *gst_lsfa_alarm_change_to_string(GstLsfaAlarmChange change) {
  switch (change) {
    case GST_LSFA_ALARM_CHANGE_START:
      return "start";
    case GST_LSFA_ALARM_CHANGE_STOP:
      return "stop";
    default:
      return "none";
  }
}
