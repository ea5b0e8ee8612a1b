/**
 * SECTION:element-lsfasrc
 * @title: lsfasrc
 * @short_description: plays an MVTec 3D-AD or Eyecandies data set as a paired RGB + point-cloud
 * stream, or as plain video
 *
 * lsfasrc reads the samples of `<location>/<category>` and one split, in the MVTec 3D-AD layout
 * (also what `lsfa synth` writes) or the Eyecandies layout (#GstLsfaSrc:dataset, detected by
 * default). With #GstLsfaSrc:output=paired (the default) it pushes one RGB frame per sample with
 * caps feature `meta:LsfaRgbd`; each buffer carries the sample's organized XYZ cloud and, when it
 * has one, its ground-truth mask in a GstLsfaRgbdMeta. output=rgb and output=depth push plain
 * `video/x-raw, format=RGB` (the colour image, or the depth through a colour map) that ordinary
 * video elements take. Every buffer carries a GstLsfaSampleMeta (sample path, defect type,
 * label), and a tag event with the same facts precedes it. Samples play in sorted order at
 * #GstLsfaSrc:framerate, optionally looping.
 *
 * ## Example launch lines
 * |[
 * gst-launch-1.0 lsfasrc location=data category=ring split=test ! \
 *     lsfafeatures model=ring.lsfa ! lsfascore model=ring.lsfa ! lsfaoverlay ! \
 *     videoconvert ! autovideosink
 * ]| Scoring a data set.
 * |[
 * gst-launch-1.0 lsfasrc location=data category=ring output=depth ! videoconvert ! autovideosink
 * ]| Previewing the depth of a data set with ordinary elements.
 *
 * Elements that do not know the meta cannot link to the paired stream (the depth would be lost
 * silently).
 */
#include "gstlsfasrc.h"
#include "lsfa_plugin_info.h"

#include <gst/lsfa/lsfa.h>
#include <gst/video/video.h>

#include <exception>
#include <string>
#include <vector>

#include "lsfa/core/error.h"
#include "lsfa/data/dataset.h"
#include "lsfa/render/depth_view.h"
#include "lsfa_enums.h"

GST_DEBUG_CATEGORY_STATIC(gst_lsfa_src_debug);
#define GST_CAT_DEFAULT gst_lsfa_src_debug

enum {
  PROP_0,
  PROP_LOCATION,
  PROP_CATEGORY,
  PROP_SPLIT,
  PROP_FRAMERATE,
  PROP_LOOP,
  PROP_DATASET,
  PROP_OUTPUT,
};

#define DEFAULT_SPLIT GST_LSFA_SPLIT_TEST
#define DEFAULT_DATASET GST_LSFA_DATASET_AUTO
#define DEFAULT_OUTPUT GST_LSFA_SRC_OUTPUT_PAIRED
// Colour map of output=depth.
#define DEPTH_COLORMAP lsfa::Colormap::kTurbo
#define DEFAULT_FPS_N 1
#define DEFAULT_FPS_D 1
#define DEFAULT_LOOP FALSE

namespace {
struct Impl {
  std::string location, category;
  GstLsfaSplit split = DEFAULT_SPLIT;
  GstLsfaDataset dataset = DEFAULT_DATASET;
  GstLsfaSrcOutput output = DEFAULT_OUTPUT;
  gint fps_n = DEFAULT_FPS_N, fps_d = DEFAULT_FPS_D;
  bool loop = DEFAULT_LOOP;

  // Streaming state; `streaming_output` is the output property when the element started.
  GstLsfaSrcOutput streaming_output = DEFAULT_OUTPUT;
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

#define PAIRED_CAPS GST_VIDEO_CAPS_MAKE_WITH_FEATURES(GST_LSFA_CAPS_FEATURE_META_RGBD, "RGB")
#define PLAIN_CAPS GST_VIDEO_CAPS_MAKE("RGB")

// Both forms; get_caps offers the one of the output property, so linking the paired stream to an
// element that does not know the meta still fails when the pipeline is built.
static GstStaticPadTemplate src_template = GST_STATIC_PAD_TEMPLATE(
    "src", GST_PAD_SRC, GST_PAD_ALWAYS, GST_STATIC_CAPS(PAIRED_CAPS "; " PLAIN_CAPS));

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
      p->split = static_cast<GstLsfaSplit>(g_value_get_enum(value));
      break;
    case PROP_DATASET:
      p->dataset = static_cast<GstLsfaDataset>(g_value_get_enum(value));
      break;
    case PROP_OUTPUT:
      p->output = static_cast<GstLsfaSrcOutput>(g_value_get_enum(value));
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
      g_value_set_enum(value, p->split);
      break;
    case PROP_DATASET:
      g_value_set_enum(value, p->dataset);
      break;
    case PROP_OUTPUT:
      g_value_set_enum(value, p->output);
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
  const std::string location = p->location, category = p->category,
                    split = gst_lsfa_enum_nick(GST_TYPE_LSFA_SPLIT, p->split);
  static_assert(
      static_cast<int>(lsfa::DatasetLayout::kMvtec3d) == GST_LSFA_DATASET_MVTEC3D &&
          static_cast<int>(lsfa::DatasetLayout::kEyecandies) == GST_LSFA_DATASET_EYECANDIES,
      "the dataset enum follows lsfa::DatasetLayout");
  const auto layout = static_cast<lsfa::DatasetLayout>(p->dataset);
  p->streaming_output = p->output;
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
    p->entries = lsfa::index_dataset(location, category, split, layout);
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
  GST_INFO_OBJECT(self, "%zu samples in %s/%s/%s (%s layout)", p->entries.size(), location.c_str(),
                  category.c_str(), split.c_str(),
                  lsfa::dataset_layout_name(p->entries.front().layout).c_str());
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
  const bool paired = p->streaming_output == GST_LSFA_SRC_OUTPUT_PAIRED;
  if (paired)
    gst_caps_set_features(caps, 0, gst_caps_features_new(GST_LSFA_CAPS_FEATURE_META_RGBD, nullptr));
  // Asked first: a refused caps event would only surface as "not-negotiated" at the next push.
  bool ok = gst_pad_peer_query_accept_caps(GST_BASE_SRC_PAD(self), caps) &&
            gst_base_src_set_caps(GST_BASE_SRC(self), caps);
  if (!ok) {
    gchar *text = gst_caps_to_string(caps);
    GST_ELEMENT_ERROR(self, CORE, NEGOTIATION, ("Downstream refuses the output caps"),
                      ("%s%s", text,
                       paired ? " (the paired stream needs lsfafeatures or another element that "
                                "knows meta:LsfaRgbd; output=rgb or output=depth give plain video)"
                              : ""));
    g_free(text);
  }
  gst_caps_unref(caps);
  p->have_info = ok;
  return ok;
}

// The caps of the output property: the paired form, or plain RGB video.
static GstCaps *gst_lsfa_src_get_caps(GstBaseSrc *src, GstCaps *filter) {
  GstLsfaSrc *self = GST_LSFA_SRC(src);
  GST_OBJECT_LOCK(self);
  const bool paired = self->impl->output == GST_LSFA_SRC_OUTPUT_PAIRED;
  GST_OBJECT_UNLOCK(self);
  GstCaps *caps = gst_caps_from_string(paired ? PAIRED_CAPS : PLAIN_CAPS);
  if (filter) {
    GstCaps *both = gst_caps_intersect_full(filter, caps, GST_CAPS_INTERSECT_FIRST);
    gst_caps_unref(caps);
    caps = both;
  }
  return caps;
}

// The caps follow the data (size of each sample), so they are set in create(), not negotiated up
// front from the template (which would fixate to a 1 x 1 frame).
static gboolean gst_lsfa_src_negotiate(GstBaseSrc *src) {
  (void)src;
  return TRUE;
}

// The sample meta on the buffer, and the same facts as a tag event that GstBaseSrc pushes right
// before this buffer (after the segment), so elements that do not know the meta see them too.
// GstBaseSrc's send_event queues tag events for its streaming loop; it is called directly because
// gst_element_send_event takes the state lock, which a state change may hold while it waits for
// this streaming thread.
static void attach_sample(GstLsfaSrc *self, GstBuffer *buffer, const lsfa::DatasetEntry &entry,
                          const lsfa::Sample &sample) {
  const gint label = sample.defect == "good" ? 0 : 1;
  GstLsfaSampleMeta *meta = gst_buffer_add_lsfa_sample_meta(
      buffer, entry.rgb_path.c_str(), entry.category.c_str(), entry.split.c_str(),
      sample.defect.c_str(), entry.id.c_str(), label);
  if (meta)
    GST_ELEMENT_CLASS(gst_lsfa_src_parent_class)
        ->send_event(GST_ELEMENT(self), gst_event_new_tag(gst_lsfa_sample_meta_to_tag_list(meta)));
}

// Timestamps and offsets of the next frame.
static void finish_buffer(Impl *p, GstBuffer *buffer, gint fps_n, gint fps_d) {
  if (fps_n > 0) {
    GST_BUFFER_PTS(buffer) = gst_util_uint64_scale(p->frame, fps_d * GST_SECOND, fps_n);
    GST_BUFFER_DURATION(buffer) = gst_util_uint64_scale(1, fps_d * GST_SECOND, fps_n);
  } else {
    GST_BUFFER_PTS(buffer) = p->frame == 0 ? 0 : GST_CLOCK_TIME_NONE;
  }
  GST_BUFFER_OFFSET(buffer) = p->frame;
  GST_BUFFER_OFFSET_END(buffer) = p->frame + 1;
  p->frame++;
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
  const bool paired = p->streaming_output == GST_LSFA_SRC_OUTPUT_PAIRED;
  // The picture: the colour image, or (output=depth) the cloud's z through the colour map over
  // this sample's measured range.
  const cv::Mat picture = p->streaming_output == GST_LSFA_SRC_OUTPUT_DEPTH
                              ? lsfa::depth_view(sample.xyz, lsfa::measured_z_range(sample.xyz),
                                                 DEPTH_COLORMAP, lsfa::ChannelOrder::kRgb)
                              : sample.rgb;

  GstBuffer *buffer = gst_buffer_new_allocate(nullptr, GST_VIDEO_INFO_SIZE(&p->info), nullptr);
  GstVideoFrame frame;
  if (!gst_video_frame_map(&frame, &p->info, buffer, GST_MAP_WRITE)) {
    gst_buffer_unref(buffer);
    GST_ELEMENT_ERROR(self, RESOURCE, WRITE, (nullptr), ("cannot map the output frame"));
    return GST_FLOW_ERROR;
  }
  auto *dst = static_cast<guint8 *>(GST_VIDEO_FRAME_PLANE_DATA(&frame, 0));
  const int stride = GST_VIDEO_FRAME_PLANE_STRIDE(&frame, 0);
  for (int y = 0; y < h; ++y) memcpy(dst + y * stride, picture.ptr(y), w * 3);
  gst_video_frame_unmap(&frame);

  attach_sample(self, buffer, entry, sample);
  if (!paired) {
    finish_buffer(p, buffer, fps_n, fps_d);
    *out = buffer;
    return GST_FLOW_OK;
  }
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

  finish_buffer(p, buffer, fps_n, fps_d);
  GST_DEBUG_OBJECT(self, "sample %s (%dx%d)", entry.rgb_path.c_str(), w, h);
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
      g_param_spec_string("location", "Location",
                          "Data-set root directory (holds one directory per category)", nullptr,
                          ready));
  g_object_class_install_property(
      gobject_class, PROP_CATEGORY,
      g_param_spec_string("category", "Category", "Category sub-directory, e.g. \"bagel\"", nullptr,
                          ready));
  g_object_class_install_property(
      gobject_class, PROP_SPLIT,
      g_param_spec_enum("split", "Split", "Which samples of the category to play",
                        GST_TYPE_LSFA_SPLIT, DEFAULT_SPLIT, ready));
  g_object_class_install_property(
      gobject_class, PROP_DATASET,
      g_param_spec_enum("dataset", "Data set layout",
                        "Layout of the data set; auto: Eyecandies when the category holds "
                        "train/data, val/data or test_public/data, else MVTec 3D-AD",
                        GST_TYPE_LSFA_DATASET, DEFAULT_DATASET, ready));
  g_object_class_install_property(
      gobject_class, PROP_OUTPUT,
      g_param_spec_enum("output", "Output",
                        "What the frames show: the paired stream for lsfafeatures, or plain RGB "
                        "video of the colour image or of the depth for ordinary video elements",
                        GST_TYPE_LSFA_SRC_OUTPUT, DEFAULT_OUTPUT, ready));
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
      "Plays an MVTec 3D-AD or Eyecandies data set as RGB frames carrying their XYZ cloud "
      "(meta:LsfaRgbd), or as plain video of the colour image or the depth; every frame carries "
      "its sample's path, defect type and label (GstLsfaSampleMeta and tags)",
      LSFA_ELEMENT_AUTHOR);

  basesrc_class->start = GST_DEBUG_FUNCPTR(gst_lsfa_src_start);
  basesrc_class->stop = GST_DEBUG_FUNCPTR(gst_lsfa_src_stop);
  basesrc_class->negotiate = GST_DEBUG_FUNCPTR(gst_lsfa_src_negotiate);
  basesrc_class->get_caps = GST_DEBUG_FUNCPTR(gst_lsfa_src_get_caps);
  pushsrc_class->create = GST_DEBUG_FUNCPTR(gst_lsfa_src_create);

  GST_DEBUG_CATEGORY_INIT(gst_lsfa_src_debug, "lsfasrc", 0, "LSFA data-set source");
}

static void gst_lsfa_src_init(GstLsfaSrc *self) {
  self->impl = new Impl();
  gst_base_src_set_format(GST_BASE_SRC(self), GST_FORMAT_TIME);
  gst_base_src_set_live(GST_BASE_SRC(self), FALSE);
}
