/**
 * SECTION:element-lsfaoverlay
 * @title: lsfaoverlay
 * @see_also: lsfascore
 *
 * Draws the #GstLsfaAnomalyMeta that lsfascore attached to each frame onto the frame itself: the
 * anomaly map as a heatmap blended with #GstLsfaOverlay:alpha over the rectangle the map covers,
 * with a fixed, model-calibrated colour range (the same value has the same colour in every frame);
 * the outline of the regions above the pixel threshold; the verdict as a red (anomalous) or green
 * (normal) border; the verdict, score and threshold as text; and, with
 * #GstLsfaOverlay:show-colorbar, a colour bar of the range with the pixel threshold marked.
 * Each pixel's heatmap colour is that of the value gst_lsfa_anomaly_meta_sample() returns at the
 * pixel's centre. Frames without the meta pass unchanged. The drawing is liblsfa's
 * (lsfa/render/overlay.h); this element maps the frame and reads the meta.
 *
 * ## Example launch lines
 * |[
 * gst-launch-1.0 lsfasrc location=data category=bagel ! lsfafeatures model=bagel.lsfa ! \
 *     lsfascore model=bagel.lsfa ! lsfaoverlay show-colorbar=true ! videoconvert ! autovideosink
 * ]| Plays the test split of a data set with the heatmap, verdict, score and colour bar.
 * |[
 * gst-launch-1.0 lsfasrc location=data category=bagel num-buffers=1 ! \
 *     lsfafeatures model=bagel.lsfa ! lsfascore model=bagel.lsfa ! \
 *     lsfaoverlay colormap=inferno alpha=0.35 show-contour=false ! \
 *     videoconvert ! pngenc ! filesink location=frame.png
 * ]| Writes the first frame as a PNG with a fainter inferno heatmap and no contour.
 */
#include "gstlsfaoverlay.h"
#include "lsfa_plugin_info.h"

#include <gst/lsfa/lsfa.h>

#include <vector>

#include "lsfa/render/overlay.h"
#include "lsfa_frame_view.h"

GST_DEBUG_CATEGORY_STATIC(gst_lsfa_overlay_debug);
#define GST_CAT_DEFAULT gst_lsfa_overlay_debug

enum {
  PROP_0,
  PROP_COLORMAP,
  PROP_ALPHA,
  PROP_MAP_LOW,
  PROP_MAP_HIGH,
  PROP_SHOW_BORDER,
  PROP_SHOW_SCORE,
  PROP_SHOW_CONTOUR,
  PROP_BORDER_WIDTH,
  PROP_SHOW_COLORBAR,
};

#define DEFAULT_COLORMAP lsfa::Colormap::kJet
#define DEFAULT_ALPHA 0.5
#define DEFAULT_MAP_LOW 0.0f
#define DEFAULT_MAP_HIGH 0.0f
#define DEFAULT_SHOW_BORDER TRUE
#define DEFAULT_SHOW_SCORE TRUE
#define DEFAULT_SHOW_CONTOUR TRUE
#define DEFAULT_BORDER_WIDTH 0
#define DEFAULT_SHOW_COLORBAR FALSE

struct _GstLsfaOverlay {
  GstVideoFilter parent;

  lsfa::OverlayStyle style;  // the properties, guarded by the object lock
};

G_DEFINE_TYPE(GstLsfaOverlay, gst_lsfa_overlay, GST_TYPE_VIDEO_FILTER);
GST_ELEMENT_REGISTER_DEFINE(lsfaoverlay, "lsfaoverlay", GST_RANK_NONE, GST_TYPE_LSFA_OVERLAY);

GType gst_lsfa_colormap_get_type(void) {
  static GType type = 0;
  if (g_once_init_enter(&type)) {
    // The enum's values and names are the library's list; GLib keeps the table for good.
    static std::vector<GEnumValue> values;
    for (const lsfa::ColormapInfo &c : lsfa::colormaps())
      values.push_back({static_cast<gint>(c.map), c.description, c.name});
    values.push_back({0, nullptr, nullptr});
    GType t = g_enum_register_static("GstLsfaColormap", values.data());
    g_once_init_leave(&type, t);
  }
  return type;
}

static void gst_lsfa_overlay_set_property(GObject *object, guint prop_id, const GValue *value,
                                          GParamSpec *pspec) {
  GstLsfaOverlay *self = GST_LSFA_OVERLAY(object);
  GST_OBJECT_LOCK(self);
  switch (prop_id) {
    case PROP_COLORMAP:
      self->style.colormap = static_cast<lsfa::Colormap>(g_value_get_enum(value));
      break;
    case PROP_ALPHA:
      self->style.alpha = g_value_get_double(value);
      break;
    case PROP_MAP_LOW:
      self->style.range.low = g_value_get_float(value);
      break;
    case PROP_MAP_HIGH:
      self->style.range.high = g_value_get_float(value);
      break;
    case PROP_SHOW_BORDER:
      self->style.show_border = g_value_get_boolean(value);
      break;
    case PROP_SHOW_SCORE:
      self->style.show_score = g_value_get_boolean(value);
      break;
    case PROP_SHOW_CONTOUR:
      self->style.show_contour = g_value_get_boolean(value);
      break;
    case PROP_BORDER_WIDTH:
      self->style.border_width = static_cast<int>(g_value_get_uint(value));
      break;
    case PROP_SHOW_COLORBAR:
      self->style.show_colorbar = g_value_get_boolean(value);
      break;
    default:
      G_OBJECT_WARN_INVALID_PROPERTY_ID(object, prop_id, pspec);
      break;
  }
  GST_OBJECT_UNLOCK(self);
}

static void gst_lsfa_overlay_get_property(GObject *object, guint prop_id, GValue *value,
                                          GParamSpec *pspec) {
  GstLsfaOverlay *self = GST_LSFA_OVERLAY(object);
  GST_OBJECT_LOCK(self);
  switch (prop_id) {
    case PROP_COLORMAP:
      g_value_set_enum(value, static_cast<gint>(self->style.colormap));
      break;
    case PROP_ALPHA:
      g_value_set_double(value, self->style.alpha);
      break;
    case PROP_MAP_LOW:
      g_value_set_float(value, self->style.range.low);
      break;
    case PROP_MAP_HIGH:
      g_value_set_float(value, self->style.range.high);
      break;
    case PROP_SHOW_BORDER:
      g_value_set_boolean(value, self->style.show_border);
      break;
    case PROP_SHOW_SCORE:
      g_value_set_boolean(value, self->style.show_score);
      break;
    case PROP_SHOW_CONTOUR:
      g_value_set_boolean(value, self->style.show_contour);
      break;
    case PROP_BORDER_WIDTH:
      g_value_set_uint(value, static_cast<guint>(self->style.border_width));
      break;
    case PROP_SHOW_COLORBAR:
      g_value_set_boolean(value, self->style.show_colorbar);
      break;
    default:
      G_OBJECT_WARN_INVALID_PROPERTY_ID(object, prop_id, pspec);
      break;
  }
  GST_OBJECT_UNLOCK(self);
}

// Keeps the anomaly map mapped while it is drawn (also when drawing throws).
class MappedMap {
 public:
  explicit MappedMap(GstBuffer *buffer) : buffer_(buffer) {
    mapped_ = buffer_ != nullptr && gst_buffer_map(buffer_, &info_, GST_MAP_READ);
  }
  ~MappedMap() {
    if (mapped_) gst_buffer_unmap(buffer_, &info_);
  }
  MappedMap(const MappedMap &) = delete;
  MappedMap &operator=(const MappedMap &) = delete;
  bool mapped() const { return mapped_; }
  const GstMapInfo &info() const { return info_; }

 private:
  GstBuffer *buffer_;
  GstMapInfo info_{};
  bool mapped_ = false;
};

static GstFlowReturn gst_lsfa_overlay_transform_frame_ip_unguarded(GstVideoFilter *filter,
                                                                   GstVideoFrame *frame) {
  GstLsfaOverlay *self = GST_LSFA_OVERLAY(filter);
  GstLsfaAnomalyMeta *meta = gst_buffer_get_lsfa_anomaly_meta(frame->buffer);
  if (meta == nullptr) {
    GST_LOG_OBJECT(self, "no anomaly meta on %" GST_PTR_FORMAT ", passing it unchanged",
                   frame->buffer);
    return GST_FLOW_OK;
  }

  GST_OBJECT_LOCK(self);
  const lsfa::OverlayStyle style = self->style;
  GST_OBJECT_UNLOCK(self);

  lsfa_gst::FrameView view = lsfa_gst::frame_view(frame);
  const int w = view.pixels.cols, h = view.pixels.rows;

  lsfa::AnomalyOverlayInput input;
  input.pixel_threshold = meta->pixel_threshold;
  input.calibrated_range = {meta->map_low, meta->map_high};
  input.score = meta->score;
  input.threshold = meta->threshold;
  input.is_anomalous = meta->is_anomalous;
  GstLsfaRect rect = meta->map_rect;
  // A scaler that did not transform the meta leaves the old frame size in it: place the map on
  // the new frame the way the meta's own scale transform would.
  if (meta->frame_width > 0 && meta->frame_height > 0 &&
      (meta->frame_width != w || meta->frame_height != h))
    rect = gst_lsfa_rect_scale(&rect, meta->frame_width, meta->frame_height, w, h);
  input.map_rect = {rect.x, rect.y, rect.width, rect.height};

  MappedMap map(meta->map_width > 0 && meta->map_height > 0 ? meta->map : nullptr);
  if (map.mapped()) {
    if (map.info().size < static_cast<gsize>(meta->map_width) * meta->map_height * sizeof(float)) {
      GST_ELEMENT_ERROR(self, STREAM, FORMAT, ("Malformed anomaly meta"),
                        ("map buffer of %" G_GSIZE_FORMAT " bytes for a %ux%u map", map.info().size,
                         meta->map_width, meta->map_height));
      return GST_FLOW_ERROR;
    }
    // A read-only view: the library only reads the map.
    input.map = cv::Mat(static_cast<int>(meta->map_height), static_cast<int>(meta->map_width),
                        CV_32FC1, map.info().data);
  }
  lsfa::draw_anomaly_overlay(view.pixels, view.order, input, style);
  return GST_FLOW_OK;
}

// The vfunc boundary: no C++ exception may cross into GStreamer.
static GstFlowReturn gst_lsfa_overlay_transform_frame_ip(GstVideoFilter *filter,
                                                         GstVideoFrame *frame) {
  try {
    return gst_lsfa_overlay_transform_frame_ip_unguarded(filter, frame);
  } catch (const std::exception &e) {
    GST_ELEMENT_ERROR(filter, STREAM, FAILED, ("LSFA overlay failed"), ("%s", e.what()));
    return GST_FLOW_ERROR;
  }
}

static void gst_lsfa_overlay_class_init(GstLsfaOverlayClass *klass) {
  GObjectClass *gobject_class = G_OBJECT_CLASS(klass);
  GstElementClass *element_class = GST_ELEMENT_CLASS(klass);
  GstVideoFilterClass *filter_class = GST_VIDEO_FILTER_CLASS(klass);

  gobject_class->set_property = gst_lsfa_overlay_set_property;
  gobject_class->get_property = gst_lsfa_overlay_get_property;

  const GParamFlags rw = static_cast<GParamFlags>(G_PARAM_READWRITE | G_PARAM_STATIC_STRINGS |
                                                  GST_PARAM_MUTABLE_PLAYING);
  g_object_class_install_property(
      gobject_class, PROP_COLORMAP,
      g_param_spec_enum("colormap", "Colour map", "Colour map of the heatmap",
                        GST_TYPE_LSFA_COLORMAP, static_cast<gint>(DEFAULT_COLORMAP), rw));
  g_object_class_install_property(
      gobject_class, PROP_ALPHA,
      g_param_spec_double("alpha", "Alpha",
                          "Opacity of the heatmap (0 = frame only, 1 = heatmap only)", 0.0, 1.0,
                          DEFAULT_ALPHA, rw));
  g_object_class_install_property(
      gobject_class, PROP_MAP_LOW,
      g_param_spec_float("map-low", "Map low",
                         "Map value drawn with the low end of the colour map. When map-low >= "
                         "map-high (the default), the calibrated range stored in the meta is used",
                         -G_MAXFLOAT, G_MAXFLOAT, DEFAULT_MAP_LOW, rw));
  g_object_class_install_property(
      gobject_class, PROP_MAP_HIGH,
      g_param_spec_float("map-high", "Map high",
                         "Map value drawn with the high end of the colour map (see map-low)",
                         -G_MAXFLOAT, G_MAXFLOAT, DEFAULT_MAP_HIGH, rw));
  g_object_class_install_property(
      gobject_class, PROP_SHOW_BORDER,
      g_param_spec_boolean("show-border", "Show border",
                           "Draw a border in the verdict colour (red = anomalous, green = normal)",
                           DEFAULT_SHOW_BORDER, rw));
  g_object_class_install_property(
      gobject_class, PROP_SHOW_SCORE,
      g_param_spec_boolean("show-score", "Show score",
                           "Draw the verdict, image score and threshold as text, e.g. "
                           "\"ANOMALY 0.73/0.50\"",
                           DEFAULT_SHOW_SCORE, rw));
  g_object_class_install_property(
      gobject_class, PROP_SHOW_CONTOUR,
      g_param_spec_boolean("show-contour", "Show contour",
                           "Outline in white the regions above the pixel threshold",
                           DEFAULT_SHOW_CONTOUR, rw));
  g_object_class_install_property(
      gobject_class, PROP_BORDER_WIDTH,
      g_param_spec_uint("border-width", "Border width",
                        "Width of the verdict border in pixels (0 = 1 % of the shorter side, at "
                        "least 2)",
                        0, 1024, DEFAULT_BORDER_WIDTH, rw));
  g_object_class_install_property(
      gobject_class, PROP_SHOW_COLORBAR,
      g_param_spec_boolean("show-colorbar", "Show colour bar",
                           "Draw a colour bar of the display range (map-low..map-high or the "
                           "calibrated range) at the right, with the pixel threshold marked",
                           DEFAULT_SHOW_COLORBAR, rw));

  GstCaps *caps = gst_caps_from_string(GST_LSFA_RGB_CAPS);
  gst_element_class_add_pad_template(
      element_class, gst_pad_template_new("sink", GST_PAD_SINK, GST_PAD_ALWAYS, caps));
  gst_element_class_add_pad_template(
      element_class, gst_pad_template_new("src", GST_PAD_SRC, GST_PAD_ALWAYS, caps));
  gst_caps_unref(caps);

  gst_element_class_set_static_metadata(
      element_class, "LSFA anomaly overlay", "Filter/Effect/Video",
      "Draws the LSFA anomaly map (fixed calibrated colour "
      "scale), contours, verdict, score and optionally a colour bar "
      "over the frame",
      LSFA_ELEMENT_AUTHOR);

  filter_class->transform_frame_ip = GST_DEBUG_FUNCPTR(gst_lsfa_overlay_transform_frame_ip);

  gst_type_mark_as_plugin_api(GST_TYPE_LSFA_COLORMAP, static_cast<GstPluginAPIFlags>(0));
  GST_DEBUG_CATEGORY_INIT(gst_lsfa_overlay_debug, "lsfaoverlay", 0, "LSFA anomaly overlay");
}

static void gst_lsfa_overlay_init(GstLsfaOverlay *self) {
  self->style.colormap = DEFAULT_COLORMAP;
  self->style.alpha = DEFAULT_ALPHA;
  self->style.range = {DEFAULT_MAP_LOW, DEFAULT_MAP_HIGH};
  self->style.show_border = DEFAULT_SHOW_BORDER;
  self->style.show_score = DEFAULT_SHOW_SCORE;
  self->style.show_contour = DEFAULT_SHOW_CONTOUR;
  self->style.border_width = DEFAULT_BORDER_WIDTH;
  self->style.show_colorbar = DEFAULT_SHOW_COLORBAR;
}
