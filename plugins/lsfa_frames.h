// Conversions between GStreamer frames/metas and liblsfa types, shared by the elements.
#pragma once

#include <gst/lsfa/lsfa.h>
#include <gst/video/video.h>

#include <opencv2/core.hpp>
#include <string>

#include "lsfa/data/depth_calibration.h"
#include "lsfa/model/pipeline.h"

namespace lsfa_gst {

// Copies a packed RGB-family frame into a CV_8UC3 matrix in R,G,B channel order.
cv::Mat rgb_from_frame(GstVideoFrame *frame);

// Copies a GRAY16_LE frame into a CV_16UC1 matrix.
cv::Mat depth_from_frame(GstVideoFrame *frame);

lsfa::Intrinsics intrinsics_from_gst(const GstLsfaIntrinsics &k);

// The calibration fields a depth caps carried, in the library's terms.
lsfa::DepthCalibration calibration_from_caps(const GstLsfaDepthCalibration &cal);

// Organized XYZ cloud (CV_32FC3, metres) from 16-bit depth with the library's camera model.
cv::Mat cloud_from_depth(const cv::Mat &depth16, double depth_scale, const GstLsfaIntrinsics &k);

// Organized XYZ cloud from an RGB-D meta, resized (nearest) to width x height when the RGB frame
// was scaled after the meta was attached. Throws lsfa::Error when the meta is malformed.
cv::Mat cloud_from_rgbd_meta(const GstLsfaRgbdMeta *meta, int width, int height);

// Ground-truth mask of an RGB-D meta (CV_8UC1) at width x height, or an empty matrix.
cv::Mat mask_from_rgbd_meta(const GstLsfaRgbdMeta *meta, int width, int height);

// Caps a pad can take given what downstream takes (`peer`): `peer` as it is and with the
// meta:LsfaRgbd feature, intersected with the pad template and `filter` (may be null).
GstCaps *caps_with_rgbd_feature(GstCaps *templ, GstCaps *peer, GstCaps *filter);

// The sample of a paired rgb and depth frame (registered: same size, else lsfa::Error).
lsfa::Sample sample_from_buffers(GstBuffer *rgb, const GstVideoInfo &rgb_info, GstBuffer *depth,
                                 const GstVideoInfo &depth_info,
                                 const lsfa::ResolvedDepthCalibration &calibration);
// The sample of an rgb buffer carrying a GstLsfaRgbdMeta (cloud and optional ground truth).
lsfa::Sample sample_from_rgbd_buffer(GstBuffer *rgb, const GstVideoInfo &rgb_info);

// The frame rectangle covered by the model input square.
GstLsfaRect model_rect(const lsfa::FrameGeometry &g);

// Attaches a GstLsfaFeaturesMeta that owns `features` and remembers the extractor settings that
// made them (lsfascore's teach mode stores them in the bundle it builds).
GstLsfaFeaturesMeta *attach_features(GstBuffer *buffer, lsfa::SampleFeatures &&features,
                                     const std::string &identity, const std::string &modalities,
                                     const lsfa::ExtractorConfig &config);

// The lsfa::SampleFeatures inside a features meta; null when the meta holds foreign data.
const lsfa::SampleFeatures *features_of(const GstLsfaFeaturesMeta *meta);

// The extractor settings stored by attach_features; null when the meta holds foreign data.
const lsfa::ExtractorConfig *extractor_config_of(const GstLsfaFeaturesMeta *meta);

}  // namespace lsfa_gst
