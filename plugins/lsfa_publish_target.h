// Where lsfametapublish writes its JSON lines: a file (appended), stdout, a UDP socket (one
// datagram per line) or a TCP connection (reconnected after a failure). No GStreamer here beyond
// GLib/GIO, so the delivery rules can be tested alone.
#pragma once

#include <glib.h>

#include <memory>
#include <string>

namespace lsfa_gst {

enum class TargetKind { kFile = 0, kStdout = 1, kUdp = 2, kTcp = 3 };

struct TargetConfig {
  TargetKind kind = TargetKind::kFile;
  std::string location;             // file
  std::string host = "127.0.0.1";   // udp, tcp
  unsigned port = 0;                // udp, tcp
  unsigned timeout_s = 2;           // tcp: connect and send timeout
  double reconnect_interval_s = 1;  // tcp: 0 = a lost connection is an error
};

class PublishTarget {
 public:
  enum class Status {
    kOk,       // the line was written or sent
    kDropped,  // the line was not delivered, the stream goes on (`message` says why)
    kFailed,   // the target cannot be written any more (`message` says why)
  };
  virtual ~PublishTarget() = default;
  // Writes one line (a newline is added). `message` is set for kDropped (only on the first
  // dropped line after a delivered one, or when the reason changes, so warnings do not repeat)
  // and for kFailed.
  virtual Status write(const std::string &line, std::string *message) = 0;
};

// Opens the target. Returns null and sets `error` when it cannot be used at all (no location, a
// file that cannot be opened, no port, a host that does not resolve, a TCP connection refused with
// reconnecting off). A TCP target that cannot connect yet but will retry is returned with
// `warning` set.
std::unique_ptr<PublishTarget> open_publish_target(const TargetConfig &config, std::string *error,
                                                   std::string *warning);

}  // namespace lsfa_gst
