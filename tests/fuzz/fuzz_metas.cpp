// The metas' map and geometry handling: an anomaly map of any declared size against a buffer of
// any size, map rectangles and sample positions of any double value (NaN, infinities), RGB-D
// depth buffers with any width, height and stride, and the copy and scale transforms.
#include <gst/gst.h>
#include <gst/lsfa/lsfa.h>
#include <gst/video/video.h>

#include <cstddef>
#include <cstdint>
#include <vector>

#include "fuzz_util.h"

namespace {

void quiet(const gchar *, GLogLevelFlags, const gchar *, gpointer) {}

GstBuffer *scaled_copy(GstBuffer *src, GstMeta *meta, int in_w, int in_h, int out_w, int out_h) {
  GstVideoInfo in, out;
  gst_video_info_set_format(&in, GST_VIDEO_FORMAT_RGB, in_w, in_h);
  gst_video_info_set_format(&out, GST_VIDEO_FORMAT_RGB, out_w, out_h);
  GstVideoMetaTransform t = {&in, &out};
  GstBuffer *dst = gst_buffer_new();
  meta->info->transform_func(dst, meta, src, gst_video_meta_transform_scale_get_quark(), &t);
  return dst;
}

}  // namespace

extern "C" int LLVMFuzzerInitialize(int *, char ***) {
  g_log_set_default_handler(quiet, nullptr);
  gst_init(nullptr, nullptr);
  gst_lsfa_caps_init();
  return 0;
}

extern "C" int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
  lsfa::fuzz::Cursor in(data, size);
  const guint map_w = in.take<uint32_t>(), map_h = in.take<uint32_t>();
  const size_t map_bytes = in.take<uint16_t>();  // the buffer may be shorter than w * h floats
  GstLsfaRect rect{in.take<double>(), in.take<double>(), in.take<double>(), in.take<double>()};
  const int in_w = in.take<uint8_t>() % 64 + 1, in_h = in.take<uint8_t>() % 64 + 1;
  const int out_w = in.take<uint8_t>() % 64 + 1, out_h = in.take<uint8_t>() % 64 + 1;

  GstBuffer *frame = gst_buffer_new();
  GstLsfaAnomalyMeta *m = gst_buffer_add_lsfa_anomaly_meta(frame);
  GstBuffer *map = gst_buffer_new_allocate(nullptr, map_bytes, nullptr);
  gst_buffer_memset(map, 0, 0x3f, map_bytes);
  if (gst_lsfa_anomaly_meta_set_map(m, map, map_w, map_h) &&
      static_cast<guint64>(map_w) * map_h * sizeof(gfloat) > map_bytes)
    __builtin_trap();  // accepted a map larger than its buffer
  m->map_rect = rect;
  m->frame_width = in_w;
  m->frame_height = in_h;
  GstMapInfo info;
  if (gst_buffer_map(map, &info, GST_MAP_READ)) {
    for (int i = 0; i < 4; ++i) {
      const double x = in.take<double>(), y = in.take<double>();
      gfloat v;
      (void)gst_lsfa_anomaly_meta_sample(m, reinterpret_cast<const gfloat *>(info.data), x, y, &v);
    }
    gst_buffer_unmap(map, &info);
  }
  GstBuffer *copy = gst_buffer_copy(frame);
  GstBuffer *scaled = scaled_copy(frame, &m->meta, in_w, in_h, out_w, out_h);
  gst_buffer_unref(scaled);
  gst_buffer_unref(copy);
  gst_buffer_unref(map);

  // RGB-D: either format, any size and stride against a depth buffer of any size.
  const auto format =
      in.take<uint8_t>() % 2 ? GST_LSFA_DEPTH_FORMAT_XYZ_F32 : GST_LSFA_DEPTH_FORMAT_GRAY16;
  const guint dw = in.take<uint32_t>(), dh = in.take<uint32_t>();
  const gsize stride = in.take<uint64_t>();
  const size_t depth_bytes = in.take<uint16_t>();
  GstBuffer *depth = gst_buffer_new_allocate(nullptr, depth_bytes, nullptr);
  GstLsfaIntrinsics k{in.take<double>(), in.take<double>(), in.take<double>(), in.take<double>()};
  GstLsfaRgbdMeta *r =
      gst_buffer_add_lsfa_rgbd_meta(frame, format, depth, dw, dh, stride, in.take<double>(), &k);
  if (r) {
    // Accepted: every row must lie inside the buffer.
    const guint64 row = static_cast<guint64>(dw) * gst_lsfa_depth_format_pixel_size(format);
    if (dh > 0 && (r->stride < row ||
                   static_cast<unsigned __int128>(r->stride) * (dh - 1) + row > depth_bytes))
      __builtin_trap();
    GstBuffer *mask = gst_buffer_new_allocate(nullptr, in.take<uint16_t>(), nullptr);
    gst_lsfa_rgbd_meta_set_mask(r, mask);
    gst_buffer_unref(mask);
    GstBuffer *scaled_rgbd = scaled_copy(frame, &r->meta, in_w, in_h, out_w, out_h);
    gst_buffer_unref(scaled_rgbd);
  }
  gst_buffer_unref(depth);
  gst_buffer_unref(frame);
  return 0;
}
