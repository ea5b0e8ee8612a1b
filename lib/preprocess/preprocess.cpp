// The preprocessing chain (docs/preprocessing.md): plane removal, square padding, largest cluster,
// resize.
#include "lsfa/preprocess/preprocess.h"

#include <ATen/ATen.h>

#include <cstring>

#include "lsfa/core/error.h"
#include "lsfa/preprocess/largest_cluster.h"
#include "lsfa/preprocess/plane_removal.h"
#include "lsfa/preprocess/resample.h"
#include "lsfa/preprocess/square_pad.h"
#include "lsfa/preprocess/valid_point.h"

namespace lsfa {
namespace {

std::string describe(const cv::Mat &m) {
  return std::to_string(m.cols) + "x" + std::to_string(m.rows) + " type " +
         cv::typeToString(m.type());
}

void check_sample(const Sample &s) {
  const std::string who = s.id.empty() ? "sample" : "sample '" + s.id + "'";
  require(!s.rgb.empty(), "preprocess: " + who + " has no RGB image");
  require(!s.xyz.empty(), "preprocess: " + who + " has no point cloud");
  require(s.rgb.type() == CV_8UC3,
          "preprocess: " + who + " RGB image must be 8-bit 3-channel, got " + describe(s.rgb));
  require(s.xyz.type() == CV_32FC3,
          "preprocess: " + who + " point cloud must be float32 3-channel, got " + describe(s.xyz));
  require(s.rgb.size() == s.xyz.size(), "preprocess: " + who + " RGB image is " + describe(s.rgb) +
                                            " but the point cloud is " + describe(s.xyz));
  if (!s.gt.empty()) {
    require(s.gt.type() == CV_8UC1,
            "preprocess: " + who + " ground truth must be 8-bit 1-channel, got " + describe(s.gt));
    require(s.gt.size() == s.rgb.size(), "preprocess: " + who + " ground truth is " +
                                             describe(s.gt) + " but the RGB image is " +
                                             describe(s.rgb));
  }
}

// Copy of the cloud with every non-finite or partly non-finite point set to (0,0,0); counts the
// valid points.
cv::Mat sanitized_cloud(const cv::Mat &xyz, int *valid_count) {
  cv::Mat out = xyz.clone();  // clone() is continuous
  float *p = out.ptr<float>();
  const size_t n = out.total();
  int valid = 0;
  for (size_t i = 0; i < n; ++i, p += 3) {
    if (valid_point(p))
      ++valid;
    else
      p[0] = p[1] = p[2] = 0.f;
  }
  *valid_count = valid;
  return out;
}

int count_valid(const cv::Mat &xyz) {
  int n = 0;
  const float *p = xyz.ptr<float>();
  for (size_t i = 0; i < xyz.total(); ++i, p += 3) n += valid_point(p);
  return n;
}

at::Tensor rgb_tensor(const cv::Mat &rgb, bool normalize) {
  const int s = rgb.rows;
  at::Tensor t = at::empty({3, s, rgb.cols}, at::kFloat);
  float *out = t.data_ptr<float>();
  // The same float32 operations as torchvision's ToTensor (x / 255) and Normalize ((x - m) / s).
  const float mean[3] = {0.485f, 0.456f, 0.406f};
  const float stdev[3] = {0.229f, 0.224f, 0.225f};
  const size_t plane = static_cast<size_t>(s) * rgb.cols;
  for (int r = 0; r < s; ++r) {
    const uchar *in = rgb.ptr<uchar>(r);
    for (int c = 0; c < rgb.cols; ++c) {
      for (int k = 0; k < 3; ++k) {
        float v = static_cast<float>(in[3 * c + k]) / 255.f;
        if (normalize) v = (v - mean[k]) / stdev[k];
        out[k * plane + static_cast<size_t>(r) * rgb.cols + c] = v;
      }
    }
  }
  return t;
}

}  // namespace

Preprocessed preprocess(const Sample &sample, const PreprocessOptions &options) {
  options.validate();
  check_sample(sample);
  Preprocessed res;
  FrameGeometry &g = res.geometry;
  g.frame_width = sample.rgb.cols;
  g.frame_height = sample.rgb.rows;

  cv::Mat xyz = sanitized_cloud(sample.xyz, &res.stats.valid_points_in);
  cv::Mat rgb = sample.rgb.clone();
  cv::Mat gt = sample.gt;
  cv::Mat *masked_rgb = options.mask_rgb ? &rgb : nullptr;

  if (options.remove_plane) {
    if (auto fit = fit_border_plane(xyz, options.plane_border, options.plane_inlier,
                                    options.plane_iterations)) {
      res.stats.plane_found = true;
      res.stats.plane_points_removed =
          remove_plane_points(xyz, masked_rgb, fit->plane, options.plane_remove);
    }
  }

  if (options.pad_square) {
    const SquarePad pad = square_pad_for(xyz.cols, xyz.rows);
    if (pad.side != xyz.cols || pad.side != xyz.rows) {  // a square multiple of 100 stays as is
      xyz = pad_with_zeros(xyz, pad);
      rgb = pad_with_zeros(rgb, pad);
      if (!gt.empty()) gt = pad_with_zeros(gt, pad);
    }
    g.pad_left = pad.left;
    g.pad_top = pad.top;
  }
  g.padded_width = xyz.cols;
  g.padded_height = xyz.rows;
  g.size = options.size;

  if (options.keep_largest_cluster) {
    const ClusterResult cl =
        keep_largest_cluster(xyz, masked_rgb, options.cluster_eps, options.cluster_min_points,
                             options.cluster_radius, options.cluster_bridge);
    res.stats.clusters = cl.clusters;
    res.stats.cluster_points_removed = cl.points_removed;
  }
  res.stats.valid_points_kept = count_valid(xyz);

  const int s = options.size;
  res.rgb = rgb_tensor(resize_bicubic_pil(rgb, s, s), options.normalize);

  const cv::Mat small =
      resize_nearest(xyz, nearest_source_indices(xyz.cols, s), nearest_source_indices(xyz.rows, s));
  res.xyz = at::empty({s, s, 3}, at::kFloat);
  res.valid = at::empty({s, s}, at::kBool);
  std::memcpy(res.xyz.data_ptr<float>(), small.ptr<float>(), small.total() * small.elemSize());
  bool *valid = res.valid.data_ptr<bool>();
  const float *p = small.ptr<float>();
  for (size_t i = 0; i < small.total(); ++i, p += 3) valid[i] = valid_point(p);

  if (!gt.empty()) {
    // The reference resizes masks with PIL NEAREST (pixel-centre sampling), then thresholds.
    const cv::Mat small_gt = resize_nearest(gt, nearest_centre_source_indices(gt.cols, s),
                                            nearest_centre_source_indices(gt.rows, s));
    res.gt = at::empty({s, s}, at::kBool);
    bool *out = res.gt.data_ptr<bool>();
    for (int r = 0; r < s; ++r) {
      const uchar *in = small_gt.ptr<uchar>(r);
      for (int c = 0; c < s; ++c) out[r * s + c] = in[c] > 0;
    }
  }
  return res;
}

}  // namespace lsfa
