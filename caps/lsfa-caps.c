/* Caps helpers: the depth calibration caps fields and the meta:LsfaRgbd caps feature. */
#include <math.h>

#include "gst/lsfa/lsfa.h"

/* The domain name is stringified as written: keep clang-format from spacing out the dashes. */
/* clang-format off */
G_DEFINE_QUARK(gst-lsfa-caps-error-quark, gst_lsfa_caps_error)
/* clang-format on */

gboolean gst_lsfa_caps_has_rgbd_feature(const GstCaps *caps) {
  GstCapsFeatures *features;

  g_return_val_if_fail(GST_IS_CAPS(caps), FALSE);
  if (gst_caps_is_empty(caps) || gst_caps_is_any(caps)) return FALSE;
  features = gst_caps_get_features(caps, 0);
  return features != NULL && gst_caps_features_contains(features, GST_LSFA_CAPS_FEATURE_META_RGBD);
}

/* Reads element `i` of a GstValueArray/GstValueList as a double; ints are accepted too. */
static gboolean array_get_number(const GValue *array, guint i, gdouble *out) {
  const GValue *v = GST_VALUE_HOLDS_ARRAY(array) ? gst_value_array_get_value(array, i)
                                                 : gst_value_list_get_value(array, i);
  if (G_VALUE_HOLDS_DOUBLE(v))
    *out = g_value_get_double(v);
  else if (G_VALUE_HOLDS_FLOAT(v))
    *out = g_value_get_float(v);
  else if (G_VALUE_HOLDS_INT(v))
    *out = g_value_get_int(v);
  else
    return FALSE;
  return TRUE;
}

static guint array_size(const GValue *v) {
  if (GST_VALUE_HOLDS_ARRAY(v)) return gst_value_array_get_size(v);
  if (GST_VALUE_HOLDS_LIST(v)) return gst_value_list_get_size(v);
  return 0;
}

static gboolean bad_field(GError **error, const GstStructure *s, const gchar *field,
                          const gchar *expected) {
  gchar *value = gst_value_serialize(gst_structure_get_value(s, field));
  g_set_error(error, GST_LSFA_CAPS_ERROR, GST_LSFA_CAPS_ERROR_BAD_FIELD,
              "caps field %s=%s is invalid: expected %s", field, value ? value : "(unprintable)",
              expected);
  g_free(value);
  return FALSE;
}

/**
 * gst_lsfa_depth_calibration_from_caps:
 * @caps: depth caps
 * @calibration: (out caller-allocates): the calibration read (members not present keep
 * their value and have their flag cleared)
 * @error: the malformed field, if any
 *
 * Reads the optional calibration fields of the first structure of @caps (see lsfa-caps.h).
 *
 * Returns: (skip): %FALSE when a field is present but malformed (bindings raise the error)
 */
gboolean gst_lsfa_depth_calibration_from_caps(const GstCaps *caps, GstLsfaDepthCalibration *cal,
                                              GError **error) {
  const GstStructure *s;
  const GValue *v;

  g_return_val_if_fail(GST_IS_CAPS(caps), FALSE);
  g_return_val_if_fail(cal != NULL, FALSE);
  cal->flags = 0;
  if (gst_caps_is_empty(caps) || gst_caps_is_any(caps)) return TRUE;
  s = gst_caps_get_structure(caps, 0);

  if ((v = gst_structure_get_value(s, GST_LSFA_CAPS_FIELD_DEPTH_SCALE)) != NULL) {
    gdouble scale;
    if (G_VALUE_HOLDS_DOUBLE(v))
      scale = g_value_get_double(v);
    else if (G_VALUE_HOLDS_INT(v))
      scale = g_value_get_int(v);
    else
      return bad_field(error, s, GST_LSFA_CAPS_FIELD_DEPTH_SCALE, "a positive (double)");
    if (!isfinite(scale) || scale <= 0)
      return bad_field(error, s, GST_LSFA_CAPS_FIELD_DEPTH_SCALE, "a positive (double)");
    cal->depth_scale = scale;
    cal->flags |= GST_LSFA_CALIBRATION_HAS_DEPTH_SCALE;
  }

  if ((v = gst_structure_get_value(s, GST_LSFA_CAPS_FIELD_INTRINSICS)) != NULL) {
    gdouble k[4];
    guint i;
    if (array_size(v) != 4)
      return bad_field(error, s, GST_LSFA_CAPS_FIELD_INTRINSICS, "(double)<fx, fy, cx, cy>");
    for (i = 0; i < 4; i++) {
      if (!array_get_number(v, i, &k[i]) || !isfinite(k[i]))
        return bad_field(error, s, GST_LSFA_CAPS_FIELD_INTRINSICS, "(double)<fx, fy, cx, cy>");
    }
    if (k[0] <= 0 || k[1] <= 0)
      return bad_field(error, s, GST_LSFA_CAPS_FIELD_INTRINSICS, "positive focal lengths fx, fy");
    cal->intrinsics.fx = k[0];
    cal->intrinsics.fy = k[1];
    cal->intrinsics.cx = k[2];
    cal->intrinsics.cy = k[3];
    cal->flags |= GST_LSFA_CALIBRATION_HAS_INTRINSICS;
  }

  if ((v = gst_structure_get_value(s, GST_LSFA_CAPS_FIELD_INTRINSICS_SIZE)) != NULL) {
    const GValue *w, *h;
    if (array_size(v) != 2)
      return bad_field(error, s, GST_LSFA_CAPS_FIELD_INTRINSICS_SIZE, "(int)<width, height>");
    w = GST_VALUE_HOLDS_ARRAY(v) ? gst_value_array_get_value(v, 0) : gst_value_list_get_value(v, 0);
    h = GST_VALUE_HOLDS_ARRAY(v) ? gst_value_array_get_value(v, 1) : gst_value_list_get_value(v, 1);
    if (!G_VALUE_HOLDS_INT(w) || !G_VALUE_HOLDS_INT(h) || g_value_get_int(w) <= 0 ||
        g_value_get_int(h) <= 0)
      return bad_field(error, s, GST_LSFA_CAPS_FIELD_INTRINSICS_SIZE,
                       "(int)<width, height> with positive sizes");
    cal->intrinsics_width = g_value_get_int(w);
    cal->intrinsics_height = g_value_get_int(h);
    cal->flags |= GST_LSFA_CALIBRATION_HAS_INTRINSICS_SIZE;
  }
  return TRUE;
}

static void append_double(GValue *array, gdouble d) {
  GValue v = G_VALUE_INIT;
  g_value_init(&v, G_TYPE_DOUBLE);
  g_value_set_double(&v, d);
  gst_value_array_append_value(array, &v);
  g_value_unset(&v);
}

static void append_int(GValue *array, gint i) {
  GValue v = G_VALUE_INIT;
  g_value_init(&v, G_TYPE_INT);
  g_value_set_int(&v, i);
  gst_value_array_append_value(array, &v);
  g_value_unset(&v);
}

void gst_lsfa_depth_calibration_to_caps(const GstLsfaDepthCalibration *cal, GstCaps *caps) {
  guint i, n;

  g_return_if_fail(cal != NULL);
  g_return_if_fail(GST_IS_CAPS(caps) && gst_caps_is_writable(caps));
  n = gst_caps_get_size(caps);
  for (i = 0; i < n; i++) {
    GstStructure *s = gst_caps_get_structure(caps, i);
    if (cal->flags & GST_LSFA_CALIBRATION_HAS_DEPTH_SCALE)
      gst_structure_set(s, GST_LSFA_CAPS_FIELD_DEPTH_SCALE, G_TYPE_DOUBLE, cal->depth_scale, NULL);
    if (cal->flags & GST_LSFA_CALIBRATION_HAS_INTRINSICS) {
      GValue a = G_VALUE_INIT;
      gst_value_array_init(&a, 4);
      append_double(&a, cal->intrinsics.fx);
      append_double(&a, cal->intrinsics.fy);
      append_double(&a, cal->intrinsics.cx);
      append_double(&a, cal->intrinsics.cy);
      gst_structure_take_value(s, GST_LSFA_CAPS_FIELD_INTRINSICS, &a);
    }
    if (cal->flags & GST_LSFA_CALIBRATION_HAS_INTRINSICS_SIZE) {
      GValue a = G_VALUE_INIT;
      gst_value_array_init(&a, 2);
      append_int(&a, cal->intrinsics_width);
      append_int(&a, cal->intrinsics_height);
      gst_structure_take_value(s, GST_LSFA_CAPS_FIELD_INTRINSICS_SIZE, &a);
    }
  }
}

/**
 * gst_lsfa_intrinsics_rescale: (skip)
 *
 * Returns a plain struct by value, which bindings cannot take (see lsfa-caps.h for the rule).
 */
GstLsfaIntrinsics gst_lsfa_intrinsics_rescale(const GstLsfaIntrinsics *k, gint from_width,
                                              gint from_height, gint to_width, gint to_height) {
  GstLsfaIntrinsics out = *k;
  gdouble sx, sy;

  g_return_val_if_fail(from_width > 0 && from_height > 0, out);
  sx = (gdouble)to_width / from_width;
  sy = (gdouble)to_height / from_height;
  out.fx = k->fx * sx;
  out.fy = k->fy * sy;
  out.cx = (k->cx + 0.5) * sx - 0.5;
  out.cy = (k->cy + 0.5) * sy - 0.5;
  return out;
}

/**
 * gst_lsfa_rect_scale: (skip)
 *
 * Returns a plain struct by value, which bindings cannot take (see lsfa-geometry.h).
 */
GstLsfaRect gst_lsfa_rect_scale(const GstLsfaRect *rect, gint in_w, gint in_h, gint out_w,
                                gint out_h) {
  GstLsfaRect r = *rect;
  gdouble sx, sy;

  g_return_val_if_fail(in_w > 0 && in_h > 0, r);
  sx = (gdouble)out_w / in_w;
  sy = (gdouble)out_h / in_h;
  r.x = rect->x * sx;
  r.y = rect->y * sy;
  r.width = rect->width * sx;
  r.height = rect->height * sy;
  return r;
}

/**
 * gst_lsfa_rect_frame_to_grid:
 * @rect: the rectangle of the frame the grid covers
 * @grid_w: grid width in cells
 * @grid_h: grid height in cells
 * @x: frame x position (pixel centres at +0.5)
 * @y: frame y position (pixel centres at +0.5)
 * @gx: (out): continuous grid x (cell centres at integers)
 * @gy: (out): continuous grid y (cell centres at integers)
 *
 * Maps a frame position to continuous grid coordinates (see lsfa-geometry.h).
 */
void gst_lsfa_rect_frame_to_grid(const GstLsfaRect *rect, gint grid_w, gint grid_h, gdouble x,
                                 gdouble y, gdouble *gx, gdouble *gy) {
  *gx = (x - rect->x) * grid_w / rect->width - 0.5;
  *gy = (y - rect->y) * grid_h / rect->height - 0.5;
}
