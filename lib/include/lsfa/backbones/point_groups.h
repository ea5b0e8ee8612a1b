// Point groups for the Point-MAE backbone (docs/backbones.md): farthest point sampling of group
// centres and k-nearest-neighbour grouping, on the device of the points. CPU tensors take the
// hand-written loops, CUDA tensors the CUDA kernel (FPS) or device-agnostic ATen forms (kNN, and
// FPS when the kernels were not built); every form returns the same indices.
#pragma once

#include <ATen/core/Tensor.h>

#include <cstdint>

namespace lsfa {

// Valid points of an organized cloud [H, W, 3] in row-major pixel order. A point is valid when it
// is finite and not (0,0,0). Returns the points [N, 3] float32 on the cloud's device; when
// `pixel_indices` is given it receives their row-major pixel indices [N] int64.
at::Tensor valid_points(const at::Tensor &organized, at::Tensor *pixel_indices = nullptr);

// Farthest point sampling as the pointnet2 kernel does it: the first pick is index 0; each further
// pick is the point with the largest squared distance to the picks so far (float32,
// dx*dx + dy*dy + dz*dz; ties go to the lower index). Points with |p|^2 <= 1e-3 are never picked
// after the first. When fewer candidates than `count` exist, picks repeat (distance 0) like the
// reference. points: [N, 3] finite float (lsfa::Error otherwise); returns [count] int64 indices.
at::Tensor farthest_point_sample(const at::Tensor &points, int64_t count);

// For every query the indices of its k nearest points (squared Euclidean distance, same float32
// formula as above), ordered by (distance, index): ties go to the lower index.
// points: [N, 3], queries: [Q, 3], finite, k <= N. Returns [Q, k] int64. Parallel over queries.
at::Tensor knn_indices(const at::Tensor &points, const at::Tensor &queries, int64_t k);

// The same two selections written with ATen operations only, on any device: what non-CPU
// devices run (FPS only when no CUDA kernel was built). Each arithmetic step is its own rounded
// operation, so the indices equal those of the CPU loops; tests compare them on the CPU.
at::Tensor farthest_point_sample_aten(const at::Tensor &points, int64_t count);
at::Tensor knn_indices_aten(const at::Tensor &points, const at::Tensor &queries, int64_t k);

struct PointGroups {
  at::Tensor points;            // [N, 3] the valid points
  at::Tensor pixel_indices;     // [N] int64 row-major pixel index of every valid point
  at::Tensor center_indices;    // [G] int64 into points
  at::Tensor centers;           // [G, 3]
  at::Tensor neighbor_indices;  // [G, K] int64 into points, nearest first
  at::Tensor neighborhoods;     // [G, K, 3] neighbours re-centred on their centre (p - c)
};

// Valid points of an organized cloud [H, W, 3] -> `groups` FPS centres, each with its `group_size`
// nearest points. Throws lsfa::Error when the cloud has fewer than `group_size` valid points.
PointGroups group_points(const at::Tensor &organized, int64_t groups, int64_t group_size);

}  // namespace lsfa
