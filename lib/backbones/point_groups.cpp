#include "lsfa/backbones/point_groups.h"

#include <ATen/ATen.h>
#include <ATen/Parallel.h>

#include <algorithm>
#include <cmath>
#include <cstring>
#include <utility>
#include <vector>

#include "lsfa/core/error.h"
#include "point_groups_internal.h"

namespace lsfa {

at::Tensor as_points(const at::Tensor &points, const char *what) {
  require(points.dim() == 2 && points.size(1) == 3,
          std::string(what) + " should be [N, 3], got " + c10::str(points.sizes()));
  auto p = points.to(at::kFloat).contiguous();
  // NaN would break the orderings below (and the sort's strict weak ordering).
  require(at::isfinite(p).all().item<bool>(), std::string(what) + " must be finite");
  return p;
}

namespace {

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

// One FPS step: distances to the newest pick folded into dd (min), returns the largest dd as int32
// bits. Built for AVX2 as well as the baseline; the loader picks what the CPU supports.
__attribute__((target_clones("avx2", "default"))) int32_t fps_update(const float *xs,
                                                                     const float *ys,
                                                                     const float *zs, float *dd,
                                                                     int64_t n, float cx, float cy,
                                                                     float cz) {
  int32_t best = float_bits(-1.f);
  for (int64_t i = 0; i < n; ++i) {
    const float dx = xs[i] - cx, dy = ys[i] - cy, dz = zs[i] - cz;
    const float d = dx * dx + dy * dy + dz * dz;
    const float m = std::min(dd[i], d);
    dd[i] = m;
    const int32_t b = float_bits(m);
    best = b > best ? b : best;
  }
  return best;
}

}  // namespace

at::Tensor valid_points(const at::Tensor &organized, at::Tensor *pixel_indices) {
  require(organized.dim() == 3 && organized.size(2) == 3,
          "organized point cloud should be [H, W, 3], got " + c10::str(organized.sizes()));
  auto flat = organized.to(at::kFloat).reshape({-1, 3}).contiguous();
  if (!flat.device().is_cpu()) {
    // On the device: the same rule as the loop below, then one compaction.
    at::Tensor keep = at::isfinite(flat).all(1).logical_and_(flat.ne(0).any(1));
    at::Tensor idx = keep.nonzero().reshape({-1});
    if (pixel_indices) *pixel_indices = idx;
    return flat.index_select(0, idx).contiguous();
  }
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
  if (!points.device().is_cpu()) return farthest_point_sample_device(points, count);
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
    const int32_t best = fps_update(xs, ys, zs, dd, n, xs[last], ys[last], zs[last]);
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
  require(points.device() == queries.device(),
          "knn_indices: points and queries on different devices");
  if (!points.device().is_cpu()) return knn_indices_aten(points, queries, k);
  const float *pd = points.data_ptr<float>();
  const float *qd = queries.data_ptr<float>();

  // Sweep along the axis of widest extent: points sorted by that coordinate are visited outwards
  // from the query, and the sweep stops on a side once the axis gap alone exceeds the current k-th
  // distance. Exact: fl(a^2) <= fl(fl(a^2) + fl(b^2) + fl(c^2)), and the gap grows monotonically.
  int axis = 0;
  {
    auto extent = std::get<0>(points.max(0)) - std::get<0>(points.min(0));
    axis = static_cast<int>(extent.argmax().item<int64_t>());
  }
  const int a1 = (axis + 1) % 3, a2 = (axis + 2) % 3;
  std::vector<int64_t> order(n);
  for (int64_t i = 0; i < n; ++i) order[i] = i;
  std::stable_sort(order.begin(), order.end(),
                   [&](int64_t i, int64_t j) { return pd[3 * i + axis] < pd[3 * j + axis]; });
  std::vector<float> sa(n), sb(n), sc(n);
  for (int64_t i = 0; i < n; ++i) {
    const float *p = pd + 3 * order[i];
    sa[i] = p[axis], sb[i] = p[a1], sc[i] = p[a2];
  }

  auto out = at::empty({q, k}, at::kLong);
  int64_t *res = out.data_ptr<int64_t>();
  at::parallel_for(0, q, 1, [&](int64_t begin, int64_t end) {
    using Entry = std::pair<float, int64_t>;  // (distance, original index); max-heap
    std::vector<Entry> heap;
    heap.reserve(k);
    for (int64_t j = begin; j < end; ++j) {
      const float ca = qd[3 * j + axis], cb = qd[3 * j + a1], cc = qd[3 * j + a2];
      heap.clear();
      auto visit = [&](int64_t s) {
        // Same arithmetic order as the brute force: dx*dx + dy*dy + dz*dz in x, y, z order.
        float d3[3];
        d3[axis] = sa[s] - ca, d3[a1] = sb[s] - cb, d3[a2] = sc[s] - cc;
        const Entry e{d3[0] * d3[0] + d3[1] * d3[1] + d3[2] * d3[2], order[s]};
        if (static_cast<int64_t>(heap.size()) < k) {
          heap.push_back(e);
          std::push_heap(heap.begin(), heap.end());
        } else if (e < heap.front()) {
          std::pop_heap(heap.begin(), heap.end());
          heap.back() = e;
          std::push_heap(heap.begin(), heap.end());
        }
      };
      int64_t hi = std::lower_bound(sa.begin(), sa.end(), ca) - sa.begin();
      int64_t lo = hi - 1;
      for (;;) {
        const bool full = static_cast<int64_t>(heap.size()) == k;
        const float worst = full ? heap.front().first : 0.f;
        float glo = 0.f, ghi = 0.f;
        bool can_lo = lo >= 0, can_hi = hi < n;
        if (can_lo) {
          const float g = sa[lo] - ca;
          glo = g * g;
          can_lo = !full || glo <= worst;
        }
        if (can_hi) {
          const float g = sa[hi] - ca;
          ghi = g * g;
          can_hi = !full || ghi <= worst;
        }
        if (!can_lo && !can_hi) break;
        if (can_lo && (!can_hi || glo <= ghi))
          visit(lo--);
        else
          visit(hi++);
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
