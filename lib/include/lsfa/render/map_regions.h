// What a frame's anomaly map says in numbers: statistics of the map over the frame's pixels and the
// regions above the pixel threshold (connected components, largest peak first). The map is first
// resampled onto the frame with the anomaly meta's rule (resample_map), so the regions are exactly
// the areas the overlay outlines, and boxes and areas are in frame pixels.
#pragma once

#include <cstddef>
#include <opencv2/core.hpp>
#include <vector>

#include "lsfa/render/map_sampling.h"

namespace lsfa {

// Statistics over the frame pixels the map covers (pixels outside its rectangle do not count).
struct MapStatistics {
  float max = 0, mean = 0;   // of the resampled values; NaN when no pixel is covered
  long long covered = 0;     // pixels with a value
  long long area = 0;        // pixels with value > threshold
  double area_fraction = 0;  // area / covered (0 when nothing is covered)
};

// One 8-connected region of pixels with value > threshold.
struct MapRegion {
  cv::Rect box;        // bounding box in frame pixels
  long long area = 0;  // pixels in the region
  float peak = 0;      // largest value in the region
  cv::Point peak_at;   // a pixel where the peak is reached (the first in row-major order)
};

// `values`: CV_32FC1 frame-sized map values, NaN where the map does not reach (resample_map's
// output).
MapStatistics map_statistics(const cv::Mat &values, float threshold);

// The regions of `values` above `threshold`, largest peak first (ties: larger area, then top-left
// box first); at most `top_k` of them (0: all). Regions smaller than `min_area` pixels are left
// out before the top k are taken.
std::vector<MapRegion> map_regions(const cv::Mat &values, float threshold, std::size_t top_k = 0,
                                   long long min_area = 1);

}  // namespace lsfa
