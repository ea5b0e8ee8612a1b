/* GstLsfaFeaturesMeta: the frozen-backbone features of one frame (the output of lsfafeatures, the
 * input of lsfascore). The tensors themselves are held by an opaque, reference-counted
 * GstLsfaFeatures handle (C++ lsfa::SampleFeatures inside), so copying the meta is cheap; their
 * sizes and the valid-point mask are exposed as plain values for C applications. */
#pragma once

#include <gst/gst.h>
#include <gst/lsfa/lsfa-geometry.h>

G_BEGIN_DECLS

/* Opaque reference-counted holder of the features data (immutable once created). */
typedef struct _GstLsfaFeatures GstLsfaFeatures;

GType gst_lsfa_features_get_type(void);
#define GST_LSFA_TYPE_FEATURES (gst_lsfa_features_get_type())

/* Wraps `data`; `free_func` (may be NULL) is called with it when the last reference goes. */
GstLsfaFeatures *gst_lsfa_features_new(gpointer data, GDestroyNotify free_func);
GstLsfaFeatures *gst_lsfa_features_ref(GstLsfaFeatures *features);
void gst_lsfa_features_unref(GstLsfaFeatures *features);
gpointer gst_lsfa_features_get_data(const GstLsfaFeatures *features);

typedef struct {
  GstMeta meta;

  GstLsfaFeatures *features; /* owned reference */
  gchar *extractor_identity; /* backbones + preprocessing that produced them (checked by scorers) */
  gchar *modalities;         /* "rgb,3d", "rgb" or "3d" */

  /* Sizes, for applications that do not link liblsfa. 0 when a modality is off. */
  guint rgb_channels, rgb_grid;       /* RGB patch tokens: rgb_channels x rgb_grid x rgb_grid */
  guint point_groups, point_channels; /* point-group features: point_groups x point_channels */
  guint model_size;                   /* model input side (224) */
  GstBuffer *valid;                   /* model_size^2 bytes, 1 = valid point; may be NULL */

  /* Geometry: the model input square covers `model_rect` of the frame_width x frame_height frame.
   */
  gint frame_width, frame_height;
  GstLsfaRect model_rect;
} GstLsfaFeaturesMeta;

GType gst_lsfa_features_meta_api_get_type(void);
#define GST_LSFA_FEATURES_META_API_TYPE (gst_lsfa_features_meta_api_get_type())
const GstMetaInfo *gst_lsfa_features_meta_get_info(void);
#define GST_LSFA_FEATURES_META_INFO (gst_lsfa_features_meta_get_info())

#define gst_buffer_get_lsfa_features_meta(b) \
  ((GstLsfaFeaturesMeta *)gst_buffer_get_meta((b), GST_LSFA_FEATURES_META_API_TYPE))

/* Adds the meta, taking a new reference to `features` and copying the strings. Set the sizes, the
 * valid mask (gst_lsfa_features_meta_set_valid) and the geometry afterwards. */
GstLsfaFeaturesMeta *gst_buffer_add_lsfa_features_meta(GstBuffer *buffer, GstLsfaFeatures *features,
                                                       const gchar *extractor_identity,
                                                       const gchar *modalities);

/* Replaces the valid mask (takes a new reference; NULL removes it). */
void gst_lsfa_features_meta_set_valid(GstLsfaFeaturesMeta *meta, GstBuffer *valid);

/* The features meta of `buffer`, or NULL (same as gst_buffer_get_lsfa_features_meta); for
 * applications and language bindings (GObject introspection: GstLsfa-1.0). */
GstLsfaFeaturesMeta *gst_lsfa_buffer_get_features_meta(GstBuffer *buffer);

G_END_DECLS
