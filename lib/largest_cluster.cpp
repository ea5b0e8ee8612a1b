#include "lsfa/largest_cluster.h"

#include <algorithm>
#include <cstdint>
#include <vector>

#include "lsfa/valid_point.h"

namespace lsfa {
namespace {

// Union-find over pixel indices; the root of a set is its smallest index (its first pixel in
// row-major order), which makes tie-breaking between equal clusters deterministic.
struct DisjointSets {
  std::vector<int32_t> parent;
  explicit DisjointSets(size_t n) : parent(n) {
    for (size_t i = 0; i < n; ++i) parent[i] = static_cast<int32_t>(i);
  }
  int32_t find(int32_t i) {
    while (parent[i] != i) {
      parent[i] = parent[parent[i]];
      i = parent[i];
    }
    return i;
  }
};

}  // namespace

ClusterResult keep_largest_cluster(cv::Mat &xyz, cv::Mat *rgb, double eps, int min_points,
                                   int radius) {
  CV_Assert(xyz.type() == CV_32FC3 && xyz.isContinuous());
  if (rgb) CV_Assert(rgb->type() == CV_8UC3 && rgb->size() == xyz.size());
  const int h = xyz.rows, w = xyz.cols;
  const int rad = std::max(1, radius);
  const float eps2 = static_cast<float>(eps * eps);
  const float *pts = xyz.ptr<float>();
  const size_t n = static_cast<size_t>(h) * w;

  std::vector<uint8_t> valid(n);
  for (size_t i = 0; i < n; ++i) valid[i] = valid_point(pts + 3 * i);

  DisjointSets sets(n);
  // Each unordered pair of pixels is visited once: the rest of the own row to the right, then the
  // full window width on the rows below. `root` tracks the current root of pixel i so only the
  // neighbour needs a find.
  for (int r = 0; r < h; ++r) {
    const int dr_max = std::min(rad, h - 1 - r);
    for (int c = 0; c < w; ++c) {
      const size_t i = static_cast<size_t>(r) * w + c;
      if (!valid[i]) continue;
      const float *p = pts + 3 * i;
      const float px = p[0], py = p[1], pz = p[2];
      int32_t root = sets.find(static_cast<int32_t>(i));
      auto visit = [&](size_t j) {
        if (!valid[j]) return;
        const float *q = pts + 3 * j;
        const float dx = px - q[0], dy = py - q[1], dz = pz - q[2];
        if (dx * dx + dy * dy + dz * dz > eps2) return;
        const int32_t other = sets.find(static_cast<int32_t>(j));
        if (other == root) return;
        if (other < root) {
          sets.parent[root] = other;
          root = other;
        } else {
          sets.parent[other] = root;
        }
      };
      const int c_hi = std::min(w - 1, c + rad);
      for (int cc = c + 1; cc <= c_hi; ++cc) visit(i + (cc - c));
      const int c_lo = std::max(0, c - rad);
      for (int dr = 1; dr <= dr_max; ++dr) {
        const size_t row = static_cast<size_t>(r + dr) * w;
        for (int cc = c_lo; cc <= c_hi; ++cc) visit(row + cc);
      }
    }
  }

  ClusterResult res;
  std::vector<int32_t> size(n, 0);
  int32_t best_root = -1;
  for (size_t i = 0; i < n; ++i) {
    if (!valid[i]) continue;
    const int32_t root = sets.find(static_cast<int32_t>(i));
    if (size[root]++ == 0) ++res.clusters;
  }
  for (size_t i = 0; i < n; ++i) {  // roots in increasing order: first maximum wins ties
    if (valid[i] && sets.parent[i] == static_cast<int32_t>(i) &&
        (best_root < 0 || size[i] > size[best_root]))
      best_root = static_cast<int32_t>(i);
  }
  if (best_root < 0) return res;  // no valid point at all
  res.largest = size[best_root];
  if (res.largest < min_points) return res;

  float *out = xyz.ptr<float>();
  uchar *colour = rgb ? rgb->ptr<uchar>() : nullptr;
  const bool rgb_continuous = rgb && rgb->isContinuous();
  for (size_t i = 0; i < n; ++i) {
    if (!valid[i] || sets.find(static_cast<int32_t>(i)) == best_root) continue;
    out[3 * i] = out[3 * i + 1] = out[3 * i + 2] = 0.f;
    if (rgb) {
      uchar *q =
          rgb_continuous ? colour + 3 * i : rgb->ptr<uchar>(static_cast<int>(i / w)) + 3 * (i % w);
      q[0] = q[1] = q[2] = 0;
    }
    ++res.points_removed;
  }
  return res;
}

}  // namespace lsfa
