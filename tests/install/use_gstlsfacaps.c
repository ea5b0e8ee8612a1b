/* An application outside the build tree, built only with
 * `pkg-config --cflags --libs gstlsfacaps-1.0` (tests/install/test_install.sh): attaches the metas
 * and reads them back through the accessors. Prints "ok" and exits 0 when every value is right. */
#include <gst/lsfa/lsfa.h>
#include <stdio.h>
#include <string.h>

#define CHECK(cond)                                                \
  if (!(cond)) {                                                   \
    fprintf(stderr, "use_gstlsfacaps: check failed: %s\n", #cond); \
    return 1;                                                      \
  }

int main(int argc, char **argv) {
  const float values[6] = {0, 1, 2, 3, 4, 5};
  GstBuffer *frame, *map, *depth;
  GstLsfaAnomalyMeta *a;
  GstLsfaRgbdMeta *r;
  GBytes *bytes;
  gsize n = 0;
  guint w = 0, h = 0;
  gfloat v = -1, *copy;
  const guint16 rows[2][4] = {{1, 2, 3, 0xffff}, {4, 5, 6, 0xffff}}; /* 3 pixels + padding */

  gst_init(&argc, &argv);
  gst_lsfa_caps_init();
  frame = gst_buffer_new();
  map = gst_buffer_new_memdup(values, sizeof values);
  a = gst_buffer_add_lsfa_anomaly_meta(frame);
  a->score = 2.5f;
  a->map_rect.width = 3;
  a->map_rect.height = 2;
  CHECK(gst_lsfa_anomaly_meta_set_map(a, map, 3, 2));
  gst_buffer_unref(map);

  a = gst_lsfa_buffer_get_anomaly_meta(frame);
  CHECK(a != NULL && a->score == 2.5f);
  copy = gst_lsfa_anomaly_meta_get_map_values(a, &n);
  CHECK(n == 6 && memcmp(copy, values, sizeof values) == 0);
  g_free(copy);
  bytes = gst_lsfa_anomaly_meta_get_map_bytes(a, &w, &h);
  CHECK(w == 3 && h == 2 && g_bytes_get_size(bytes) == sizeof values);
  g_bytes_unref(bytes);
  CHECK(gst_lsfa_anomaly_meta_get_map_value(a, 2.5, 1.5, &v) && v == 5.0f);

  depth = gst_buffer_new_memdup(rows, sizeof rows);
  r = gst_buffer_add_lsfa_rgbd_meta(frame, GST_LSFA_DEPTH_FORMAT_GRAY16, depth, 3, 2, 8, 0.001,
                                    NULL);
  gst_buffer_unref(depth);
  CHECK(r != NULL && gst_lsfa_buffer_get_rgbd_meta(frame) == r);
  bytes = gst_lsfa_rgbd_meta_get_depth_bytes(r);
  CHECK(g_bytes_get_size(bytes) == 12);
  CHECK(((const guint16 *)g_bytes_get_data(bytes, NULL))[3] == 4); /* padding removed */
  g_bytes_unref(bytes);
  CHECK(gst_lsfa_buffer_get_features_meta(frame) == NULL);
  gst_buffer_unref(frame);
  printf("ok\n");
  return 0;
}
