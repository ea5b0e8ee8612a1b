#include "lsfa/preprocess/largest_cluster.h"

#include <algorithm>
#include <cstdint>
#include <vector>

#include "lsfa/core/error.h"
#include "lsfa/preprocess/valid_point.h"

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

constexpr uint8_t kValid = 1;  // pixel holds a measurement
constexpr uint8_t kEdge = 2;   // valid pixel next to a hole or a depth step

// Links every pair of pixels that both carry `flag`, lie within `radius` pixels (a (2r+1)^2 window)
// and within sqrt(eps2) in 3D. Each unordered pair is visited once: the rest of the own row to the
// right, then the full window width on the rows below. `root` tracks the current root of pixel i
// so only the neighbour needs a find.
void link_window(const float *pts, const std::vector<uint8_t> &flags, uint8_t flag, int h, int w,
                 int radius, float eps2, DisjointSets &sets) {
  for (int r = 0; r < h; ++r) {
    const int dr_max = std::min(radius, h - 1 - r);
    for (int c = 0; c < w; ++c) {
      const size_t i = static_cast<size_t>(r) * w + c;
      if (!(flags[i] & flag)) continue;
      const float *p = pts + 3 * i;
      const float px = p[0], py = p[1], pz = p[2];
      int32_t root = sets.find(static_cast<int32_t>(i));
      auto visit = [&](size_t j) {
        if (!(flags[j] & flag)) return;
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
      const int c_hi = std::min(w - 1, c + radius);
      for (int cc = c + 1; cc <= c_hi; ++cc) visit(i + (cc - c));
      const int c_lo = std::max(0, c - radius);
      for (int dr = 1; dr <= dr_max; ++dr) {
        const size_t row = static_cast<size_t>(r + dr) * w;
        for (int cc = c_lo; cc <= c_hi; ++cc) visit(row + cc);
      }
    }
  }
}

constexpr uint8_t kEdgeKnown = 4;  // kEdge has been computed for this pixel

// Whether valid pixel i has an 8-neighbour inside the image that is invalid or farther than eps;
// computed on first use and remembered in `flags`.
bool is_edge(const float *pts, std::vector<uint8_t> &flags, int h, int w, float eps2, size_t i) {
  if (flags[i] & kEdgeKnown) return flags[i] & kEdge;
  const int r = static_cast<int>(i / w), c = static_cast<int>(i % w);
  const float *p = pts + 3 * i;
  bool edge = false;
  for (int dr = -1; dr <= 1 && !edge; ++dr) {
    const int rr = r + dr;
    if (rr < 0 || rr >= h) continue;
    for (int dc = -1; dc <= 1; ++dc) {
      const int cc = c + dc;
      if (cc < 0 || cc >= w || (dr == 0 && dc == 0)) continue;
      const size_t j = static_cast<size_t>(rr) * w + cc;
      const float *q = pts + 3 * j;
      const float dx = p[0] - q[0], dy = p[1] - q[1], dz = p[2] - q[2];
      if (!(flags[j] & kValid) || dx * dx + dy * dy + dz * dz > eps2) {
        edge = true;
        break;
      }
    }
  }
  flags[i] |= kEdgeKnown | (edge ? kEdge : 0);
  return edge;
}

void unite(DisjointSets &sets, int32_t a, int32_t b) {
  a = sets.find(a), b = sets.find(b);
  if (a < b)
    sets.parent[b] = a;
  else if (b < a)
    sets.parent[a] = b;
}

// Links edge pixels of different grid components that lie within `bridge` pixels and eps in 3D.
// Only pixels outside the largest grid component start a search (a full window), because pairs
// inside that component are already linked; the result equals a search from every edge pixel.
void bridge_gaps(const float *pts, std::vector<uint8_t> &flags, int h, int w, int bridge,
                 float eps2, DisjointSets &sets) {
  const size_t n = static_cast<size_t>(h) * w;
  std::vector<int32_t> label(n, -1), count(n, 0);
  int components = 0;
  for (size_t i = 0; i < n; ++i) {
    if (!(flags[i] & kValid)) continue;
    label[i] = sets.find(static_cast<int32_t>(i));
    if (count[label[i]]++ == 0) ++components;
  }
  if (components < 2) return;
  int32_t largest = -1;
  for (size_t i = 0; i < n; ++i)
    if (label[i] == static_cast<int32_t>(i) && (largest < 0 || count[i] > count[largest]))
      largest = static_cast<int32_t>(i);

  for (size_t i = 0; i < n; ++i) {
    if (label[i] < 0 || label[i] == largest || !is_edge(pts, flags, h, w, eps2, i)) continue;
    const int r = static_cast<int>(i / w), c = static_cast<int>(i % w);
    const float *p = pts + 3 * i;
    const int r0 = std::max(0, r - bridge), r1 = std::min(h - 1, r + bridge);
    const int c0 = std::max(0, c - bridge), c1 = std::min(w - 1, c + bridge);
    for (int rr = r0; rr <= r1; ++rr) {
      for (int cc = c0; cc <= c1; ++cc) {
        const size_t j = static_cast<size_t>(rr) * w + cc;
        if (label[j] < 0 || label[j] == label[i]) continue;
        const float *q = pts + 3 * j;
        const float dx = p[0] - q[0], dy = p[1] - q[1], dz = p[2] - q[2];
        if (dx * dx + dy * dy + dz * dz > eps2 || !is_edge(pts, flags, h, w, eps2, j)) continue;
        unite(sets, static_cast<int32_t>(i), static_cast<int32_t>(j));
      }
    }
  }
}

}  // namespace

ClusterResult keep_largest_cluster(cv::Mat &xyz, cv::Mat *rgb, double eps, int min_points,
                                   int radius, int bridge) {
  require(xyz.type() == CV_32FC3 && xyz.isContinuous(),
          "largest cluster: the cloud must be a continuous float32 3-channel matrix");
  if (rgb)
    require(rgb->type() == CV_8UC3 && rgb->size() == xyz.size(),
            "largest cluster: the RGB image must be 8-bit 3-channel and as large as the cloud");
  const int h = xyz.rows, w = xyz.cols;
  const float eps2 = static_cast<float>(eps * eps);
  const float *pts = xyz.ptr<float>();
  const size_t n = static_cast<size_t>(h) * w;

  std::vector<uint8_t> valid(n);
  for (size_t i = 0; i < n; ++i) valid[i] = valid_point(pts + 3 * i) ? kValid : 0;

  DisjointSets sets(n);
  link_window(pts, valid, kValid, h, w, std::max(1, radius), eps2, sets);
  if (bridge > radius) {
    // Across a hole or gap the closest pixels are edge pixels on both sides, so the wide window is
    // searched between edge pixels only; that keeps it cheap.
    bridge_gaps(pts, valid, h, w, bridge, eps2, sets);
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
