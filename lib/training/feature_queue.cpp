#include "lsfa/training/feature_queue.h"

#include <ATen/ATen.h>
#include <ATen/CPUGeneratorImpl.h>

#include <string>

#include "lsfa/core/error.h"

namespace lsfa {

FeatureQueue::FeatureQueue(int64_t capacity, int64_t dim, uint64_t seed)
    : capacity_(capacity), dim_(dim) {
  require(capacity > 0,
          "feature queue: capacity must be positive, got " + std::to_string(capacity));
  require(dim > 0, "feature queue: dim must be positive, got " + std::to_string(dim));
  storage_ = at::zeros({capacity, dim}, at::kFloat);
  gen_ = at::make_generator<at::CPUGeneratorImpl>(seed);
}

void FeatureQueue::push(const at::Tensor &rows_in, int64_t max_rows) {
  require(capacity_ > 0, "feature queue: used before it was initialised");
  require(rows_in.dim() == 2 && rows_in.size(1) == dim_, "feature queue: rows must be [n," +
                                                             std::to_string(dim_) + "], got " +
                                                             c10::str(rows_in.sizes()));
  // The queue lives on the device of the rows pushed into it (training runs there).
  at::Tensor rows = rows_in.detach().to(at::kFloat);
  if (storage_.device() != rows.device()) storage_ = storage_.to(rows.device());
  if (max_rows > 0 && rows.size(0) > max_rows) {
    at::Tensor pick =
        std::get<0>(at::randperm(rows.size(0), gen_, at::kLong).narrow(0, 0, max_rows).sort());
    rows = rows.index_select(0, pick.to(rows.device()));
  }
  int64_t n = rows.size(0);
  if (n > capacity_) {
    rows = rows.narrow(0, n - capacity_, capacity_);
    n = capacity_;
  }
  // Write n rows at the tail, wrapping around; overwritten rows are the oldest.
  int64_t tail = (head_ + size_) % capacity_;
  int64_t first = std::min(n, capacity_ - tail);
  storage_.narrow(0, tail, first).copy_(rows.narrow(0, 0, first));
  if (n > first) storage_.narrow(0, 0, n - first).copy_(rows.narrow(0, first, n - first));
  int64_t overflow = std::max<int64_t>(0, size_ + n - capacity_);
  head_ = (head_ + overflow) % capacity_;
  size_ = std::min(capacity_, size_ + n);
}

at::Tensor FeatureQueue::contents() const {
  if (size_ == 0) return at::empty({0, dim_}, storage_.options());
  int64_t first = std::min(size_, capacity_ - head_);
  at::Tensor a = storage_.narrow(0, head_, first);
  if (first == size_) return a.clone();
  return at::cat({a, storage_.narrow(0, 0, size_ - first)}, 0);
}

void FeatureQueue::clear() {
  head_ = 0;
  size_ = 0;
}

}  // namespace lsfa
