// One clip file of lsfarecorder: a small pipeline of its own, appsrc ! videoconvert ! encoder !
// muxer ! filesink, fed with the clip's frames (timestamps shifted to start at 0) and finished
// (end of stream, muxer headers written, file closed) before close() returns.
#pragma once

#include <gst/gst.h>

#include <string>

namespace lsfa_gst {

enum class ClipContainer { kAvi = 0, kWebm = 1 };

class ClipWriter {
 public:
  // Starts the writer for `location`; the frames have `caps` (video/x-raw, caps features are
  // dropped). Throws lsfa::Error when the pipeline cannot start (e.g. the file cannot be created).
  ClipWriter(const std::string &location, GstCaps *caps, ClipContainer container);
  ~ClipWriter();
  ClipWriter(const ClipWriter &) = delete;
  ClipWriter &operator=(const ClipWriter &) = delete;

  // Queues one frame (a reference is taken). Throws lsfa::Error when the writer has failed.
  void push(GstBuffer *frame);
  // Ends the clip and waits (at most `timeout`) until the file is complete. Throws lsfa::Error
  // with the writer's error.
  void close(GstClockTime timeout);

  const std::string &location() const { return location_; }
  guint frames() const { return frames_; }
  GstClockTime first_pts() const { return first_pts_; }
  GstClockTime last_pts() const { return last_pts_; }

 private:
  void check_error();
  void shut_down();

  std::string location_;
  GstElement *pipeline_ = nullptr;
  GstElement *src_ = nullptr;
  guint frames_ = 0;
  GstClockTime first_pts_ = GST_CLOCK_TIME_NONE, last_pts_ = GST_CLOCK_TIME_NONE;
};

}  // namespace lsfa_gst
