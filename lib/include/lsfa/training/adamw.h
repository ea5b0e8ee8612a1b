// AdamW (decoupled weight decay) on a list of tensors, with the exact update order of PyTorch's
// torch.optim.AdamW (single-tensor path, amsgrad off):
//   step += 1; p *= 1 - lr*wd; m = m*b1 + g*(1-b1); v = v*b2 + g*g*(1-b2);
//   denom = sqrt(v) / sqrt(1 - b2^step) + eps; p -= lr / (1 - b1^step) * m / denom
#pragma once

#include <ATen/core/Tensor.h>

#include <cstdint>
#include <vector>

namespace lsfa {

struct AdamWConfig {
  double lr = 2e-3;  // overridden per step by the schedule
  double beta1 = 0.9;
  double beta2 = 0.999;
  double eps = 1e-8;
  double weight_decay = 0.01;  // torch.optim.AdamW's default
};

class AdamW {
 public:
  // params: leaf tensors with requires_grad; they are updated in place (same storage).
  AdamW(std::vector<at::Tensor> params, const AdamWConfig &config);

  // One update with learning rate `lr` from the gradients in params[i].grad(). A parameter whose
  // gradient is undefined is skipped (its state is not advanced), as PyTorch does.
  void step(double lr);
  void step() { step(config_.lr); }
  // Drops all gradients (sets them undefined).
  void zero_grad();

  const std::vector<at::Tensor> &params() const { return params_; }
  int64_t steps_taken(size_t i) const { return steps_.at(i); }

 private:
  std::vector<at::Tensor> params_, exp_avg_, exp_avg_sq_;
  std::vector<int64_t> steps_;
  AdamWConfig config_;
};

}  // namespace lsfa
