// Pinhole depth camera: 16-bit depth image <-> organized point cloud (docs/preprocessing.md), and
// the intrinsics file that goes with a recorded RGB + depth sequence (format in
// docs/data-formats.md).
#pragma once

#include <opencv2/core.hpp>
#include <string>

namespace lsfa {

struct Intrinsics {
  double fx = 0, fy = 0;  // focal lengths in pixels
  double cx = 0, cy = 0;  // principal point in pixels (pixel centres at integer coordinates)

  // The intrinsics of the same camera after its frames were resized from from_w x from_h to
  // to_w x to_h: f scales with the size, and c' = (c + 0.5) * to / from - 0.5 (pixel centres stay
  // aligned, as in an area or linear resize). Throws lsfa::Error on non-positive sizes.
  Intrinsics scaled(int from_w, int from_h, int to_w, int to_h) const;
};

// A depth camera as described by an intrinsics JSON file.
struct DepthCamera {
  Intrinsics intrinsics;
  int width = 0, height = 0;   // frame size the intrinsics refer to
  double depth_scale = 0.001;  // metres per depth unit
};

// Organized cloud (CV_32FC3, metres, x,y,z) from a CV_16UC1 depth image:
// z = d * depth_scale, x = (u - cx) z / fx, y = (v - cy) z / fy; d = 0 -> (0,0,0).
cv::Mat depth_to_cloud(const cv::Mat &depth16, double depth_scale, const Intrinsics &k);

// Same for a depth image already in metres (CV_32FC1); values <= 0 or not finite -> (0,0,0).
cv::Mat depth_metres_to_cloud(const cv::Mat &depth_m, const Intrinsics &k);

// The inverse: CV_16UC1 depth d = round(z / depth_scale) from a CV_32FC3 cloud. Points with
// z <= 0 or not finite give 0; z beyond the 16-bit range throws lsfa::Error.
cv::Mat cloud_to_depth(const cv::Mat &xyz, double depth_scale);

// Intrinsics JSON: {"fx":..,"fy":..,"cx":..,"cy":..,"width":..,"height":..,"depth_scale":..}.
// Throws lsfa::Error naming the file and key when a key is missing or has a bad value.
DepthCamera read_camera_json(const std::string &path);
void write_camera_json(const std::string &path, const DepthCamera &camera);  // atomic

}  // namespace lsfa
