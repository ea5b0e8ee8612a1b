// lsfametapublish: writes one JSON line per scored frame (times, scores, verdict, alarm state, map
// statistics, top-k regions) to a file, stdout, a UDP socket or a TCP connection; the frames pass
// unchanged.
#pragma once

#include <gst/base/gstbasetransform.h>

G_BEGIN_DECLS

#define GST_TYPE_LSFA_META_PUBLISH (gst_lsfa_meta_publish_get_type())
G_DECLARE_FINAL_TYPE(GstLsfaMetaPublish, gst_lsfa_meta_publish, GST, LSFA_META_PUBLISH,
                     GstBaseTransform)

// The target property's values.
typedef enum {
  GST_LSFA_PUBLISH_TARGET_FILE = 0,
  GST_LSFA_PUBLISH_TARGET_STDOUT = 1,
  GST_LSFA_PUBLISH_TARGET_UDP = 2,
  GST_LSFA_PUBLISH_TARGET_TCP = 3,
} GstLsfaPublishTarget;
#define GST_TYPE_LSFA_PUBLISH_TARGET (gst_lsfa_publish_target_get_type())
GType gst_lsfa_publish_target_get_type(void);

GST_ELEMENT_REGISTER_DECLARE(lsfametapublish);

G_END_DECLS
