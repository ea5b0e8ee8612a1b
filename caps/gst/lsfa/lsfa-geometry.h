/* Geometry shared by the lsfa metas: which rectangle of the video frame an analysis grid (model
 * input, anomaly map) covers. Kept in doubles so that a chain of scalers does not accumulate
 * rounding. */
#pragma once

#include <glib.h>

G_BEGIN_DECLS

/* A rectangle in frame pixel coordinates (x to the right, y down, pixel (0,0) spans [0,1)x[0,1)).
 * It may extend beyond the frame (a padded model input covers more than the frame). */
typedef struct {
  gdouble x, y, width, height;
} GstLsfaRect;

/* Scales a rectangle when the frame is scaled from in_w x in_h to out_w x out_h. */
GstLsfaRect gst_lsfa_rect_scale(const GstLsfaRect *rect, gint in_w, gint in_h, gint out_w,
                                gint out_h);

/* Maps a frame position (pixel centre at x + 0.5) to continuous grid coordinates of a grid of
 * grid_w x grid_h cells covering `rect`: cell (i, j) has its centre at (i, j). */
void gst_lsfa_rect_frame_to_grid(const GstLsfaRect *rect, gint grid_w, gint grid_h, gdouble x,
                                 gdouble y, gdouble *gx, gdouble *gy);

G_END_DECLS
