#include "lsfa/training/adamw.h"

#include <ATen/ATen.h>

#include <cmath>

#include "lsfa/core/error.h"

namespace lsfa {

AdamW::AdamW(std::vector<at::Tensor> params, const AdamWConfig &config)
    : params_(std::move(params)), config_(config) {
  require(config.beta1 >= 0 && config.beta1 < 1 && config.beta2 >= 0 && config.beta2 < 1,
          "adamw: betas must lie in [0,1)");
  require(config.eps >= 0 && config.weight_decay >= 0, "adamw: eps and weight_decay must be >= 0");
  for (const at::Tensor &p : params_) {
    require(p.defined(), "adamw: undefined parameter");
    exp_avg_.push_back(at::zeros_like(p, at::MemoryFormat::Preserve));
    exp_avg_sq_.push_back(at::zeros_like(p, at::MemoryFormat::Preserve));
    steps_.push_back(0);
  }
}

void AdamW::step(double lr) {
  at::NoGradGuard no_grad;
  const double b1 = config_.beta1, b2 = config_.beta2;
  for (size_t i = 0; i < params_.size(); ++i) {
    at::Tensor &p = params_[i];
    const at::Tensor &g = p.grad();
    if (!g.defined()) continue;
    const int64_t step = ++steps_[i];
    p.mul_(1 - lr * config_.weight_decay);
    exp_avg_[i].mul_(b1).add_(g, 1 - b1);
    exp_avg_sq_[i].mul_(b2).addcmul_(g, g, 1 - b2);
    const double bias_correction1 = 1 - std::pow(b1, static_cast<double>(step));
    const double bias_correction2 = 1 - std::pow(b2, static_cast<double>(step));
    const double step_size = lr / bias_correction1;
    const double bias_correction2_sqrt = std::sqrt(bias_correction2);
    at::Tensor denom = (exp_avg_sq_[i].sqrt() / bias_correction2_sqrt).add_(config_.eps);
    p.addcdiv_(exp_avg_[i], denom, -step_size);
  }
}

void AdamW::zero_grad() {
  for (at::Tensor &p : params_)
    if (p.grad().defined()) p.mutable_grad() = at::Tensor();
}

}  // namespace lsfa
