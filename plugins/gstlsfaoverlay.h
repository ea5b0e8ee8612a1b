// lsfaoverlay: draws the GstLsfaAnomalyMeta of each frame (heatmap, verdict border, score,
// contour).
#pragma once

#include <gst/video/gstvideofilter.h>

G_BEGIN_DECLS

#define GST_TYPE_LSFA_OVERLAY (gst_lsfa_overlay_get_type())
G_DECLARE_FINAL_TYPE(GstLsfaOverlay, gst_lsfa_overlay, GST, LSFA_OVERLAY, GstVideoFilter)

#define GST_TYPE_LSFA_COLORMAP (gst_lsfa_colormap_get_type())
GType gst_lsfa_colormap_get_type(void);

GST_ELEMENT_REGISTER_DECLARE(lsfaoverlay);

G_END_DECLS
