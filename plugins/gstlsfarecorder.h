// lsfarecorder: writes one video clip per alarm (pre-roll before it, post-roll after it), from the
// alarm state lsfascore attaches to each frame; posts an lsfa-recorder-clip message per clip.
#pragma once

#include <gst/base/gstbasesink.h>

G_BEGIN_DECLS

#define GST_TYPE_LSFA_RECORDER (gst_lsfa_recorder_get_type())
G_DECLARE_FINAL_TYPE(GstLsfaRecorder, gst_lsfa_recorder, GST, LSFA_RECORDER, GstBaseSink)

// The container property's values.
typedef enum {
  GST_LSFA_RECORDER_CONTAINER_AVI = 0,
  GST_LSFA_RECORDER_CONTAINER_WEBM = 1,
} GstLsfaRecorderContainer;
#define GST_TYPE_LSFA_RECORDER_CONTAINER (gst_lsfa_recorder_container_get_type())
GType gst_lsfa_recorder_container_get_type(void);

GST_ELEMENT_REGISTER_DECLARE(lsfarecorder);

G_END_DECLS
