/* The sample meta and its tags. The meta holds only strings and a label, copied with the buffer
 * whatever the transform: nothing in it depends on the pixels. */
#include "gst/lsfa/lsfa-sample-meta.h"

static GType sample_api_type;

GType gst_lsfa_sample_meta_api_get_type(void) {
  /* No tags: elements that change the pixels (videoconvert, videoscale, encoders) keep it. */
  static const gchar *tags[] = {NULL};
  if (g_once_init_enter(&sample_api_type)) {
    GType t = gst_meta_api_type_register("GstLsfaSampleMetaAPI", tags);
    g_once_init_leave(&sample_api_type, t);
  }
  return sample_api_type;
}

static gboolean sample_meta_init(GstMeta *meta, gpointer params, GstBuffer *buffer) {
  GstLsfaSampleMeta *m = (GstLsfaSampleMeta *)meta;
  (void)params;
  (void)buffer;
  m->path = m->category = m->split = m->defect = m->id = NULL;
  m->label = 0;
  return TRUE;
}

static void sample_meta_free(GstMeta *meta, GstBuffer *buffer) {
  GstLsfaSampleMeta *m = (GstLsfaSampleMeta *)meta;
  (void)buffer;
  g_free(m->path);
  g_free(m->category);
  g_free(m->split);
  g_free(m->defect);
  g_free(m->id);
}

static gboolean sample_meta_transform(GstBuffer *dest, GstMeta *meta, GstBuffer *buffer,
                                      GQuark type, gpointer data) {
  GstLsfaSampleMeta *src = (GstLsfaSampleMeta *)meta;
  (void)buffer;
  (void)type;
  (void)data;
  return gst_buffer_add_lsfa_sample_meta(dest, src->path, src->category, src->split, src->defect,
                                         src->id, src->label) != NULL;
}

const GstMetaInfo *gst_lsfa_sample_meta_get_info(void) {
  static const GstMetaInfo *info = NULL;
  if (g_once_init_enter((GstMetaInfo **)&info)) {
    const GstMetaInfo *mi = gst_meta_register(GST_LSFA_SAMPLE_META_API_TYPE, "GstLsfaSampleMeta",
                                              sizeof(GstLsfaSampleMeta), sample_meta_init,
                                              sample_meta_free, sample_meta_transform);
    g_once_init_leave((GstMetaInfo **)&info, (GstMetaInfo *)mi);
  }
  return info;
}

/**
 * gst_buffer_add_lsfa_sample_meta: (skip)
 *
 * For lsfasrc; bindings read the sample from the lsfa-sample-* tags.
 */
GstLsfaSampleMeta *gst_buffer_add_lsfa_sample_meta(GstBuffer *buffer, const gchar *path,
                                                   const gchar *category, const gchar *split,
                                                   const gchar *defect, const gchar *id,
                                                   gint label) {
  GstLsfaSampleMeta *m;
  g_return_val_if_fail(GST_IS_BUFFER(buffer), NULL);
  g_return_val_if_fail(label == 0 || label == 1, NULL);
  m = (GstLsfaSampleMeta *)gst_buffer_add_meta(buffer, GST_LSFA_SAMPLE_META_INFO, NULL);
  if (m == NULL) return NULL;
  m->path = g_strdup(path ? path : "");
  m->category = g_strdup(category ? category : "");
  m->split = g_strdup(split ? split : "");
  m->defect = g_strdup(defect ? defect : "");
  m->id = g_strdup(id ? id : "");
  m->label = label;
  return m;
}

/**
 * gst_buffer_get_lsfa_sample_meta: (skip)
 *
 * A bare struct for GObject introspection; bindings read the lsfa-sample-* tags.
 */
GstLsfaSampleMeta *gst_buffer_get_lsfa_sample_meta(GstBuffer *buffer) {
  g_return_val_if_fail(GST_IS_BUFFER(buffer), NULL);
  return (GstLsfaSampleMeta *)gst_buffer_get_meta(buffer, GST_LSFA_SAMPLE_META_API_TYPE);
}

void gst_lsfa_sample_tags_register(void) {
  static gsize done = 0;
  if (g_once_init_enter(&done)) {
    gst_tag_register_static(GST_LSFA_TAG_SAMPLE_PATH, GST_TAG_FLAG_META, G_TYPE_STRING,
                            "lsfa sample path", "the data-set sample's RGB image file", NULL);
    gst_tag_register_static(GST_LSFA_TAG_DEFECT, GST_TAG_FLAG_META, G_TYPE_STRING, "lsfa defect",
                            "the sample's defect type, or good", NULL);
    gst_tag_register_static(GST_LSFA_TAG_LABEL, GST_TAG_FLAG_META, G_TYPE_INT, "lsfa label",
                            "the sample's label: 0 = good, 1 = anomalous", NULL);
    g_once_init_leave(&done, 1);
  }
}

GstTagList *gst_lsfa_sample_meta_to_tag_list(const GstLsfaSampleMeta *meta) {
  g_return_val_if_fail(meta != NULL, NULL);
  gst_lsfa_sample_tags_register();
  return gst_tag_list_new(GST_LSFA_TAG_SAMPLE_PATH, meta->path, GST_LSFA_TAG_DEFECT, meta->defect,
                          GST_LSFA_TAG_LABEL, meta->label, NULL);
}
