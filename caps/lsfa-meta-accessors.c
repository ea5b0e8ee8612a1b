/* Accessors of the lsfa metas for applications and language bindings.
 *
 * The meta structs are readable from C directly; bindings (Python through GObject introspection,
 * namespace GstLsfa-1.0) cannot follow the get-meta macros, map a GstBuffer into a float array or
 * read a nested struct portably, so these functions do it and carry the annotations (transfer,
 * array length, nullable) that g-ir-scanner reads from the comment blocks below. */
#include <string.h>

#include "gst/lsfa/lsfa.h"

/* A copy of `size` bytes at `offset` of `buffer` as GBytes; NULL when the buffer is too small. */
static GBytes *copy_region(GstBuffer *buffer, gsize offset, gsize size) {
  gpointer data;
  if (gst_buffer_get_size(buffer) < offset + size) return NULL;
  data = g_malloc(size > 0 ? size : 1);
  gst_buffer_extract(buffer, offset, data, size);
  return g_bytes_new_take(data, size);
}

/* ------------------------------------------------------------------ anomaly meta */

/**
 * gst_lsfa_buffer_get_anomaly_meta:
 * @buffer: a #GstBuffer
 *
 * Finds the anomaly result that lsfascore attached to @buffer.
 *
 * Returns: (transfer none) (nullable): the #GstLsfaAnomalyMeta of @buffer, or %NULL when it has
 * none
 */
GstLsfaAnomalyMeta *gst_lsfa_buffer_get_anomaly_meta(GstBuffer *buffer) {
  g_return_val_if_fail(GST_IS_BUFFER(buffer), NULL);
  return gst_buffer_get_lsfa_anomaly_meta(buffer);
}

/**
 * gst_lsfa_anomaly_meta_get_map_bytes:
 * @meta: a #GstLsfaAnomalyMeta
 * @width: (out) (optional): the map width in cells (0 when there is no map)
 * @height: (out) (optional): the map height in cells (0 when there is no map)
 *
 * Copies the anomaly map: @width x @height native-endian 32-bit floats, row-major, tightly packed
 * (in Python: `numpy.frombuffer(b.get_data(), numpy.float32).reshape(height, width)`).
 *
 * Returns: (transfer full) (nullable): the map, or %NULL when the meta has no map
 */
GBytes *gst_lsfa_anomaly_meta_get_map_bytes(const GstLsfaAnomalyMeta *meta, guint *width,
                                            guint *height) {
  GBytes *bytes = NULL;
  g_return_val_if_fail(meta != NULL, NULL);
  if (meta->map != NULL)
    bytes = copy_region(meta->map, 0, (gsize)meta->map_width * meta->map_height * sizeof(gfloat));
  if (width) *width = bytes ? meta->map_width : 0;
  if (height) *height = bytes ? meta->map_height : 0;
  return bytes;
}

/**
 * gst_lsfa_anomaly_meta_get_map_values:
 * @meta: a #GstLsfaAnomalyMeta
 * @n_values: (out): the number of values (map_width x map_height; 0 when there is no map)
 *
 * Copies the anomaly map as an array of floats, row-major (value of cell (x, y) at
 * y * map_width + x).
 *
 * Returns: (transfer full) (array length=n_values) (nullable): the map values, or %NULL when the
 * meta has no map
 */
gfloat *gst_lsfa_anomaly_meta_get_map_values(const GstLsfaAnomalyMeta *meta, gsize *n_values) {
  gsize n;
  gfloat *values;
  g_return_val_if_fail(meta != NULL, NULL);
  g_return_val_if_fail(n_values != NULL, NULL);
  *n_values = 0;
  n = (gsize)meta->map_width * meta->map_height;
  if (meta->map == NULL || n == 0 || gst_buffer_get_size(meta->map) < n * sizeof(gfloat))
    return NULL;
  values = g_new(gfloat, n);
  gst_buffer_extract(meta->map, 0, values, n * sizeof(gfloat));
  *n_values = n;
  return values;
}

/**
 * gst_lsfa_anomaly_meta_get_map_value:
 * @meta: a #GstLsfaAnomalyMeta
 * @x: frame x position (pixel centres at +0.5)
 * @y: frame y position (pixel centres at +0.5)
 * @value: (out): the bilinear sample of the map at (@x, @y)
 *
 * Samples the map at a frame position, as gst_lsfa_anomaly_meta_sample() does, on the meta's own
 * map.
 *
 * Returns: %FALSE when the position lies outside map_rect or there is no map
 */
gboolean gst_lsfa_anomaly_meta_get_map_value(const GstLsfaAnomalyMeta *meta, gdouble x, gdouble y,
                                             gfloat *value) {
  GstMapInfo info;
  gboolean ok;
  g_return_val_if_fail(meta != NULL, FALSE);
  g_return_val_if_fail(value != NULL, FALSE);
  *value = 0;
  if (meta->map == NULL || !gst_buffer_map(meta->map, &info, GST_MAP_READ)) return FALSE;
  ok = gst_lsfa_anomaly_meta_sample(meta, (const gfloat *)info.data, x, y, value);
  gst_buffer_unmap(meta->map, &info);
  return ok;
}

/**
 * gst_lsfa_anomaly_meta_get_map_rect:
 * @meta: a #GstLsfaAnomalyMeta
 * @x: (out): left edge, frame pixels
 * @y: (out): top edge, frame pixels
 * @width: (out): width, frame pixels
 * @height: (out): height, frame pixels
 *
 * The rectangle of the frame_width x frame_height frame that the map covers.
 */
void gst_lsfa_anomaly_meta_get_map_rect(const GstLsfaAnomalyMeta *meta, gdouble *x, gdouble *y,
                                        gdouble *width, gdouble *height) {
  g_return_if_fail(meta != NULL);
  if (x) *x = meta->map_rect.x;
  if (y) *y = meta->map_rect.y;
  if (width) *width = meta->map_rect.width;
  if (height) *height = meta->map_rect.height;
}

/* ------------------------------------------------------------------ RGB-D meta */

/**
 * gst_lsfa_buffer_get_rgbd_meta:
 * @buffer: a #GstBuffer
 *
 * Finds the depth (or XYZ cloud) attached to the RGB frame @buffer.
 *
 * Returns: (transfer none) (nullable): the #GstLsfaRgbdMeta of @buffer, or %NULL when it has none
 */
GstLsfaRgbdMeta *gst_lsfa_buffer_get_rgbd_meta(GstBuffer *buffer) {
  g_return_val_if_fail(GST_IS_BUFFER(buffer), NULL);
  return gst_buffer_get_lsfa_rgbd_meta(buffer);
}

/**
 * gst_lsfa_rgbd_meta_get_depth_bytes:
 * @meta: a #GstLsfaRgbdMeta
 *
 * Copies the depth without row padding: height rows of width pixels, each
 * gst_lsfa_depth_format_pixel_size() bytes (one guint16 for GRAY16, three 32-bit floats x, y, z
 * for XYZ_F32; native endian).
 *
 * Returns: (transfer full) (nullable): the depth, or %NULL when the meta holds no depth buffer
 */
GBytes *gst_lsfa_rgbd_meta_get_depth_bytes(const GstLsfaRgbdMeta *meta) {
  gsize row, y;
  guint8 *data;
  g_return_val_if_fail(meta != NULL, NULL);
  if (meta->depth == NULL) return NULL;
  row = (gsize)meta->width * gst_lsfa_depth_format_pixel_size(meta->format);
  if (meta->stride == row) return copy_region(meta->depth, 0, row * meta->height);
  /* gst_buffer_add_lsfa_rgbd_meta checked that height rows of `stride` bytes fit. */
  data = g_malloc(row * meta->height > 0 ? row * meta->height : 1);
  for (y = 0; y < meta->height; ++y)
    gst_buffer_extract(meta->depth, y * meta->stride, data + y * row, row);
  return g_bytes_new_take(data, row * meta->height);
}

/**
 * gst_lsfa_rgbd_meta_get_mask_bytes:
 * @meta: a #GstLsfaRgbdMeta
 *
 * Copies the ground-truth mask (width x height bytes, 255 = defect), which lsfasrc attaches for
 * test samples.
 *
 * Returns: (transfer full) (nullable): the mask, or %NULL when the meta has none
 */
GBytes *gst_lsfa_rgbd_meta_get_mask_bytes(const GstLsfaRgbdMeta *meta) {
  g_return_val_if_fail(meta != NULL, NULL);
  if (meta->mask == NULL) return NULL;
  return copy_region(meta->mask, 0, (gsize)meta->width * meta->height);
}

/**
 * gst_lsfa_rgbd_meta_get_intrinsics:
 * @meta: a #GstLsfaRgbdMeta
 * @fx: (out): focal length x, pixels
 * @fy: (out): focal length y, pixels
 * @cx: (out): principal point x, pixels
 * @cy: (out): principal point y, pixels
 *
 * The pinhole intrinsics of a GRAY16 depth, for its width x height (zeros for XYZ_F32).
 */
void gst_lsfa_rgbd_meta_get_intrinsics(const GstLsfaRgbdMeta *meta, gdouble *fx, gdouble *fy,
                                       gdouble *cx, gdouble *cy) {
  g_return_if_fail(meta != NULL);
  if (fx) *fx = meta->intrinsics.fx;
  if (fy) *fy = meta->intrinsics.fy;
  if (cx) *cx = meta->intrinsics.cx;
  if (cy) *cy = meta->intrinsics.cy;
}

/* ------------------------------------------------------------------ features meta */

/**
 * gst_lsfa_buffer_get_features_meta:
 * @buffer: a #GstBuffer
 *
 * Finds the backbone features that lsfafeatures attached to @buffer (their sizes and geometry;
 * the tensors themselves are only usable through liblsfa).
 *
 * Returns: (transfer none) (nullable): the #GstLsfaFeaturesMeta of @buffer, or %NULL when it has
 * none
 */
GstLsfaFeaturesMeta *gst_lsfa_buffer_get_features_meta(GstBuffer *buffer) {
  g_return_val_if_fail(GST_IS_BUFFER(buffer), NULL);
  return gst_buffer_get_lsfa_features_meta(buffer);
}
