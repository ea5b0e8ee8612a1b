/* GstLsfaSampleMeta: which data-set sample a frame shows (attached by lsfasrc), and the tags that
 * carry the same facts for elements that do not know the meta. */
#pragma once

#include <gst/gst.h>

G_BEGIN_DECLS

/* Tags lsfasrc sends in a tag event before each sample's frame (registered by
 * gst_lsfa_caps_init; GST_TAG_FLAG_META). */
/* G_TYPE_STRING: the sample's RGB image file. */
#define GST_LSFA_TAG_SAMPLE_PATH "lsfa-sample-path"
/* G_TYPE_STRING: "good" or the defect type. */
#define GST_LSFA_TAG_DEFECT "lsfa-defect"
/* G_TYPE_INT: 0 = good (defect-free), 1 = anomalous. */
#define GST_LSFA_TAG_LABEL "lsfa-label"

typedef struct {
  GstMeta meta;

  gchar *path;     /* the sample's RGB image file (owned) */
  gchar *category; /* e.g. "bagel" (owned) */
  gchar *split;    /* "train", "validation" or "test" (owned) */
  gchar *defect;   /* "good" or the defect type; Eyecandies: "good" or "bad" (owned) */
  gchar *id;       /* sample name within its defect directory, e.g. "000" (owned) */
  gint label;      /* 0 = good (defect-free), 1 = anomalous */
} GstLsfaSampleMeta;

GType gst_lsfa_sample_meta_api_get_type(void);
#define GST_LSFA_SAMPLE_META_API_TYPE (gst_lsfa_sample_meta_api_get_type())
const GstMetaInfo *gst_lsfa_sample_meta_get_info(void);
#define GST_LSFA_SAMPLE_META_INFO (gst_lsfa_sample_meta_get_info())

/* Adds the meta with copies of the strings (NULL is stored as ""). `label` must be 0 or 1. The
 * meta has no API tags: it does not depend on the pixels, so converters and scalers keep it. */
GstLsfaSampleMeta *gst_buffer_add_lsfa_sample_meta(GstBuffer *buffer, const gchar *path,
                                                   const gchar *category, const gchar *split,
                                                   const gchar *defect, const gchar *id,
                                                   gint label);

/* The meta of `buffer`, or NULL. */
GstLsfaSampleMeta *gst_buffer_get_lsfa_sample_meta(GstBuffer *buffer);

/* A new tag list with GST_LSFA_TAG_SAMPLE_PATH, GST_LSFA_TAG_DEFECT and GST_LSFA_TAG_LABEL of
 * `meta` (registers the tags if needed). Free with gst_tag_list_unref. */
GstTagList *gst_lsfa_sample_meta_to_tag_list(const GstLsfaSampleMeta *meta);

/* Registers the three tags (idempotent; gst_lsfa_caps_init calls it). */
void gst_lsfa_sample_tags_register(void);

G_END_DECLS
