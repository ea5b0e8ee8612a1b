// Map statistics and regions (lsfa/render/map_regions.h): hand-computed answers on small maps with
// known blobs, a brute-force 8-connected flood fill on random maps, and the frame geometry through
// resample_map.
#include <gtest/gtest.h>

#include <cmath>
#include <limits>
#include <random>
#include <vector>

#include "lsfa/render/map_regions.h"
#include "lsfa/render/map_sampling.h"

namespace {

const float kNaN = std::numeric_limits<float>::quiet_NaN();

TEST(MapRegions, KnownBlobs) {
  cv::Mat v(10, 20, CV_32FC1, cv::Scalar(0.0f));
  // Blob A: a 3 x 2 block at (2, 1) with values 5, peak 7 at (3, 2).
  v(cv::Rect(2, 1, 3, 2)).setTo(5.0f);
  v.at<float>(2, 3) = 7.0f;
  // Blob B: one pixel at (15, 8), value 9.
  v.at<float>(8, 15) = 9.0f;
  // Blob C: two pixels touching only at a corner (8-connected: one region), values 2 and 3.
  v.at<float>(5, 10) = 2.0f;
  v.at<float>(6, 11) = 3.0f;
  // Equal to the threshold: not above.
  v.at<float>(0, 19) = 1.0f;
  // Uncovered pixels never count, whatever their neighbours.
  v.at<float>(9, 0) = kNaN;

  const std::vector<lsfa::MapRegion> r = lsfa::map_regions(v, 1.0f);
  ASSERT_EQ(r.size(), 3u);
  EXPECT_FLOAT_EQ(r[0].peak, 9.0f);  // B first: the largest peak
  EXPECT_EQ(r[0].box, cv::Rect(15, 8, 1, 1));
  EXPECT_EQ(r[0].area, 1);
  EXPECT_FLOAT_EQ(r[1].peak, 7.0f);
  EXPECT_EQ(r[1].box, cv::Rect(2, 1, 3, 2));
  EXPECT_EQ(r[1].area, 6);
  EXPECT_EQ(r[1].peak_at, cv::Point(3, 2));
  EXPECT_FLOAT_EQ(r[2].peak, 3.0f);
  EXPECT_EQ(r[2].box, cv::Rect(10, 5, 2, 2));
  EXPECT_EQ(r[2].area, 2);

  // top_k keeps the largest peaks; min_area drops small regions before that.
  EXPECT_EQ(lsfa::map_regions(v, 1.0f, 1).size(), 1u);
  const std::vector<lsfa::MapRegion> big = lsfa::map_regions(v, 1.0f, 0, 2);
  ASSERT_EQ(big.size(), 2u);
  EXPECT_FLOAT_EQ(big[0].peak, 7.0f);
  EXPECT_FLOAT_EQ(big[1].peak, 3.0f);

  const lsfa::MapStatistics s = lsfa::map_statistics(v, 1.0f);
  EXPECT_EQ(s.covered, 199);
  EXPECT_EQ(s.area, 9);
  EXPECT_FLOAT_EQ(s.max, 9.0f);
  const double sum = 5 * 5 + 7 + 9 + 2 + 3 + 1;
  EXPECT_NEAR(s.mean, sum / 199, 1e-6);
  EXPECT_NEAR(s.area_fraction, 9.0 / 199, 1e-12);
}

TEST(MapRegions, NothingCoveredOrNothingAbove) {
  cv::Mat nan(4, 4, CV_32FC1, cv::Scalar(kNaN));
  const lsfa::MapStatistics s = lsfa::map_statistics(nan, 0.0f);
  EXPECT_EQ(s.covered, 0);
  EXPECT_TRUE(std::isnan(s.max));
  EXPECT_TRUE(std::isnan(s.mean));
  EXPECT_EQ(s.area_fraction, 0.0);
  EXPECT_TRUE(lsfa::map_regions(nan, 0.0f).empty());
  EXPECT_TRUE(lsfa::map_regions(cv::Mat(3, 3, CV_32FC1, cv::Scalar(0.5f)), 0.5f).empty());
  EXPECT_TRUE(lsfa::map_regions(cv::Mat(), 0.0f).empty());
  EXPECT_THROW(lsfa::map_regions(cv::Mat(3, 3, CV_8UC1), 0.0f), std::exception);
}

// Brute force: 8-connected flood fill, regions as sets of pixels.
struct Blob {
  int x0, y0, x1, y1;
  long long area;
  float peak;
};
std::vector<Blob> flood_fill(const cv::Mat &v, float thr) {
  std::vector<Blob> blobs;
  cv::Mat seen(v.size(), CV_8UC1, cv::Scalar(0));
  for (int y = 0; y < v.rows; ++y)
    for (int x = 0; x < v.cols; ++x) {
      if (seen.at<uint8_t>(y, x) || !(v.at<float>(y, x) > thr)) continue;
      Blob b{x, y, x, y, 0, -1e30f};
      std::vector<cv::Point> stack{{x, y}};
      seen.at<uint8_t>(y, x) = 1;
      while (!stack.empty()) {
        cv::Point p = stack.back();
        stack.pop_back();
        ++b.area;
        b.peak = std::max(b.peak, v.at<float>(p));
        b.x0 = std::min(b.x0, p.x), b.x1 = std::max(b.x1, p.x);
        b.y0 = std::min(b.y0, p.y), b.y1 = std::max(b.y1, p.y);
        for (int dy = -1; dy <= 1; ++dy)
          for (int dx = -1; dx <= 1; ++dx) {
            cv::Point q(p.x + dx, p.y + dy);
            if (q.x < 0 || q.y < 0 || q.x >= v.cols || q.y >= v.rows) continue;
            if (seen.at<uint8_t>(q) || !(v.at<float>(q) > thr)) continue;
            seen.at<uint8_t>(q) = 1;
            stack.push_back(q);
          }
      }
      blobs.push_back(b);
    }
  return blobs;
}

TEST(MapRegions, MatchesFloodFillOnRandomMaps) {
  std::mt19937 rng(11);
  std::uniform_real_distribution<float> d(0.0f, 1.0f);
  for (int trial = 0; trial < 20; ++trial) {
    cv::Mat v(23, 31, CV_32FC1);
    for (int y = 0; y < v.rows; ++y)
      for (int x = 0; x < v.cols; ++x) v.at<float>(y, x) = d(rng);
    const float thr = 0.7f;
    std::vector<Blob> expected = flood_fill(v, thr);
    std::vector<lsfa::MapRegion> got = lsfa::map_regions(v, thr);
    ASSERT_EQ(got.size(), expected.size());
    long long total = 0;
    for (const lsfa::MapRegion &r : got) {
      // Each region is one of the flood-fill blobs (same box, area and peak).
      bool found = false;
      for (const Blob &b : expected)
        found |= b.x0 == r.box.x && b.y0 == r.box.y && b.x1 == r.box.x + r.box.width - 1 &&
                 b.y1 == r.box.y + r.box.height - 1 && b.area == r.area && b.peak == r.peak;
      EXPECT_TRUE(found) << "region at " << r.box;
      total += r.area;
    }
    EXPECT_EQ(total, lsfa::map_statistics(v, thr).area);
    for (size_t i = 1; i < got.size(); ++i) EXPECT_GE(got[i - 1].peak, got[i].peak);
  }
}

TEST(MapRegions, BoxesAreInFramePixelsThroughTheMapRectangle) {
  // A uniform 2 x 2 map over the rectangle (10.3, 20.3, 40, 40) of a 64 x 64 frame: the pixels
  // whose centre lies inside are x 10..49, y 20..59.
  cv::Mat map(2, 2, CV_32FC1, cv::Scalar(1.0f));
  cv::Mat values = lsfa::resample_map(map, {10.3, 20.3, 40, 40}, cv::Size(64, 64));
  const std::vector<lsfa::MapRegion> r = lsfa::map_regions(values, 0.5f);
  ASSERT_EQ(r.size(), 1u);
  EXPECT_EQ(r[0].box, cv::Rect(10, 20, 40, 40));
  EXPECT_EQ(r[0].area, 1600);
  const lsfa::MapStatistics s = lsfa::map_statistics(values, 0.5f);
  EXPECT_EQ(s.covered, 1600);
  EXPECT_DOUBLE_EQ(s.area_fraction, 1.0);
  // One hot cell of a 4 x 4 map over the whole 40 x 40 frame, threshold just below its value:
  // only the pixels at the cell's centre reach it exactly (bilinear), i.e. pixels 14..15 of the
  // cell spanning 10..19 (centre 15.0 falls between pixel centres 14.5 and 15.5).
  cv::Mat hot(4, 4, CV_32FC1, cv::Scalar(0.0f));
  hot.at<float>(1, 1) = 1.0f;
  cv::Mat hv = lsfa::resample_map(hot, {0, 0, 40, 40}, cv::Size(40, 40));
  const std::vector<lsfa::MapRegion> h = lsfa::map_regions(hv, 0.9f);
  ASSERT_EQ(h.size(), 1u);
  EXPECT_EQ(h[0].box, cv::Rect(14, 14, 2, 2));
  EXPECT_NEAR(h[0].peak, 0.95f * 0.95f, 1e-6);
}

}  // namespace
