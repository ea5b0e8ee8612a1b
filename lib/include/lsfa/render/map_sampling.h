// Resampling an anomaly map onto frame pixels. The rule is the one of the anomaly meta's sampling
// function (gst_lsfa_anomaly_meta_sample): pixel (x, y) is read at its centre (x + 0.5, y + 0.5);
// the map's cells tile `rect` of the frame with cell centres at the cell middles; bilinear
// interpolation with the outer cells replicated (as align_corners=false resizing); pixels whose
// centre lies outside `rect` get no value. Where the rectangle is the whole frame, this equals
// cv::resize with INTER_LINEAR.
#pragma once

#include <opencv2/core.hpp>

namespace lsfa {

// A rectangle in frame pixel coordinates (pixel (0,0) spans [0,1) x [0,1)); it may extend beyond
// the frame (a padded model input covers more than the frame).
struct MapRect {
  double x = 0, y = 0, width = 0, height = 0;
};

// Continuous map coordinate (cell i has its centre at i) of frame position `pos` along one axis of
// a map of `cells` cells covering [start, start + length).
double frame_to_map(double pos, double start, double length, int cells);

// The CV_32FC1 `map` resampled to a `frame`-sized CV_32FC1 matrix; NaN where a pixel centre lies
// outside `rect` (or the map is empty or the rectangle degenerate).
cv::Mat resample_map(const cv::Mat &map, const MapRect &rect, cv::Size frame);

}  // namespace lsfa
