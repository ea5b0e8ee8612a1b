#include "lsfa/point_groups.h"

#include <ATen/ATen.h>
#include <ATen/Parallel.h>

#include <algorithm>
#include <cmath>
#include <cstring>
#include <utility>
#include <vector>

#include "lsfa/error.h"

namespace lsfa {

namespace {

at::Tensor as_points(const at::Tensor &points, const char *what) {
  require(points.dim() == 2 && points.size(1) == 3,
          std::string(what) + " should be [N, 3], got " + c10::str(points.sizes()));
  return points.to(at::kCPU, at::kFloat).contiguous();
}

// Structure-of-arrays copy so the distance loops vectorise.
struct Coords {
  std::vector<float> x, y, z;
  explicit Coords(const at::Tensor &p) {
    const int64_t n = p.size(0);
    const float *d = p.data_ptr<float>();
    x.resize(n), y.resize(n), z.resize(n);
    for (int64_t i = 0; i < n; ++i) x[i] = d[3 * i], y[i] = d[3 * i + 1], z[i] = d[3 * i + 2];
  }
};

// Non-negative floats order like their bit patterns read as int32; negative ones read negative.
inline int32_t float_bits(float f) {
  int32_t i;
  std::memcpy(&i, &f, sizeof i);
  return i;
}

}  // namespace

at::Tensor valid_points(const at::Tensor &organized, at::Tensor *pixel_indices) {
  require(organized.dim() == 3 && organized.size(2) == 3,
          "organized point cloud should be [H, W, 3], got " + c10::str(organized.sizes()));
  auto flat = organized.to(at::kCPU, at::kFloat).reshape({-1, 3}).contiguous();
  const int64_t n = flat.size(0);
  const float *d = flat.data_ptr<float>();
  std::vector<int64_t> keep;
  keep.reserve(n);
  for (int64_t i = 0; i < n; ++i) {
    const float x = d[3 * i], y = d[3 * i + 1], z = d[3 * i + 2];
    const bool finite = std::isfinite(x) && std::isfinite(y) && std::isfinite(z);
    if (finite && (x != 0.f || y != 0.f || z != 0.f)) keep.push_back(i);
  }
  auto idx = at::tensor(keep, at::kLong);
  if (pixel_indices) *pixel_indices = idx;
  return flat.index_select(0, idx).contiguous();
}

at::Tensor farthest_point_sample(const at::Tensor &points_in, int64_t count) {
  auto points = as_points(points_in, "farthest_point_sample: points");
  const int64_t n = points.size(0);
  require(n > 0, "farthest_point_sample: no points");
  require(count > 0, "farthest_point_sample: count must be positive");
  Coords p(points);
  // Candidates start at 1e10 like the reference; the others at -1, which min() keeps below any
  // distance, so they are never the farthest.
  std::vector<float> dist(n);
  for (int64_t i = 0; i < n; ++i) {
    const float mag = p.x[i] * p.x[i] + p.y[i] * p.y[i] + p.z[i] * p.z[i];
    dist[i] = mag <= 1e-3f ? -1.f : 1e10f;
  }
  auto out = at::empty({count}, at::kLong);
  int64_t *picks = out.data_ptr<int64_t>();
  int64_t last = 0;
  picks[0] = 0;
  float *dd = dist.data();
  const float *xs = p.x.data(), *ys = p.y.data(), *zs = p.z.data();
  for (int64_t s = 1; s < count; ++s) {
    const float cx = xs[last], cy = ys[last], cz = zs[last];
    int32_t best = float_bits(-1.f);
    for (int64_t i = 0; i < n; ++i) {
      const float dx = xs[i] - cx, dy = ys[i] - cy, dz = zs[i] - cz;
      const float d = dx * dx + dy * dy + dz * dz;
      const float m = std::min(dd[i], d);
      dd[i] = m;
      const int32_t b = float_bits(m);
      best = b > best ? b : best;
    }
    // No candidate at all: the reference's initial best index, 0.
    int64_t pick = 0;
    if (best >= 0) {
      while (float_bits(dd[pick]) != best) ++pick;
    }
    picks[s] = pick;
    last = pick;
  }
  return out;
}

at::Tensor knn_indices(const at::Tensor &points_in, const at::Tensor &queries_in, int64_t k) {
  auto points = as_points(points_in, "knn_indices: points");
  auto queries = as_points(queries_in, "knn_indices: queries");
  const int64_t n = points.size(0), q = queries.size(0);
  require(k > 0 && k <= n, "knn_indices: k = " + std::to_string(k) + " but there are " +
                               std::to_string(n) + " points");
  Coords p(points);
  const float *qd = queries.data_ptr<float>();
  auto out = at::empty({q, k}, at::kLong);
  int64_t *res = out.data_ptr<int64_t>();
  const float *xs = p.x.data(), *ys = p.y.data(), *zs = p.z.data();
  at::parallel_for(0, q, 1, [&](int64_t begin, int64_t end) {
    std::vector<float> dist_buffer(n);
    float *dist = dist_buffer.data();
    std::vector<std::pair<float, int64_t>> heap;  // max-heap on (distance, index)
    heap.reserve(k);
    for (int64_t j = begin; j < end; ++j) {
      const float cx = qd[3 * j], cy = qd[3 * j + 1], cz = qd[3 * j + 2];
      for (int64_t i = 0; i < n; ++i) {
        const float dx = xs[i] - cx, dy = ys[i] - cy, dz = zs[i] - cz;
        dist[i] = dx * dx + dy * dy + dz * dz;
      }
      heap.clear();
      for (int64_t i = 0; i < k; ++i) heap.emplace_back(dist[i], i);
      std::make_heap(heap.begin(), heap.end());
      // Points come in increasing index order, so a later point only displaces the current k-th
      // when it is strictly closer: ties keep the lower index.
      float worst = heap.front().first;
      for (int64_t i = k; i < n; ++i) {
        if (dist[i] < worst) {
          std::pop_heap(heap.begin(), heap.end());
          heap.back() = {dist[i], i};
          std::push_heap(heap.begin(), heap.end());
          worst = heap.front().first;
        }
      }
      std::sort_heap(heap.begin(), heap.end());
      for (int64_t i = 0; i < k; ++i) res[j * k + i] = heap[i].second;
    }
  });
  return out;
}

PointGroups group_points(const at::Tensor &organized, int64_t groups, int64_t group_size) {
  require(groups > 0 && group_size > 0, "group_points: groups and group size must be positive");
  PointGroups g;
  g.points = valid_points(organized, &g.pixel_indices);
  const int64_t n = g.points.size(0);
  require(n >= group_size, "point cloud has " + std::to_string(n) +
                               " valid points, fewer than the group size " +
                               std::to_string(group_size));
  g.center_indices = farthest_point_sample(g.points, groups);
  g.centers = g.points.index_select(0, g.center_indices);
  g.neighbor_indices = knn_indices(g.points, g.centers, group_size);
  g.neighborhoods = g.points.index_select(0, g.neighbor_indices.reshape({-1}))
                        .view({groups, group_size, 3})
                        .sub(g.centers.unsqueeze(1));
  return g;
}

}  // namespace lsfa
