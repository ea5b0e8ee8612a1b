// GEnum types of the elements' choice properties (registered once, shown by gst-inspect-1.0).
#pragma once

#include <glib-object.h>

G_BEGIN_DECLS

// lsfascore mode.
typedef enum { GST_LSFA_SCORE_MODE_INSPECT = 0, GST_LSFA_SCORE_MODE_TEACH = 1 } GstLsfaScoreMode;
#define GST_TYPE_LSFA_SCORE_MODE (gst_lsfa_score_mode_get_type())
GType gst_lsfa_score_mode_get_type(void);

// lsfafeatures point-bn: the values of lsfa::PointBatchNorm, in its order.
typedef enum {
  GST_LSFA_POINT_BN_AUTO = 0,
  GST_LSFA_POINT_BN_RUNNING = 1,
  GST_LSFA_POINT_BN_BATCH = 2
} GstLsfaPointBatchNorm;
#define GST_TYPE_LSFA_POINT_BATCH_NORM (gst_lsfa_point_batch_norm_get_type())
GType gst_lsfa_point_batch_norm_get_type(void);

G_END_DECLS
