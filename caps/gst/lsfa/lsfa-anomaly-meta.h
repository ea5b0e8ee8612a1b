/* GstLsfaAnomalyMeta: the anomaly result of one frame (attached by lsfascore, drawn by
 * lsfaoverlay, read by applications). */
#pragma once

#include <gst/gst.h>
#include <gst/lsfa/lsfa-geometry.h>

G_BEGIN_DECLS

typedef struct {
  GstMeta meta;

  gfloat score;     /* fused (or single-modality) normalised image score */
  gfloat score_rgb; /* per-modality normalised image scores; NaN when the modality is off */
  gfloat score_3d;
  gfloat threshold;      /* image threshold in use */
  gboolean is_anomalous; /* score > threshold */

  /* Anomaly map: map_width x map_height gfloat, row-major, tightly packed (owned reference; NULL
   * when no map). Values are in the same normalised units as pixel_threshold; map_low..map_high is
   * the calibrated range a display should span (fixed, not per frame). */
  GstBuffer *map;
  guint map_width, map_height;
  gfloat pixel_threshold;
  gfloat map_low, map_high;

  /* Geometry: the map covers `map_rect` of the frame_width x frame_height frame. */
  gint frame_width, frame_height;
  GstLsfaRect map_rect;
} GstLsfaAnomalyMeta;

GType gst_lsfa_anomaly_meta_api_get_type(void);
#define GST_LSFA_ANOMALY_META_API_TYPE (gst_lsfa_anomaly_meta_api_get_type())
const GstMetaInfo *gst_lsfa_anomaly_meta_get_info(void);
#define GST_LSFA_ANOMALY_META_INFO (gst_lsfa_anomaly_meta_get_info())

#define gst_buffer_get_lsfa_anomaly_meta(b) \
  ((GstLsfaAnomalyMeta *)gst_buffer_get_meta((b), GST_LSFA_ANOMALY_META_API_TYPE))

/* Adds an empty meta (scores 0, no map, scores NaN for modalities). Fill the members afterwards;
 * set the map with gst_lsfa_anomaly_meta_set_map. */
GstLsfaAnomalyMeta *gst_buffer_add_lsfa_anomaly_meta(GstBuffer *buffer);

/* Replaces the map (takes a new reference; NULL removes it). Returns FALSE when `map` holds fewer
 * than width * height floats. */
gboolean gst_lsfa_anomaly_meta_set_map(GstLsfaAnomalyMeta *meta, GstBuffer *map, guint width,
                                       guint height);

/* Bilinear sample of the map at frame position (x, y) (pixel centres at +0.5). Returns FALSE when
 * the position lies outside map_rect or there is no map. `data` is the mapped map memory. */
gboolean gst_lsfa_anomaly_meta_sample(const GstLsfaAnomalyMeta *meta, const gfloat *data, gdouble x,
                                      gdouble y, gfloat *value);

/* Accessors for applications and language bindings (GObject introspection: GstLsfa-1.0); they
 * need no mapping of buffers. See lsfa-meta-accessors.c for the annotations. */

/* The anomaly meta of `buffer`, or NULL (same as gst_buffer_get_lsfa_anomaly_meta). */
GstLsfaAnomalyMeta *gst_lsfa_buffer_get_anomaly_meta(GstBuffer *buffer);

/* A copy of the map as width * height native-endian gfloat, row-major; NULL when there is no map.
 */
GBytes *gst_lsfa_anomaly_meta_get_map_bytes(const GstLsfaAnomalyMeta *meta, guint *width,
                                            guint *height);

/* A newly allocated copy of the map values (g_free it); NULL and *n_values 0 when no map. */
gfloat *gst_lsfa_anomaly_meta_get_map_values(const GstLsfaAnomalyMeta *meta, gsize *n_values);

/* gst_lsfa_anomaly_meta_sample on the meta's own map. */
gboolean gst_lsfa_anomaly_meta_get_map_value(const GstLsfaAnomalyMeta *meta, gdouble x, gdouble y,
                                             gfloat *value);

/* The rectangle of the frame that the map covers. */
void gst_lsfa_anomaly_meta_get_map_rect(const GstLsfaAnomalyMeta *meta, gdouble *x, gdouble *y,
                                        gdouble *width, gdouble *height);

G_END_DECLS
