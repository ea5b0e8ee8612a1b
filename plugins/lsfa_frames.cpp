#include "lsfa_frames.h"

#include <ATen/ATen.h>

#include <cstring>
#include <opencv2/imgproc.hpp>

#include "lsfa/core/error.h"
#include "lsfa/data/depth_camera.h"
#include "lsfa_frame_view.h"

namespace lsfa_gst {

cv::Mat rgb_from_frame(GstVideoFrame *frame) {
  const FrameView view = frame_view(frame);
  const bool rgb = view.order == lsfa::ChannelOrder::kRgb;
  cv::Mat out;
  if (view.pixels.channels() == 4)
    cv::cvtColor(view.pixels, out, rgb ? cv::COLOR_RGBA2RGB : cv::COLOR_BGRA2RGB);
  else if (rgb)
    view.pixels.copyTo(out);
  else
    cv::cvtColor(view.pixels, out, cv::COLOR_BGR2RGB);
  return out;
}

cv::Mat depth_from_frame(GstVideoFrame *frame) {
  int w = GST_VIDEO_FRAME_WIDTH(frame), h = GST_VIDEO_FRAME_HEIGHT(frame);
  cv::Mat view(h, w, CV_16UC1, GST_VIDEO_FRAME_PLANE_DATA(frame, 0),
               GST_VIDEO_FRAME_PLANE_STRIDE(frame, 0));
  return view.clone();
}

GstCaps *caps_with_rgbd_feature(GstCaps *templ, GstCaps *peer, GstCaps *filter) {
  GstCaps *result;
  if (gst_caps_is_any(peer)) {
    result = gst_caps_ref(templ);
  } else {
    GstCaps *both = gst_caps_copy(peer);
    GstCaps *with_meta = gst_caps_copy(peer);
    for (guint i = 0; i < gst_caps_get_size(with_meta); ++i)
      gst_caps_set_features(with_meta, i,
                            gst_caps_features_new(GST_LSFA_CAPS_FEATURE_META_RGBD, nullptr));
    both = gst_caps_merge(both, with_meta);
    result = gst_caps_intersect(templ, both);
    gst_caps_unref(both);
  }
  if (filter) {
    GstCaps *f = gst_caps_intersect_full(filter, result, GST_CAPS_INTERSECT_FIRST);
    gst_caps_unref(result);
    result = f;
  }
  return result;
}

lsfa::Intrinsics intrinsics_from_gst(const GstLsfaIntrinsics &k) {
  lsfa::Intrinsics intrinsics;
  intrinsics.fx = k.fx;
  intrinsics.fy = k.fy;
  intrinsics.cx = k.cx;
  intrinsics.cy = k.cy;
  return intrinsics;
}

lsfa::DepthCalibration calibration_from_caps(const GstLsfaDepthCalibration &cal) {
  lsfa::DepthCalibration c;
  if (cal.flags & GST_LSFA_CALIBRATION_HAS_DEPTH_SCALE) c.depth_scale = cal.depth_scale;
  if (cal.flags & GST_LSFA_CALIBRATION_HAS_INTRINSICS)
    c.intrinsics = intrinsics_from_gst(cal.intrinsics);
  if (cal.flags & GST_LSFA_CALIBRATION_HAS_INTRINSICS_SIZE) {
    c.intrinsics_width = cal.intrinsics_width;
    c.intrinsics_height = cal.intrinsics_height;
  }
  return c;
}

cv::Mat cloud_from_depth(const cv::Mat &depth16, double depth_scale, const GstLsfaIntrinsics &k) {
  return lsfa::depth_to_cloud(depth16, depth_scale, intrinsics_from_gst(k));
}

namespace {
cv::Mat resize_nearest(const cv::Mat &m, int width, int height) {
  if (m.cols == width && m.rows == height) return m;
  cv::Mat out;
  cv::resize(m, out, cv::Size(width, height), 0, 0, cv::INTER_NEAREST);
  return out;
}
}  // namespace

cv::Mat cloud_from_rgbd_meta(const GstLsfaRgbdMeta *meta, int width, int height) {
  lsfa::require(meta->depth != nullptr && meta->width > 0 && meta->height > 0,
                "RGB-D meta without depth data");
  GstMapInfo info;
  lsfa::require(gst_buffer_map(meta->depth, &info, GST_MAP_READ), "cannot map the RGB-D depth");
  cv::Mat cloud;
  try {
    if (meta->format == GST_LSFA_DEPTH_FORMAT_XYZ_F32) {
      cv::Mat view(meta->height, meta->width, CV_32FC3, info.data, meta->stride);
      cloud = view.clone();
    } else {
      lsfa::require(meta->depth_scale > 0, "RGB-D meta with GRAY16 depth has no depth scale");
      lsfa::require(meta->intrinsics.fx > 0 && meta->intrinsics.fy > 0,
                    "RGB-D meta with GRAY16 depth has no intrinsics");
      cv::Mat view(meta->height, meta->width, CV_16UC1, info.data, meta->stride);
      cloud = cloud_from_depth(view, meta->depth_scale, meta->intrinsics);
    }
  } catch (...) {
    gst_buffer_unmap(meta->depth, &info);
    throw;
  }
  gst_buffer_unmap(meta->depth, &info);
  return resize_nearest(cloud, width, height);
}

cv::Mat mask_from_rgbd_meta(const GstLsfaRgbdMeta *meta, int width, int height) {
  if (meta->mask == nullptr) return cv::Mat();
  GstMapInfo info;
  lsfa::require(gst_buffer_map(meta->mask, &info, GST_MAP_READ), "cannot map the RGB-D mask");
  cv::Mat view(meta->height, meta->width, CV_8UC1, info.data);
  cv::Mat mask = view.clone();
  gst_buffer_unmap(meta->mask, &info);
  return resize_nearest(mask, width, height);
}

namespace {
cv::Mat map_rgb(GstBuffer *rgb, const GstVideoInfo &info) {
  GstVideoFrame frame;
  lsfa::require(gst_video_frame_map(&frame, &info, rgb, GST_MAP_READ), "cannot map the rgb frame");
  cv::Mat out = rgb_from_frame(&frame);
  gst_video_frame_unmap(&frame);
  return out;
}
}  // namespace

lsfa::Sample sample_from_buffers(GstBuffer *rgb, const GstVideoInfo &rgb_info, GstBuffer *depth,
                                 const GstVideoInfo &depth_info,
                                 const lsfa::ResolvedDepthCalibration &calibration) {
  lsfa::Sample sample;
  sample.rgb = map_rgb(rgb, rgb_info);
  const int w = sample.rgb.cols, h = sample.rgb.rows;
  const int dw = GST_VIDEO_INFO_WIDTH(&depth_info), dh = GST_VIDEO_INFO_HEIGHT(&depth_info);
  if (dw != w || dh != h)
    throw lsfa::Error("rgb is " + std::to_string(w) + "x" + std::to_string(h) + " but depth is " +
                      std::to_string(dw) + "x" + std::to_string(dh) +
                      ": registered depth of the same size is required");
  GstVideoFrame frame;
  lsfa::require(gst_video_frame_map(&frame, &depth_info, depth, GST_MAP_READ),
                "cannot map the depth frame");
  cv::Mat d = depth_from_frame(&frame);
  gst_video_frame_unmap(&frame);
  sample.xyz = lsfa::depth_to_cloud(d, calibration.depth_scale, calibration.intrinsics);
  return sample;
}

lsfa::Sample sample_from_rgbd_buffer(GstBuffer *rgb, const GstVideoInfo &rgb_info) {
  lsfa::Sample sample;
  sample.rgb = map_rgb(rgb, rgb_info);
  const GstLsfaRgbdMeta *meta = gst_buffer_get_lsfa_rgbd_meta(rgb);
  lsfa::require(meta != nullptr,
                "rgb buffer without GstLsfaRgbdMeta although the caps announce meta:LsfaRgbd");
  sample.xyz = cloud_from_rgbd_meta(meta, sample.rgb.cols, sample.rgb.rows);
  sample.gt = mask_from_rgbd_meta(meta, sample.rgb.cols, sample.rgb.rows);
  return sample;
}

GstLsfaRect model_rect(const lsfa::FrameGeometry &g) {
  if (g.padded_width <= 0 || g.padded_height <= 0)
    return {0, 0, static_cast<double>(g.frame_width), static_cast<double>(g.frame_height)};
  return {-static_cast<double>(g.pad_left), -static_cast<double>(g.pad_top),
          static_cast<double>(g.padded_width), static_cast<double>(g.padded_height)};
}

namespace {
// The features handle's data: a tag makes foreign data (an application's own handle) detectable.
struct FeaturesBox {
  static constexpr uint64_t kTag = 0x4c53464146454154ull;  // "LSFAFEAT"
  uint64_t tag = kTag;
  lsfa::SampleFeatures features;
  lsfa::ExtractorConfig config;
};

const FeaturesBox *box_of(const GstLsfaFeaturesMeta *meta) {
  if (meta == nullptr || meta->features == nullptr) return nullptr;
  auto *box = static_cast<const FeaturesBox *>(gst_lsfa_features_get_data(meta->features));
  if (box == nullptr || box->tag != FeaturesBox::kTag) return nullptr;
  return box;
}
}  // namespace

GstLsfaFeaturesMeta *attach_features(GstBuffer *buffer, lsfa::SampleFeatures &&features,
                                     const std::string &identity, const std::string &modalities,
                                     const lsfa::ExtractorConfig &config) {
  auto *box = new FeaturesBox{FeaturesBox::kTag, std::move(features), config};
  const lsfa::SampleFeatures *owned = &box->features;
  GstLsfaFeatures *handle =
      gst_lsfa_features_new(box, [](gpointer p) { delete static_cast<FeaturesBox *>(p); });
  GstLsfaFeaturesMeta *meta =
      gst_buffer_add_lsfa_features_meta(buffer, handle, identity.c_str(), modalities.c_str());
  gst_lsfa_features_unref(handle);
  if (meta == nullptr) return nullptr;

  if (owned->rgb_tokens.defined() && owned->rgb_tokens.dim() == 3) {
    meta->rgb_channels = static_cast<guint>(owned->rgb_tokens.size(0));
    meta->rgb_grid = static_cast<guint>(owned->rgb_tokens.size(1));
  }
  if (owned->point_groups.defined() && owned->point_groups.dim() == 2) {
    meta->point_groups = static_cast<guint>(owned->point_groups.size(0));
    meta->point_channels = static_cast<guint>(owned->point_groups.size(1));
  }
  if (owned->valid.defined() && owned->valid.dim() == 2) {
    at::Tensor v = owned->valid.to(at::Device(at::kCPU)).to(at::kByte).contiguous();
    meta->model_size = static_cast<guint>(v.size(0));
    GstBuffer *valid = gst_buffer_new_memdup(v.data_ptr<uint8_t>(), v.numel());
    gst_lsfa_features_meta_set_valid(meta, valid);
    gst_buffer_unref(valid);
  }
  meta->frame_width = owned->geometry.frame_width;
  meta->frame_height = owned->geometry.frame_height;
  meta->model_rect = model_rect(owned->geometry);
  return meta;
}

const lsfa::SampleFeatures *features_of(const GstLsfaFeaturesMeta *meta) {
  const FeaturesBox *box = box_of(meta);
  return box ? &box->features : nullptr;
}

const lsfa::ExtractorConfig *extractor_config_of(const GstLsfaFeaturesMeta *meta) {
  const FeaturesBox *box = box_of(meta);
  return box ? &box->config : nullptr;
}

}  // namespace lsfa_gst
