/* gstlsfacaps: caps strings and metas of the lsfa GStreamer elements (C API). */
#pragma once

#include <gst/lsfa/lsfa-alarm-meta.h>
#include <gst/lsfa/lsfa-anomaly-meta.h>
#include <gst/lsfa/lsfa-caps.h>
#include <gst/lsfa/lsfa-features-meta.h>
#include <gst/lsfa/lsfa-geometry.h>
#include <gst/lsfa/lsfa-rgbd-meta.h>
#include <gst/lsfa/lsfa-sample-meta.h>

G_BEGIN_DECLS

/* Registers the meta API types and infos (idempotent). Call once before using the metas from
 * several threads; the elements call it in plugin_init. */
void gst_lsfa_caps_init(void);

G_END_DECLS
