// lsfaoverlay: blends the anomaly map of GstLsfaAnomalyMeta over the frame with a fixed,
// model-calibrated normalisation, draws the verdict as a coloured border, the score as text and the
// contour of the regions above the pixel threshold. Frames without the meta pass unchanged.
#include "gstlsfaoverlay.h"

#include <gst/lsfa/lsfa.h>

#include <algorithm>
#include <cmath>
#include <cstdio>
#include <vector>

#include "lsfa_draw.h"

GST_DEBUG_CATEGORY_STATIC(gst_lsfa_overlay_debug);
#define GST_CAT_DEFAULT gst_lsfa_overlay_debug

using lsfa_gst::Colormap;
using lsfa_gst::PackedRgb;
using lsfa_gst::Rgb8;

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
};

#define DEFAULT_COLORMAP Colormap::kJet
#define DEFAULT_ALPHA 0.5
#define DEFAULT_MAP_LOW 0.0f
#define DEFAULT_MAP_HIGH 0.0f
#define DEFAULT_SHOW_BORDER TRUE
#define DEFAULT_SHOW_SCORE TRUE
#define DEFAULT_SHOW_CONTOUR TRUE
#define DEFAULT_BORDER_WIDTH 0

struct _GstLsfaOverlay {
  GstVideoFilter parent;

  // Properties, guarded by the object lock.
  Colormap colormap;
  gdouble alpha;
  gfloat map_low, map_high;
  gboolean show_border, show_score, show_contour;
  guint border_width;
};

G_DEFINE_TYPE(GstLsfaOverlay, gst_lsfa_overlay, GST_TYPE_VIDEO_FILTER);
GST_ELEMENT_REGISTER_DEFINE(lsfaoverlay, "lsfaoverlay", GST_RANK_NONE, GST_TYPE_LSFA_OVERLAY);

GType gst_lsfa_colormap_get_type(void) {
  static GType type = 0;
  static const GEnumValue values[] = {
      {static_cast<gint>(Colormap::kJet), "Jet (blue - cyan - yellow - red)", "jet"},
      {static_cast<gint>(Colormap::kInferno), "Inferno (black - purple - orange - yellow)",
       "inferno"},
      {static_cast<gint>(Colormap::kTurbo), "Turbo (dark blue - green - yellow - dark red)",
       "turbo"},
      {static_cast<gint>(Colormap::kGray), "Gray (black - white)", "gray"},
      {0, nullptr, nullptr}};
  if (g_once_init_enter(&type)) {
    GType t = g_enum_register_static("GstLsfaColormap", values);
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
      self->colormap = static_cast<Colormap>(g_value_get_enum(value));
      break;
    case PROP_ALPHA:
      self->alpha = g_value_get_double(value);
      break;
    case PROP_MAP_LOW:
      self->map_low = g_value_get_float(value);
      break;
    case PROP_MAP_HIGH:
      self->map_high = g_value_get_float(value);
      break;
    case PROP_SHOW_BORDER:
      self->show_border = g_value_get_boolean(value);
      break;
    case PROP_SHOW_SCORE:
      self->show_score = g_value_get_boolean(value);
      break;
    case PROP_SHOW_CONTOUR:
      self->show_contour = g_value_get_boolean(value);
      break;
    case PROP_BORDER_WIDTH:
      self->border_width = g_value_get_uint(value);
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
      g_value_set_enum(value, static_cast<gint>(self->colormap));
      break;
    case PROP_ALPHA:
      g_value_set_double(value, self->alpha);
      break;
    case PROP_MAP_LOW:
      g_value_set_float(value, self->map_low);
      break;
    case PROP_MAP_HIGH:
      g_value_set_float(value, self->map_high);
      break;
    case PROP_SHOW_BORDER:
      g_value_set_boolean(value, self->show_border);
      break;
    case PROP_SHOW_SCORE:
      g_value_set_boolean(value, self->show_score);
      break;
    case PROP_SHOW_CONTOUR:
      g_value_set_boolean(value, self->show_contour);
      break;
    case PROP_BORDER_WIDTH:
      g_value_set_uint(value, self->border_width);
      break;
    default:
      G_OBJECT_WARN_INVALID_PROPERTY_ID(object, prop_id, pspec);
      break;
  }
  GST_OBJECT_UNLOCK(self);
}

// Formats the score text, e.g. "0.73/0.50"; "--" for a missing score.
static std::string score_text(const GstLsfaAnomalyMeta *meta) {
  char buf[64];
  if (std::isfinite(meta->score) && std::isfinite(meta->threshold))
    std::snprintf(buf, sizeof buf, "%.2f/%.2f", meta->score, meta->threshold);
  else
    std::snprintf(buf, sizeof buf, "--");
  return buf;
}

// One axis of a bilinear resampling: the two map cells a frame pixel reads and its weight.
struct Tap {
  bool inside;  // the pixel centre lies in the map rectangle
  int i0, i1;
  double f;  // weight of i1
};

// Taps of the n frame pixels along one axis; `scale` maps frame pixels to the meta's frame size,
// the map's `cells` cover [start, start + length) of that frame.
static std::vector<Tap> taps(int n, double scale, double start, double length, int cells) {
  std::vector<Tap> out(n);
  for (int i = 0; i < n; ++i) {
    const double pos = (i + 0.5) * scale;
    Tap &t = out[i];
    t.inside = cells > 0 && length > 0 && pos >= start && pos < start + length;
    double g = cells > 0 && length > 0 ? (pos - start) * cells / length - 0.5 : 0.0;
    g = std::clamp(g, 0.0, static_cast<double>(std::max(cells - 1, 0)));
    t.i0 = static_cast<int>(std::floor(g));
    t.i1 = std::min(t.i0 + 1, std::max(cells - 1, 0));
    t.f = g - t.i0;
  }
  return out;
}

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
  const Colormap colormap = self->colormap;
  const double alpha = self->alpha;
  float low = self->map_low, high = self->map_high;
  const bool show_border = self->show_border, show_score = self->show_score,
             show_contour = self->show_contour;
  guint border = self->border_width;
  GST_OBJECT_UNLOCK(self);
  if (!(low < high)) {  // properties unset: the calibrated range stored by the scorer
    low = meta->map_low;
    high = meta->map_high;
  }
  if (!(low < high)) high = low + 1.0f;

  PackedRgb img(frame);
  const int w = img.width(), h = img.height();
  const auto &lut = lsfa_gst::colormap_table(colormap);

  GstMapInfo map_info;
  if (meta->map != nullptr && gst_buffer_map(meta->map, &map_info, GST_MAP_READ)) {
    if (map_info.size < static_cast<gsize>(meta->map_width) * meta->map_height * sizeof(float)) {
      gst_buffer_unmap(meta->map, &map_info);
      GST_ELEMENT_ERROR(self, STREAM, FORMAT, ("Malformed anomaly meta"),
                        ("map buffer of %" G_GSIZE_FORMAT " bytes for a %ux%u map",
                         gst_buffer_get_size(meta->map), meta->map_width, meta->map_height));
      return GST_FLOW_ERROR;
    }
    const float *data = reinterpret_cast<const float *>(map_info.data);
    // The map, resampled to frame pixels (NaN outside the rectangle the map covers).
    std::vector<float> values(static_cast<size_t>(w) * h);
    // When a scaler changed the frame size but the meta still names the old size, map the old
    // geometry onto the new frame.
    double sx = meta->frame_width > 0 ? static_cast<double>(meta->frame_width) / w : 1.0;
    double sy = meta->frame_height > 0 ? static_cast<double>(meta->frame_height) / h : 1.0;
    // Bilinear weights are separable: computed once per column and per row, with the same rule
    // as gst_lsfa_anomaly_meta_sample (edge cells clamped, NaN outside the map rectangle).
    const std::vector<Tap> cols =
        taps(w, sx, meta->map_rect.x, meta->map_rect.width, static_cast<int>(meta->map_width));
    const std::vector<Tap> rows =
        taps(h, sy, meta->map_rect.y, meta->map_rect.height, static_cast<int>(meta->map_height));
    const int mw = static_cast<int>(meta->map_width);
    for (int y = 0; y < h; ++y) {
      const Tap &ty = rows[y];
      float *out = &values[static_cast<size_t>(y) * w];
      if (!ty.inside || mw == 0) {
        std::fill(out, out + w, NAN);
        continue;
      }
      const float *r0 = data + static_cast<size_t>(ty.i0) * mw;
      const float *r1 = data + static_cast<size_t>(ty.i1) * mw;
      for (int x = 0; x < w; ++x) {
        const Tap &tx = cols[x];
        if (!tx.inside) {
          out[x] = NAN;
          continue;
        }
        out[x] = static_cast<float>((1 - ty.f) * ((1 - tx.f) * r0[tx.i0] + tx.f * r0[tx.i1]) +
                                    ty.f * ((1 - tx.f) * r1[tx.i0] + tx.f * r1[tx.i1]));
      }
    }
    gst_buffer_unmap(meta->map, &map_info);

    for (int y = 0; y < h; ++y) {
      for (int x = 0; x < w; ++x) {
        float v = values[static_cast<size_t>(y) * w + x];
        if (std::isnan(v)) continue;
        float t = std::clamp((v - low) / (high - low), 0.0f, 1.0f);
        Rgb8 c = lut[static_cast<int>(std::lround(t * 255.0f))];
        Rgb8 p = img.get(x, y);
        auto blend = [alpha](uint8_t a, uint8_t b) {
          return static_cast<uint8_t>(std::lround(a * (1.0 - alpha) + b * alpha));
        };
        img.set(x, y, {blend(p.r, c.r), blend(p.g, c.g), blend(p.b, c.b)});
      }
    }
    if (show_contour) {
      const float thr = meta->pixel_threshold;
      auto above = [&](int x, int y) {
        if (x < 0 || y < 0 || x >= w || y >= h) return false;
        float v = values[static_cast<size_t>(y) * w + x];
        return !std::isnan(v) && v > thr;
      };
      for (int y = 0; y < h; ++y)
        for (int x = 0; x < w; ++x)
          if (above(x, y) &&
              (!above(x - 1, y) || !above(x + 1, y) || !above(x, y - 1) || !above(x, y + 1)))
            img.set(x, y, {255, 255, 255});
    }
  }

  if (show_border) {
    if (border == 0) border = std::max(2, std::min(w, h) / 100);
    int b = static_cast<int>(border);
    Rgb8 c = meta->is_anomalous ? Rgb8{255, 0, 0} : Rgb8{0, 200, 0};
    img.fill_rect(0, 0, w, b, c);
    img.fill_rect(0, h - b, w, b, c);
    img.fill_rect(0, 0, b, h, c);
    img.fill_rect(w - b, 0, b, h, c);
  }
  if (show_score) {
    int scale = std::max(1, std::min(w, h) / 160);
    int offset = show_border ? static_cast<int>(border) + scale : scale;
    lsfa_gst::draw_text(img, offset, offset, scale, score_text(meta), {255, 255, 255}, {0, 0, 0});
  }
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
                           "Draw the image score and threshold as \"score/threshold\"",
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

  GstCaps *caps = gst_caps_from_string(GST_LSFA_RGB_CAPS);
  gst_element_class_add_pad_template(
      element_class, gst_pad_template_new("sink", GST_PAD_SINK, GST_PAD_ALWAYS, caps));
  gst_element_class_add_pad_template(
      element_class, gst_pad_template_new("src", GST_PAD_SRC, GST_PAD_ALWAYS, caps));
  gst_caps_unref(caps);

  gst_element_class_set_static_metadata(element_class, "LSFA anomaly overlay",
                                        "Filter/Effect/Video",
                                        "Draws the LSFA anomaly map (fixed calibrated colour "
                                        "scale), verdict and score over the frame",
                                        "gst-lsfa developers");

  filter_class->transform_frame_ip = GST_DEBUG_FUNCPTR(gst_lsfa_overlay_transform_frame_ip);

  gst_type_mark_as_plugin_api(GST_TYPE_LSFA_COLORMAP, static_cast<GstPluginAPIFlags>(0));
  GST_DEBUG_CATEGORY_INIT(gst_lsfa_overlay_debug, "lsfaoverlay", 0, "LSFA anomaly overlay");
}

static void gst_lsfa_overlay_init(GstLsfaOverlay *self) {
  self->colormap = DEFAULT_COLORMAP;
  self->alpha = DEFAULT_ALPHA;
  self->map_low = DEFAULT_MAP_LOW;
  self->map_high = DEFAULT_MAP_HIGH;
  self->show_border = DEFAULT_SHOW_BORDER;
  self->show_score = DEFAULT_SHOW_SCORE;
  self->show_contour = DEFAULT_SHOW_CONTOUR;
  self->border_width = DEFAULT_BORDER_WIDTH;
}
