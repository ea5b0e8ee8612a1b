// lsfasrc: plays an MVTec 3D-AD or Eyecandies data-set directory as a paired RGB-D stream, or as
// plain video of its colour images or depth.
#pragma once

#include <gst/base/gstpushsrc.h>

G_BEGIN_DECLS

#define GST_TYPE_LSFA_SRC (gst_lsfa_src_get_type())
G_DECLARE_FINAL_TYPE(GstLsfaSrc, gst_lsfa_src, GST, LSFA_SRC, GstPushSrc)

GST_ELEMENT_REGISTER_DECLARE(lsfasrc);

G_END_DECLS
