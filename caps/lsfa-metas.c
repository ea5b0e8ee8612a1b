/* The three lsfa metas: API type registration, init/free/transform, and the features handle.
 *
 * Transform rules (all metas are tagged "video" and "size", so video filters that change only the
 * frame size keep them and call the transform with GST_VIDEO_META_TRANSFORM_IS_SCALE):
 * - copy (queue, tee, gst_buffer_copy, writable copies): the meta is copied; buffers and the
 *   features handle are shared by reference (they are immutable once attached).
 * - scale: the frame size and the rectangles are scaled; the maps and features are not resampled
 *   (they live in their own grid, which the rectangle places on the new frame). The RGB-D meta is
 *   copied unchanged: the depth keeps its own size and calibration; consumers resample it. */
#include <gst/video/video.h>
#include <math.h>

#include "gst/lsfa/lsfa.h"

static const gchar *lsfa_meta_tags[] = {GST_META_TAG_VIDEO_STR, GST_META_TAG_VIDEO_SIZE_STR, NULL};

static GType register_api(const gchar *name, GType *storage) {
  if (g_once_init_enter(storage)) {
    GType t = gst_meta_api_type_register(name, lsfa_meta_tags);
    g_once_init_leave(storage, t);
  }
  return *storage;
}

/* Replaces a buffer reference held by a meta. */
static void replace_buffer(GstBuffer **slot, GstBuffer *buffer) {
  gst_buffer_replace(slot, buffer);
}

/* ------------------------------------------------------------------ RGB-D meta */

static GType rgbd_api_type;

GType gst_lsfa_rgbd_meta_api_get_type(void) {
  return register_api("GstLsfaRgbdMetaAPI", &rgbd_api_type);
}

static gboolean rgbd_meta_init(GstMeta *meta, gpointer params, GstBuffer *buffer) {
  GstLsfaRgbdMeta *m = (GstLsfaRgbdMeta *)meta;
  (void)params;
  (void)buffer;
  m->format = GST_LSFA_DEPTH_FORMAT_GRAY16;
  m->depth = NULL;
  m->width = m->height = 0;
  m->stride = 0;
  m->depth_scale = 0;
  memset(&m->intrinsics, 0, sizeof(m->intrinsics));
  m->mask = NULL;
  return TRUE;
}

static void rgbd_meta_free(GstMeta *meta, GstBuffer *buffer) {
  GstLsfaRgbdMeta *m = (GstLsfaRgbdMeta *)meta;
  (void)buffer;
  gst_clear_buffer(&m->depth);
  gst_clear_buffer(&m->mask);
}

static gboolean rgbd_meta_transform(GstBuffer *dest, GstMeta *meta, GstBuffer *buffer, GQuark type,
                                    gpointer data) {
  GstLsfaRgbdMeta *src = (GstLsfaRgbdMeta *)meta;
  GstLsfaRgbdMeta *dst;
  (void)buffer;
  (void)data;

  if (!GST_META_TRANSFORM_IS_COPY(type) && !GST_VIDEO_META_TRANSFORM_IS_SCALE(type)) return FALSE;
  dst = gst_buffer_add_lsfa_rgbd_meta(dest, src->format, src->depth, src->width, src->height,
                                      src->stride, src->depth_scale, &src->intrinsics);
  if (dst == NULL) return FALSE;
  gst_lsfa_rgbd_meta_set_mask(dst, src->mask);
  return TRUE;
}

const GstMetaInfo *gst_lsfa_rgbd_meta_get_info(void) {
  static const GstMetaInfo *info = NULL;
  if (g_once_init_enter((GstMetaInfo **)&info)) {
    const GstMetaInfo *mi =
        gst_meta_register(GST_LSFA_RGBD_META_API_TYPE, "GstLsfaRgbdMeta", sizeof(GstLsfaRgbdMeta),
                          rgbd_meta_init, rgbd_meta_free, rgbd_meta_transform);
    g_once_init_leave((GstMetaInfo **)&info, (GstMetaInfo *)mi);
  }
  return info;
}

guint gst_lsfa_depth_format_pixel_size(GstLsfaDepthFormat format) {
  return format == GST_LSFA_DEPTH_FORMAT_XYZ_F32 ? 3 * sizeof(gfloat) : sizeof(guint16);
}

/**
 * gst_buffer_add_lsfa_rgbd_meta:
 * @buffer: the RGB frame
 * @format: the depth format
 * @depth: the depth (a new reference is taken)
 * @width: depth width
 * @height: depth height
 * @stride: bytes per depth row (0: tightly packed)
 * @depth_scale: metres per unit (GRAY16)
 * @intrinsics: (nullable): the intrinsics for width x height (GRAY16)
 *
 * Attaches a depth (or XYZ cloud) to an RGB frame.
 *
 * Returns: (transfer none) (nullable): the meta, or %NULL when @depth is too small
 */
GstLsfaRgbdMeta *gst_buffer_add_lsfa_rgbd_meta(GstBuffer *buffer, GstLsfaDepthFormat format,
                                               GstBuffer *depth, guint width, guint height,
                                               gsize stride, gdouble depth_scale,
                                               const GstLsfaIntrinsics *intrinsics) {
  GstLsfaRgbdMeta *m;
  gsize row = (gsize)width * gst_lsfa_depth_format_pixel_size(format);

  g_return_val_if_fail(GST_IS_BUFFER(buffer), NULL);
  g_return_val_if_fail(GST_IS_BUFFER(depth), NULL);
  g_return_val_if_fail(
      format == GST_LSFA_DEPTH_FORMAT_GRAY16 || format == GST_LSFA_DEPTH_FORMAT_XYZ_F32, NULL);
  if (stride == 0) stride = row;
  g_return_val_if_fail(stride >= row, NULL);
  /* stride * (height - 1) + row must not wrap around before it is compared with the size. */
  g_return_val_if_fail(height == 0 || (stride <= (G_MAXSIZE - row) / height &&
                                       gst_buffer_get_size(depth) >= stride * (height - 1) + row),
                       NULL);

  m = (GstLsfaRgbdMeta *)gst_buffer_add_meta(buffer, GST_LSFA_RGBD_META_INFO, NULL);
  if (m == NULL) return NULL;
  m->format = format;
  replace_buffer(&m->depth, depth);
  m->width = width;
  m->height = height;
  m->stride = stride;
  m->depth_scale = depth_scale;
  if (intrinsics) m->intrinsics = *intrinsics;
  return m;
}

/**
 * gst_lsfa_rgbd_meta_set_mask:
 * @meta: the meta
 * @mask: (nullable): GRAY8 width x height, 255 = defect (a new reference is taken; %NULL removes
 * it)
 *
 * Replaces the ground-truth mask.
 */
void gst_lsfa_rgbd_meta_set_mask(GstLsfaRgbdMeta *meta, GstBuffer *mask) {
  g_return_if_fail(meta != NULL);
  g_return_if_fail(mask == NULL || gst_buffer_get_size(mask) >= (gsize)meta->width * meta->height);
  replace_buffer(&meta->mask, mask);
}

/* ------------------------------------------------------------------ features handle */

struct _GstLsfaFeatures {
  gint refcount;
  gpointer data;
  GDestroyNotify free_func;
};

/* Registered as "GstLsfaFeaturesHandle", not after its C name: GstObject names instances after
 * their type ("GstLsfaFeatures" -> "lsfafeatures0"), so the type name GstLsfaFeatures belongs to
 * the lsfafeatures element. */
GType gst_lsfa_features_get_type(void) {
  static gsize type = 0;
  if (g_once_init_enter(&type)) {
    GType t = g_boxed_type_register_static(g_intern_static_string("GstLsfaFeaturesHandle"),
                                           (GBoxedCopyFunc)gst_lsfa_features_ref,
                                           (GBoxedFreeFunc)gst_lsfa_features_unref);
    g_once_init_leave(&type, t);
  }
  return (GType)type;
}

/**
 * gst_lsfa_features_new: (skip)
 *
 * Wraps C++ data of the elements; not for bindings.
 */
GstLsfaFeatures *gst_lsfa_features_new(gpointer data, GDestroyNotify free_func) {
  GstLsfaFeatures *f = g_new0(GstLsfaFeatures, 1);
  f->refcount = 1;
  f->data = data;
  f->free_func = free_func;
  return f;
}

/**
 * gst_lsfa_features_ref: (skip)
 *
 * Reference counting of the elements' C++ data; not for bindings.
 */
GstLsfaFeatures *gst_lsfa_features_ref(GstLsfaFeatures *features) {
  g_return_val_if_fail(features != NULL, NULL);
  g_atomic_int_inc(&features->refcount);
  return features;
}

void gst_lsfa_features_unref(GstLsfaFeatures *features) {
  g_return_if_fail(features != NULL);
  if (g_atomic_int_dec_and_test(&features->refcount)) {
    if (features->free_func) features->free_func(features->data);
    g_free(features);
  }
}

gpointer gst_lsfa_features_get_data(const GstLsfaFeatures *features) {
  g_return_val_if_fail(features != NULL, NULL);
  return features->data;
}

/* ------------------------------------------------------------------ features meta */

static GType features_api_type;

GType gst_lsfa_features_meta_api_get_type(void) {
  return register_api("GstLsfaFeaturesMetaAPI", &features_api_type);
}

static gboolean features_meta_init(GstMeta *meta, gpointer params, GstBuffer *buffer) {
  GstLsfaFeaturesMeta *m = (GstLsfaFeaturesMeta *)meta;
  (void)params;
  (void)buffer;
  m->features = NULL;
  m->extractor_identity = NULL;
  m->modalities = NULL;
  m->rgb_channels = m->rgb_grid = 0;
  m->point_groups = m->point_channels = 0;
  m->model_size = 0;
  m->valid = NULL;
  m->frame_width = m->frame_height = 0;
  memset(&m->model_rect, 0, sizeof(m->model_rect));
  return TRUE;
}

static void features_meta_free(GstMeta *meta, GstBuffer *buffer) {
  GstLsfaFeaturesMeta *m = (GstLsfaFeaturesMeta *)meta;
  (void)buffer;
  if (m->features) gst_lsfa_features_unref(m->features);
  m->features = NULL;
  g_clear_pointer(&m->extractor_identity, g_free);
  g_clear_pointer(&m->modalities, g_free);
  gst_clear_buffer(&m->valid);
}

/* The frame size and the rectangle a meta refers to, copied to a transformed buffer; a scale
 * transform (videoscale) moves the rectangle with the frame. */
static void copy_frame_geometry(const gint *src_w, const gint *src_h, const GstLsfaRect *src_rect,
                                gint *dst_w, gint *dst_h, GstLsfaRect *dst_rect, GQuark type,
                                gpointer data) {
  *dst_w = *src_w;
  *dst_h = *src_h;
  *dst_rect = *src_rect;
  if (GST_VIDEO_META_TRANSFORM_IS_SCALE(type)) {
    GstVideoMetaTransform *t = (GstVideoMetaTransform *)data;
    gint in_w = GST_VIDEO_INFO_WIDTH(t->in_info), in_h = GST_VIDEO_INFO_HEIGHT(t->in_info);
    gint out_w = GST_VIDEO_INFO_WIDTH(t->out_info), out_h = GST_VIDEO_INFO_HEIGHT(t->out_info);
    *dst_rect = gst_lsfa_rect_scale(src_rect, in_w, in_h, out_w, out_h);
    *dst_w = out_w;
    *dst_h = out_h;
  }
}

static gboolean features_meta_transform(GstBuffer *dest, GstMeta *meta, GstBuffer *buffer,
                                        GQuark type, gpointer data) {
  GstLsfaFeaturesMeta *src = (GstLsfaFeaturesMeta *)meta;
  GstLsfaFeaturesMeta *dst;
  (void)buffer;

  if (!GST_META_TRANSFORM_IS_COPY(type) && !GST_VIDEO_META_TRANSFORM_IS_SCALE(type)) return FALSE;
  dst = gst_buffer_add_lsfa_features_meta(dest, src->features, src->extractor_identity,
                                          src->modalities);
  if (dst == NULL) return FALSE;
  dst->rgb_channels = src->rgb_channels;
  dst->rgb_grid = src->rgb_grid;
  dst->point_groups = src->point_groups;
  dst->point_channels = src->point_channels;
  dst->model_size = src->model_size;
  gst_lsfa_features_meta_set_valid(dst, src->valid);
  copy_frame_geometry(&src->frame_width, &src->frame_height, &src->model_rect, &dst->frame_width,
                      &dst->frame_height, &dst->model_rect, type, data);
  return TRUE;
}

const GstMetaInfo *gst_lsfa_features_meta_get_info(void) {
  static const GstMetaInfo *info = NULL;
  if (g_once_init_enter((GstMetaInfo **)&info)) {
    const GstMetaInfo *mi = gst_meta_register(
        GST_LSFA_FEATURES_META_API_TYPE, "GstLsfaFeaturesMeta", sizeof(GstLsfaFeaturesMeta),
        features_meta_init, features_meta_free, features_meta_transform);
    g_once_init_leave((GstMetaInfo **)&info, (GstMetaInfo *)mi);
  }
  return info;
}

/**
 * gst_buffer_add_lsfa_features_meta:
 * @buffer: the frame
 * @features: the features handle (a new reference is taken)
 * @extractor_identity: (nullable): what produced them
 * @modalities: (nullable): "rgb,3d", "rgb" or "3d"
 *
 * Attaches backbone features to a frame.
 *
 * Returns: (transfer none) (nullable): the meta
 */
GstLsfaFeaturesMeta *gst_buffer_add_lsfa_features_meta(GstBuffer *buffer, GstLsfaFeatures *features,
                                                       const gchar *extractor_identity,
                                                       const gchar *modalities) {
  GstLsfaFeaturesMeta *m;

  g_return_val_if_fail(GST_IS_BUFFER(buffer), NULL);
  g_return_val_if_fail(features != NULL, NULL);
  m = (GstLsfaFeaturesMeta *)gst_buffer_add_meta(buffer, GST_LSFA_FEATURES_META_INFO, NULL);
  if (m == NULL) return NULL;
  m->features = gst_lsfa_features_ref(features);
  m->extractor_identity = g_strdup(extractor_identity);
  m->modalities = g_strdup(modalities);
  return m;
}

/**
 * gst_lsfa_features_meta_set_valid:
 * @meta: the meta
 * @valid: (nullable): model_size^2 bytes, 1 = valid point (a new reference is taken; %NULL removes
 * it)
 *
 * Replaces the valid-point mask.
 */
void gst_lsfa_features_meta_set_valid(GstLsfaFeaturesMeta *meta, GstBuffer *valid) {
  g_return_if_fail(meta != NULL);
  replace_buffer(&meta->valid, valid);
}

/* ------------------------------------------------------------------ anomaly meta */

static GType anomaly_api_type;

GType gst_lsfa_anomaly_meta_api_get_type(void) {
  return register_api("GstLsfaAnomalyMetaAPI", &anomaly_api_type);
}

static gboolean anomaly_meta_init(GstMeta *meta, gpointer params, GstBuffer *buffer) {
  GstLsfaAnomalyMeta *m = (GstLsfaAnomalyMeta *)meta;
  (void)params;
  (void)buffer;
  m->score = 0;
  m->score_rgb = NAN;
  m->score_3d = NAN;
  m->threshold = 0;
  m->is_anomalous = FALSE;
  m->map = NULL;
  m->map_width = m->map_height = 0;
  m->pixel_threshold = 0;
  m->map_low = 0;
  m->map_high = 1;
  m->frame_width = m->frame_height = 0;
  memset(&m->map_rect, 0, sizeof(m->map_rect));
  return TRUE;
}

static void anomaly_meta_free(GstMeta *meta, GstBuffer *buffer) {
  GstLsfaAnomalyMeta *m = (GstLsfaAnomalyMeta *)meta;
  (void)buffer;
  gst_clear_buffer(&m->map);
}

static gboolean anomaly_meta_transform(GstBuffer *dest, GstMeta *meta, GstBuffer *buffer,
                                       GQuark type, gpointer data) {
  GstLsfaAnomalyMeta *src = (GstLsfaAnomalyMeta *)meta;
  GstLsfaAnomalyMeta *dst;
  (void)buffer;

  if (!GST_META_TRANSFORM_IS_COPY(type) && !GST_VIDEO_META_TRANSFORM_IS_SCALE(type)) return FALSE;
  dst = gst_buffer_add_lsfa_anomaly_meta(dest);
  if (dst == NULL) return FALSE;
  dst->score = src->score;
  dst->score_rgb = src->score_rgb;
  dst->score_3d = src->score_3d;
  dst->threshold = src->threshold;
  dst->is_anomalous = src->is_anomalous;
  gst_lsfa_anomaly_meta_set_map(dst, src->map, src->map_width, src->map_height);
  dst->pixel_threshold = src->pixel_threshold;
  dst->map_low = src->map_low;
  dst->map_high = src->map_high;
  copy_frame_geometry(&src->frame_width, &src->frame_height, &src->map_rect, &dst->frame_width,
                      &dst->frame_height, &dst->map_rect, type, data);
  return TRUE;
}

const GstMetaInfo *gst_lsfa_anomaly_meta_get_info(void) {
  static const GstMetaInfo *info = NULL;
  if (g_once_init_enter((GstMetaInfo **)&info)) {
    const GstMetaInfo *mi = gst_meta_register(GST_LSFA_ANOMALY_META_API_TYPE, "GstLsfaAnomalyMeta",
                                              sizeof(GstLsfaAnomalyMeta), anomaly_meta_init,
                                              anomaly_meta_free, anomaly_meta_transform);
    g_once_init_leave((GstMetaInfo **)&info, (GstMetaInfo *)mi);
  }
  return info;
}

/**
 * gst_buffer_add_lsfa_anomaly_meta:
 * @buffer: the frame
 *
 * Attaches an empty anomaly meta (scores 0, modality scores NaN, no map); fill the members
 * afterwards.
 *
 * Returns: (transfer none) (nullable): the meta
 */
GstLsfaAnomalyMeta *gst_buffer_add_lsfa_anomaly_meta(GstBuffer *buffer) {
  g_return_val_if_fail(GST_IS_BUFFER(buffer), NULL);
  return (GstLsfaAnomalyMeta *)gst_buffer_add_meta(buffer, GST_LSFA_ANOMALY_META_INFO, NULL);
}

/**
 * gst_lsfa_anomaly_meta_set_map:
 * @meta: the meta
 * @map: (nullable): width x height gfloat (a new reference is taken; %NULL removes the map)
 * @width: map width
 * @height: map height
 *
 * Replaces the anomaly map.
 *
 * Returns: %FALSE when @map holds fewer than @width x @height floats
 */
gboolean gst_lsfa_anomaly_meta_set_map(GstLsfaAnomalyMeta *meta, GstBuffer *map, guint width,
                                       guint height) {
  g_return_val_if_fail(meta != NULL, FALSE);
  /* Sizes beyond G_MAXINT would turn negative in the (gint) indexing of the sampler, and
   * width * height * 4 must not wrap around before the size comparison. */
  if (map != NULL && (width > G_MAXINT || height > G_MAXINT ||
                      (width != 0 && height > G_MAXSIZE / sizeof(gfloat) / width) ||
                      gst_buffer_get_size(map) < (gsize)width * height * sizeof(gfloat)))
    return FALSE;
  replace_buffer(&meta->map, map);
  meta->map_width = map ? width : 0;
  meta->map_height = map ? height : 0;
  return TRUE;
}

/**
 * gst_lsfa_anomaly_meta_sample: (skip)
 *
 * Takes the mapped map memory; bindings use gst_lsfa_anomaly_meta_get_map_value() instead.
 */
gboolean gst_lsfa_anomaly_meta_sample(const GstLsfaAnomalyMeta *meta, const gfloat *data, gdouble x,
                                      gdouble y, gfloat *value) {
  gdouble gx, gy, fx, fy;
  gint x0, y0, x1, y1, w, h;

  if (meta->map == NULL || data == NULL || meta->map_width == 0 || meta->map_height == 0)
    return FALSE;
  /* Written so that NaN anywhere (position or rectangle) answers "outside". */
  if (!(x >= meta->map_rect.x && y >= meta->map_rect.y &&
        x < meta->map_rect.x + meta->map_rect.width &&
        y < meta->map_rect.y + meta->map_rect.height))
    return FALSE;
  w = meta->map_width;
  h = meta->map_height;
  gst_lsfa_rect_frame_to_grid(&meta->map_rect, w, h, x, y, &gx, &gy);
  /* An infinite rectangle or position gives no grid position; (gint)floor(NaN) is undefined. */
  if (!isfinite(gx) || !isfinite(gy)) return FALSE;
  /* Clamp to the outer cell centres (edge replication, as align_corners=false resizing does). */
  gx = CLAMP(gx, 0.0, (gdouble)(w - 1));
  gy = CLAMP(gy, 0.0, (gdouble)(h - 1));
  x0 = (gint)floor(gx);
  y0 = (gint)floor(gy);
  x1 = MIN(x0 + 1, w - 1);
  y1 = MIN(y0 + 1, h - 1);
  fx = gx - x0;
  fy = gy - y0;
  *value = (gfloat)((1 - fy) * ((1 - fx) * data[y0 * w + x0] + fx * data[y0 * w + x1]) +
                    fy * ((1 - fx) * data[y1 * w + x0] + fx * data[y1 * w + x1]));
  return TRUE;
}

void gst_lsfa_caps_init(void) {
  gst_lsfa_rgbd_meta_get_info();
  gst_lsfa_features_meta_get_info();
  gst_lsfa_anomaly_meta_get_info();
  gst_lsfa_alarm_meta_get_info();
  gst_lsfa_sample_meta_get_info();
  gst_lsfa_sample_tags_register();
  gst_lsfa_features_get_type();
}
