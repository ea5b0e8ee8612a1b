/* The gstlsfacaps headers used from plain C, as an application would: attach and read back each
 * meta. Exit status 0 = pass; each failed check prints its line. */
#include <gst/lsfa/lsfa.h>
#include <math.h>
#include <stdio.h>
#include <string.h>

static int failures = 0;
#define CHECK(cond)                                              \
  do {                                                           \
    if (!(cond)) {                                               \
      fprintf(stderr, "%s:%d: %s\n", __FILE__, __LINE__, #cond); \
      failures++;                                                \
    }                                                            \
  } while (0)

int main(int argc, char **argv) {
  gst_init(&argc, &argv);
  gst_lsfa_caps_init();

  GstBuffer *frame = gst_buffer_new();
  float values[6] = {0, 1, 2, 3, 4, 5};
  GstBuffer *map = gst_buffer_new_memdup(values, sizeof values);
  GstLsfaAnomalyMeta *a = gst_buffer_add_lsfa_anomaly_meta(frame);
  CHECK(a != NULL);
  CHECK(isnan(a->score_3d));
  a->score = 1.5f;
  a->threshold = 1.0f;
  a->is_anomalous = TRUE;
  a->map_rect.x = 0;
  a->map_rect.y = 0;
  a->map_rect.width = 3;
  a->map_rect.height = 2;
  CHECK(gst_lsfa_anomaly_meta_set_map(a, map, 3, 2));
  gst_buffer_unref(map);

  GstBuffer *depth = gst_buffer_new_allocate(NULL, 3 * 2 * 2, NULL);
  GstLsfaIntrinsics k = {100.0, 100.0, 1.0, 0.5};
  CHECK(gst_buffer_add_lsfa_rgbd_meta(frame, GST_LSFA_DEPTH_FORMAT_GRAY16, depth, 3, 2, 0, 0.001,
                                      &k) != NULL);
  gst_buffer_unref(depth);

  CHECK(gst_buffer_add_lsfa_sample_meta(frame, "d/ring/test/good/rgb/000.png", "ring", "test",
                                        "good", "000", 0) != NULL);

  GstBuffer *copy = gst_buffer_copy(frame);
  const GstLsfaAnomalyMeta *c = gst_buffer_get_lsfa_anomaly_meta(copy);
  CHECK(c != NULL && c->is_anomalous && c->map_width == 3 && c->map_height == 2);
  GstMapInfo info;
  CHECK(gst_buffer_map(c->map, &info, GST_MAP_READ));
  float v = -1;
  CHECK(gst_lsfa_anomaly_meta_sample(c, (const float *)info.data, 2.5, 1.5, &v) && v == 5.0f);
  gst_buffer_unmap(c->map, &info);
  const GstLsfaRgbdMeta *r = gst_buffer_get_lsfa_rgbd_meta(copy);
  CHECK(r != NULL && r->stride == 6 && r->intrinsics.fx == 100.0);
  CHECK(gst_buffer_get_lsfa_features_meta(copy) == NULL);
  const GstLsfaSampleMeta *s = gst_buffer_get_lsfa_sample_meta(copy);
  CHECK(s != NULL && strcmp(s->defect, "good") == 0 && s->label == 0);
  GstTagList *tags = gst_lsfa_sample_meta_to_tag_list(s);
  gchar *path = NULL;
  CHECK(gst_tag_list_get_string(tags, GST_LSFA_TAG_SAMPLE_PATH, &path) &&
        strcmp(path, "d/ring/test/good/rgb/000.png") == 0);
  g_free(path);
  gst_tag_list_unref(tags);

  GstCaps *caps = gst_caps_from_string(GST_LSFA_RGBD_CAPS);
  CHECK(gst_lsfa_caps_has_rgbd_feature(caps));
  gst_caps_unref(caps);

  gst_buffer_unref(copy);
  gst_buffer_unref(frame);
  if (failures == 0) printf("all checks passed\n");
  return failures == 0 ? 0 : 1;
}
