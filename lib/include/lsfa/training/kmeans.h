// Deterministic k-means (seeded k-means++ initialisation, fixed number of Lloyd iterations). Used
// on detached patch features to find the prototypes of the LSFA global losses.
#pragma once

#include <ATen/core/Tensor.h>

#include <cstdint>

namespace lsfa {

struct KMeansResult {
  at::Tensor centroids;    // [k,C] float, same dtype as the input
  at::Tensor assignments;  // [M] int64, index of the nearest centroid of every row
  int64_t iterations = 0;  // Lloyd iterations run (stops early once assignments no longer change)
};

// points: [M,C] (detached internally). k is clamped to M. Initialisation: k-means++ (first centre
// uniform, then D^2 sampling) with a CPU generator seeded by `seed`. Lloyd: assign to the nearest
// centroid (squared L2; ties to the lowest index), recompute means. A cluster that loses all its
// points is moved to the point farthest from its own centroid, so no cluster stays empty while
// there are distinct points. Same input + seed -> same result (at a fixed thread count).
KMeansResult kmeans(const at::Tensor &points, int64_t k, int64_t max_iterations, uint64_t seed);

// Squared L2 distances [M,K] between rows of a and b (||a||^2 - 2ab + ||b||^2, clamped at 0).
at::Tensor squared_distances(const at::Tensor &a, const at::Tensor &b);

}  // namespace lsfa
