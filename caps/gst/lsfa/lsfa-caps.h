/* Caps strings and caps helpers shared by the lsfa elements and by applications.
 *
 * A paired RGB-D stream travels either as two streams (an RGB stream and a GRAY16_LE depth stream
 * whose caps may carry the depth calibration) or as one RGB stream whose buffers carry a
 * GstLsfaRgbdMeta; the latter is advertised with the caps feature GST_LSFA_CAPS_FEATURE_META_RGBD
 * so that elements unaware of the meta refuse it instead of silently dropping the depth. */
#pragma once

#include <gst/gst.h>
#include <gst/lsfa/lsfa-geometry.h>
#include <gst/video/video.h>

G_BEGIN_DECLS

/* Caps feature of an RGB stream whose buffers carry a GstLsfaRgbdMeta. */
#define GST_LSFA_CAPS_FEATURE_META_RGBD "meta:LsfaRgbd"

/* RGB formats every lsfa element accepts. */
#define GST_LSFA_RGB_FORMATS "{ RGB, BGR, RGBx, BGRx, RGBA, BGRA }"
#define GST_LSFA_RGB_CAPS GST_VIDEO_CAPS_MAKE(GST_LSFA_RGB_FORMATS)
#define GST_LSFA_RGBD_CAPS \
  GST_VIDEO_CAPS_MAKE_WITH_FEATURES(GST_LSFA_CAPS_FEATURE_META_RGBD, GST_LSFA_RGB_FORMATS)
/* Depth stream: 16-bit depth, 0 = no measurement. Optional fields: see GstLsfaDepthCalibration. */
#define GST_LSFA_DEPTH_CAPS GST_VIDEO_CAPS_MAKE("GRAY16_LE")

/* Optional caps fields of the depth stream. */
#define GST_LSFA_CAPS_FIELD_DEPTH_SCALE "depth-scale"         /* (double) metres per depth unit */
#define GST_LSFA_CAPS_FIELD_INTRINSICS "intrinsics"           /* (double)<fx, fy, cx, cy> */
#define GST_LSFA_CAPS_FIELD_INTRINSICS_SIZE "intrinsics-size" /* (int)<width, height> */

/* Pinhole intrinsics in pixels of the image they were calibrated for. */
typedef struct {
  gdouble fx, fy, cx, cy;
} GstLsfaIntrinsics;

typedef enum {
  GST_LSFA_CALIBRATION_HAS_DEPTH_SCALE = 1 << 0,
  GST_LSFA_CALIBRATION_HAS_INTRINSICS = 1 << 1,
  GST_LSFA_CALIBRATION_HAS_INTRINSICS_SIZE = 1 << 2,
} GstLsfaCalibrationFlags;

/* The depth calibration a depth stream's caps may carry. `flags` says which members were given. */
typedef struct {
  GstLsfaCalibrationFlags flags;
  gdouble depth_scale;
  GstLsfaIntrinsics intrinsics;
  gint intrinsics_width, intrinsics_height;
} GstLsfaDepthCalibration;

#define GST_LSFA_CAPS_ERROR (gst_lsfa_caps_error_quark())
GQuark gst_lsfa_caps_error_quark(void);

typedef enum {
  GST_LSFA_CAPS_ERROR_BAD_FIELD, /* a calibration field has the wrong type or an invalid value */
} GstLsfaCapsError;

/* TRUE when the first structure of `caps` has the meta:LsfaRgbd caps feature. */
gboolean gst_lsfa_caps_has_rgbd_feature(const GstCaps *caps);

/* Reads the optional calibration fields of the first structure of `caps` into `calibration`
 * (members not present are left untouched and their flag cleared). Returns FALSE and sets `error`
 * (naming the field and value) when a field is present but malformed: depth-scale not a positive
 * finite number, intrinsics not 4 numbers with positive fx, fy, intrinsics-size not 2 positive
 * integers. */
gboolean gst_lsfa_depth_calibration_from_caps(const GstCaps *caps,
                                              GstLsfaDepthCalibration *calibration, GError **error);

/* Writes the members flagged in `calibration` as fields into every structure of `caps`. */
void gst_lsfa_depth_calibration_to_caps(const GstLsfaDepthCalibration *calibration, GstCaps *caps);

/* Intrinsics calibrated for a from_width x from_height image, expressed for the same view scaled to
 * to_width x to_height (pixel-centre convention: cx' = (cx + 0.5) * sx - 0.5). */
GstLsfaIntrinsics gst_lsfa_intrinsics_rescale(const GstLsfaIntrinsics *intrinsics, gint from_width,
                                              gint from_height, gint to_width, gint to_height);

G_END_DECLS
