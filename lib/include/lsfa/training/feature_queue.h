// Fixed-capacity FIFO queue of feature rows (the dynamically updated memory banks M^L, M^G of the
// LSFA compactness losses). A ring buffer: pushing past the capacity drops the oldest rows first.
#pragma once

#include <ATen/core/Generator.h>
#include <ATen/core/Tensor.h>

#include <cstdint>

namespace lsfa {

class FeatureQueue {
 public:
  FeatureQueue() = default;
  // capacity > 0 rows of width dim > 0; `seed` drives the subsampling of push().
  FeatureQueue(int64_t capacity, int64_t dim, uint64_t seed = 0);

  // Appends rows [n,dim] (copied, detached, stored as float32). When max_rows > 0 and n > max_rows,
  // only a seeded random subset of max_rows rows is enqueued, kept in their original order. When
  // more rows than the capacity arrive at once, the last `capacity` of them are kept (FIFO).
  void push(const at::Tensor &rows, int64_t max_rows = 0);

  // The stored rows, oldest first: [size, dim]. A fresh tensor (safe to keep).
  at::Tensor contents() const;

  int64_t size() const { return size_; }
  int64_t capacity() const { return capacity_; }
  int64_t dim() const { return dim_; }
  bool empty() const { return size_ == 0; }
  void clear();

 private:
  int64_t capacity_ = 0, dim_ = 0;
  int64_t head_ = 0;  // index of the oldest row
  int64_t size_ = 0;
  at::Tensor storage_;  // [capacity, dim]
  at::Generator gen_;
};

}  // namespace lsfa
