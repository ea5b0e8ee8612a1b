#include "lsfa/core/stage_progress.h"

namespace lsfa {

StageProgress::StageProgress(double min_interval_seconds) : interval_(min_interval_seconds) {}

bool StageProgress::update(const std::string &stage, size_t done, size_t total, double *eta_seconds,
                           Clock::time_point now) {
  const bool first = !started_ || stage != stage_;
  if (first) {
    started_ = true;
    stage_ = stage;
    stage_start_ = now;
  }
  const bool last = done >= total;
  const double since = std::chrono::duration<double>(now - last_report_).count();
  if (!first && !last && since < interval_) return false;
  last_report_ = now;
  const double elapsed = std::chrono::duration<double>(now - stage_start_).count();
  if (last)
    *eta_seconds = 0.0;
  else if (done == 0 || elapsed <= 0.0)
    *eta_seconds = -1.0;
  else
    *eta_seconds = elapsed / static_cast<double>(done) * static_cast<double>(total - done);
  return true;
}

}  // namespace lsfa
