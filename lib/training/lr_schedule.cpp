#include "lsfa/training/lr_schedule.h"

#include <cmath>
#include <string>

#include "lsfa/core/error.h"

namespace lsfa {

double learning_rate_at(const LrSchedule &s, int64_t step) {
  require(s.total_steps > 0, "lr schedule: total_steps must be positive");
  require(s.warmup_steps >= 0 && s.warmup_steps <= s.total_steps,
          "lr schedule: warmup_steps " + std::to_string(s.warmup_steps) + " outside [0, " +
              std::to_string(s.total_steps) + "]");
  require(step >= 0, "lr schedule: negative step");
  if (step < s.warmup_steps)
    return s.base_lr * static_cast<double>(step + 1) / static_cast<double>(s.warmup_steps);
  const int64_t decay = s.total_steps - s.warmup_steps;
  if (decay <= 0 || step >= s.total_steps) return decay <= 0 ? s.base_lr : s.min_lr;
  const double progress = static_cast<double>(step - s.warmup_steps) / static_cast<double>(decay);
  return s.min_lr + (s.base_lr - s.min_lr) * 0.5 * (1.0 + std::cos(M_PI * progress));
}

}  // namespace lsfa
