// Learning-rate schedule of the adaptor training: linear warm-up, then cosine decay.
#pragma once

#include <cstdint>

namespace lsfa {

struct LrSchedule {
  double base_lr = 2e-3;     // peak learning rate, reached at the end of the warm-up
  double min_lr = 0.0;       // floor of the cosine decay
  int64_t warmup_steps = 0;  // linear ramp length
  int64_t total_steps = 1;   // warm-up + decay
};

// Learning rate for optimizer step `step` (0-based):
//   step < warmup:  base * (step + 1) / warmup
//   otherwise:      min + (base - min) * 0.5 * (1 + cos(pi * (step - warmup) / (total - warmup)))
// Steps past the end stay at min_lr. Throws lsfa::Error on an inconsistent schedule.
double learning_rate_at(const LrSchedule &schedule, int64_t step);

}  // namespace lsfa
