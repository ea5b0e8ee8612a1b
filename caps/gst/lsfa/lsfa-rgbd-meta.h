/* GstLsfaRgbdMeta: the depth (or XYZ cloud) that belongs to an RGB frame, with its calibration.
 * Carried by streams with the caps feature meta:LsfaRgbd (see lsfa-caps.h). */
#pragma once

#include <gst/gst.h>
#include <gst/lsfa/lsfa-caps.h>

G_BEGIN_DECLS

typedef enum {
  GST_LSFA_DEPTH_FORMAT_GRAY16 = 0, /* guint16 per pixel, times depth_scale = metres, 0 = invalid */
  GST_LSFA_DEPTH_FORMAT_XYZ_F32 = 1, /* 3 x gfloat per pixel (x, y, z metres), (0,0,0) = invalid */
} GstLsfaDepthFormat;

typedef struct {
  GstMeta meta;

  GstLsfaDepthFormat format;
  GstBuffer *depth;    /* owned reference; rows of `stride` bytes */
  guint width, height; /* depth image size (may differ from the RGB frame after an RGB scaler) */
  gsize stride;
  gdouble depth_scale;          /* GRAY16 only: metres per unit */
  GstLsfaIntrinsics intrinsics; /* GRAY16 only: for width x height */
  GstBuffer *mask; /* optional ground-truth mask, GRAY8 width x height (255 = defect), or NULL */
} GstLsfaRgbdMeta;

GType gst_lsfa_rgbd_meta_api_get_type(void);
#define GST_LSFA_RGBD_META_API_TYPE (gst_lsfa_rgbd_meta_api_get_type())
const GstMetaInfo *gst_lsfa_rgbd_meta_get_info(void);
#define GST_LSFA_RGBD_META_INFO (gst_lsfa_rgbd_meta_get_info())

#define gst_buffer_get_lsfa_rgbd_meta(b) \
  ((GstLsfaRgbdMeta *)gst_buffer_get_meta((b), GST_LSFA_RGBD_META_API_TYPE))

/* Adds the meta. Takes a new reference to `depth` (size must hold height rows of `stride` bytes;
 * stride 0 = tightly packed). `intrinsics` may be NULL for XYZ. Returns NULL (with a critical
 * warning) when the depth buffer is too small. */
GstLsfaRgbdMeta *gst_buffer_add_lsfa_rgbd_meta(GstBuffer *buffer, GstLsfaDepthFormat format,
                                               GstBuffer *depth, guint width, guint height,
                                               gsize stride, gdouble depth_scale,
                                               const GstLsfaIntrinsics *intrinsics);

/* Replaces the ground-truth mask (takes a new reference; NULL removes it). */
void gst_lsfa_rgbd_meta_set_mask(GstLsfaRgbdMeta *meta, GstBuffer *mask);

/* Bytes per depth pixel for a format. */
guint gst_lsfa_depth_format_pixel_size(GstLsfaDepthFormat format);

/* Accessors for applications and language bindings (GObject introspection: GstLsfa-1.0). */

/* The RGB-D meta of `buffer`, or NULL (same as gst_buffer_get_lsfa_rgbd_meta). */
GstLsfaRgbdMeta *gst_lsfa_buffer_get_rgbd_meta(GstBuffer *buffer);

/* A copy of the depth with the row padding removed: height rows of width pixels of
 * gst_lsfa_depth_format_pixel_size(format) bytes each (guint16 or 3 x gfloat, native endian). */
GBytes *gst_lsfa_rgbd_meta_get_depth_bytes(const GstLsfaRgbdMeta *meta);

/* A copy of the ground-truth mask (width * height bytes, 255 = defect), or NULL when none. */
GBytes *gst_lsfa_rgbd_meta_get_mask_bytes(const GstLsfaRgbdMeta *meta);

/* The intrinsics (GRAY16 only; zeros for XYZ). */
void gst_lsfa_rgbd_meta_get_intrinsics(const GstLsfaRgbdMeta *meta, gdouble *fx, gdouble *fy,
                                       gdouble *cx, gdouble *cy);

G_END_DECLS
