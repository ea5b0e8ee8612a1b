// Alarm state of lsfascore: the state turns anomalous after `min_anomalous` consecutive anomalous
// frames and normal again after `min_normal` consecutive normal frames. Pure logic, testable alone.
#pragma once

namespace lsfa_gst {

class Hysteresis {
 public:
  enum class Change { kNone, kStart, kStop };

  Hysteresis(unsigned min_anomalous = 1, unsigned min_normal = 1)
      : min_anomalous_(min_anomalous ? min_anomalous : 1),
        min_normal_(min_normal ? min_normal : 1) {}

  // Feeds the verdict of one frame; returns the state change it causes.
  Change update(bool anomalous) {
    if (anomalous) {
      normal_run_ = 0;
      if (!active_ && ++anomalous_run_ >= min_anomalous_) {
        active_ = true;
        anomalous_run_ = 0;
        return Change::kStart;
      }
    } else {
      anomalous_run_ = 0;
      if (active_ && ++normal_run_ >= min_normal_) {
        active_ = false;
        normal_run_ = 0;
        return Change::kStop;
      }
    }
    return Change::kNone;
  }
  bool active() const { return active_; }
  void reset() { active_ = false, anomalous_run_ = normal_run_ = 0; }

 private:
  unsigned min_anomalous_, min_normal_;
  unsigned anomalous_run_ = 0, normal_run_ = 0;
  bool active_ = false;
};

}  // namespace lsfa_gst
