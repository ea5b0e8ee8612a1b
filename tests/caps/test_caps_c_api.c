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

  /* The accessors for bindings (lsfa-meta-accessors.c) on the copy. */
  CHECK(gst_lsfa_buffer_get_anomaly_meta(copy) == c);
  CHECK(gst_lsfa_buffer_get_rgbd_meta(copy) == r);
  CHECK(gst_lsfa_buffer_get_features_meta(copy) == NULL);
  gsize n = 0;
  gfloat *copied = gst_lsfa_anomaly_meta_get_map_values(c, &n);
  CHECK(n == 6 && copied != NULL && memcmp(copied, values, sizeof values) == 0);
  g_free(copied);
  guint mw = 0, mh = 0;
  GBytes *bytes = gst_lsfa_anomaly_meta_get_map_bytes(c, &mw, &mh);
  CHECK(bytes != NULL && mw == 3 && mh == 2 && g_bytes_get_size(bytes) == sizeof values);
  CHECK(bytes != NULL && memcmp(g_bytes_get_data(bytes, NULL), values, sizeof values) == 0);
  g_bytes_unref(bytes);
  v = -1;
  CHECK(gst_lsfa_anomaly_meta_get_map_value(c, 0.5, 0.5, &v) && v == 0.0f);
  CHECK(gst_lsfa_anomaly_meta_get_map_value(c, 1.5, 1.0, &v) && fabsf(v - 2.5f) < 1e-6f);
  CHECK(!gst_lsfa_anomaly_meta_get_map_value(c, 3.5, 0.5, &v)); /* right of map_rect */
  gdouble rx, ry, rw, rh;
  gst_lsfa_anomaly_meta_get_map_rect(c, &rx, &ry, &rw, &rh);
  CHECK(rx == 0 && ry == 0 && rw == 3 && rh == 2);
  gdouble fx, fy, cx, cy;
  gst_lsfa_rgbd_meta_get_intrinsics(r, &fx, &fy, &cx, &cy);
  CHECK(fx == 100.0 && fy == 100.0 && cx == 1.0 && cy == 0.5);
  CHECK(gst_lsfa_rgbd_meta_get_mask_bytes(r) == NULL);

  /* A meta without a map; a depth with row padding and a mask. */
  GstBuffer *other = gst_buffer_new();
  GstLsfaAnomalyMeta *empty = gst_buffer_add_lsfa_anomaly_meta(other);
  n = 7;
  CHECK(gst_lsfa_anomaly_meta_get_map_values(empty, &n) == NULL && n == 0);
  mw = mh = 7;
  CHECK(gst_lsfa_anomaly_meta_get_map_bytes(empty, &mw, &mh) == NULL && mw == 0 && mh == 0);
  CHECK(!gst_lsfa_anomaly_meta_get_map_value(empty, 0.5, 0.5, &v));
  const guint16 padded[2][4] = {{1, 2, 3, 0xffff}, {4, 5, 6, 0xffff}}; /* 3 pixels + 2 bytes */
  GstBuffer *pdepth = gst_buffer_new_memdup(padded, sizeof padded);
  GstLsfaRgbdMeta *pr = gst_buffer_add_lsfa_rgbd_meta(other, GST_LSFA_DEPTH_FORMAT_GRAY16, pdepth,
                                                      3, 2, 8, 0.001, &k);
  gst_buffer_unref(pdepth);
  const guint8 mask_values[6] = {0, 255, 0, 0, 0, 255};
  GstBuffer *mask = gst_buffer_new_memdup(mask_values, sizeof mask_values);
  gst_lsfa_rgbd_meta_set_mask(pr, mask);
  gst_buffer_unref(mask);
  bytes = gst_lsfa_rgbd_meta_get_depth_bytes(pr);
  const guint16 packed[6] = {1, 2, 3, 4, 5, 6};
  CHECK(bytes != NULL && g_bytes_get_size(bytes) == sizeof packed &&
        memcmp(g_bytes_get_data(bytes, NULL), packed, sizeof packed) == 0);
  g_bytes_unref(bytes);
  bytes = gst_lsfa_rgbd_meta_get_mask_bytes(pr);
  CHECK(bytes != NULL && g_bytes_get_size(bytes) == sizeof mask_values &&
        memcmp(g_bytes_get_data(bytes, NULL), mask_values, sizeof mask_values) == 0);
  g_bytes_unref(bytes);
  gst_buffer_unref(other);

  GstCaps *caps = gst_caps_from_string(GST_LSFA_RGBD_CAPS);
  CHECK(gst_lsfa_caps_has_rgbd_feature(caps));
  gst_caps_unref(caps);

  gst_buffer_unref(copy);
  gst_buffer_unref(frame);
  if (failures == 0) printf("all checks passed\n");
  return failures == 0 ? 0 : 1;
}
