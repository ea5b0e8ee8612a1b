// Exact greedy (k-centre) selection on float32 points, the engine behind greedy_coreset
// (docs/scoring.md, "Coreset"). Private to lib/model.
#pragma once

#include <ATen/core/Tensor.h>

#include <cstdint>
#include <vector>

#include "lsfa/model/coreset.h"

namespace lsfa::detail {

// Points stored in groups of 16: value k of point i at data[(i / 16) * d * 16 + k * 16 + i % 16].
// SIMD lanes then hold 16 points whose distances are each summed over k in plain loop order, so
// the vector kernel rounds exactly like a scalar loop over one point.
class BlockedPoints {
 public:
  static constexpr int64_t kGroup = 16;

  BlockedPoints(int64_t n, int64_t d);
  // Copies rows [begin, begin + rows.size(0)) from a float32 [r, d] tensor.
  void set_rows(int64_t begin, const at::Tensor &rows);

  int64_t size() const { return n_; }
  int64_t dim() const { return d_; }
  int64_t groups() const { return (n_ + kGroup - 1) / kGroup; }
  const float *group(int64_t g) const { return data_.data() + g * d_ * kGroup; }
  float at(int64_t i, int64_t k) const { return group(i / kGroup)[k * kGroup + i % kGroup]; }
  size_t bytes() const { return data_.size() * sizeof(float); }

 private:
  int64_t n_, d_;
  std::vector<float> data_;
};

// Farthest-point selection as greedy_coreset describes it (index 0 first, first index on ties,
// early stop when every point is covered), with squared distances summed in float32 in the order
// k = 0..d-1. Lazy: points are updated tile by tile only when their tile could hold the maximum.
std::vector<int64_t> greedy_select(const BlockedPoints &points, int64_t count,
                                   const CoresetCallbacks &callbacks);

}  // namespace lsfa::detail
