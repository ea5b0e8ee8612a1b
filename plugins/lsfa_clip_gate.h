// Which frames lsfarecorder writes into which clip: the pre-roll before an alarm starts, the frames
// while it is on, and the post-roll after it stops; an alarm that starts again during the
// post-roll extends the clip. Pure logic over timestamps (nanoseconds), testable alone.
//
// With P = pre-roll and Q = post-roll: a clip holds the frames with PTS in [start - P, stop + Q),
// where `start` is the PTS of the frame at which the alarm turned on and `stop` the PTS of the
// first frame at which it is off again. An alarm that starts again at a PTS <= stop + Q extends
// the clip (no gap, no new file for a video that goes on). Otherwise the first frame at or after
// stop + Q closes the clip and is not part of it. A frame is written at most once: the pre-roll of a clip holds only frames seen after
// the previous clip closed.
#pragma once

#include <cstdint>
#include <deque>
#include <functional>
#include <utility>

namespace lsfa_gst {

template <class Frame>
class ClipGate {
 public:
  struct Actions {
    std::function<void()> open;           // a clip starts
    std::function<void(Frame &&)> write;  // a frame of the open clip, in order
    std::function<void()> close;          // the open clip is complete
  };

  ClipGate(uint64_t pre_roll_ns, uint64_t post_roll_ns, Actions actions)
      : pre_(pre_roll_ns), post_(post_roll_ns), act_(std::move(actions)) {}

  // Feeds one frame with its PTS and the alarm state after it.
  void push(Frame frame, uint64_t pts, bool alarm) {
    if (recording_) {
      if (alarm) {
        has_end_ = false;  // on (again): the clip goes on
      } else if (!has_end_) {
        has_end_ = true;
        end_ = pts + post_;  // the first frame after the alarm: the post-roll starts here
      }
      if (!(has_end_ && pts >= end_)) {
        act_.write(std::move(frame));
        return;
      }
      finish();
    }
    if (alarm) {
      act_.open();
      recording_ = true;
      has_end_ = false;
      const uint64_t from = pts >= pre_ ? pts - pre_ : 0;
      for (auto &f : ring_)
        if (f.second >= from) act_.write(std::move(f.first));
      ring_.clear();
      act_.write(std::move(frame));
      return;
    }
    if (pre_ == 0) return;
    ring_.emplace_back(std::move(frame), pts);
    // Frames older than the pre-roll of any later alarm are no longer needed.
    while (!ring_.empty() && ring_.front().second + pre_ < pts) ring_.pop_front();
  }

  // End of stream (or stop): closes an open clip; the ring buffer is emptied.
  void finish() {
    const bool was_recording = recording_;
    recording_ = false;  // first: a close that throws leaves no clip open
    has_end_ = false;
    ring_.clear();
    if (was_recording) act_.close();
  }

  bool recording() const { return recording_; }
  size_t buffered() const { return ring_.size(); }

 private:
  uint64_t pre_, post_;
  Actions act_;
  std::deque<std::pair<Frame, uint64_t>> ring_;
  bool recording_ = false, has_end_ = false;
  uint64_t end_ = 0;
};

}  // namespace lsfa_gst
