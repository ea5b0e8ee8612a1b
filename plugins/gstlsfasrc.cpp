/**
 * SECTION:element-lsfasrc
 * @title: lsfasrc
 * @short_description: plays an MVTec 3D-AD style data set as a paired RGB + point-cloud stream
 *
 * lsfasrc reads `<location>/<category>/<split>/` in the MVTec 3D-AD layout (also what
 * `lsfa synth` writes) and pushes one RGB frame per sample with caps feature `meta:LsfaRgbd`;
 * each buffer carries the sample's organized XYZ cloud and, when it has one, its ground-truth
 * mask in a GstLsfaRgbdMeta. Samples play in sorted order at #GstLsfaSrc:framerate, optionally
 * looping.
 *
 * ## Example launch line
 * |[
 * gst-launch-1.0 lsfasrc location=data category=ring split=test ! \
 *     lsfafeatures model=ring.lsfa ! lsfascore model=ring.lsfa ! lsfaoverlay ! \
 *     videoconvert ! autovideosink
 * ]|
 *
 * Elements that do not know the meta cannot link to it (the depth would be lost silently).
 */
#include "gstlsfasrc.h"

#include <gst/lsfa/lsfa.h>
#include <gst/video/video.h>

#include <exception>
#include <string>
#include <vector>

#include "lsfa/core/error.h"
#include "lsfa/data/mvtec_dataset.h"

GST_DEBUG_CATEGORY_STATIC(gst_lsfa_src_debug);
#define GST_CAT_DEFAULT gst_lsfa_src_debug

enum {
  PROP_0,
  PROP_LOCATION,
  PROP_CATEGORY,
  PROP_SPLIT,
  PROP_FRAMERATE,
  PROP_LOOP,
};

#define DEFAULT_SPLIT "test"
#define DEFAULT_FPS_N 1
#define DEFAULT_FPS_D 1
#define DEFAULT_LOOP FALSE

namespace {
struct Impl {
  std::string location, category, split = DEFAULT_SPLIT;
  gint fps_n = DEFAULT_FPS_N, fps_d = DEFAULT_FPS_D;
  bool loop = DEFAULT_LOOP;

  std::vector<lsfa::DatasetEntry> entries;
  size_t next = 0;
  guint64 frame = 0;
  GstVideoInfo info{};
  bool have_info = false;
};
}  // namespace

struct _GstLsfaSrc {
  GstPushSrc parent;
  Impl *impl;
};

G_DEFINE_TYPE(GstLsfaSrc, gst_lsfa_src, GST_TYPE_PUSH_SRC);
GST_ELEMENT_REGISTER_DEFINE(lsfasrc, "lsfasrc", GST_RANK_NONE, GST_TYPE_LSFA_SRC);

static GstStaticPadTemplate src_template = GST_STATIC_PAD_TEMPLATE(
    "src", GST_PAD_SRC, GST_PAD_ALWAYS,
    GST_STATIC_CAPS(GST_VIDEO_CAPS_MAKE_WITH_FEATURES(GST_LSFA_CAPS_FEATURE_META_RGBD, "RGB")));

static void gst_lsfa_src_set_property(GObject *object, guint prop_id, const GValue *value,
                                      GParamSpec *pspec) {
  GstLsfaSrc *self = GST_LSFA_SRC(object);
  Impl *p = self->impl;
  auto str = [value]() {
    const gchar *s = g_value_get_string(value);
    return std::string(s ? s : "");
  };
  GST_OBJECT_LOCK(self);
  switch (prop_id) {
    case PROP_LOCATION:
      p->location = str();
      break;
    case PROP_CATEGORY:
      p->category = str();
      break;
    case PROP_SPLIT:
      p->split = str();
      break;
    case PROP_FRAMERATE:
      p->fps_n = gst_value_get_fraction_numerator(value);
      p->fps_d = gst_value_get_fraction_denominator(value);
      break;
    case PROP_LOOP:
      p->loop = g_value_get_boolean(value);
      break;
    default:
      G_OBJECT_WARN_INVALID_PROPERTY_ID(object, prop_id, pspec);
      break;
  }
  GST_OBJECT_UNLOCK(self);
}

static void gst_lsfa_src_get_property(GObject *object, guint prop_id, GValue *value,
                                      GParamSpec *pspec) {
  GstLsfaSrc *self = GST_LSFA_SRC(object);
  Impl *p = self->impl;
  GST_OBJECT_LOCK(self);
  switch (prop_id) {
    case PROP_LOCATION:
      g_value_set_string(value, p->location.empty() ? nullptr : p->location.c_str());
      break;
    case PROP_CATEGORY:
      g_value_set_string(value, p->category.empty() ? nullptr : p->category.c_str());
      break;
    case PROP_SPLIT:
      g_value_set_string(value, p->split.c_str());
      break;
    case PROP_FRAMERATE:
      gst_value_set_fraction(value, p->fps_n, p->fps_d);
      break;
    case PROP_LOOP:
      g_value_set_boolean(value, p->loop);
      break;
    default:
      G_OBJECT_WARN_INVALID_PROPERTY_ID(object, prop_id, pspec);
      break;
  }
  GST_OBJECT_UNLOCK(self);
}

static gboolean gst_lsfa_src_start(GstBaseSrc *src) {
  GstLsfaSrc *self = GST_LSFA_SRC(src);
  Impl *p = self->impl;
  GST_OBJECT_LOCK(self);
  std::string location = p->location, category = p->category, split = p->split;
  GST_OBJECT_UNLOCK(self);
  p->next = 0;
  p->frame = 0;
  p->have_info = false;
  if (location.empty() || category.empty()) {
    GST_ELEMENT_ERROR(self, RESOURCE, NOT_FOUND, ("No data set given"),
                      ("set location (data-set root) and category"));
    return FALSE;
  }
  try {
    p->entries = lsfa::index_split(location, category, split);
  } catch (const std::exception &e) {
    GST_ELEMENT_ERROR(self, RESOURCE, NOT_FOUND, ("Cannot read the data set"), ("%s", e.what()));
    return FALSE;
  }
  if (p->entries.empty()) {
    GST_ELEMENT_ERROR(
        self, RESOURCE, NOT_FOUND, ("Empty data set"),
        ("no samples in %s/%s/%s", location.c_str(), category.c_str(), split.c_str()));
    return FALSE;
  }
  GST_INFO_OBJECT(self, "%zu samples in %s/%s/%s", p->entries.size(), location.c_str(),
                  category.c_str(), split.c_str());
  return TRUE;
}

static gboolean gst_lsfa_src_stop(GstBaseSrc *src) {
  GstLsfaSrc *self = GST_LSFA_SRC(src);
  self->impl->entries.clear();
  return TRUE;
}

// Sets the output caps when the sample size changes (first sample, or a data set with mixed sizes).
static bool ensure_caps(GstLsfaSrc *self, int width, int height) {
  Impl *p = self->impl;
  if (p->have_info && GST_VIDEO_INFO_WIDTH(&p->info) == width &&
      GST_VIDEO_INFO_HEIGHT(&p->info) == height)
    return true;
  GST_OBJECT_LOCK(self);
  gint fps_n = p->fps_n, fps_d = p->fps_d;
  GST_OBJECT_UNLOCK(self);
  gst_video_info_set_format(&p->info, GST_VIDEO_FORMAT_RGB, width, height);
  GST_VIDEO_INFO_FPS_N(&p->info) = fps_n;
  GST_VIDEO_INFO_FPS_D(&p->info) = fps_d;
  GstCaps *caps = gst_video_info_to_caps(&p->info);
  gst_caps_set_features(caps, 0, gst_caps_features_new(GST_LSFA_CAPS_FEATURE_META_RGBD, nullptr));
  bool ok = gst_base_src_set_caps(GST_BASE_SRC(self), caps);
  gst_caps_unref(caps);
  p->have_info = ok;
  return ok;
}

// The caps follow the data (size of each sample), so they are set in create(), not negotiated up
// front from the template (which would fixate to a 1 x 1 frame).
static gboolean gst_lsfa_src_negotiate(GstBaseSrc *src) {
  (void)src;
  return TRUE;
}

static GstFlowReturn gst_lsfa_src_create_unguarded(GstPushSrc *src, GstBuffer **out) {
  GstLsfaSrc *self = GST_LSFA_SRC(src);
  Impl *p = self->impl;
  GST_OBJECT_LOCK(self);
  bool loop = p->loop;
  gint fps_n = p->fps_n, fps_d = p->fps_d;
  GST_OBJECT_UNLOCK(self);
  if (p->next >= p->entries.size()) {
    if (!loop) return GST_FLOW_EOS;
    p->next = 0;
  }
  const lsfa::DatasetEntry &entry = p->entries[p->next++];
  lsfa::Sample sample;
  try {
    sample = lsfa::load_sample(entry);
    lsfa::require(sample.rgb.type() == CV_8UC3 && sample.xyz.type() == CV_32FC3 &&
                      sample.rgb.size() == sample.xyz.size(),
                  "sample " + entry.rgb_path + " has mismatched rgb and xyz");
  } catch (const std::exception &e) {
    GST_ELEMENT_ERROR(self, RESOURCE, READ, ("Cannot read a sample"), ("%s", e.what()));
    return GST_FLOW_ERROR;
  }
  const int w = sample.rgb.cols, h = sample.rgb.rows;
  if (!ensure_caps(self, w, h)) return GST_FLOW_NOT_NEGOTIATED;

  GstBuffer *buffer = gst_buffer_new_allocate(nullptr, GST_VIDEO_INFO_SIZE(&p->info), nullptr);
  GstVideoFrame frame;
  if (!gst_video_frame_map(&frame, &p->info, buffer, GST_MAP_WRITE)) {
    gst_buffer_unref(buffer);
    GST_ELEMENT_ERROR(self, RESOURCE, WRITE, (nullptr), ("cannot map the output frame"));
    return GST_FLOW_ERROR;
  }
  auto *dst = static_cast<guint8 *>(GST_VIDEO_FRAME_PLANE_DATA(&frame, 0));
  const int stride = GST_VIDEO_FRAME_PLANE_STRIDE(&frame, 0);
  for (int y = 0; y < h; ++y) memcpy(dst + y * stride, sample.rgb.ptr(y), w * 3);
  gst_video_frame_unmap(&frame);

  cv::Mat xyz = sample.xyz.isContinuous() ? sample.xyz : sample.xyz.clone();
  GstBuffer *depth = gst_buffer_new_memdup(xyz.data, xyz.total() * xyz.elemSize());
  GstLsfaRgbdMeta *meta = gst_buffer_add_lsfa_rgbd_meta(buffer, GST_LSFA_DEPTH_FORMAT_XYZ_F32,
                                                        depth, w, h, 0, 0.0, nullptr);
  gst_buffer_unref(depth);
  if (!sample.gt.empty() && sample.gt.type() == CV_8UC1 && sample.gt.size() == sample.rgb.size()) {
    cv::Mat gt = sample.gt.isContinuous() ? sample.gt : sample.gt.clone();
    GstBuffer *mask = gst_buffer_new_memdup(gt.data, gt.total());
    gst_lsfa_rgbd_meta_set_mask(meta, mask);
    gst_buffer_unref(mask);
  }

  if (fps_n > 0) {
    GST_BUFFER_PTS(buffer) = gst_util_uint64_scale(p->frame, fps_d * GST_SECOND, fps_n);
    GST_BUFFER_DURATION(buffer) = gst_util_uint64_scale(1, fps_d * GST_SECOND, fps_n);
  } else {
    GST_BUFFER_PTS(buffer) = p->frame == 0 ? 0 : GST_CLOCK_TIME_NONE;
  }
  GST_BUFFER_OFFSET(buffer) = p->frame;
  GST_BUFFER_OFFSET_END(buffer) = p->frame + 1;
  p->frame++;
  GST_DEBUG_OBJECT(self, "sample %s/%s/%s (%dx%d)", entry.split.c_str(), entry.defect.c_str(),
                   entry.id.c_str(), w, h);
  *out = buffer;
  return GST_FLOW_OK;
}

// The vfunc boundary: no C++ exception may cross into GStreamer.
static GstFlowReturn gst_lsfa_src_create(GstPushSrc *src, GstBuffer **out) {
  try {
    return gst_lsfa_src_create_unguarded(src, out);
  } catch (const std::exception &e) {
    GST_ELEMENT_ERROR(src, STREAM, FAILED, ("LSFA data-set source failed"), ("%s", e.what()));
    return GST_FLOW_ERROR;
  }
}

static void gst_lsfa_src_finalize(GObject *object) {
  GstLsfaSrc *self = GST_LSFA_SRC(object);
  delete self->impl;
  self->impl = nullptr;
  G_OBJECT_CLASS(gst_lsfa_src_parent_class)->finalize(object);
}

static void gst_lsfa_src_class_init(GstLsfaSrcClass *klass) {
  GObjectClass *gobject_class = G_OBJECT_CLASS(klass);
  GstElementClass *element_class = GST_ELEMENT_CLASS(klass);
  GstBaseSrcClass *basesrc_class = GST_BASE_SRC_CLASS(klass);
  GstPushSrcClass *pushsrc_class = GST_PUSH_SRC_CLASS(klass);

  gobject_class->set_property = gst_lsfa_src_set_property;
  gobject_class->get_property = gst_lsfa_src_get_property;
  gobject_class->finalize = gst_lsfa_src_finalize;

  const auto ready = static_cast<GParamFlags>(G_PARAM_READWRITE | G_PARAM_STATIC_STRINGS |
                                              GST_PARAM_MUTABLE_READY);
  g_object_class_install_property(
      gobject_class, PROP_LOCATION,
      g_param_spec_string("location", "Location", "Data-set root directory (MVTec 3D-AD layout)",
                          nullptr, ready));
  g_object_class_install_property(
      gobject_class, PROP_CATEGORY,
      g_param_spec_string("category", "Category", "Category sub-directory, e.g. \"bagel\"", nullptr,
                          ready));
  g_object_class_install_property(
      gobject_class, PROP_SPLIT,
      g_param_spec_string("split", "Split", "\"train\", \"validation\" or \"test\"", DEFAULT_SPLIT,
                          ready));
  g_object_class_install_property(
      gobject_class, PROP_FRAMERATE,
      // At least 1/G_MAXINT: 0/1 would leave every frame after the first without a timestamp.
      gst_param_spec_fraction("framerate", "Frame rate",
                              "Frame rate of the output (> 0; timestamps n / framerate)", 1,
                              G_MAXINT, G_MAXINT, 1, DEFAULT_FPS_N, DEFAULT_FPS_D, ready));
  g_object_class_install_property(
      gobject_class, PROP_LOOP,
      g_param_spec_boolean("loop", "Loop", "Start again after the last sample instead of EOS",
                           DEFAULT_LOOP,
                           static_cast<GParamFlags>(G_PARAM_READWRITE | G_PARAM_STATIC_STRINGS |
                                                    GST_PARAM_MUTABLE_PLAYING)));

  gst_element_class_add_static_pad_template(element_class, &src_template);
  gst_element_class_set_static_metadata(
      element_class, "LSFA data-set source", "Source/Video",
      "Plays an MVTec 3D-AD style data set as RGB frames carrying their XYZ cloud (meta:LsfaRgbd)",
      "gst-lsfa developers");

  basesrc_class->start = GST_DEBUG_FUNCPTR(gst_lsfa_src_start);
  basesrc_class->stop = GST_DEBUG_FUNCPTR(gst_lsfa_src_stop);
  basesrc_class->negotiate = GST_DEBUG_FUNCPTR(gst_lsfa_src_negotiate);
  pushsrc_class->create = GST_DEBUG_FUNCPTR(gst_lsfa_src_create);

  GST_DEBUG_CATEGORY_INIT(gst_lsfa_src_debug, "lsfasrc", 0, "LSFA data-set source");
}

static void gst_lsfa_src_init(GstLsfaSrc *self) {
  self->impl = new Impl();
  gst_base_src_set_format(GST_BASE_SRC(self), GST_FORMAT_TIME);
  gst_base_src_set_live(GST_BASE_SRC(self), FALSE);
}
