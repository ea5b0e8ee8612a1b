#include "lsfa/render/map_regions.h"

#include <algorithm>
#include <cmath>
#include <limits>
#include <opencv2/imgproc.hpp>

#include "lsfa/core/error.h"

namespace lsfa {

MapStatistics map_statistics(const cv::Mat &values, float threshold) {
  require(values.empty() || values.type() == CV_32FC1, "map_statistics: values must be CV_32FC1");
  MapStatistics s;
  double sum = 0;
  float max = -std::numeric_limits<float>::infinity();
  for (int y = 0; y < values.rows; ++y) {
    const float *row = values.ptr<float>(y);
    for (int x = 0; x < values.cols; ++x) {
      const float v = row[x];
      if (std::isnan(v)) continue;
      ++s.covered;
      sum += v;
      max = std::max(max, v);
      if (v > threshold) ++s.area;
    }
  }
  if (s.covered == 0) {
    s.max = s.mean = std::numeric_limits<float>::quiet_NaN();
    return s;
  }
  s.max = max;
  s.mean = static_cast<float>(sum / static_cast<double>(s.covered));
  s.area_fraction = static_cast<double>(s.area) / static_cast<double>(s.covered);
  return s;
}

std::vector<MapRegion> map_regions(const cv::Mat &values, float threshold, std::size_t top_k,
                                   long long min_area) {
  require(values.empty() || values.type() == CV_32FC1, "map_regions: values must be CV_32FC1");
  std::vector<MapRegion> regions;
  if (values.empty()) return regions;
  cv::Mat above;  // NaN compares false: uncovered pixels are never above
  cv::compare(values, threshold, above, cv::CMP_GT);
  cv::Mat labels, stats, centroids;
  const int n = cv::connectedComponentsWithStats(above, labels, stats, centroids, 8, CV_32S);
  regions.resize(n > 0 ? n - 1 : 0);  // label 0 is the background
  for (int i = 1; i < n; ++i) {
    MapRegion &r = regions[i - 1];
    r.box = cv::Rect(stats.at<int>(i, cv::CC_STAT_LEFT), stats.at<int>(i, cv::CC_STAT_TOP),
                     stats.at<int>(i, cv::CC_STAT_WIDTH), stats.at<int>(i, cv::CC_STAT_HEIGHT));
    r.area = stats.at<int>(i, cv::CC_STAT_AREA);
    r.peak = -std::numeric_limits<float>::infinity();
  }
  // Peaks: one pass over the labelled pixels.
  for (int y = 0; y < labels.rows; ++y) {
    const int *l = labels.ptr<int>(y);
    const float *v = values.ptr<float>(y);
    for (int x = 0; x < labels.cols; ++x) {
      if (l[x] == 0) continue;
      MapRegion &r = regions[l[x] - 1];
      if (v[x] > r.peak) r.peak = v[x], r.peak_at = cv::Point(x, y);
    }
  }
  regions.erase(std::remove_if(regions.begin(), regions.end(),
                               [&](const MapRegion &r) { return r.area < min_area; }),
                regions.end());
  std::sort(regions.begin(), regions.end(), [](const MapRegion &a, const MapRegion &b) {
    if (a.peak != b.peak) return a.peak > b.peak;
    if (a.area != b.area) return a.area > b.area;
    if (a.box.y != b.box.y) return a.box.y < b.box.y;
    return a.box.x < b.box.x;
  });
  if (top_k > 0 && regions.size() > top_k) regions.resize(top_k);
  return regions;
}

}  // namespace lsfa
