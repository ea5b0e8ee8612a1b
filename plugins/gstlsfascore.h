// lsfascore: scores the features of each frame against a model bundle (liblsfa Scorer), attaches a
// GstLsfaAnomalyMeta and posts lsfa-anomaly / lsfa-anomaly-state element messages.
#pragma once

#include <gst/base/gstbasetransform.h>

G_BEGIN_DECLS

#define GST_TYPE_LSFA_SCORE (gst_lsfa_score_get_type())
G_DECLARE_FINAL_TYPE(GstLsfaScore, gst_lsfa_score, GST, LSFA_SCORE, GstBaseTransform)

GST_ELEMENT_REGISTER_DECLARE(lsfascore);

G_END_DECLS
