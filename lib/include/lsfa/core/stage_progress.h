// Progress of a multi-stage job turned into reports fit for a message bus: the first and the last
// call of each stage and at most one call per interval in between, each with an estimate of the
// time left in the stage from its rate so far. The teach mode of lsfascore posts these as
// lsfa-teach-progress messages; a coreset reports every pick, far too often for a bus.
#pragma once

#include <chrono>
#include <cstddef>
#include <string>

namespace lsfa {

class StageProgress {
 public:
  using Clock = std::chrono::steady_clock;
  explicit StageProgress(double min_interval_seconds = 0.1);

  // Records that `done` of `total` items of `stage` are finished at `now`. Returns true when the
  // call should be reported; then *eta_seconds is the estimated time left in the stage (0 when the
  // stage is complete, -1 when nothing is done yet so no rate is known).
  bool update(const std::string &stage, size_t done, size_t total, double *eta_seconds,
              Clock::time_point now = Clock::now());

 private:
  double interval_;
  std::string stage_;
  Clock::time_point stage_start_, last_report_;
  bool started_ = false;
};

}  // namespace lsfa
