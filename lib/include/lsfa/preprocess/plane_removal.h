// Background plane removal (docs/preprocessing.md, step 1): a RANSAC plane fitted to the valid
// points of the image border, then every point near that plane removed.
#pragma once

#include <cmath>
#include <opencv2/core.hpp>
#include <optional>

namespace lsfa {

// Plane a*x + b*y + c*z + d = 0 with (a,b,c) of unit length.
struct Plane {
  double a = 0, b = 0, c = 1, d = 0;
  double distance(double x, double y, double z) const {
    return std::abs(a * x + b * y + c * z + d);
  }
};

struct PlaneFit {
  Plane plane;
  int border_points = 0;  // valid points on the border
  int inliers = 0;        // border points within the inlier distance of the final plane
};

// Fits a plane to the valid points of the `border`-pixel frame of an organized CV_32FC3 cloud.
// RANSAC on 3-point samples with a fixed seed (deterministic), stopping early once the best
// hypothesis is confirmed with probability 0.9999, then a least-squares refit on its inliers.
// Returns nothing when the border has fewer than 3 valid points or only collinear ones.
std::optional<PlaneFit> fit_border_plane(const cv::Mat &xyz, int border, double inlier_distance,
                                         int max_iterations);

// Sets every valid point within `distance` of `plane` to (0,0,0) and, when rgb is given
// (CV_8UC3, same size), blacks out the same pixels. Returns the number of points removed.
// Both functions throw lsfa::Error for a cloud that is not CV_32FC3 or a mismatched rgb.
int remove_plane_points(cv::Mat &xyz, cv::Mat *rgb, const Plane &plane, double distance);

}  // namespace lsfa
